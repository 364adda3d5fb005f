//! The blob store (OpenDAL: filesystem or S3). Tarballs live at content
//! addresses, so a blob written twice is the same blob and an orphan is harmless.

pub mod migrate;

use std::path::Path;

use anyhow::Context;
use opendal::{services, Operator};
use tokio::io::AsyncReadExt;

use crate::config::BlobConfig;

const CHUNK: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Storage {
    op: Operator,
    /// When the last `check_cached` probe ran, and whether it passed.
    last_probe: std::sync::Arc<tokio::sync::Mutex<Option<(std::time::Instant, bool)>>>,
}

/// How long `/readyz` reuses a blob-store probe.
pub const PROBE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// `sha256/ab/<hex>.tar.gz`
pub fn blob_path(checksum: &str) -> String {
    format!("sha256/{}/{checksum}.tar.gz", &checksum[..2])
}

impl Storage {
    pub fn new(cfg: &BlobConfig) -> anyhow::Result<Storage> {
        opendal::install_default();
        let op = match cfg {
            BlobConfig::Fs { dir } => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("BLOB_DIR: creating {}", dir.display()))?;
                let root = std::fs::canonicalize(dir)?;
                let tmp = root.join(".tmp");
                std::fs::create_dir_all(&tmp)?;
                let b = services::Fs::default()
                    .root(&root.to_string_lossy())
                    .atomic_write_dir(&tmp.to_string_lossy());
                Operator::new(b)?
            }
            BlobConfig::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut b = services::S3::default()
                    .bucket(bucket)
                    .region(region)
                    .disable_config_load();
                if let Some(e) = endpoint {
                    b = b.endpoint(e);
                }
                if let Some(k) = access_key_id {
                    b = b.access_key_id(k);
                }
                if let Some(s) = secret_access_key {
                    b = b.secret_access_key(s);
                }
                Operator::new(b)?
            }
        };
        Ok(Storage {
            op,
            last_probe: Default::default(),
        })
    }

    pub fn operator(&self) -> &Operator {
        &self.op
    }

    /// Copies a local file to its content address, streaming in chunks
    /// (multipart on S3). Skips the upload when the blob is already there;
    /// returns whether it wrote one.
    pub async fn put_file(&self, checksum: &str, file: &Path) -> opendal::Result<bool> {
        let path = blob_path(checksum);
        if self.op.exists(&path).await? {
            return Ok(false);
        }
        let mut w = self.op.writer_with(&path).chunk(CHUNK).await?;
        let mut f = tokio::fs::File::open(file).await.map_err(|e| {
            opendal::Error::new(opendal::ErrorKind::Unexpected, "opening upload").set_source(e)
        })?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = f.read(&mut buf).await.map_err(|e| {
                opendal::Error::new(opendal::ErrorKind::Unexpected, "reading upload").set_source(e)
            })?;
            if n == 0 {
                break;
            }
            if let Err(e) = w.write(bytes::Bytes::copy_from_slice(&buf[..n])).await {
                let _ = w.abort().await;
                return Err(e);
            }
        }
        w.close().await?;
        Ok(true)
    }

    /// Whether the blob is already stored.
    pub async fn exists(&self, checksum: &str) -> opendal::Result<bool> {
        self.op.exists(&blob_path(checksum)).await
    }

    pub async fn delete(&self, checksum: &str) -> opendal::Result<()> {
        self.op.delete(&blob_path(checksum)).await
    }

    /// The whole blob, for small ones kept in memory.
    pub async fn read(&self, checksum: &str) -> opendal::Result<bytes::Bytes> {
        Ok(self.op.read(&blob_path(checksum)).await?.to_bytes())
    }

    /// A stream of the blob's bytes, for a streaming HTTP response.
    pub async fn stream(
        &self,
        checksum: &str,
    ) -> opendal::Result<impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + use<>>
    {
        let reader = self
            .op
            .reader_with(&blob_path(checksum))
            .chunk(256 * 1024)
            .await?;
        reader.into_bytes_stream(..).await
    }

    /// A short-lived URL the client can fetch the blob from directly (S3).
    pub async fn presigned_url(
        &self,
        checksum: &str,
        ttl: std::time::Duration,
    ) -> opendal::Result<String> {
        Ok(self
            .op
            .presign_read(&blob_path(checksum), ttl)
            .await?
            .uri()
            .to_string())
    }

    /// A read/write/delete round trip, for `/readyz` and `doctor`.
    /// `check` for `/readyz`: each probe is a write, a read and a delete
    /// (three S3 requests), so probes within `PROBE_TTL` share one answer,
    /// and only one runs at a time however many calls arrive.
    pub async fn check_cached(&self, timeout: std::time::Duration) -> bool {
        let mut last = self.last_probe.lock().await;
        if let Some((at, ok)) = *last {
            if at.elapsed() < PROBE_TTL {
                return ok;
            }
        }
        let ok = matches!(
            tokio::time::timeout(timeout, self.check()).await,
            Ok(Ok(()))
        );
        *last = Some((std::time::Instant::now(), ok));
        ok
    }

    pub async fn check(&self) -> opendal::Result<()> {
        let probe = format!("health/{}", uuid::Uuid::new_v4());
        self.op.write(&probe, "ok").await?;
        self.op.read(&probe).await?;
        self.op.delete(&probe).await
    }
}
