//! Sending webhook deliveries: the worker every serving instance runs, and
//! the SSRF guard's address check (also asked when a webhook is created).
//!
//! The outbox is `webhook_deliveries`: rows are written by
//! `usecase::record` in the transaction of each change. The worker claims
//! due rows with `FOR UPDATE SKIP LOCKED` and a lease, so two instances never
//! send one row at the same time and a crashed instance's claims come back
//! when their lease runs out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::config::WebhookConfig;
use crate::domain::webhook::{self as rules, Target};
use crate::registry::webhooks::{self as hooks, Attempt, Claimed};
use crate::state::AppState;

/// Each attempt's whole-request limit.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed delivery is not taken again for this long: longer than an
/// attempt (resolving, connecting, the timeout) can take.
const LEASE: Duration = Duration::from_secs(60);
/// Deliveries one instance claims at once.
const BATCH: i64 = 16;
/// The webhooks-by-state gauges are refreshed every this many polls, at
/// most this long apart.
const GAUGE_POLLS: u32 = 10;
const GAUGE_MAX: Duration = Duration::from_secs(15);
const USER_AGENT: &str = concat!("sema-pkg-webhooks/", env!("CARGO_PKG_VERSION"));

/// The addresses `target` reaches, when every one of them is public; else
/// why not. A literal address is judged as it is; a name is resolved now.
pub async fn public_addresses(target: &Target) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = match target.ip {
        Some(ip) => vec![SocketAddr::new(ip, target.port)],
        None => {
            let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
            tokio::time::timeout(Duration::from_secs(5), lookup)
                .await
                .map_err(|_| format!("resolving {} timed out", target.host))?
                .map_err(|e| format!("{} does not resolve: {e}", target.host))?
                .collect()
        }
    };
    if addrs.is_empty() {
        return Err(format!("{} does not resolve", target.host));
    }
    if let Some(bad) = addrs.iter().find(|a| !rules::is_public(a.ip())) {
        return Err(format!(
            "{} reaches {}, which is not a public address; webhooks only call public hosts",
            target.host,
            bad.ip()
        ));
    }
    Ok(addrs)
}

/// The worker: claims due deliveries every `WEBHOOK_POLL_MS` and sends them.
pub async fn run(state: AppState) {
    let cfg = state.config.webhooks.clone();
    let mut tick = tokio::time::interval(cfg.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let gauge_every = (cfg.poll * GAUGE_POLLS).min(GAUGE_MAX);
    let mut gauges_at: Option<Instant> = None;
    loop {
        tick.tick().await;
        if let Err(e) = poll(&state, &cfg).await {
            tracing::warn!(error = %e, "sending webhook deliveries");
        }
        if gauges_at.is_none_or(|t| t.elapsed() >= gauge_every) {
            gauges_at = Some(Instant::now());
            if let Err(e) = refresh_gauges(&state).await {
                tracing::warn!(error = %e, "counting webhooks");
            }
        }
    }
}

async fn refresh_gauges(state: &AppState) -> crate::error::AppResult<()> {
    let mut conn = state.pool.get().await?;
    let (active, disabled) = hooks::count_by_state(&mut conn).await?;
    state
        .metrics
        .webhooks
        .with_label_values(&["active"])
        .set(active);
    state
        .metrics
        .webhooks
        .with_label_values(&["disabled"])
        .set(disabled);
    Ok(())
}

/// One round: claim, send all at once, record each outcome.
async fn poll(state: &AppState, cfg: &WebhookConfig) -> crate::error::AppResult<()> {
    let claimed = {
        let mut conn = state.pool.get().await?;
        hooks::claim(&mut conn, BATCH, LEASE.as_millis() as i64).await?
    };
    let sends = claimed.iter().map(|c| async move {
        let attempt = send(cfg, c).await;
        if let Err(e) = settle(state, c, &attempt).await {
            tracing::warn!(error = %e, delivery = %c.id, "recording a webhook attempt");
        }
    });
    futures_util::future::join_all(sends).await;
    Ok(())
}

/// Writes how an attempt went; a webhook failing for [`rules::DISABLE_AFTER`]
/// is disabled, with the reason its owners see.
async fn settle(state: &AppState, c: &Claimed, attempt: &Attempt) -> crate::error::AppResult<()> {
    let mut conn = state.pool.get().await?;
    let failing_since = hooks::finish(&mut conn, c.id, attempt).await?;
    let mut outcome = match (&attempt.error, attempt.retry_in_ms) {
        (None, _) => "delivered",
        (Some(_), Some(_)) => "retrying",
        (Some(_), None) => "failed",
    };
    if let Some(since) = failing_since.filter(|_| attempt.error.is_some()) {
        let failing_for = (chrono::Utc::now() - since).to_std().unwrap_or_default();
        if failing_for >= rules::DISABLE_AFTER {
            let reason = format!(
                "every delivery since {} failed; the last: {}",
                since.format("%Y-%m-%d %H:%M UTC"),
                attempt.error.as_deref().unwrap_or("")
            );
            hooks::disable(&mut conn, c.webhook_id, &reason).await?;
            // Disabling fails its pending deliveries, this one included.
            outcome = "failed";
        }
    }
    state
        .metrics
        .webhook_deliveries
        .with_label_values(&[outcome])
        .inc();
    Ok(())
}

/// One attempt at a delivery, never longer than [`ATTEMPT_TIMEOUT`] once connected.
async fn send(cfg: &WebhookConfig, c: &Claimed) -> Attempt {
    let started = Instant::now();
    let result = post(cfg, c).await;
    let duration_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let (response_code, error) = match result {
        Ok(code) if (200..300).contains(&code) => (Some(code), None),
        Ok(code) => (
            Some(code),
            Some(format!("the receiver answered HTTP {code}")),
        ),
        Err(e) => (None, Some(e)),
    };
    let retry_in_ms = error
        .as_ref()
        .and_then(|_| rules::retry_delay(c.attempts, cfg.backoff_base))
        .map(|d| d.as_millis() as i64);
    Attempt {
        response_code,
        duration_ms,
        error,
        retry_in_ms,
    }
}

/// POSTs the signed body; the status code, or why there is none. With the
/// guard on, the host is resolved and checked again now (its addresses may
/// have changed since creation) and the connection pinned to the address
/// checked, so a second lookup cannot swap in a private one.
async fn post(cfg: &WebhookConfig, c: &Claimed) -> Result<i32, String> {
    let target = Target::parse(&c.url).map_err(|e| e.to_string())?;
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ATTEMPT_TIMEOUT)
        .user_agent(USER_AGENT);
    if !cfg.allow_private_targets {
        let addrs = public_addresses(&target).await?;
        if target.ip.is_none() {
            client = client.resolve_to_addrs(&target.host, &addrs);
        }
    }
    let client = client.build().map_err(|e| e.to_string())?;
    let res = client
        .post(target.url)
        .header("Content-Type", "application/json")
        .header("X-Sema-Event", &c.event)
        .header("X-Sema-Delivery", c.id.to_string())
        .header(
            "X-Sema-Signature-256",
            rules::signature(&c.secret, c.payload.as_bytes()),
        )
        .body(c.payload.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(i32::from(res.status().as_u16()))
}

/// A transport error in a few words (the owners see it).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        format!("the request failed: {e}")
    }
}
