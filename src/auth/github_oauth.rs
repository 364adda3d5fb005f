//! Sign in with GitHub: the authorization-code flow with PKCE and `state`
//! (oauth2 crate), then deciding which account the GitHub identity means.

use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::config::GithubConfig;
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
