//! Download counting without a database write per download: increments go to
//! an in-memory map, flushed every few seconds (and on shutdown) as one
//! batched upsert into the per-day table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use diesel::sql_types::{Array, BigInt, Date, Integer};
use diesel_async::RunQueryDsl;

use crate::db::Pool;

#[derive(Clone, Default)]
pub struct Downloads {
    pending: Arc<Mutex<HashMap<(i64, NaiveDate), i64>>>,
}

impl Downloads {
    pub fn record(&self, version_id: i64) {
        let day = chrono::Utc::now().date_naive();
        *self
            .pending
            .lock()
            .expect("downloads lock")
            .entry((version_id, day))
            .or_insert(0) += 1;
    }

    /// Writes what has accumulated. On failure the counts go back into the map.
    pub async fn flush(&self, pool: &Pool) -> anyhow::Result<usize> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("downloads lock"));
        if batch.is_empty() {
            return Ok(0);
        }
        let (mut ids, mut days, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for ((id, day), n) in &batch {
            ids.push(*id);
            days.push(*day);
            counts.push(*n);
        }
        let result = async {
            let mut conn = pool.get().await?;
            diesel::sql_query(
                "INSERT INTO version_downloads (version_id, date, downloads)
                 SELECT * FROM unnest($1, $2, $3)
                 ON CONFLICT (version_id, date) DO UPDATE
                 SET downloads = version_downloads.downloads + excluded.downloads",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Date>, _>(&days)
            .bind::<Array<BigInt>, _>(&counts)
            .execute(&mut conn)
            .await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = result {
            let mut pending = self.pending.lock().expect("downloads lock");
            for (k, n) in batch {
                *pending.entry(k).or_insert(0) += n;
            }
            return Err(e);
        }
        Ok(batch.len())
    }
}

/// Rollups recomputed per sweep transaction: short transactions, and another
/// instance can take over between them.
const SWEEP_BATCH: i32 = 5000;

/// The daily sweep: recomputes the 90-day counts (and the search popularity
/// that follows them) of every package not refreshed today, as the window
/// moved for packages nobody downloaded too. `None` when another instance
/// holds the sweep (an advisory lock in `sweep_package_downloads`).
pub async fn sweep_recent(pool: &Pool) -> anyhow::Result<Option<u64>> {
    #[derive(diesel::QueryableByName)]
    struct Swept {
        #[diesel(sql_type = Integer)]
        n: i32,
    }
    let mut conn = pool.get().await?;
    let mut swept = 0u64;
    loop {
        let batch: Swept = diesel::sql_query("SELECT sweep_package_downloads($1) AS n")
            .bind::<Integer, _>(SWEEP_BATCH)
            .get_result(&mut conn)
            .await?;
        match batch.n {
            n if n < 0 && swept == 0 => return Ok(None),
            n if n < SWEEP_BATCH => return Ok(Some(swept + n.max(0) as u64)),
            n => swept += n as u64,
        }
    }
}
