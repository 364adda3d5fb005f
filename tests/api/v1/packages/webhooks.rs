//! `/api/v1/packages/{name}/webhooks…`: creating, listing and removing
//! webhooks; signed deliveries to a receiver on loopback, their retries,
//! two instances, a restart, and the SSRF guard.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::receiver::Receiver;
use crate::common::{expect_error, json as body, publish, tarball, TestApp};

const SECRET: &str = "a-shared-secret-for-tests";

async fn put(app: &TestApp, token: &str, name: &str, version: &str) -> reqwest::Response {
    publish(app, token, name, version, tarball::package(name, version)).await
}

fn hooks_url(app: &TestApp, name: &str) -> String {
    app.url(&format!("/api/v1/packages/{name}/webhooks"))
}

async fn create(app: &TestApp, token: &str, name: &str, b: Value) -> reqwest::Response {
    app.client()
        .post(hooks_url(app, name))
        .bearer_auth(token)
        .json(&b)
        .send()
        .await
        .unwrap()
}

async fn post(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client()
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app
        .client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    body(res, 200).await
}

/// A user with a token, their package `demo` at 1.0.0, and a webhook on it.
async fn setup(app: &TestApp, receiver: &Receiver, events: Value) -> (String, i64) {
    let (_, token) = app.user_with_token("alice").await;
    body(put(app, &token, "demo", "1.0.0").await, 201).await;
    let b = json!({"url": receiver.url, "events": events, "secret": SECRET});
    let hook = body(create(app, &token, "demo", b).await, 201).await;
    (token, hook["id"].as_i64().unwrap())
}

/// Polls the webhook's deliveries until the newest one is no longer pending.
async fn settled(app: &TestApp, token: &str, id: i64) -> Value {
    let path = format!("/api/v1/packages/demo/webhooks/{id}/deliveries");
    let mut list = get(app, token, &path).await;
    for _ in 0..100 {
        if list["deliveries"][0]["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        list = get(app, token, &path).await;
    }
    list
}

#[tokio::test]
async fn a_change_is_delivered_signed_with_its_headers_and_listed() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    let (token, id) = setup(&app, &receiver, json!(["publish", "yank"])).await;
    body(put(&app, &token, "demo", "1.0.1").await, 201).await;
    // A change that fails writes no delivery: the outbox shares its transaction.
    let res = post(&app, &token, "/api/v1/packages/demo/9.9.9/yank").await;
    expect_error(res, 404).await;
    // An event the webhook did not subscribe to is not sent.
    let dep = json!({"message": "old"});
    let res = app
        .client()
        .post(app.url("/api/v1/packages/demo/deprecate"))
        .bearer_auth(&token)
        .json(&dep)
        .send()
        .await
        .unwrap();
    body(res, 200).await;

    let got = receiver.wait_for(1, 10).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert!(r.signed_with(SECRET), "signature of {:?}", r.headers);
    assert!(!r.signed_with("another-secret"));
    assert_eq!(r.path, "/hook");
    assert_eq!(r.header("x-sema-event"), Some("publish"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("user-agent").unwrap().contains("sema-pkg"));
    let payload = r.json();
    assert_eq!(r.header("x-sema-delivery"), payload["id"].as_str());
    assert_eq!(payload["event"], "publish");
    assert_eq!(payload["package"], "demo");
    assert_eq!(payload["version"], "1.0.1");
    assert_eq!(payload["actor"], "alice");
    assert!(payload["at"].as_str().unwrap().starts_with("20"));

    let list = settled(&app, &token, id).await;
    let d = &list["deliveries"][0];
    assert_eq!(list["deliveries"].as_array().unwrap().len(), 1, "{list}");
    let outbox = app
        .sql_count("SELECT count(*) FROM webhook_deliveries")
        .await;
    assert_eq!(outbox, 1, "only the subscribed, committed change");
    assert_eq!(d["id"], payload["id"]);
    assert_eq!(
        (&d["status"], &d["response_code"], &d["attempts"]),
        (&json!("delivered"), &json!(200), &json!(1))
    );
    assert!(
        d["next_attempt_at"].is_null() && d["duration_ms"].is_i64(),
        "{d}"
    );
    assert_eq!(list["webhook"]["state"], "active");
    assert_eq!(
        app.metric(
            "sema_pkg_webhook_deliveries_total",
            &["outcome=\"delivered\""]
        )
        .await,
        1.0
    );
}

#[tokio::test]
async fn owners_create_list_and_remove_webhooks_and_the_secret_is_shown_once() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    body(put(&app, &token, "demo", "1.0.0").await, 201).await;
    let b = json!({"url": "https://hooks.example.com/x", "events": ["yank", "publish", "yank"]});
    let made = body(create(&app, &token, "demo", b).await, 201).await;
    assert_eq!(made["events"], json!(["publish", "yank"]));
    assert_eq!(made["url"], "https://hooks.example.com/x");
    let secret = made["secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "a generated secret: {secret}");
    assert!(made["created_at"].is_string());

    let list = get(&app, &token, "/api/v1/packages/demo/webhooks").await;
    let listed = &list["webhooks"][0];
    assert_eq!(listed["id"], made["id"]);
    assert_eq!(listed["state"], "active");
    assert!(listed.get("secret").is_none(), "{listed}");
    assert!(!list.to_string().contains(secret));
    let audited = app
        .sql_count("SELECT count(*) FROM audit_log WHERE action = 'webhook.create'")
        .await;
    assert_eq!(audited, 1);

    let path = format!("/api/v1/packages/demo/webhooks/{}", made["id"]);
    let del = |p: String| app.client().delete(app.url(&p)).bearer_auth(&token).send();
    body(del(path.clone()).await.unwrap(), 200).await;
    let list = get(&app, &token, "/api/v1/packages/demo/webhooks").await;
    assert_eq!(list["webhooks"], json!([]));
    expect_error(del(path).await.unwrap(), 404).await;
    expect_error(
        del("/api/v1/packages/demo/webhooks/x".into())
            .await
            .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn bad_input_strangers_and_too_many_webhooks_are_refused() {
    let app = TestApp::spawn().await;
    let (alice_browser, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    body(put(&app, &alice, "demo", "1.0.0").await, 201).await;
    let url = "https://hooks.example.com/x";
    for (b, want) in [
        (json!({"url": url, "events": []}), "at least one"),
        (
            json!({"url": url, "events": ["publish", "boom"]}),
            "unknown event",
        ),
        (json!({"url": url, "events": ["ping"]}), "unknown event"),
        (
            json!({"url": "ftp://example.com/", "events": ["publish"]}),
            "http or https",
        ),
        (
            json!({"url": "not a url", "events": ["publish"]}),
            "not valid",
        ),
        (
            json!({"url": url, "events": ["publish"], "secret": "short"}),
            "secret",
        ),
    ] {
        let e = expect_error(create(&app, &alice, "demo", b.clone()).await, 400).await;
        assert!(e.contains(want), "{b}: {e}");
    }
    let ok = json!({"url": url, "events": ["publish"]});
    expect_error(create(&app, &bob, "demo", ok.clone()).await, 403).await;
    let no_scope = app
        .token(&alice_browser, json!({"name": "p", "scopes": ["yank"]}))
        .await;
    expect_error(create(&app, &no_scope, "demo", ok.clone()).await, 403).await;
    expect_error(create(&app, &alice, "nope", ok.clone()).await, 404).await;
    let res = app
        .client()
        .get(hooks_url(&app, "demo"))
        .bearer_auth(&bob)
        .send();
    expect_error(res.await.unwrap(), 403).await;

    for _ in 0..20 {
        body(create(&app, &alice, "demo", ok.clone()).await, 201).await;
    }
    let e = expect_error(create(&app, &alice, "demo", ok).await, 409).await;
    assert!(e.contains("20 webhooks"), "{e}");
}

#[tokio::test]
async fn a_receiver_failing_twice_is_retried_then_delivered() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    receiver.answer(&[500, 500]);
    let (token, id) = setup(&app, &receiver, json!(["yank"])).await;
    let res = post(&app, &token, "/api/v1/packages/demo/1.0.0/yank").await;
    body(res, 200).await;

    let got = receiver.wait_for(3, 20).await;
    let statuses: Vec<u16> = got.iter().map(|r| r.answered).collect();
    assert_eq!(statuses, [500, 500, 200]);
    // One delivery, attempted three times, each signed.
    let ids: BTreeSet<_> = got.iter().map(|r| r.header("x-sema-delivery")).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(got.iter().all(|r| r.signed_with(SECRET)));
    assert_eq!(got[0].json()["event"], "yank");
    let list = settled(&app, &token, id).await;
    let d = &list["deliveries"][0];
    assert_eq!(
        (&d["status"], &d["attempts"]),
        (&json!("delivered"), &json!(3))
    );
    assert_eq!(d["response_code"], 200);
    assert!(d["error"].is_null(), "{d}");
    let retrying = app
        .metric(
            "sema_pkg_webhook_deliveries_total",
            &["outcome=\"retrying\""],
        )
        .await;
    assert_eq!(retrying, 2.0);
}

#[tokio::test]
async fn with_two_instances_each_event_is_delivered_once() {
    let a = TestApp::spawn().await;
    let b = a.spawn_alongside(|_| {}).await;
    let receiver = Receiver::start();
    let (token, id) = setup(&a, &receiver, json!(["yank", "unyank"])).await;
    for i in 0..6 {
        let app = if i % 2 == 0 { &a } else { &b };
        let action = if i % 2 == 0 { "yank" } else { "unyank" };
        let res = post(
            app,
            &token,
            &format!("/api/v1/packages/demo/1.0.0/{action}"),
        )
        .await;
        body(res, 200).await;
        let res = post(
            app,
            &token,
            &format!("/api/v1/packages/demo/webhooks/{id}/test"),
        )
        .await;
        body(res, 202).await;
    }
    let got = receiver.wait_for(12, 20).await;
    // Both workers kept polling for a while: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_later = receiver.received();
    assert_eq!(got.len(), 12);
    assert_eq!(got_later.len(), 12, "a delivery was sent twice");
    let ids: BTreeSet<_> = got_later
        .iter()
        .map(|r| r.header("x-sema-delivery").unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 12);
    let pings = got_later
        .iter()
        .filter(|r| r.header("x-sema-event") == Some("ping"))
        .count();
    assert_eq!(pings, 6);
    let delivered = a
        .sql_count(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 1",
        )
        .await;
    assert_eq!(delivered, 12);
    drop(b);
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_backoff_still_delivers() {
    let slow = |c: &mut sema_pkg::config::Config| {
        c.webhooks.backoff_base = Duration::from_secs(2);
    };
    let first = TestApp::spawn_with(slow).await;
    let receiver = Receiver::start();
    receiver.answer(&[503]);
    let (token, id) = setup(&first, &receiver, json!(["publish"])).await;
    let res = post(
        &first,
        &token,
        &format!("/api/v1/packages/demo/webhooks/{id}/test"),
    )
    .await;
    body(res, 202).await;
    assert_eq!(receiver.wait_for(1, 10).await.len(), 1);
    let waiting = "SELECT count(*) FROM webhook_deliveries \
                   WHERE status = 'pending' AND attempts = 1 AND response_code = 503";
    assert_eq!(first.eventually_count(waiting, 1).await, 1);
    first.stop().await;

    let second = first.spawn_alongside(|_| {}).await;
    let got = receiver.wait_for(2, 15).await;
    assert_eq!(got.len(), 2, "delivered after the restart");
    assert_eq!(got[1].answered, 200);
    assert_eq!(
        got[0].header("x-sema-delivery"),
        got[1].header("x-sema-delivery")
    );
    let list = settled(&second, &token, id).await;
    assert_eq!(list["deliveries"][0]["status"], "delivered");
    assert_eq!(list["deliveries"][0]["attempts"], 2);
    drop(second);
}

#[tokio::test]
async fn the_ssrf_guard_refuses_private_targets_at_creation_and_at_delivery() {
    let app = TestApp::spawn_with(|c| c.webhooks.allow_private_targets = false).await;
    let receiver = Receiver::start();
    let (_, token) = app.user_with_token("alice").await;
    body(put(&app, &token, "demo", "1.0.0").await, 201).await;
    for url in [
        "http://127.0.0.1:9/hook".to_string(),
        "http://10.1.2.3/hook".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://[::1]:8080/hook".into(),
        "http://[::ffff:127.0.0.1]/hook".into(),
        format!("http://localhost:{}/hook", receiver.port),
    ] {
        let b = json!({"url": url, "events": ["publish"]});
        let e = expect_error(create(&app, &token, "demo", b).await, 422).await;
        assert!(e.contains("not a public address"), "{url}: {e}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM webhooks").await, 0);

    // A webhook stored before the guard (or whose name now resolves
    // privately) is refused again when it is sent.
    app.sql(&format!(
        "INSERT INTO webhooks (package_id, url, events, secret)
         SELECT id, 'http://localhost:{}/hook', ARRAY['publish'], '{SECRET}' FROM packages",
        receiver.port
    ))
    .await;
    let id = app.sql_count("SELECT max(id) FROM webhooks").await;
    let res = post(
        &app,
        &token,
        &format!("/api/v1/packages/demo/webhooks/{id}/test"),
    )
    .await;
    body(res, 202).await;
    let failed = "SELECT count(*) FROM webhook_deliveries \
                  WHERE attempts >= 1 AND error LIKE '%not a public address%'";
    assert_eq!(app.eventually_count(failed, 1).await, 1);
    assert!(receiver.received().is_empty(), "the receiver was called");
}

#[tokio::test]
async fn a_delivery_is_sent_again_on_request() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    let (token, id) = setup(&app, &receiver, json!(["publish"])).await;
    let res = post(
        &app,
        &token,
        &format!("/api/v1/packages/demo/webhooks/{id}/test"),
    )
    .await;
    let first = body(res, 202).await["delivery"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(receiver.wait_for(1, 10).await.len(), 1);
    let path = format!("/api/v1/packages/demo/webhooks/{id}/deliveries/{first}/redeliver");
    let again = body(post(&app, &token, &path).await, 202).await;
    let again = again["delivery"].as_str().unwrap();
    assert_ne!(again, first);
    let got = receiver.wait_for(2, 10).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("x-sema-delivery"), Some(again));
    assert_eq!(got[1].header("x-sema-event"), Some("ping"));
    assert_eq!(got[1].json()["id"], again);
    assert!(got[1].signed_with(SECRET));
    let unknown = format!(
        "/api/v1/packages/demo/webhooks/{id}/deliveries/{}/redeliver",
        uuid::Uuid::new_v4()
    );
    expect_error(post(&app, &token, &unknown).await, 404).await;
    let audited = app
        .sql_count("SELECT count(*) FROM audit_log WHERE action = 'webhook.redeliver'")
        .await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn retries_run_out_then_a_webhook_failing_for_days_is_disabled_until_a_ping_succeeds() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    receiver.answer(&[500; 3]);
    let (token, id) = setup(&app, &receiver, json!(["publish"])).await;
    let ping = format!("/api/v1/packages/demo/webhooks/{id}/test");
    body(post(&app, &token, &ping).await, 202).await;
    assert_eq!(receiver.wait_for(1, 10).await.len(), 1);
    let waiting =
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts = 1";
    assert_eq!(app.eventually_count(waiting, 1).await, 1);
    // As if it had been retried for most of a day: the last attempt fails it.
    app.sql("UPDATE webhook_deliveries SET attempts = 11, next_attempt_at = now()")
        .await;
    let list = settled(&app, &token, id).await;
    let d = &list["deliveries"][0];
    assert_eq!(
        (&d["status"], &d["attempts"]),
        (&json!("failed"), &json!(12))
    );
    assert!(d["next_attempt_at"].is_null(), "{d}");
    assert_eq!(d["error"], "the receiver answered HTTP 500");
    assert_eq!(
        list["webhook"]["state"], "active",
        "one failed day is not enough"
    );

    // Every attempt has failed for more than three days: the next failure disables it.
    app.sql("UPDATE webhooks SET failing_since = now() - interval '4 days'")
        .await;
    body(post(&app, &token, &ping).await, 202).await;
    let disabled = "SELECT count(*) FROM webhooks WHERE disabled_at IS NOT NULL";
    assert_eq!(app.eventually_count(disabled, 1).await, 1);
    let list = get(&app, &token, "/api/v1/packages/demo/webhooks").await;
    let w = &list["webhooks"][0];
    assert_eq!(w["state"], "disabled");
    let reason = w["disabled_reason"].as_str().unwrap();
    assert!(
        reason.contains("failed") && reason.contains("HTTP 500"),
        "{reason}"
    );
    let mut gauge = 0.0;
    for _ in 0..50 {
        gauge = app
            .metric("sema_pkg_webhooks", &["state=\"disabled\""])
            .await;
        if gauge == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gauge, 1.0, "webhooks by state in /metrics");
    let failed = app
        .metric("sema_pkg_webhook_deliveries_total", &["outcome=\"failed\""])
        .await;
    assert_eq!(failed, 2.0);
    // A disabled webhook is sent no events...
    body(put(&app, &token, "demo", "1.0.1").await, 201).await;
    let publishes = "SELECT count(*) FROM webhook_deliveries WHERE event = 'publish'";
    assert_eq!(app.sql_count(publishes).await, 0);
    // ...but a test ping; when it succeeds, the webhook is active again.
    let before = receiver.received().len();
    body(post(&app, &token, &ping).await, 202).await;
    let enabled =
        "SELECT count(*) FROM webhooks WHERE disabled_at IS NULL AND failing_since IS NULL";
    assert_eq!(app.eventually_count(enabled, 1).await, 1);
    assert_eq!(receiver.received().len(), before + 1);
    assert_eq!(receiver.received().last().unwrap().answered, 200);
}

#[tokio::test]
async fn owner_and_deprecation_changes_are_delivered_as_their_events() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    let events = json!(["owner-add", "owner-remove", "deprecate", "undeprecate"]);
    let (alice, _) = setup(&app, &receiver, events).await;
    let (_, bob) = app.user_with_token("bob").await;
    let invite = app
        .client()
        .post(app.url("/api/v1/packages/demo/owners"))
        .bearer_auth(&alice)
        .json(&json!({"username": "bob"}))
        .send()
        .await
        .unwrap();
    body(invite, 200).await;
    let accept = post(&app, &bob, "/api/v1/me/invitations/demo/accept").await;
    body(accept, 200).await;
    let remove = app
        .client()
        .delete(app.url("/api/v1/packages/demo/owners/bob"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    body(remove, 200).await;
    let deprecate = app
        .client()
        .post(app.url("/api/v1/packages/demo/deprecate"))
        .bearer_auth(&alice)
        .json(&json!({"message": "old"}))
        .send()
        .await
        .unwrap();
    body(deprecate, 200).await;
    let undo = app
        .client()
        .delete(app.url("/api/v1/packages/demo/deprecate"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    body(undo, 200).await;

    let got = receiver.wait_for(4, 10).await;
    let mut seen: Vec<(String, Value, Value)> = got
        .iter()
        .map(|r| {
            let p = r.json();
            (
                p["event"].as_str().unwrap().to_string(),
                p["actor"].clone(),
                p["owner"].clone(),
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("deprecate".to_string(), json!("alice"), Value::Null),
            ("owner-add".to_string(), json!("bob"), json!("bob")),
            ("owner-remove".to_string(), json!("alice"), json!("bob")),
            ("undeprecate".to_string(), json!("alice"), Value::Null),
        ]
    );
    assert!(got.iter().all(|r| r.signed_with(SECRET)));
}
