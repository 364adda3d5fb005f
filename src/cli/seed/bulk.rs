//! `sema-pkg seed --packages N [--users U] [--versions V] [--tarballs K]`: a
//! synthetic registry for benchmarks, loaded with COPY. Names (plain and
//! `ns/name`), descriptions, keywords, README excerpts, 1–V versions,
//! registry dependencies on older packages and a heavy-tailed download
//! history per package, from a fixed random seed so every run with the same
//! options on an empty database builds the same corpus (`corpus`). The K most
//! downloaded packages get real tarballs (4 KiB–400 KiB) in the blob store, so
//! installs and downloads can be measured; the rest exist for search.
//!
//! A run shows its progress and can be interrupted: it is recorded in
//! `seed_runs` with what the corpus is generated from, and loaded in batches
//! that each commit with the run's progress mark (`load`). Running the same
//! command again regenerates the same corpus and loads only the batches not
//! yet committed.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};
use tokio_postgres::{Client, NoTls};

use super::corpus::{self, Corpus, Start};
use super::load;
use crate::progress::Progress;
use crate::storage::Storage;

/// What to generate; `Options::new(n)` gives the search benchmark's corpus.
#[derive(Debug, Clone)]
pub struct Options {
    pub packages: u64,
    /// Owner accounts; default one per 200 packages (at least 10).
    pub users: Option<u64>,
    /// Each package gets 1..=this many versions.
    pub max_versions: u32,
    /// How many of the most downloaded packages get real tarballs.
    pub tarballs: u64,
}

impl Options {
    pub fn new(packages: u64) -> Options {
        Options {
            packages,
            users: None,
            max_versions: 4,
            tarballs: packages.min(200),
        }
    }

    /// How a run is recognised when it is resumed.
    fn key(&self) -> String {
        format!(
            "--packages {} --users {} --versions {} --tarballs {}",
            self.packages,
            self.users(),
            self.max_versions,
            self.tarballs
        )
    }

    fn users(&self) -> i64 {
        self.users
            .map_or((self.packages as i64 / 200).max(10), |u| u.max(1) as i64)
    }
}

/// A run as `seed_runs` records it.
struct Run {
    id: i64,
    first_user: i64,
    first_package: i64,
    first_version: i64,
    prior_users: i64,
    done: i64,
    started_at: DateTime<Utc>,
}

pub async fn run(database_url: &str, storage: &Storage, opts: &Options) -> anyhow::Result<()> {
    anyhow::ensure!(opts.max_versions >= 1, "--versions must be at least 1");
    anyhow::ensure!(opts.packages >= 1, "--packages must be at least 1");
    let started = Instant::now();
    let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
    let conn_task = tokio::spawn(connection);
    let (run, corpus) = match unfinished(&client, opts).await? {
        Some(run) => {
            let corpus = regenerate(&client, opts, &run).await?;
            println!(
                "resuming an interrupted seed: {} of {} packages already loaded",
                run.done, opts.packages
            );
            (run, corpus)
        }
        None => begin(&client, opts).await?,
    };
    println!(
        "generated {} packages at {:.1?}",
        opts.packages,
        started.elapsed()
    );
    let (loaded, written) = load_batches(&client, storage, &corpus, &run).await?;
    load::vacuum(&client).await?;
    client
        .execute(
            "UPDATE seed_runs SET finished_at = now() WHERE id = $1",
            &[&run.id],
        )
        .await?;
    println!(
        "seeded {} packages ({loaded} in this run), {} versions, {} owners, {written} tarballs written, in {:.1?}",
        opts.packages,
        corpus.version_count(),
        opts.users(),
        started.elapsed()
    );
    drop(client);
    let _ = conn_task.await;
    Ok(())
}

/// The last run that did not finish; an error if it was asked something else.
async fn unfinished(client: &Client, opts: &Options) -> anyhow::Result<Option<Run>> {
    let Some(row) = client
        .query_opt(
            "SELECT id, options, first_user_id, first_package_id, first_version_id,
                    prior_users, packages_done, extract(epoch FROM started_at)::bigint
             FROM seed_runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await?
    else {
        return Ok(None);
    };
    let asked: String = row.get(1);
    anyhow::ensure!(
        asked == opts.key(),
        "an interrupted `seed {asked}` has not finished: run it again with those options to complete it \
         (or delete its row from seed_runs to abandon it)"
    );
    Ok(Some(Run {
        id: row.get(0),
        first_user: row.get(2),
        first_package: row.get(3),
        first_version: row.get(4),
        prior_users: row.get(5),
        done: row.get(6),
        started_at: DateTime::from_timestamp(row.get(7), 0).expect("a stored time"),
    }))
}

async fn names(client: &Client, sql: &str, range: (i64, i64)) -> anyhow::Result<HashSet<String>> {
    Ok(client
        .query(sql, &[&range.0, &range.1])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// What the corpus is generated against: the registry without this run's
/// rows (ids in its reserved ranges), so a resumed run sees what the first saw.
async fn start(client: &Client, opts: &Options, run: &Run) -> anyhow::Result<Start> {
    let (n, users) = (opts.packages as i64, opts.users());
    let ours = (run.first_package, run.first_package + n - 1);
    let owners = (run.first_user, run.first_user + users - 1);
    Ok(Start {
        packages: n,
        users,
        first_user: run.first_user,
        first_package: run.first_package,
        prior_users: run.prior_users,
        existing_names: names(
            client,
            "SELECT canonical_name FROM packages WHERE id NOT BETWEEN $1 AND $2",
            ours,
        )
        .await?,
        taken_namespaces: names(
            client,
            "SELECT name FROM namespaces WHERE owner_id NOT BETWEEN $1 AND $2",
            owners,
        )
        .await?,
        now: run.started_at,
    })
}

async fn regenerate(client: &Client, opts: &Options, run: &Run) -> anyhow::Result<Corpus> {
    let start = start(client, opts, run).await?;
    let mut corpus = corpus::generate(&start, opts.max_versions, opts.tarballs);
    corpus.number_versions(run.first_version);
    Ok(corpus)
}

/// A new run: ids reserved, the corpus generated, and the accounts,
/// namespaces and the run's record committed together.
async fn begin(client: &Client, opts: &Options) -> anyhow::Result<(Run, Corpus)> {
    let n = opts.packages as i64;
    let prior_users: i64 = client
        .query_one("SELECT count(*) FROM users", &[])
        .await?
        .get(0);
    let mut run = Run {
        id: 0,
        first_user: load::next_ids(client, "users_id_seq", opts.users()).await?,
        first_package: load::next_ids(client, "packages_id_seq", n).await?,
        first_version: 0,
        prior_users,
        done: 0,
        // Whole seconds: the time is stored and read back to regenerate the corpus.
        started_at: Utc::now().trunc_subsecs(0),
    };
    let start = start(client, opts, &run).await?;
    let mut corpus = corpus::generate(&start, opts.max_versions, opts.tarballs);
    run.first_version = load::next_ids(client, "versions_id_seq", corpus.version_count()).await?;
    corpus.number_versions(run.first_version);
    client.batch_execute("BEGIN").await?;
    load::owners(client, &corpus).await?;
    run.id = client
        .query_one(
            "INSERT INTO seed_runs (options, first_user_id, first_package_id, first_version_id, prior_users, started_at)
             VALUES ($1, $2, $3, $4, $5, to_timestamp($6)) RETURNING id",
            &[&opts.key(), &run.first_user, &run.first_package, &run.first_version, &run.prior_users, &(run.started_at.timestamp() as f64)],
        )
        .await?
        .get(0);
    client.batch_execute("COMMIT").await?;
    Ok((run, corpus))
}

/// Loads the batches not yet committed; returns the packages loaded and the
/// tarballs written by this run.
async fn load_batches(
    client: &Client,
    storage: &Storage,
    corpus: &Corpus,
    run: &Run,
) -> anyhow::Result<(usize, usize)> {
    let n = corpus.pkgs.len();
    let size = (n / 50).clamp(100, 2000);
    let progress = Progress::new("packages", n as u64, run.done as u64);
    let (first, mut at, mut written) = (run.done as usize, run.done as usize, 0);
    while at < n {
        let end = (at + size).min(n);
        let (blobs, w) = load::tarballs(storage, corpus, at..end).await?;
        written += w;
        client.batch_execute("BEGIN").await?;
        load::batch(client, corpus, at..end, &blobs).await?;
        client
            .execute(
                "UPDATE seed_runs SET packages_done = $2 WHERE id = $1",
                &[&run.id, &(end as i64)],
            )
            .await?;
        client.batch_execute("COMMIT").await?;
        progress.inc((end - at) as u64);
        at = end;
    }
    progress.finish();
    Ok((n - first, written))
}
