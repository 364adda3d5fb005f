//! The read replica (`DATABASE_READ_URL`): a second pool for reads that
//! tolerate a little lag, watched every few seconds. While it is unreachable,
//! not in recovery, or further behind than `READ_REPLICA_MAX_LAG_SECS`, every
//! read goes to the primary. Which reads may use it is decided in `db::reads`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::sql_types::{Bool, Double, Nullable, Text};
use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use super::Pool;
use crate::config::ReplicaConfig;

/// How often the lag is measured.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// One measurement's time limit (both servers).
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Replica {
    pub pool: Pool,
    pub max_lag: Duration,
    usable: AtomicBool,
    lag: Gauge,
    up: IntGauge,
    served_primary: IntCounter,
    served_replica: IntCounter,
}

/// Which pool served a read, for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    Primary,
    Replica,
}

#[derive(diesel::QueryableByName)]
struct Measured {
    #[diesel(sql_type = Bool)]
    recovery: bool,
    /// Seconds behind; NULL when the replica has replayed no transaction yet.
    #[diesel(sql_type = Nullable<Double>)]
    lag: Option<f64>,
}

#[derive(diesel::QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    lsn: String,
}

impl Replica {
    /// The pool and its metrics; unusable until the first measurement passes.
    pub fn new(
        config: &ReplicaConfig,
        max_conns: usize,
        registry: &Registry,
    ) -> anyhow::Result<Replica> {
        let lag = Gauge::new(
            "sema_pkg_db_replica_lag_seconds",
            "seconds the read replica is behind the primary (-1 while unmeasurable)",
        )?;
        let up = IntGauge::new(
            "sema_pkg_db_replica_usable",
            "1 while reads may go to the replica (reachable, in recovery, within the lag limit)",
        )?;
        let served = IntCounterVec::new(
            Opts::new(
                "sema_pkg_db_reads_total",
                "lag-tolerant reads by the pool that served them (primary, replica)",
            ),
            &["pool"],
        )?;
        registry.register(Box::new(lag.clone()))?;
        registry.register(Box::new(up.clone()))?;
        registry.register(Box::new(served.clone()))?;
        lag.set(-1.0);
        Ok(Replica {
            pool: super::pool(&config.url, max_conns)?,
            max_lag: config.max_lag,
            usable: AtomicBool::new(false),
            lag,
            up,
            served_primary: served.with_label_values(&["primary"]),
            served_replica: served.with_label_values(&["replica"]),
        })
    }

    pub fn usable(&self) -> bool {
        self.usable.load(Ordering::Acquire)
    }

    /// How long after a write its writer reads from the primary: the replica
    /// serves only while its lag, measured at most `CHECK_EVERY` ago, was
    /// within the limit, so by then it holds the write.
    pub fn window(&self) -> Duration {
        self.max_lag + 2 * CHECK_EVERY
    }

    pub fn count(&self, served: Served) {
        match served {
            Served::Primary => self.served_primary.inc(),
            Served::Replica => self.served_replica.inc(),
        }
    }

    /// A read found the replica unreachable: bypass it until the next measurement says otherwise.
    pub fn mark_down(&self, why: &dyn std::fmt::Display) {
        if self.usable.swap(false, Ordering::AcqRel) {
            tracing::warn!(error = %why, "read replica unreachable; reading from the primary");
        }
        self.up.set(0);
    }

    /// Seconds behind the primary. Caught up means its replay position has
    /// reached the primary's current WAL position (asked just before), so an
    /// idle primary does not look like lag; otherwise the age of the last
    /// replayed transaction. Without the primary, a replica that has replayed
    /// all it received counts as caught up.
    pub async fn measure(&self, primary: &Pool) -> anyhow::Result<f64> {
        // Scoped: its blanket `load` would shadow `AtomicBool::load` elsewhere.
        use diesel_async::RunQueryDsl;
        let lsn = async {
            let mut c = primary.get().await.ok()?;
            diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
                .get_result::<Lsn>(&mut c)
                .await
                .ok()
        };
        let lsn = tokio::time::timeout(CHECK_TIMEOUT, lsn)
            .await
            .ok()
            .flatten();
        let replica = async {
            let mut c = self.pool.get().await?;
            let m = diesel::sql_query(
                "SELECT pg_is_in_recovery() AS recovery,
                        CASE WHEN pg_last_wal_replay_lsn() >= coalesce($1::pg_lsn, pg_last_wal_receive_lsn())
                             THEN 0::float8
                             ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
                        END AS lag",
            )
            .bind::<Nullable<Text>, _>(lsn.map(|l| l.lsn))
            .get_result::<Measured>(&mut c)
            .await?;
            anyhow::Ok(m)
        };
        let m = tokio::time::timeout(CHECK_TIMEOUT, replica)
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {CHECK_TIMEOUT:?}"))??;
        anyhow::ensure!(
            m.recovery,
            "it is not in recovery (not a standby: promoted, or the primary itself?)"
        );
        m.lag
            .map(|l| l.max(0.0))
            .ok_or_else(|| anyhow::anyhow!("it has replayed no transaction yet"))
    }

    /// One measurement applied: usable or not, and the gauges.
    async fn check(&self, primary: &Pool) {
        let verdict = match self.measure(primary).await {
            Ok(lag) => {
                self.lag.set(lag);
                if lag <= self.max_lag.as_secs_f64() {
                    Ok(())
                } else {
                    Err(format!(
                        "{lag:.1} s behind (limit {} s)",
                        self.max_lag.as_secs()
                    ))
                }
            }
            Err(e) => {
                self.lag.set(-1.0);
                Err(format!("{e:#}"))
            }
        };
        let ok = verdict.is_ok();
        let was = self.usable.swap(ok, Ordering::AcqRel);
        self.up.set(ok as i64);
        match verdict {
            Ok(()) if !was => tracing::info!("read replica in use"),
            Err(why) if was => {
                tracing::warn!(%why, "read replica bypassed; reading from the primary")
            }
            _ => {}
        }
    }

    /// Measures the lag every `CHECK_EVERY` for as long as the process runs.
    pub async fn watch(&self, primary: Pool) {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.check(&primary).await;
        }
    }

    /// `sema-pkg doctor`'s line: reachable, a standby, within the lag limit.
    pub async fn doctor(&self, primary: &Pool) -> (bool, String) {
        let limit = self.max_lag.as_secs();
        match self.measure(primary).await {
            Ok(lag) if lag <= self.max_lag.as_secs_f64() => (
                true,
                format!("read replica reachable, in recovery, {lag:.1} s behind (limit {limit} s)"),
            ),
            Ok(lag) => (
                false,
                format!("read replica {lag:.1} s behind, over the limit of {limit} s: reads go to the primary"),
            ),
            Err(e) => (false, format!("read replica unusable: {e:#}")),
        }
    }
}
