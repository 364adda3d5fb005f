//! Rate limits: 429 with a JSON error and `Retry-After` seconds (the CLI honours it).

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

async fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn writes_are_limited_per_user() {
    // Budget 4: creating the token, publishing and two yanks; the third yank is refused.
    let app = TestApp::spawn_with(|c| c.write_rate_per_minute = 4).await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    body(
        publish(
            &app,
            &alice,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    let c = app.client();
    for _ in 0..2 {
        body(
            c.post(app.url("/api/v1/packages/demo/0.1.0/yank"))
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
    }
    let res = c
        .post(app.url("/api/v1/packages/demo/0.1.0/yank"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let wait = retry_after(&res).await;
    assert!((1..=60).contains(&wait), "{wait}");
    let e = expect_error(res, 429).await;
    assert!(e.contains("try again"), "{e}");
    // Bob has his own budget, and reads are not writes.
    body(
        publish(
            &app,
            &bob,
            "other",
            "0.1.0",
            tarball::package("other", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn reads_are_limited_per_address() {
    let app = TestApp::spawn_with(|c| c.read_rate_per_second = 1).await;
    let c = app.client();
    let mut statuses = vec![];
    for _ in 0..4 {
        statuses.push(
            c.get(app.url("/api/v1/search?q=x"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        &statuses[..3],
        &[200, 200, 200],
        "a burst of three seconds' allowance"
    );
    assert_eq!(statuses[3], 429);
    let res = c.get(app.url("/api/v1/search?q=x")).send().await.unwrap();
    assert!(retry_after(&res).await >= 1);
    expect_error(res, 429).await;
    // Health checks are not API reads.
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let trusted = TestApp::spawn_with(|c| {
        c.read_rate_per_second = 1;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let c = trusted.client();
    let get = |ip: &'static str| {
        c.get(trusted.url("/api/v1/search"))
            .header("x-forwarded-for", ip)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(get("203.0.113.1").await.unwrap().status(), 200);
    }
    assert_eq!(get("203.0.113.1").await.unwrap().status(), 429);
    assert_eq!(
        get("203.0.113.2").await.unwrap().status(),
        200,
        "another client behind the proxy"
    );

    let untrusted = TestApp::spawn_with(|c| c.read_rate_per_second = 1).await;
    let c = untrusted.client();
    let statuses = [
        c.get(untrusted.url("/api/v1/search"))
            .header("x-forwarded-for", "203.0.113.1")
            .send()
            .await
            .unwrap()
            .status(),
        c.get(untrusted.url("/api/v1/search"))
            .header("x-forwarded-for", "203.0.113.2")
            .send()
            .await
            .unwrap()
            .status(),
        c.get(untrusted.url("/api/v1/search"))
            .header("x-forwarded-for", "203.0.113.3")
            .send()
            .await
            .unwrap()
            .status(),
        c.get(untrusted.url("/api/v1/search"))
            .header("x-forwarded-for", "203.0.113.4")
            .send()
            .await
            .unwrap()
            .status(),
    ];
    assert_eq!(
        statuses[3], 429,
        "a spoofed header does not buy a fresh budget: {statuses:?}"
    );
}
