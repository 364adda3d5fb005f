//! Writes the bulk seeder's corpus with COPY: the accounts and namespaces in
//! one transaction, then the packages in batches, each batch (with its run's
//! progress mark) in a transaction of its own, so an interrupted run loses at
//! most the batch it was writing.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

use bytes::Bytes;
use futures_util::SinkExt;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::corpus::{self, Corpus};
use crate::storage::{blob_path, Storage};

/// COPY text format: backslash, tab, newline and carriage return are escaped.
fn esc(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S+00").to_string()
}

async fn copy(client: &Client, statement: &str, rows: &[String]) -> anyhow::Result<()> {
    let sink = client.copy_in(statement).await?;
    futures_util::pin_mut!(sink);
    let mut buf = String::with_capacity(1 << 20);
    for row in rows {
        buf.push_str(row);
        if buf.len() >= 1 << 20 {
            sink.send(Bytes::from(std::mem::take(&mut buf))).await?;
        }
    }
    if !buf.is_empty() {
        sink.send(Bytes::from(buf)).await?;
    }
    sink.finish().await?;
    Ok(())
}

/// Reserves a block of ids: the sequence moves past it in one call.
pub async fn next_ids(client: &Client, sequence: &str, n: i64) -> anyhow::Result<i64> {
    let row = client
        .query_one(
            &format!(
                "SELECT setval('{sequence}', nextval('{sequence}') + $1 - 1) - $1 + 1 AS first"
            ),
            &[&n],
        )
        .await?;
    Ok(row.get(0))
}

/// The seeder accounts and namespaces (run inside the caller's transaction).
pub async fn owners(client: &Client, corpus: &Corpus) -> anyhow::Result<()> {
    copy(
        client,
        "COPY users (id, username, email, password_hash) FROM STDIN",
        &corpus.user_rows,
    )
    .await?;
    let rows: Vec<String> = corpus
        .namespaces
        .iter()
        .map(|(n, o)| format!("{n}\t{o}\n"))
        .collect();
    copy(client, "COPY namespaces (name, owner_id) FROM STDIN", &rows).await
}

/// Writes the tarballs of the batch's packages that get real ones, skipping
/// blobs already stored at their size (an interrupted batch wrote some).
/// Returns version id → (sha256, size), and how many were written.
pub async fn tarballs(
    storage: &Storage,
    corpus: &Corpus,
    batch: Range<usize>,
) -> anyhow::Result<(HashMap<i64, (String, i64)>, usize)> {
    let mut out = HashMap::new();
    let mut written = 0;
    for i in batch {
        let Some(&rank) = corpus.tarball_rank.get(&i) else {
            continue;
        };
        for (vid, bytes) in corpus::tarballs_of(corpus, i, rank) {
            let checksum = hex::encode(Sha256::digest(&bytes));
            let size = bytes.len() as i64;
            let path = blob_path(&checksum);
            let present = match storage.operator().stat(&path).await {
                Ok(meta) => meta.content_length() == size as u64,
                Err(e) if e.kind() == opendal::ErrorKind::NotFound => false,
                Err(e) => return Err(e.into()),
            };
            if !present {
                storage.operator().write(&path, bytes).await?;
                written += 1;
            }
            out.insert(vid, (checksum, size));
        }
    }
    Ok((out, written))
}

fn package_rows(corpus: &Corpus, batch: Range<usize>) -> anyhow::Result<Vec<String>> {
    let mut rows = Vec::with_capacity(batch.len());
    for p in &corpus.pkgs[batch] {
        let mut r = String::with_capacity(p.readme.len() + 256);
        let updated = p.versions.last().map(|v| v.2).unwrap_or(p.created);
        write!(r, "{}\t", p.id)?;
        esc(&mut r, &p.name);
        r.push('\t');
        esc(&mut r, &p.canonical);
        r.push('\t');
        match &p.namespace {
            Some(ns) => esc(&mut r, ns),
            None => r.push_str("\\N"),
        }
        r.push('\t');
        esc(&mut r, &p.description);
        write!(
            r,
            "\thttps://git.example/{}\t{}\t{{{}}}\t",
            p.canonical.replace('/', "-"),
            p.license,
            p.keywords.join(",")
        )?;
        esc(&mut r, &p.readme);
        writeln!(r, "\t{}\t{}", ts(p.created), ts(updated))?;
        rows.push(r);
    }
    Ok(rows)
}

fn version_rows(
    corpus: &Corpus,
    batch: Range<usize>,
    blobs: &HashMap<i64, (String, i64)>,
) -> anyhow::Result<Vec<String>> {
    let mut rows = Vec::new();
    for p in &corpus.pkgs[batch] {
        let last = p.versions.len() - 1;
        for (j, (id, version, at)) in p.versions.iter().enumerate() {
            let (checksum, size) = match blobs.get(id) {
                Some((checksum, size)) => (checksum.clone(), *size),
                None => (
                    hex::encode(Sha256::digest(format!("{}@{version}", p.canonical))),
                    2048 + (p.id % 40_000),
                ),
            };
            let mut r = format!("{id}\t{}\t{version}\t{version}\t{checksum}\t{size}\t", p.id);
            esc(&mut r, &p.description);
            write!(r, "\t{}\t{{{}}}\t", p.license, p.keywords.join(","))?;
            // Only the latest version carries its README: search reads no other.
            if j == last {
                esc(&mut r, &p.readme);
            } else {
                r.push_str("\\N");
            }
            writeln!(r, "\t{}\t{}", p.owner, ts(*at))?;
            rows.push(r);
        }
    }
    Ok(rows)
}

/// The batch's versions' dependencies (generated in version order).
fn dependency_rows(corpus: &Corpus, batch: Range<usize>) -> Vec<String> {
    let versions = |i: usize| {
        corpus
            .pkgs
            .get(i)
            .and_then(|p| p.versions.first())
            .map(|v| v.0)
    };
    let from = versions(batch.start).unwrap_or(i64::MAX);
    let to = versions(batch.end).unwrap_or(i64::MAX);
    corpus
        .deps
        .iter()
        .filter(|d| d.0 >= from && d.0 < to)
        .map(|(vid, j, req)| {
            let p = &corpus.pkgs[*j];
            format!("{vid}\t{}\t{}\t{req}\tregistry\n", p.name, p.canonical)
        })
        .collect()
}

/// Packages, owners, versions, dependencies and download history of one
/// batch; the caller's transaction holds it.
pub async fn batch(
    client: &Client,
    corpus: &Corpus,
    batch: Range<usize>,
    blobs: &HashMap<i64, (String, i64)>,
) -> anyhow::Result<()> {
    // Search rows are written once per batch, with their popularity (a row
    // per package now and a rewrite later would index every document twice).
    client
        .batch_execute("ALTER TABLE packages DISABLE TRIGGER packages_search_insert")
        .await?;
    copy(
        client,
        "COPY packages (id, name, canonical_name, namespace, description, repository_url, license, keywords, readme, created_at, updated_at) FROM STDIN",
        &package_rows(corpus, batch.clone())?,
    )
    .await?;
    client
        .batch_execute("ALTER TABLE packages ENABLE TRIGGER packages_search_insert")
        .await?;
    let rows: Vec<String> = corpus.pkgs[batch.clone()]
        .iter()
        .map(|p| format!("{}\t{}\n", p.id, p.owner))
        .collect();
    copy(
        client,
        "COPY package_owners (package_id, user_id) FROM STDIN",
        &rows,
    )
    .await?;
    copy(
        client,
        "COPY versions (id, package_id, version, version_key, checksum, size_bytes, description, license, keywords, readme, published_by, published_at) FROM STDIN",
        &version_rows(corpus, batch.clone(), blobs)?,
    )
    .await?;
    copy(
        client,
        "COPY dependencies (version_id, name, canonical_name, req, kind) FROM STDIN",
        &dependency_rows(corpus, batch.clone()),
    )
    .await?;
    downloads(client, corpus, batch).await
}

/// The batch's download history, its totals and its search rows.
async fn downloads(client: &Client, corpus: &Corpus, batch: Range<usize>) -> anyhow::Result<()> {
    let rows: Vec<String> = corpus.downloads[batch.clone()]
        .iter()
        .flatten()
        .map(|(vid, d, k)| format!("{vid}\t{d}\t{k}\n"))
        .collect();
    // The rollup trigger would aggregate the rows package by package; one
    // set-based statement after the COPY does the same work at once.
    client
        .batch_execute(
            "ALTER TABLE version_downloads DISABLE TRIGGER version_downloads_rollup_insert",
        )
        .await?;
    copy(
        client,
        "COPY version_downloads (version_id, date, downloads) FROM STDIN",
        &rows,
    )
    .await?;
    client
        .batch_execute(
            "ALTER TABLE version_downloads ENABLE TRIGGER version_downloads_rollup_insert",
        )
        .await?;
    let (first, last) = (corpus.pkgs[batch.start].id, corpus.pkgs[batch.end - 1].id);
    client
        .execute(
            "UPDATE package_downloads s
             SET downloads = x.total, recent_downloads = x.recent, refreshed_on = current_date
             FROM (SELECT v.package_id, SUM(d.downloads) AS total,
                          COALESCE(SUM(d.downloads) FILTER (WHERE d.date > current_date - 90), 0) AS recent
                   FROM version_downloads d JOIN versions v ON v.id = d.version_id
                   WHERE v.package_id BETWEEN $1 AND $2
                   GROUP BY v.package_id) x
             WHERE s.package_id = x.package_id",
            &[&first, &last],
        )
        .await?;
    client
        .execute(
            "SELECT package_search_upsert(ARRAY(SELECT generate_series($1::bigint, $2::bigint)))",
            &[&first, &last],
        )
        .await?;
    Ok(())
}

/// Fresh statistics for the planner, and a visibility map so counts and
/// bitmap scans can skip heap pages. One statement each: several in one
/// call would share a transaction.
pub async fn vacuum(client: &Client) -> anyhow::Result<()> {
    for table in [
        "packages",
        "package_search",
        "package_name_parts",
        "search_hot_terms",
        "search_dictionary",
        "package_downloads",
        "versions",
        "version_downloads",
        "package_owners",
        "dependencies",
        "users",
        "namespaces",
    ] {
        client
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .await?;
    }
    Ok(())
}
