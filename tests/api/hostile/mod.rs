//! Hostile input, authorization, races and faults: the registry keeps working,
//! loses nothing and lets nobody in where they don't belong.
//!
//! - `corpus`: a data-driven table of hostile requests; each answers a 4xx (or
//!   a harmless 2xx) with a JSON `error`, never a 5xx, and leaves Postgres and
//!   the blob store exactly as they were.
//! - `accepted`: odd-but-valid uploads (long GNU names, non-UTF-8 and 100 MB
//!   READMEs) are stored, capped and returned as data.
//! - `authz`: every mutating route × every kind of caller → the exact status.
//! - `races`: concurrent publishes, revocation during publish, yank vs publish.
//! - `faults`: Postgres cut and restored through a proxy, a failing blob store,
//!   SIGTERM under download load.
use crate::proxy;

mod accepted;
mod audit_fault;
mod authz;
mod corpus;
mod faults;
mod races;
mod shutdown;

use crate::common::TestApp;

/// Row counts of every table a request could write, and the blob count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    rows: Vec<(String, i64)>,
    blobs: usize,
}

const TABLES: &[&str] = &[
    "users",
    "sessions",
    "api_tokens",
    "namespaces",
    "packages",
    "package_owners",
    "owner_invitations",
    "versions",
    "dependencies",
    "version_downloads",
];

pub async fn snapshot(app: &TestApp) -> Snapshot {
    let (client, conn) = tokio_postgres::connect(&app.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    let mut sql = String::from("SELECT ");
    for (i, t) in TABLES.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(SELECT count(*) FROM {t})"));
    }
    sql.push_str(", (SELECT count(*) FROM versions WHERE yanked)");
    sql.push_str(", (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL)");
    let row = client.query_one(&sql, &[]).await.unwrap();
    let mut rows: Vec<(String, i64)> = TABLES
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), row.get::<_, i64>(i)))
        .collect();
    rows.push(("yanked versions".into(), row.get(TABLES.len())));
    rows.push(("revoked tokens".into(), row.get(TABLES.len() + 1)));
    drop(client);
    let _ = task.await;
    Snapshot {
        rows,
        blobs: app.blob_count(),
    }
}

/// The multipart form the CLI sends.
pub fn form(tarball: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part(
            "tarball",
            reqwest::multipart::Part::bytes(tarball).file_name("package.tar.gz"),
        )
        .text("metadata", r#"{"description":"d"}"#)
}
