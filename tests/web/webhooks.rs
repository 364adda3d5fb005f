//! `/packages/{name}/webhooks`: the owners' page of a package's webhooks,
//! its htmx forms and their plain-form fallbacks, and the link from the
//! Owners tab.

use crate::common::receiver::Receiver;
use crate::common::{publish, tarball, TestApp};
use crate::csrf_of;

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let res = c.get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// alice owns `demo`; returns her browser and the webhooks page's CSRF token.
async fn setup(app: &TestApp) -> (reqwest::Client, String) {
    let (alice, token) = app.user_with_token("alice").await;
    let tb = tarball::package("demo", "1.0.0");
    assert_eq!(
        publish(app, &token, "demo", "1.0.0", tb).await.status(),
        201
    );
    let (status, page) = get(&alice, app.url("/packages/demo/webhooks")).await;
    assert_eq!(status, 200, "{page}");
    (alice, csrf_of(&page))
}

#[tokio::test]
async fn an_owner_adds_tests_and_removes_a_webhook_with_htmx() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start();
    let (alice, csrf) = setup(&app).await;
    let (_, owners) = get(&alice, app.url("/packages/demo/owners")).await;
    assert!(
        owners.contains("href=\"/packages/demo/webhooks\""),
        "{owners}"
    );

    let form = [
        ("url", receiver.url.as_str()),
        ("event", "publish"),
        ("event", "yank"),
        ("secret", ""),
    ];
    let res = alice
        .post(app.url("/packages/demo/webhooks"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let frag = res.text().await.unwrap();
    assert!(
        frag.starts_with("<section class=\"panel\" id=\"webhooks-panel\""),
        "{frag}"
    );
    assert!(frag.contains("shown only this once") && frag.contains("publish, yank"));
    let id = app.sql_count("SELECT max(id) FROM webhooks").await;
    let secret = app.sql_text("SELECT secret FROM webhooks").await;
    assert!(frag.contains(&secret), "the generated secret is shown");

    let res = alice
        .post(app.url(&format!("/packages/demo/webhooks/{id}/test")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let got = receiver.wait_for(1, 10).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-sema-event"), Some("ping"));
    assert!(got[0].signed_with(&secret));
    // The page lists the delivery and never the secret again.
    let mut page = String::new();
    for _ in 0..50 {
        page = get(&alice, app.url("/packages/demo/webhooks")).await.1;
        if page.contains("delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(page.contains("<td>ping</td><td>delivered"), "{page}");
    assert!(!page.contains(&secret));

    let res = alice
        .post(app.url(&format!("/packages/demo/webhooks/{id}/delete")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("No webhooks yet."));
    assert_eq!(app.sql_count("SELECT count(*) FROM webhooks").await, 0);
}

#[tokio::test]
async fn plain_forms_work_without_javascript_and_refusals_keep_the_url() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let bad = [("csrf_token", csrf.as_str()), ("url", "ftp://x.example/")];
    let res = alice
        .post(app.url("/packages/demo/webhooks"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, page) = get(&alice, app.url("/packages/demo/webhooks")).await;
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains("value=\"ftp://x.example/\""), "{page}");

    let ok = [
        ("csrf_token", csrf.as_str()),
        ("url", "https://hooks.example.com/x"),
        ("event", "deprecate"),
        ("secret", "my-own-secret-1"),
    ];
    let res = alice
        .post(app.url("/packages/demo/webhooks"))
        .form(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, page) = get(&alice, app.url("/packages/demo/webhooks")).await;
    assert!(
        page.contains("my-own-secret-1"),
        "shown once after the redirect"
    );
    let (_, page) = get(&alice, app.url("/packages/demo/webhooks")).await;
    assert!(!page.contains("my-own-secret-1"), "and only once");
    assert!(page.contains("https://hooks.example.com/x"));

    // Removing asks first without JavaScript.
    let id = app.sql_count("SELECT max(id) FROM webhooks").await;
    let url = app.url(&format!("/packages/demo/webhooks/{id}/delete"));
    let res = alice
        .post(&url)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Remove webhook"));
    assert_eq!(app.sql_count("SELECT count(*) FROM webhooks").await, 1);
    let yes = [("csrf_token", csrf.as_str()), ("confirmed", "yes")];
    let res = alice.post(&url).form(&yes).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(app.sql_count("SELECT count(*) FROM webhooks").await, 0);
}

#[tokio::test]
async fn only_owners_see_the_page_and_forms_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let (alice, _) = setup(&app).await;
    let bob = app.register("bob").await;
    let (status, _) = get(&bob, app.url("/packages/demo/webhooks")).await;
    assert_eq!(status, 403);
    let (_, owners) = get(&bob, app.url("/packages/demo/owners")).await;
    assert!(!owners.contains("/packages/demo/webhooks"));
    let anon = app.browser();
    let res = anon
        .get(app.url("/packages/demo/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let form = [("url", "https://hooks.example.com/x"), ("event", "publish")];
    let res = alice
        .post(app.url("/packages/demo/webhooks"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.sql_count("SELECT count(*) FROM webhooks").await, 0);
}
