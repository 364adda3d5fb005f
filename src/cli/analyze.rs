//! `sema-pkg analyze --all`: analyses every stored version that has no
//! analysis yet, or one by an older analyzer. Idempotent and resumable: each
//! version's analysis is committed on its own, so a run stopped midway picks
//! up where it was; a finished one finds nothing to do. Effective
//! capabilities are settled at the end, once every dependency is analysed.

use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Integer, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::analysis::{self, ANALYZER_VERSION};
use crate::error::{AppError, AppResult};
use crate::registry::analyses;
use crate::state::AppState;

const BATCH: i64 = 20;
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Backfilled {
    pub analysed: u64,
    /// Versions whose tarball could not be read from the blob store.
    pub failed: u64,
    /// Versions whose effective capabilities changed in the final pass.
    pub settled: u64,
}

#[derive(diesel::QueryableByName)]
struct Todo {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    checksum: String,
    #[diesel(sql_type = Text)]
    label: String,
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

const TODO: &str = "FROM versions v JOIN packages p ON p.id = v.package_id
     LEFT JOIN version_analysis a ON a.version_id = v.id
     WHERE v.stored AND (a.version_id IS NULL OR a.analyzer < $1)";

/// Runs the backfill, telling `progress` how it goes (a line at a time).
pub async fn run(state: &AppState, progress: &mut dyn FnMut(String)) -> AppResult<Backfilled> {
    let mut conn = state.pool.get().await?;
    let total = diesel::sql_query(format!("SELECT count(*) AS id {TODO}"))
        .bind::<Integer, _>(ANALYZER_VERSION)
        .get_result::<Id>(&mut conn)
        .await?
        .id;
    progress(format!("{total} versions to analyse"));
    let (mut done, mut cursor, started) = (Backfilled::default(), 0i64, Instant::now());
    let mut told = Instant::now();
    loop {
        let batch: Vec<Todo> = diesel::sql_query(format!(
            "SELECT v.id, v.checksum, p.name || '@' || v.version AS label {TODO} AND v.id > $2
             ORDER BY v.id LIMIT $3"
        ))
        .bind::<Integer, _>(ANALYZER_VERSION)
        .bind::<BigInt, _>(cursor)
        .bind::<BigInt, _>(BATCH)
        .load(&mut conn)
        .await?;
        let Some(last) = batch.last() else { break };
        cursor = last.id;
        for todo in batch {
            match analyse_one(state, &mut conn, &todo).await {
                Ok(()) => done.analysed += 1,
                Err(e) => {
                    done.failed += 1;
                    progress(format!("{}: {e}", todo.label));
                }
            }
            if told.elapsed() >= PROGRESS_EVERY {
                told = Instant::now();
                progress(rate(done.analysed + done.failed, total, started.elapsed()));
            }
        }
    }
    done.settled = settle(&mut conn).await?;
    progress(format!(
        "analysed {} versions ({} failed), effective capabilities changed for {}",
        done.analysed, done.failed, done.settled
    ));
    Ok(done)
}

async fn analyse_one(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    todo: &Todo,
) -> AppResult<()> {
    let bytes = state.storage.read(&todo.checksum).await?;
    let report = tokio::task::spawn_blocking(move || {
        analysis::analyze_tarball_bytes(bytes.to_vec(), analysis::Limits::default())
    })
    .await
    .map_err(AppError::internal)?;
    let id = todo.id;
    conn.transaction::<_, AppError, _>(async |tx| analyses::save(tx, id, &report).await)
        .await
}

/// Effective capabilities once every dependency has its own, and what each
/// release adds after them; returns how many versions changed.
async fn settle(conn: &mut diesel_async::AsyncPgConnection) -> AppResult<u64> {
    let changed: Vec<Id> = diesel::sql_query(
        "UPDATE version_analysis a SET effective_caps = e.caps
         FROM (SELECT version_id, version_effective_caps(version_id) AS caps FROM version_analysis) e
         JOIN versions v ON v.id = e.version_id
         WHERE e.version_id = a.version_id AND a.effective_caps IS DISTINCT FROM e.caps
         RETURNING v.package_id AS id",
    )
    .load(conn)
    .await?;
    let mut packages: Vec<i64> = changed.iter().map(|c| c.id).collect();
    packages.sort_unstable();
    packages.dedup();
    for id in packages {
        analyses::refresh_added(conn, id).await?;
    }
    Ok(changed.len() as u64)
}

fn rate(done: u64, total: i64, elapsed: Duration) -> String {
    let per_sec = done as f64 / elapsed.as_secs_f64().max(0.001);
    let left = (total as u64).saturating_sub(done);
    let eta = if per_sec > 0.0 {
        format!(", about {:.0}s left", left as f64 / per_sec)
    } else {
        String::new()
    };
    let pct = if total > 0 {
        done as f64 * 100.0 / total as f64
    } else {
        100.0
    };
    format!("analysed {done}/{total} versions ({pct:.0}%), {per_sec:.1}/s{eta}")
}
