//! Configuration: environment variables (and `.env`), one struct, documented defaults.
//! A bad value is a one-line error naming the variable.

use std::{env, net::IpAddr, path::PathBuf, str::FromStr};

/// The development placeholder that must never protect an https deployment.
pub const DEFAULT_SESSION_SECRET: &str = "change-me";

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub database_url: String,
    pub database_max_connections: usize,
    /// A streaming replica for reads that tolerate a little lag (`DATABASE_READ_URL`).
    pub replica: Option<ReplicaConfig>,
    pub base_url: String,
    /// At least 64 bytes; signs session cookies.
    pub session_secret: Vec<u8>,
    pub blob: BlobConfig,
    pub max_tarball_bytes: u64,
    pub static_dir: PathBuf,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// How often the in-memory download counter is written to Postgres.
    pub download_flush_secs: u64,
    /// Sign in with GitHub, when `GITHUB_CLIENT_ID` and `GITHUB_CLIENT_SECRET` are set.
    pub github: Option<GithubConfig>,
    /// Answer downloads with a redirect to a short-lived presigned S3 URL
    /// (`BLOB_DOWNLOAD_REDIRECT=presigned`); counting still happens first.
    pub download_redirect: bool,
    /// Per-instance package caches (they need LISTEN, which a transaction-pooling
    /// PgBouncer does not carry).
    pub package_cache: bool,
    /// Memory for hot tarballs (content-addressed, so never stale); 0 turns it off.
    pub blob_cache_bytes: u64,
    /// API reads (metadata, downloads) per client address per second, per instance.
    pub read_rate_per_second: u32,
    /// Authenticated writes (publish, yank, owners, tokens) per user per minute, shared by all instances.
    pub write_rate_per_minute: u32,
    /// `/metrics` wants `Authorization: Bearer <this>`; unset, it answers only
    /// direct requests from loopback.
    pub metrics_token: Option<String>,
    /// The registry mirrored for names not hosted here (`UPSTREAM_URL`); off when `None`.
    pub upstream: Option<UpstreamConfig>,
    /// `REGISTRY_ACCESS=private`: every read needs a session or a token.
    pub private: bool,
    /// `REGISTRATION=open|closed`; closed by default in private mode.
    pub registration_open: bool,
    /// Webhook deliveries: the SSRF guard, the worker's poll and the retry schedule.
    pub webhooks: WebhookConfig,
}

/// How webhooks are delivered.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS=true` turns the SSRF guard off (tests,
    /// or a registry whose receivers are all inside its own network).
    pub allow_private_targets: bool,
    /// How often the worker looks for due deliveries (`WEBHOOK_POLL_MS`, default 1000).
    pub poll: std::time::Duration,
    /// The first retry's wait, doubled each time (`WEBHOOK_BACKOFF_BASE_MS`, default 60000).
    pub backoff_base: std::time::Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            allow_private_targets: false,
            poll: std::time::Duration::from_millis(1000),
            backoff_base: std::time::Duration::from_secs(60),
        }
    }
}

fn webhooks() -> Result<WebhookConfig, ConfigError> {
    let allow_private_targets = match var("WEBHOOK_ALLOW_PRIVATE_TARGETS").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ConfigError {
                var: "WEBHOOK_ALLOW_PRIVATE_TARGETS",
                message: format!("must be true or false, not {other:?}"),
            })
        }
    };
    let ms = |name: &'static str, default: u32| -> Result<std::time::Duration, ConfigError> {
        Ok(std::time::Duration::from_millis(
            positive(name, default)?.into(),
        ))
    };
    Ok(WebhookConfig {
        allow_private_targets,
        poll: ms("WEBHOOK_POLL_MS", 1000)?,
        backoff_base: ms("WEBHOOK_BACKOFF_BASE_MS", 60_000)?,
    })
}

/// The upstream registry a team registry mirrors (it speaks the same `/api/v1`).
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// Base URL without a trailing `/`.
    pub url: String,
    /// Mirrored metadata older than this is fetched again (`UPSTREAM_TTL_SECS`).
    pub ttl: std::time::Duration,
    /// Whole-request limit for one upstream call (`UPSTREAM_TIMEOUT_SECS`).
    pub timeout: std::time::Duration,
    /// Upstream requests in flight at once, per instance (`UPSTREAM_CONCURRENCY`).
    pub concurrency: usize,
    /// Sent as a bearer token, for an upstream that is itself private (`UPSTREAM_TOKEN`).
    pub token: Option<String>,
}

/// The read replica and how much lag its readers tolerate.
#[derive(Clone, Debug)]
pub struct ReplicaConfig {
    pub url: String,
    /// Beyond this the replica is bypassed (`READ_REPLICA_MAX_LAG_SECS`, default 10).
    pub max_lag: std::time::Duration,
}

fn replica() -> Result<Option<ReplicaConfig>, ConfigError> {
    let Some(url) = var("DATABASE_READ_URL") else {
        return Ok(None);
    };
    url::Url::parse(url.trim()).map_err(|e| ConfigError {
        var: "DATABASE_READ_URL",
        message: format!("not a URL: {e}"),
    })?;
    Ok(Some(ReplicaConfig {
        url: url.trim().to_string(),
        max_lag: std::time::Duration::from_secs(positive("READ_REPLICA_MAX_LAG_SECS", 10)?.into()),
    }))
}

/// GitHub OAuth app settings; the endpoints are overridable for GitHub
/// Enterprise and for tests.
#[derive(Clone, Debug)]
pub struct GithubConfig {
    pub client_id: String,
    pub client_secret: String,
    pub auth_url: String,
    pub token_url: String,
    pub api_url: String,
}

#[derive(Clone, Debug)]
pub enum BlobConfig {
    Fs {
        dir: PathBuf,
    },
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn var(name: &'static str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e| ConfigError {
            var: name,
            message: format!("invalid value {raw:?}: {e}"),
        }),
    }
}

/// The blob store of one kind (`fs` or `s3`) from its variables; also used by
/// `sema-pkg blobs migrate`, which needs both at once.
pub fn blob_from_env(kind: &str) -> Result<BlobConfig, ConfigError> {
    match kind {
        "fs" => Ok(BlobConfig::Fs {
            dir: PathBuf::from(var("BLOB_DIR").unwrap_or_else(|| "data/blobs".into())),
        }),
        "s3" => Ok(BlobConfig::S3 {
            bucket: var("BLOB_S3_BUCKET").ok_or(ConfigError {
                var: "BLOB_S3_BUCKET",
                message: "required for the s3 blob store".into(),
            })?,
            endpoint: var("BLOB_S3_ENDPOINT"),
            region: var("BLOB_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            access_key_id: var("BLOB_S3_ACCESS_KEY_ID"),
            secret_access_key: var("BLOB_S3_SECRET_ACCESS_KEY"),
        }),
        other => Err(ConfigError {
            var: "BLOB_BACKEND",
            message: format!("must be fs or s3, not {other:?}"),
        }),
    }
}

fn positive(name: &'static str, default: u32) -> Result<u32, ConfigError> {
    match parse(name, default)? {
        0 => Err(ConfigError {
            var: name,
            message: "must be at least 1".into(),
        }),
        n => Ok(n),
    }
}

fn github() -> Result<Option<GithubConfig>, ConfigError> {
    let (id, secret) = match (var("GITHUB_CLIENT_ID"), var("GITHUB_CLIENT_SECRET")) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => {
            return Err(ConfigError {
                var: "GITHUB_CLIENT_SECRET",
                message: "required with GITHUB_CLIENT_ID".into(),
            })
        }
        (None, Some(_)) => {
            return Err(ConfigError {
                var: "GITHUB_CLIENT_ID",
                message: "required with GITHUB_CLIENT_SECRET".into(),
            })
        }
    };
    let endpoint = |name: &'static str, default: &str| -> Result<String, ConfigError> {
        let v = var(name).unwrap_or_else(|| default.to_string());
        url::Url::parse(&v).map_err(|e| ConfigError {
            var: name,
            message: format!("not a URL: {e}"),
        })?;
        Ok(v.trim_end_matches('/').to_string())
    };
    Ok(Some(GithubConfig {
        client_id: id,
        client_secret: secret,
        auth_url: endpoint(
            "GITHUB_AUTH_URL",
            "https://github.com/login/oauth/authorize",
        )?,
        token_url: endpoint(
            "GITHUB_TOKEN_URL",
            "https://github.com/login/oauth/access_token",
        )?,
        api_url: endpoint("GITHUB_API_URL", "https://api.github.com")?,
    }))
}

fn upstream() -> Result<Option<UpstreamConfig>, ConfigError> {
    let Some(raw) = var("UPSTREAM_URL") else {
        return Ok(None);
    };
    let parsed = url::Url::parse(raw.trim()).map_err(|e| ConfigError {
        var: "UPSTREAM_URL",
        message: format!("not a URL: {e}"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError {
            var: "UPSTREAM_URL",
            message: "must be an http or https URL".into(),
        });
    }
    let secs = |name: &'static str, default: u32| -> Result<std::time::Duration, ConfigError> {
        Ok(std::time::Duration::from_secs(
            positive(name, default)?.into(),
        ))
    };
    Ok(Some(UpstreamConfig {
        url: raw.trim().trim_end_matches('/').to_string(),
        ttl: secs("UPSTREAM_TTL_SECS", 300)?,
        timeout: secs("UPSTREAM_TIMEOUT_SECS", 10)?,
        concurrency: positive("UPSTREAM_CONCURRENCY", 16)? as usize,
        token: var("UPSTREAM_TOKEN"),
    }))
}

/// `(private, registration_open)` from `REGISTRY_ACCESS` and `REGISTRATION`.
fn access() -> Result<(bool, bool), ConfigError> {
    let private = match var("REGISTRY_ACCESS").as_deref() {
        None | Some("public") => false,
        Some("private") => true,
        Some(other) => {
            return Err(ConfigError {
                var: "REGISTRY_ACCESS",
                message: format!("must be public or private, not {other:?}"),
            })
        }
    };
    let open = match var("REGISTRATION").as_deref() {
        None => !private,
        Some("open") => true,
        Some("closed") => false,
        Some(other) => {
            return Err(ConfigError {
                var: "REGISTRATION",
                message: format!("must be open or closed, not {other:?}"),
            })
        }
    };
    Ok((private, open))
}

fn base_url(port: u16) -> Result<(String, bool), ConfigError> {
    let base_url = var("BASE_URL")
        .unwrap_or_else(|| format!("http://localhost:{port}"))
        .trim_end_matches('/')
        .to_string();
    let parsed = url::Url::parse(&base_url).map_err(|e| ConfigError {
        var: "BASE_URL",
        message: format!("not a URL: {e}"),
    })?;
    let https = parsed.scheme() == "https";
    Ok((base_url, https))
}

fn session_secret(https: bool) -> Result<Vec<u8>, ConfigError> {
    match var("SESSION_SECRET") {
        Some(s) if s != DEFAULT_SESSION_SECRET => {
            if s.len() < 32 {
                return Err(ConfigError {
                    var: "SESSION_SECRET",
                    message: "must be at least 32 characters".into(),
                });
            }
            Ok(s.into_bytes())
        }
        _ if https => Err(ConfigError {
            var: "SESSION_SECRET",
            message:
                "must be set to a random value of at least 32 characters when BASE_URL is https"
                    .into(),
        }),
        _ => {
            tracing::warn!(
                "SESSION_SECRET is not set: generated one; everyone is signed out on restart"
            );
            Ok(crate::domain::token::random_bytes(64))
        }
    }
}

fn trusted_proxies() -> Result<Vec<IpAddr>, ConfigError> {
    match var("TRUSTED_PROXIES") {
        None => Ok(vec![]),
        Some(list) => list
            .split(',')
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| ConfigError {
                    var: "TRUSTED_PROXIES",
                    message: format!("{s:?} is not an IP address"),
                })
            })
            .collect(),
    }
}

/// A count that must be at least 1.
fn at_least_one<T: FromStr + PartialEq + Default>(
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let n = parse(name, default)?;
    if n == T::default() {
        return Err(ConfigError {
            var: name,
            message: "must be at least 1".into(),
        });
    }
    Ok(n)
}

fn package_cache() -> Result<bool, ConfigError> {
    match var("PACKAGE_CACHE").as_deref() {
        None | Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(ConfigError {
            var: "PACKAGE_CACHE",
            message: format!("must be on or off, not {other:?}"),
        }),
    }
}

fn download_redirect(blob: &BlobConfig) -> Result<bool, ConfigError> {
    let refuse = |message: String| ConfigError {
        var: "BLOB_DOWNLOAD_REDIRECT",
        message,
    };
    match var("BLOB_DOWNLOAD_REDIRECT").as_deref() {
        None | Some("off") => Ok(false),
        Some("presigned") if matches!(blob, BlobConfig::S3 { .. }) => Ok(true),
        Some("presigned") => Err(refuse("presigned needs BLOB_BACKEND=s3".into())),
        Some(other) => Err(refuse(format!("must be presigned or off, not {other:?}"))),
    }
}

impl Config {
    /// Reads `.env` (if present) and the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let _ = dotenvy::dotenv();
        let host = var("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port = parse("PORT", 3000u16)?;
        let (base_url, https) = base_url(port)?;
        let session_secret = session_secret(https)?;
        let blob = blob_from_env(var("BLOB_BACKEND").as_deref().unwrap_or("fs"))?;
        let trusted_proxies = trusted_proxies()?;
        let database_max_connections = at_least_one("DATABASE_MAX_CONNECTIONS", 16usize)?;
        let max_tarball_bytes = at_least_one("MAX_TARBALL_BYTES", 50 * 1024 * 1024u64)?;
        let package_cache = package_cache()?;
        let download_redirect = download_redirect(&blob)?;
        let (private, registration_open) = access()?;
        Ok(Config {
            host,
            port,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/sema_pkg".into()),
            database_max_connections,
            replica: replica()?,
            base_url,
            session_secret,
            blob,
            max_tarball_bytes,
            static_dir: PathBuf::from(
                var("STATIC_DIR")
                    .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/static").into()),
            ),
            trusted_proxies,
            download_flush_secs: parse("DOWNLOAD_FLUSH_SECS", 5u64)?,
            download_redirect,
            package_cache,
            blob_cache_bytes: parse("BLOB_CACHE_MB", 64u64)? * 1024 * 1024,
            github: github()?,
            read_rate_per_second: positive("RATE_LIMIT_READS_PER_SECOND", 100)?,
            write_rate_per_minute: positive("RATE_LIMIT_WRITES_PER_MINUTE", 60)?,
            metrics_token: var("METRICS_TOKEN"),
            upstream: upstream()?,
            private,
            registration_open,
            webhooks: webhooks()?,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
