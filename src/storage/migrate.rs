//! `sema-pkg blobs migrate --from A --to B`: copies every stored tarball to
//! the other store, streaming and verifying each by sha256. It can be stopped
//! at any point and run again: a blob already at the destination with its
//! recorded size is skipped without reading it (content-addressed, so the
//! right size at the right address is the finished copy; a copy cut short has
//! the wrong size, or on S3 does not exist at all until completed).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{blob_path, Storage};
use crate::db::schema::versions;
use crate::progress::Progress;

/// Copies what is missing; returns the summary line.
pub async fn copy_all(
    pool: &crate::db::Pool,
    from: &Storage,
    to: &Storage,
) -> anyhow::Result<String> {
    let mut conn = pool.get().await?;
    // Mirrored versions whose tarball was never fetched have no blob anywhere.
    let blobs: Vec<(String, i64)> = versions::table
        .filter(versions::stored.eq(true))
        .select((versions::checksum, versions::size_bytes))
        .distinct()
        .order(versions::checksum)
        .load(&mut conn)
        .await?;
    drop(conn);
    let progress = Progress::new("blobs", blobs.len() as u64, 0);
    let (mut copied, mut present) = (0usize, 0usize);
    for (sum, size) in blobs {
        if has(to, &sum, size).await? {
            present += 1;
        } else {
            copy(from, to, &sum).await?;
            copied += 1;
        }
        progress.inc(1);
    }
    progress.finish();
    Ok(format!(
        "{copied} blobs copied and verified, {present} already present"
    ))
}

/// Whether the destination holds the blob at its recorded size.
async fn has(store: &Storage, sum: &str, size: i64) -> anyhow::Result<bool> {
    match store.operator().stat(&blob_path(sum)).await {
        Ok(meta) => Ok(meta.content_length() == size as u64),
        Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn digest(store: &Storage, sum: &str) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    let mut stream = store.stream(sum).await?;
    while let Some(chunk) = stream.next().await {
        h.update(&chunk?);
    }
    Ok(hex::encode(h.finalize()))
}

/// Streams one blob across, checking the source's bytes and then the copy.
async fn copy(from: &Storage, to: &Storage, sum: &str) -> anyhow::Result<()> {
    let mut writer = to
        .operator()
        .writer_with(&blob_path(sum))
        .chunk(8 * 1024 * 1024)
        .await?;
    let mut stream = from.stream(sum).await?;
    let mut h = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        h.update(&chunk);
        writer.write(chunk).await?;
    }
    writer.close().await?;
    anyhow::ensure!(
        hex::encode(h.finalize()) == sum,
        "source blob {sum} does not match its checksum"
    );
    anyhow::ensure!(
        digest(to, sum).await? == sum,
        "copy of {sum} does not verify at the destination"
    );
    Ok(())
}
