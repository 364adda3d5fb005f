//! A throwaway streaming-replication pair for the replica tests: a primary
//! made with `initdb` in a temporary folder and a hot standby cloned from it
//! with `pg_basebackup -R`, each on a free port of its own. The machine's
//! Postgres and its configuration are never touched. Postgres refuses to run
//! as root, so as root its programs run as the `postgres` user (as
//! deploy/local-postgres.sh does).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub primary_port: u16,
    pub replica_port: u16,
}

/// The newest installed server's programs (Debian keeps them off PATH).
fn server_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b).expect(
        "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) under /usr/lib/postgresql",
    )
}

fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// Runs one of the server's programs (as `postgres` when we are root).
    fn pg(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = if root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn append(&self, file: &str, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(Path::new(&self.path(file)))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn start_server(&self, name: &str) {
        let log = self.path(&format!("{name}.log"));
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.path(name),
                "-l",
                &log,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Both servers up: the primary accepting writes, the standby streaming from it.
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        if root() {
            let ok = Command::new("chown")
                .args(["postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success(), "chown the cluster folder to postgres");
        }
        let c = Cluster {
            dir,
            bin: server_bin(),
            primary_port: free_port(),
            replica_port: free_port(),
        };
        let primary = c.path("primary");
        c.pg(
            "initdb",
            &[
                "-D",
                &primary,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-N",
            ],
        );
        let socket = c.dir.path().display();
        c.append(
            "primary/postgresql.conf",
            &format!(
                "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{socket}'\n\
                 wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n\
                 full_page_writes = off\nshared_buffers = 16MB\n",
                c.primary_port
            ),
        );
        c.append(
            "primary/pg_hba.conf",
            "\nhost replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n",
        );
        c.start_server("primary");
        let port = c.primary_port.to_string();
        let replica = c.path("replica");
        c.pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &replica,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-N",
            ],
        );
        c.append(
            "replica/postgresql.conf",
            &format!("\nport = {}\n", c.replica_port),
        );
        c.start_server("replica");
        c
    }

    pub fn url(port: u16, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{db}")
    }

    pub fn primary_url(&self, db: &str) -> String {
        Self::url(self.primary_port, db)
    }

    pub fn replica_url(&self, db: &str) -> String {
        Self::url(self.replica_port, db)
    }

    pub fn stop_replica(&self) {
        self.pg(
            "pg_ctl",
            &["-D", &self.path("replica"), "-m", "fast", "-w", "stop"],
        );
    }

    /// A client of one server's database.
    pub async fn client(port: u16, db: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&Self::url(port, db), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for name in ["replica", "primary"] {
            let data = self.path(name);
            if Path::new(&data).join("postmaster.pid").exists() {
                let exe = self.bin.join("pg_ctl");
                let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
                let _ = if root() {
                    Command::new("runuser")
                        .args(["-u", "postgres", "--"])
                        .arg(&exe)
                        .args(args)
                        .output()
                } else {
                    Command::new(&exe).args(args).output()
                };
            }
        }
    }
}
