//! Two `sema-pkg serve` processes on one database and one blob store behave as one registry.

use serde_json::json;

use crate::common::{admin_url, json as body, tarball};
use crate::serve::{drop_database, start_server};

const SECRET: &str = "shared-secret-shared-secret-shared-secret-0123456789";

#[tokio::test]
async fn two_instances_act_as_one() {
    // An empty database: both instances create and migrate it at the same moment.
    let name = format!("sema_pkg_test_{}", uuid::Uuid::new_v4().simple());
    let mut u = url::Url::parse(&admin_url()).unwrap();
    u.set_path(&format!("/{name}"));
    let db = u.to_string();
    let blobs = tempfile::tempdir().unwrap();
    let env = [("SESSION_SECRET", SECRET), ("DOWNLOAD_FLUSH_SECS", "1")];
    let (a, b) = tokio::join!(
        start_server(&db, blobs.path(), &env),
        start_server(&db, blobs.path(), &env)
    );
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count() as i64;
    let (admin, conn) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let applied: i64 = admin
        .query_one("SELECT count(*) FROM __diesel_schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied, migrations, "each migration applied exactly once");

    // A session made on A works on B.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = browser
        .post(format!("{}/api/v1/auth/register", a.base))
        .json(&json!({"username": "alice", "email": "alice@example.com", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me = body(
        reqwest::Client::new()
            .get(format!("{}/api/v1/me", b.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(me["username"], "alice");

    // A token made on B, revoked on A, is refused by B.
    let c = reqwest::Client::new();
    let t = body(
        c.post(format!("{}/api/v1/tokens", b.base))
            .header("cookie", &cookie)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let token = t["token"].as_str().unwrap().to_string();
    assert_eq!(
        c.get(format!("{}/api/v1/me", b.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    body(
        c.delete(format!("{}/api/v1/tokens/{}", a.base, t["id"]))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        c.get(format!("{}/api/v1/me", b.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Downloads served by both are all counted.
    let t = body(
        c.post(format!("{}/api/v1/tokens", a.base))
            .header("cookie", &cookie)
            .json(&json!({"name": "y"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let token = t["token"].as_str().unwrap().to_string();
    let form = reqwest::multipart::Form::new()
        .part(
            "tarball",
            reqwest::multipart::Part::bytes(tarball::package("demo", "0.1.0"))
                .file_name("package.tar.gz"),
        )
        .text("metadata", "{}");
    let res = c
        .put(format!("{}/api/v1/packages/demo/0.1.0", a.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for (base, n) in [(&a.base, 3), (&b.base, 4)] {
        for _ in 0..n {
            let res = c
                .get(format!("{base}/api/v1/packages/demo/0.1.0/download"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap();
        }
    }
    let mut total = 0i64;
    for _ in 0..50 {
        total = admin
            .query_one(
                "SELECT COALESCE(sum(downloads), 0)::bigint FROM version_downloads",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if total == 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(total, 7);

    // The sign-in limit is shared: 5 failures spread over both, then both refuse.
    for base in [&a.base, &b.base, &a.base, &b.base, &a.base] {
        let res = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": "wrong-horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    for base in [&a.base, &b.base] {
        let res = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": "correct-horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429);
    }
    drop((a, b, admin));
    drop_database(&db).await;
}
