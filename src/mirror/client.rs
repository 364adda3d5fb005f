//! The upstream registry's `/api/v1`, as a client: a timeout on every call
//! (waiting for a slot included), a per-instance limit on calls in flight, and
//! bounded bodies.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::error::MirrorError;
use crate::config::UpstreamConfig;

/// Metadata answers larger than this are refused (a package with thousands of versions is far below).
const METADATA_MAX: usize = 16 * 1024 * 1024;
/// Upstream search hits brought in per query.
const SEARCH_HITS: usize = 20;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    token: Option<String>,
    timeout: Duration,
    slots: Arc<Semaphore>,
}

/// A tarball fetched into a temporary file, hashed on the way in.
pub struct Fetched {
    pub file: tempfile::TempPath,
    pub checksum: String,
}

/// Path segments as the CLI sends them: names hold at most one `/`, which stays a separator.
fn segment(s: &str) -> String {
    s.split('/')
        .map(|p| url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>())
        .collect::<Vec<_>>()
        .join("/")
}

impl Client {
    pub fn new(cfg: &UpstreamConfig) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("sema-pkg/", env!("CARGO_PKG_VERSION"), " (mirror)"))
            .build()?;
        Ok(Client {
            http,
            base: cfg.url.clone(),
            token: cfg.token.clone(),
            timeout: cfg.timeout,
            slots: Arc::new(Semaphore::new(cfg.concurrency)),
        })
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.get(format!("{}/api/v1{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// Runs `call` holding one of the slots, all within `limit`.
    async fn limited<T>(
        &self,
        limit: Duration,
        call: impl std::future::Future<Output = Result<T, MirrorError>>,
    ) -> Result<T, MirrorError> {
        let work = async {
            let _slot = self
                .slots
                .acquire()
                .await
                .map_err(|e| MirrorError::Local(e.to_string()))?;
            call.await
        };
        tokio::time::timeout(limit, work)
            .await
            .unwrap_or(Err(MirrorError::Timeout))
    }

    /// `GET /api/v1/packages/{name}`: the JSON, or `NotFound` on 404.
    pub async fn package(&self, name: &str) -> Result<serde_json::Value, MirrorError> {
        self.limited(self.timeout, async {
            let res = self
                .get(&format!("/packages/{}", segment(name)))
                .send()
                .await
                .map_err(transport)?;
            let res = check_status(res)?;
            let mut body = Vec::new();
            let mut stream = res.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(transport)?;
                if body.len() + chunk.len() > METADATA_MAX {
                    return Err(MirrorError::BadUpstream(format!(
                        "its metadata for {name} is larger than {METADATA_MAX} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            serde_json::from_slice(&body).map_err(|e| {
                MirrorError::BadUpstream(format!("its metadata for {name} is not JSON: {e}"))
            })
        })
        .await
    }

    /// `GET /api/v1/search?q=`: the names of the first page of hits.
    pub async fn search(&self, q: &str) -> Result<Vec<String>, MirrorError> {
        self.limited(self.timeout, async {
            let query: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let res = self
                .get(&format!("/search?q={query}&per_page={SEARCH_HITS}"))
                .send()
                .await
                .map_err(transport)?;
            let body = check_status(res)?.bytes().await.map_err(transport)?;
            if body.len() > METADATA_MAX {
                return Err(MirrorError::BadUpstream(
                    "its search answer is too large".into(),
                ));
            }
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                MirrorError::BadUpstream(format!("its search answer is not JSON: {e}"))
            })?;
            Ok(v["packages"]
                .as_array()
                .map(|hits| {
                    hits.iter()
                        .take(SEARCH_HITS)
                        .filter_map(|h| h["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default())
        })
        .await
    }

    /// Streams a tarball into a temporary file while hashing it, refusing
    /// more than `max` bytes. Tarballs get ten times the metadata timeout.
    pub async fn tarball(
        &self,
        name: &str,
        version: &str,
        max: u64,
    ) -> Result<Fetched, MirrorError> {
        self.limited(self.timeout * 10, async {
            let res = self
                .get(&format!(
                    "/packages/{}/{}/download",
                    segment(name),
                    segment(version)
                ))
                .send()
                .await
                .map_err(transport)?;
            let res = check_status(res)?;
            let local = |e: std::io::Error| MirrorError::Local(e.to_string());
            let (mut file, path) = tempfile::NamedTempFile::new().map_err(local)?.into_parts();
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let mut stream = res.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(transport)?;
                size += chunk.len() as u64;
                if size > max {
                    return Err(MirrorError::BadUpstream(format!(
                        "its tarball of {name}@{version} is larger than {max} bytes"
                    )));
                }
                hasher.update(&chunk);
                file.write_all(&chunk).map_err(local)?;
            }
            file.flush().map_err(local)?;
            Ok(Fetched {
                file: path,
                checksum: hex::encode(hasher.finalize()),
            })
        })
        .await
    }

    /// A cheap read that any registry speaking `/api/v1` answers, for `doctor`.
    pub async fn ping(&self) -> Result<(), MirrorError> {
        self.limited(self.timeout, async {
            let res = self
                .get("/search?q=sema&per_page=1")
                .send()
                .await
                .map_err(transport)?;
            check_status(res).map(|_| ())
        })
        .await
    }
}

fn transport(e: reqwest::Error) -> MirrorError {
    if e.is_timeout() {
        MirrorError::Timeout
    } else {
        MirrorError::Unreachable(e.without_url().to_string())
    }
}

fn check_status(res: reqwest::Response) -> Result<reqwest::Response, MirrorError> {
    match res.status().as_u16() {
        200..=299 => Ok(res),
        404 | 410 => Err(MirrorError::NotFound),
        s => Err(MirrorError::BadUpstream(format!("it answered HTTP {s}"))),
    }
}
