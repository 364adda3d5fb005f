//! A real S3-compatible server for tests: Garage, single node, started on
//! free loopback ports with its own folders, one bucket and one key.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn garage_bin() -> String {
    std::env::var("GARAGE_BIN").unwrap_or_else(|_| "/opt/garage/bin/garage".into())
}

pub struct Garage {
    pub endpoint: String,
    pub bucket: String,
    pub key_id: String,
    pub secret: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn hex(n: usize) -> String {
    (0..n).map(|_| format!("{:x}", rand_nibble())).collect()
}

fn rand_nibble() -> u8 {
    (uuid::Uuid::new_v4().as_bytes()[0]) & 0x0f
}

impl Garage {
    pub fn start() -> Garage {
        let bin = garage_bin();
        assert!(
            std::path::Path::new(&bin).exists(),
            "Garage is required at {bin} (run `make garage`)"
        );
        let dir = tempfile::tempdir().unwrap();
        let (rpc, s3, admin) = (free_port(), free_port(), free_port());
        let config = format!(
            "metadata_dir = \"{d}/meta\"\ndata_dir = \"{d}/data\"\ndb_engine = \"sqlite\"\nreplication_factor = 1\n\
             rpc_bind_addr = \"127.0.0.1:{rpc}\"\nrpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\n\
             [s3_api]\ns3_region = \"garage\"\napi_bind_addr = \"127.0.0.1:{s3}\"\nroot_domain = \".s3.garage.localhost\"\n\n\
             [admin]\napi_bind_addr = \"127.0.0.1:{admin}\"\nadmin_token = \"{token}\"\n",
            d = dir.path().display(),
            secret = hex(64),
            token = hex(32),
        );
        std::fs::write(dir.path().join("garage.toml"), config).unwrap();
        let mut g = Garage {
            endpoint: format!("http://127.0.0.1:{s3}"),
            bucket: "sema-pkg-test".into(),
            key_id: format!("GK{}", hex(24)),
            secret: hex(64),
            dir,
            child: None,
        };
        g.child = Some(g.spawn_server());
        // The node needs a moment before it answers its CLI.
        let mut id = String::new();
        for _ in 0..100 {
            if let Ok(out) = g.cli(&["node", "id", "-q"]) {
                id = out.trim().split('@').next().unwrap().to_string();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!id.is_empty(), "garage did not start");
        // `node id` reads the key from disk; the first RPC waits for the server to listen.
        let mut assigned = Err(String::new());
        for _ in 0..100 {
            assigned = g.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &id]);
            if assigned.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assigned.expect("garage layout assign");
        g.cli(&["layout", "apply", "--version", "1"]).unwrap();
        g.cli(&["bucket", "create", &g.bucket]).unwrap();
        g.cli(&[
            "key", "import", "--yes", &g.key_id, &g.secret, "-n", "sema-pkg",
        ])
        .unwrap();
        g.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", &g.bucket, "--key", "sema-pkg",
        ])
        .unwrap();
        g
    }

    fn spawn_server(&self) -> Child {
        Command::new(garage_bin())
            .args(["-c", &self.config_path(), "server"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn config_path(&self) -> String {
        self.dir.path().join("garage.toml").display().to_string()
    }

    /// Runs the garage CLI (never piped into `head`: it panics on a closed pipe).
    pub fn cli(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(garage_bin())
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .output()
            .unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// An outage: the server process goes away.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn blob_config(&self) -> sema_pkg::config::BlobConfig {
        sema_pkg::config::BlobConfig::S3 {
            bucket: self.bucket.clone(),
            endpoint: Some(self.endpoint.clone()),
            region: "garage".into(),
            access_key_id: Some(self.key_id.clone()),
            secret_access_key: Some(self.secret.clone()),
        }
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
    }
}
