//! Test harness: every test gets its own Postgres database (a copy of a
//! migrated template), its own blob folder, and the real app on a random port.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use sema_pkg::config::{BlobConfig, Config};

pub mod github;
pub mod receiver;
pub mod s3;
pub mod tarball;

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn db_url(name: &str) -> String {
    let mut u = url::Url::parse(&admin_url()).unwrap();
    u.set_path(&format!("/{name}"));
    u.to_string()
}

async fn admin() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls)
        .await
        .expect("Postgres is reachable");
    tokio::spawn(conn);
    client
}

/// The template's name changes with the migrations, so a schema change makes a new one.
fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut entries: Vec<_> = walk(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )));
    entries.sort();
    for p in entries {
        h.update(p.to_string_lossy().as_bytes());
        h.update(std::fs::read(&p).unwrap());
    }
    format!("sema_pkg_tmpl_{}", &hex::encode(h.finalize())[..16])
}

fn walk(dir: &PathBuf) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> String {
    let tmpl = template_name();
    let client = admin().await;
    // One process creates the template; the others wait on the lock.
    client
        .execute("SELECT pg_advisory_lock(4242)", &[])
        .await
        .unwrap();
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&tmpl])
        .await
        .unwrap()
        .is_some();
    if !exists {
        let building = format!("{tmpl}_building");
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .await
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .unwrap();
        sema_pkg::db::migrate(&db_url(&building))
            .await
            .expect("migrations run");
        client
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {tmpl}"))
            .await
            .unwrap();
    }
    client
        .execute("SELECT pg_advisory_unlock(4242)", &[])
        .await
        .unwrap();
    let name = format!("sema_pkg_test_{}", uuid::Uuid::new_v4().simple());
    let mut tries = 0;
    loop {
        match client
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {tmpl}"))
            .await
        {
            Ok(()) => break,
            // Copies of one template may not start at the same instant.
            Err(e) if tries < 50 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("creating {name}: {e}"),
        }
    }
    db_url(&name)
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub blob_dir: tempfile::TempDir,
    pub pool: sema_pkg::db::Pool,
    pub config: Arc<Config>,
    handle: actix_web::dev::ServerHandle,
    /// The first instance drops the database when it goes; others leave it.
    owns_database: bool,
}

pub fn test_config(database_url: &str, blob_dir: PathBuf) -> Config {
    Config {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: database_url.into(),
        database_max_connections: 8,
        replica: None,
        base_url: "http://127.0.0.1".into(),
        session_secret: b"test-secret-test-secret-test-secret-test-secret-test-secret-64b!"
            .to_vec(),
        blob: BlobConfig::Fs { dir: blob_dir },
        max_tarball_bytes: 50 * 1024 * 1024,
        static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static")),
        trusted_proxies: vec![],
        download_flush_secs: 1,
        github: None,
        download_redirect: false,
        package_cache: true,
        blob_cache_bytes: 64 * 1024 * 1024,
        // Effectively off; the rate-limit tests set their own.
        read_rate_per_second: 100_000,
        write_rate_per_minute: 1_000_000,
        metrics_token: None,
        upstream: None,
        private: false,
        registration_open: true,
        // Receivers in the tests listen on loopback; a fast poll keeps them quick.
        webhooks: sema_pkg::config::WebhookConfig {
            allow_private_targets: true,
            poll: std::time::Duration::from_millis(100),
            backoff_base: std::time::Duration::from_millis(300),
        },
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let database_url = fresh_database().await;
        Self::serve(database_url, true, tweak).await
    }

    /// Another instance on this one's database (and a blob folder of its
    /// own): two instances of one registry. It leaves the database to `self`.
    pub async fn spawn_alongside(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::serve(self.database_url.clone(), false, tweak).await
    }

    /// Stops the server and its background jobs, as a shutdown would; the
    /// database stays until `self` is dropped.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    async fn serve(
        database_url: String,
        owns_database: bool,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&database_url, blob_dir.path().to_path_buf());
        tweak(&mut config);
        let config = Arc::new(config);
        let (tx, rx) = std::sync::mpsc::channel();
        let cfg = (*config).clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let state = sema_pkg::connect(cfg).unwrap();
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let port = listener.local_addr().unwrap().port();
                let server = sema_pkg::server::run(state, listener, 2).unwrap();
                tx.send((port, server.handle())).unwrap();
                server.await.unwrap();
            })
        });
        let (port, handle) = rx.recv().unwrap();
        let pool = sema_pkg::db::pool(&database_url, 4).unwrap();
        let app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            database_url,
            blob_dir,
            pool,
            config,
            handle,
            owns_database,
        };
        // Caching starts once the change listener is connected; tests that
        // count cache hits need it from the first request.
        for _ in 0..if app.config.package_cache { 100 } else { 0 } {
            if app.metric("sema_pkg_cache_listening", &[]).await == 1.0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps cookies, like a browser.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A client without cookies, like the CLI.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Registers a user through the API; returns a signed-in cookie client.
    pub async fn register(&self, username: &str) -> reqwest::Client {
        let c = self.browser();
        let res = c
            .post(self.url("/api/v1/auth/register"))
            .json(&serde_json::json!({"username": username, "email": format!("{username}@example.com"), "password": "correct-horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            201,
            "register {username}: {}",
            res.text().await.unwrap()
        );
        c
    }

    /// Creates a token for a signed-in client.
    pub async fn token(&self, browser: &reqwest::Client, body: serde_json::Value) -> String {
        let res = browser
            .post(self.url("/api/v1/tokens"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let v: serde_json::Value = res.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    /// A user with an all-scopes token.
    pub async fn user_with_token(&self, username: &str) -> (reqwest::Client, String) {
        let b = self.register(username).await;
        let t = self.token(&b, serde_json::json!({"name": "test"})).await;
        (b, t)
    }

    pub async fn sql_count(&self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().await.unwrap();
        let n: N = diesel::sql_query(format!("SELECT ({sql})::bigint AS n"))
            .get_result(&mut conn)
            .await
            .unwrap();
        n.n
    }

    /// A counter or gauge from `/metrics`: the sample whose labels include all of `labels`.
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        let text = reqwest::get(self.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
            .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
            .next()
            .unwrap_or(0.0)
    }

    /// The first column of the first row, as text.
    pub async fn sql_text(&self, sql: &str) -> String {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct T {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        let mut conn = self.pool.get().await.unwrap();
        let t: T = diesel::sql_query(format!("SELECT ({sql})::text AS t"))
            .get_result(&mut conn)
            .await
            .unwrap();
        t.t
    }

    /// Polls a count until it reaches `want` (the download flusher runs every
    /// second) or five seconds pass; returns the last value seen.
    pub async fn eventually_count(&self, sql: &str, want: i64) -> i64 {
        let mut seen = self.sql_count(sql).await;
        for _ in 0..50 {
            if seen == want {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            seen = self.sql_count(sql).await;
        }
        seen
    }

    pub async fn sql(&self, sql: &str) {
        use diesel_async::RunQueryDsl;
        let mut conn = self.pool.get().await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }

    /// Files in the blob store (temporary and health-probe files excluded).
    pub fn blob_count(&self) -> usize {
        let dir = self.blob_dir.path().join("sha256");
        if dir.exists() {
            walk(&dir).len()
        } else {
            0
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let owns_database = self.owns_database;
        let name = url::Url::parse(&self.database_url)
            .unwrap()
            .path()
            .trim_start_matches('/')
            .to_string();
        // Dropped from inside a test's runtime: finish on a thread of our own.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                handle.stop(false).await;
                if !owns_database {
                    return;
                }
                let client = admin().await;
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join()
        .ok();
    }
}

/// `PUT /api/v1/packages/{name}/{version}` exactly as the CLI sends it.
pub async fn publish(
    app: &TestApp,
    token: &str,
    name: &str,
    version: &str,
    tarball: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "tarball",
            reqwest::multipart::Part::bytes(tarball)
                .file_name("package.tar.gz")
                .mime_str("application/gzip")
                .unwrap(),
        )
        .text(
            "metadata",
            r#"{"description":"d","repository_url":null,"sema_version_req":null}"#,
        );
    app.client()
        .put(app.url(&format!("/api/v1/packages/{name}/{version}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Asserts a status and a JSON `error`; returns the error text.
pub async fn expect_error(res: reqwest::Response, status: u16) -> String {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {text}"))
        .to_string()
}

pub async fn json(res: reqwest::Response, status: u16) -> serde_json::Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}
