//! A stand-in for GitHub's OAuth and user API on 127.0.0.1, strict where
//! GitHub is: client secret, one-use codes, redirect URI and PKCE (S256).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "test-secret";

#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub email: String,
    pub verified: bool,
    /// The person clicks "Cancel" on GitHub's consent page.
    pub deny: bool,
}

struct Grant {
    challenge: String,
    redirect_uri: String,
    account: Account,
}

#[derive(Default)]
struct State {
    account: Option<Account>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Account>,
}

pub struct FakeGithub {
    pub base: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeGithub {
    pub fn start() -> FakeGithub {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = web::Data::from(state.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let port = listener.local_addr().unwrap().port();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(shared.clone())
                        .route("/login/oauth/authorize", web::get().to(authorize))
                        .route("/login/oauth/access_token", web::post().to(access_token))
                        .route("/user", web::get().to(user))
                        .route("/user/emails", web::get().to(emails))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                tx.send((port, server.handle())).unwrap();
                server.await.unwrap();
            })
        });
        let (port, handle) = rx.recv().unwrap();
        FakeGithub {
            base: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    /// Who is "signed in to GitHub" and will approve the next authorisation.
    pub fn sign_in_as(&self, account: Account) {
        self.state.lock().unwrap().account = Some(account);
    }

    pub fn config(&self) -> sema_pkg::config::GithubConfig {
        sema_pkg::config::GithubConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            auth_url: format!("{}/login/oauth/authorize", self.base),
            token_url: format!("{}/login/oauth/access_token", self.base),
            api_url: self.base.clone(),
        }
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        let h = self.handle.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(h.stop(false)))
            .join()
            .ok();
    }
}

pub fn account(id: i64, login: &str) -> Account {
    Account {
        id,
        login: login.into(),
        email: format!("{login}@users.example.com"),
        verified: true,
        deny: false,
    }
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

async fn authorize(req: HttpRequest, state: web::Data<Mutex<State>>) -> HttpResponse {
    let q = query(&req);
    let (Some(redirect), Some(st)) = (q.get("redirect_uri"), q.get("state")) else {
        return HttpResponse::BadRequest().body("missing redirect_uri or state");
    };
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || q.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return HttpResponse::BadRequest().body("bad client or no PKCE");
    }
    let mut s = state.lock().unwrap();
    let account = s.account.clone().expect("a GitHub account signed in");
    let to = if account.deny {
        format!("{redirect}?error=access_denied&state={st}")
    } else {
        let code = uuid::Uuid::new_v4().simple().to_string();
        s.codes.insert(
            code.clone(),
            Grant {
                challenge: q.get("code_challenge").cloned().unwrap_or_default(),
                redirect_uri: redirect.clone(),
                account,
            },
        );
        format!("{redirect}?code={code}&state={st}")
    };
    HttpResponse::Found()
        .insert_header(("Location", to))
        .finish()
}

async fn access_token(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let refuse = |e: &str| HttpResponse::BadRequest().json(serde_json::json!({"error": e}));
    // Client credentials arrive by HTTP Basic (the oauth2 crate's default) or in the form.
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match basic {
        Some(pair) => {
            let (i, s) = pair.split_once(':').unwrap_or_default();
            (i.to_string(), s.to_string())
        }
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return HttpResponse::Unauthorized().json(serde_json::json!({"error": "invalid_client"}));
    }
    let mut s = state.lock().unwrap();
    let Some(grant) = form.get("code").and_then(|c| s.codes.remove(c)) else {
        return refuse("bad_verification_code");
    };
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse("redirect_uri_mismatch");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if computed != grant.challenge {
        return refuse("invalid_grant");
    }
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    s.tokens.insert(token.clone(), grant.account);
    HttpResponse::Ok().json(serde_json::json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}))
}

fn bearer_account(req: &HttpRequest, state: &Mutex<State>) -> Option<Account> {
    let token = req
        .headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .to_string();
    state.lock().unwrap().tokens.get(&token).cloned()
}

async fn user(req: HttpRequest, state: web::Data<Mutex<State>>) -> HttpResponse {
    match bearer_account(&req, &state) {
        Some(a) => {
            HttpResponse::Ok().json(serde_json::json!({"id": a.id, "login": a.login, "name": null}))
        }
        None => {
            HttpResponse::Unauthorized().json(serde_json::json!({"message": "Bad credentials"}))
        }
    }
}

async fn emails(req: HttpRequest, state: web::Data<Mutex<State>>) -> HttpResponse {
    match bearer_account(&req, &state) {
        Some(a) => HttpResponse::Ok().json(serde_json::json!([
            {"email": "secondary@example.com", "primary": false, "verified": true},
            {"email": a.email, "primary": true, "verified": a.verified},
        ])),
        None => {
            HttpResponse::Unauthorized().json(serde_json::json!({"message": "Bad credentials"}))
        }
    }
}
