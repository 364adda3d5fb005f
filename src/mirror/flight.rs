//! Single-flight: concurrent callers asking for the same key share one run of
//! the work (a herd of installs makes one upstream request). The work is
//! spawned, so it finishes even when the caller that started it goes away.
//!
//! Hand-written over `futures::Shared` (already a dependency) rather than
//! moka's `future` cache: the same coalescing without a second cache crate.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use futures_util::future::{BoxFuture, FutureExt, Shared};

use super::error::MirrorError;

type Work = Shared<BoxFuture<'static, Result<(), MirrorError>>>;

#[derive(Default)]
pub struct Flight {
    running: Mutex<HashMap<String, Work>>,
}

/// Finished entries are swept once the map holds this many.
const SWEEP_AT: usize = 1024;

impl Flight {
    /// Runs `work` for `key`, or joins the run already under way.
    pub async fn run<F>(&self, key: &str, work: F) -> Result<(), MirrorError>
    where
        F: Future<Output = Result<(), MirrorError>> + Send + 'static,
    {
        let shared = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            match running.get(key) {
                // A finished run is not joined: its answer may be old.
                Some(w) if w.peek().is_none() => w.clone(),
                _ => {
                    if running.len() >= SWEEP_AT {
                        running.retain(|_, w| w.peek().is_none());
                    }
                    let handle = tokio::spawn(work);
                    let w = async move {
                        handle
                            .await
                            .unwrap_or_else(|e| Err(MirrorError::Local(e.to_string())))
                    }
                    .boxed()
                    .shared();
                    running.insert(key.to_string(), w.clone());
                    w
                }
            }
        };
        shared.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn concurrent_callers_share_one_run_and_a_later_one_runs_again() {
        let flight = Arc::new(Flight::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for _ in 0..20 {
            let (flight, runs) = (flight.clone(), runs.clone());
            joins.push(tokio::spawn(async move {
                flight
                    .run("json", async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        Err(MirrorError::NotFound)
                    })
                    .await
            }));
        }
        for j in joins {
            assert!(matches!(j.await.unwrap(), Err(MirrorError::NotFound)));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let r = runs.clone();
        let again = flight
            .run("json", async move {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(again.is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
