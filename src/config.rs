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

impl Config {
    /// Reads `.env` (if present) and the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let _ = dotenvy::dotenv();
        let host = var("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port = parse("PORT", 3000u16)?;
        let base_url = var("BASE_URL")
            .unwrap_or_else(|| format!("http://localhost:{port}"))
            .trim_end_matches('/')
            .to_string();
        let parsed = url::Url::parse(&base_url).map_err(|e| ConfigError {
            var: "BASE_URL",
            message: format!("not a URL: {e}"),
        })?;
        let https = parsed.scheme() == "https";
        let session_secret = match var("SESSION_SECRET") {
            Some(s) if s != DEFAULT_SESSION_SECRET => {
                if s.len() < 32 {
                    return Err(ConfigError {
                        var: "SESSION_SECRET",
                        message: "must be at least 32 characters".into(),
                    });
                }
                s.into_bytes()
            }
            _ if https => return Err(ConfigError {
                var: "SESSION_SECRET",
                message:
                    "must be set to a random value of at least 32 characters when BASE_URL is https"
                        .into(),
            }),
            _ => {
                tracing::warn!(
                    "SESSION_SECRET is not set: generated one; everyone is signed out on restart"
                );
                crate::auth::tokens::random_bytes(64)
            }
        };
        let blob = blob_from_env(var("BLOB_BACKEND").as_deref().unwrap_or("fs"))?;
        let trusted_proxies = match var("TRUSTED_PROXIES") {
            None => vec![],
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
                .collect::<Result<_, _>>()?,
        };
        let database_max_connections = parse("DATABASE_MAX_CONNECTIONS", 16usize)?;
        if database_max_connections == 0 {
            return Err(ConfigError {
                var: "DATABASE_MAX_CONNECTIONS",
                message: "must be at least 1".into(),
            });
        }
        let max_tarball_bytes = parse("MAX_TARBALL_BYTES", 50 * 1024 * 1024u64)?;
        if max_tarball_bytes == 0 {
            return Err(ConfigError {
                var: "MAX_TARBALL_BYTES",
                message: "must be at least 1".into(),
            });
        }
        let package_cache = match var("PACKAGE_CACHE").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(ConfigError {
                    var: "PACKAGE_CACHE",
                    message: format!("must be on or off, not {other:?}"),
                })
            }
        };
        let download_redirect = match var("BLOB_DOWNLOAD_REDIRECT").as_deref() {
            None | Some("off") => false,
            Some("presigned") if matches!(blob, BlobConfig::S3 { .. }) => true,
            Some("presigned") => {
                return Err(ConfigError {
                    var: "BLOB_DOWNLOAD_REDIRECT",
                    message: "presigned needs BLOB_BACKEND=s3".into(),
                })
            }
            Some(other) => {
                return Err(ConfigError {
                    var: "BLOB_DOWNLOAD_REDIRECT",
                    message: format!("must be presigned or off, not {other:?}"),
                })
            }
        };
        Ok(Config {
            host,
            port,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/sema_pkg".into()),
            database_max_connections,
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
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
