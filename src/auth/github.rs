//! Sign in with GitHub: the authorization-code flow with PKCE and `state`
//! (oauth2 crate), then deciding which account the GitHub identity means.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::accounts;
use crate::config::GithubConfig;
use crate::db::models::User;
use crate::db::schema::users;
use crate::error::{AppError, AppResult};

/// What a failed GitHub round trip means to the person signing in.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub did not accept the sign-in (the code was invalid, used already or expired); please try again")]
    Rejected,
    #[error("GitHub could not be reached; please try again in a moment")]
    Unreachable,
    #[error(
        "your GitHub account has no verified primary email; verify one on GitHub and try again"
    )]
    NoVerifiedEmail,
    #[error("GitHub answered unexpectedly; please try again")]
    Unexpected,
}

impl From<GithubError> for AppError {
    // A failed sign-in attempt is the visitor's to retry, not a server fault.
    fn from(e: GithubError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

/// The GitHub identity we learned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GithubUser {
    pub id: i64,
    pub login: String,
    pub email: String,
}

/// Where to send the visitor, and what to keep in their session until they return.
pub struct Started {
    pub url: String,
    pub state: String,
    pub verifier: String,
}

fn http_client() -> reqwest::Client {
    // Redirects are refused: the token endpoint must answer directly (SSRF guard).
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .user_agent("sema-pkg")
        .build()
        .expect("static client config")
}

fn redirect_uri(base_url: &str) -> String {
    format!("{base_url}/auth/github/callback")
}

type Client = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(cfg: &GithubConfig, base_url: &str) -> AppResult<Client> {
    let bad = |e: url::ParseError| AppError::internal(format!("GitHub endpoint: {e}"));
    Ok(BasicClient::new(ClientId::new(cfg.client_id.clone()))
        .set_client_secret(ClientSecret::new(cfg.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(cfg.auth_url.clone()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(cfg.token_url.clone()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri(base_url)).map_err(bad)?))
}

pub fn start(cfg: &GithubConfig, base_url: &str) -> AppResult<Started> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client(cfg, base_url)?
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read:user".into()))
        .add_scope(Scope::new("user:email".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
        verifier: verifier.secret().clone(),
    })
}

/// Exchanges the code (with the PKCE verifier) and reads the user and their
/// primary verified email.
pub async fn finish(
    cfg: &GithubConfig,
    base_url: &str,
    code: &str,
    verifier: &str,
) -> Result<GithubUser, GithubError> {
    let http = http_client();
    let send = |req: oauth2::HttpRequest| {
        let http = http.clone();
        async move {
            let (parts, body) = req.into_parts();
            let res = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut out = http::Response::builder().status(res.status());
            for (k, v) in res.headers() {
                out = out.header(k, v);
            }
            let body = res.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(out.body(body).expect("copied response parts are valid"))
        }
    };
    let token = client(cfg, base_url)
        .map_err(|_| GithubError::Unexpected)?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(&send)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(_) => GithubError::Rejected,
            RequestTokenError::Request(_) => GithubError::Unreachable,
            _ => GithubError::Unexpected,
        })?;
    let bearer = token.access_token().secret().clone();
    #[derive(Deserialize)]
    struct ApiUser {
        id: i64,
        login: String,
    }
    #[derive(Deserialize)]
    struct ApiEmail {
        email: String,
        primary: bool,
        verified: bool,
    }
    let get = |path: &str| {
        http.get(format!("{}{path}", cfg.api_url))
            .bearer_auth(&bearer)
            .header("Accept", "application/vnd.github+json")
            .send()
    };
    let user: ApiUser = read_json(get("/user").await).await?;
    let emails: Vec<ApiEmail> = read_json(get("/user/emails").await).await?;
    let email = emails
        .into_iter()
        .find(|e| e.primary && e.verified)
        .map(|e| e.email)
        .ok_or(GithubError::NoVerifiedEmail)?;
    Ok(GithubUser {
        id: user.id,
        login: user.login,
        email,
    })
}

async fn read_json<T: serde::de::DeserializeOwned>(
    res: reqwest::Result<reqwest::Response>,
) -> Result<T, GithubError> {
    let res = res.map_err(|_| GithubError::Unreachable)?;
    if !res.status().is_success() {
        return Err(GithubError::Unexpected);
    }
    res.json().await.map_err(|_| GithubError::Unexpected)
}

/// What signing in with this GitHub identity means.
pub enum Outcome {
    SignedIn(User),
    Linked(User),
    /// The GitHub login is taken here (or not a valid username): ask for another.
    ChooseUsername,
}

async fn by_github_id(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(users::github_id.eq(id))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn resolve(
    conn: &mut AsyncPgConnection,
    gh: &GithubUser,
    current: Option<&User>,
) -> AppResult<Outcome> {
    let owner = by_github_id(conn, gh.id).await?;
    if let Some(me) = current {
        // Connecting from /account.
        return match owner {
            Some(u) if u.id == me.id => Ok(Outcome::Linked(u)),
            Some(_) => Err(AppError::conflict(
                "that GitHub account is already connected to another sema-pkg account",
            )),
            None => {
                let u = diesel::update(users::table.find(me.id))
                    .set((
                        users::github_id.eq(gh.id),
                        users::github_login.eq(&gh.login),
                    ))
                    .returning(User::as_returning())
                    .get_result(conn)
                    .await?;
                Ok(Outcome::Linked(u))
            }
        };
    }
    if let Some(u) = owner {
        if u.banned_at.is_some() {
            return Err(AppError::forbidden("this account is suspended"));
        }
        return Ok(Outcome::SignedIn(u));
    }
    if accounts::validate_username(&gh.login).is_err() {
        return Ok(Outcome::ChooseUsername);
    }
    match create(conn, gh, &gh.login).await {
        Ok(u) => Ok(Outcome::SignedIn(u)),
        Err(AppError::Conflict(m)) if m.contains("username") => Ok(Outcome::ChooseUsername),
        Err(e) => Err(e),
    }
}

/// Creates the account in one insert, after every GitHub call succeeded.
pub async fn create(
    conn: &mut AsyncPgConnection,
    gh: &GithubUser,
    username: &str,
) -> AppResult<User> {
    accounts::validate_username(username)?;
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::email.eq(&gh.email),
            users::github_id.eq(gh.id),
            users::github_login.eq(&gh.login),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match &e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info) => {
                match info.constraint_name() {
                    Some("users_email_lower") => AppError::conflict(
                        "an account with your GitHub email already exists: sign in with its password and connect GitHub from your account page",
                    ),
                    Some("users_github_id_key") => AppError::conflict("that GitHub account is already connected"),
                    _ => AppError::conflict("that username is taken"),
                }
            }
            _ => e.into(),
        })
}

/// Disconnecting is allowed only with a password to sign in with afterwards.
pub async fn disconnect(conn: &mut AsyncPgConnection, user: &User) -> AppResult<()> {
    if user.password_hash.is_none() {
        return Err(AppError::conflict(
            "set a password before disconnecting GitHub, or you could not sign in again",
        ));
    }
    diesel::update(users::table.find(user.id))
        .set((
            users::github_id.eq(None::<i64>),
            users::github_login.eq(None::<String>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
