//! Every background job of a serving instance, each on its named interval.

use std::time::{Duration, Instant};

use actix_web::rt::{spawn, time::interval};

use crate::state::AppState;

/// Expired sessions are deleted this often.
pub const SESSION_SWEEP: Duration = Duration::from_secs(3600);
/// How often the 90-day download counts check whether the day has changed.
pub const RECENT_DOWNLOADS_CHECK: Duration = Duration::from_secs(3600);

/// Starts the jobs on the current actix runtime. The download flush runs
/// every `DOWNLOAD_FLUSH_SECS`; `serve` flushes once more at shutdown.
pub fn start(state: AppState) {
    if state.config.package_cache {
        spawn(crate::cache::listen(
            state.caches.clone(),
            state.config.database_url.clone(),
            state.metrics.cache_listening.clone(),
        ));
    }
    if let Some(r) = &state.replica {
        let (routing, primary) = (r.clone(), state.pool.clone());
        spawn(async move { routing.replica.watch(primary).await });
    }
    spawn(flush_downloads(state.clone()));
    spawn(sweep_sessions(state.clone()));
    // The webhook outbox: every instance sends, rows are claimed one instance at a time.
    spawn(crate::webhooks::run(state.clone()));
    spawn(sweep_recent_downloads(state));
}

/// Writes the counted downloads, then refreshes the gauges and the per-instance
/// read limits, on the same tick.
async fn flush_downloads(state: AppState) {
    let every = Duration::from_secs(state.config.download_flush_secs.max(1));
    let mut tick = interval(every);
    let mut flushed_at = Instant::now();
    let m = state.metrics.clone();
    loop {
        tick.tick().await;
        match state.downloads.flush(&state.pool).await {
            Ok(rows) => {
                // New totals: this instance's answers change now, others' on NOTIFY.
                if rows > 0 {
                    state.caches.clear();
                }
                m.download_flushes.inc();
                m.download_rows.inc_by(rows as u64);
                flushed_at = Instant::now();
            }
            Err(e) => tracing::warn!(error = %e, "flushing download counts"),
        }
        m.download_flush_lag.set(flushed_at.elapsed().as_secs_f64());
        m.observe_pool(&state.pool);
        state.reads.sweep();
    }
}

async fn sweep_sessions(state: AppState) {
    let mut tick = interval(SESSION_SWEEP);
    loop {
        tick.tick().await;
        if let Err(e) = crate::auth::session_store::sweep(&state.pool).await {
            tracing::warn!(error = %e, "sweeping expired sessions");
        }
    }
}

/// 90-day counts age daily even without downloads: sweep on startup, then
/// whenever the day has changed.
async fn sweep_recent_downloads(state: AppState) {
    let mut tick = interval(RECENT_DOWNLOADS_CHECK);
    let mut swept_on = None;
    loop {
        tick.tick().await;
        let today = chrono::Utc::now().date_naive();
        if swept_on == Some(today) {
            continue;
        }
        match crate::downloads::sweep_recent(&state.pool).await {
            Ok(n) => {
                tracing::info!(packages = ?n, "swept 90-day download counts");
                swept_on = Some(today);
            }
            Err(e) => tracing::warn!(error = %e, "sweeping 90-day download counts"),
        }
    }
}
