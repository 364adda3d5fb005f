//! Webhooks and their outbox of deliveries (migration 2026-12-20-000002).
//! Deliveries are inserted in the transaction of the change that caused them
//! and claimed by every instance's worker with `FOR UPDATE SKIP LOCKED`.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use crate::error::AppResult;

/// A webhook as its owners see it: never its secret.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct Webhook {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Array<Text>)]
    pub events: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub failing_since: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub disabled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub disabled_reason: Option<String>,
}

const WEBHOOK_COLUMNS: &str =
    "id, url, events, created_at, failing_since, disabled_at, disabled_reason";

/// One delivery, as the deliveries list shows it.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct Delivery {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub webhook_id: i64,
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// When a pending delivery is next tried.
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub response_code: Option<i32>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub duration_ms: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event, payload, status, attempts, created_at, \
     next_attempt_at, last_attempt_at, response_code, duration_ms, error";

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub webhook_id: i64,
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// Counting this one.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
}

/// How many webhooks a package has.
pub async fn count(conn: &mut AsyncPgConnection, package_id: i64) -> AppResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM webhooks WHERE package_id = $1")
        .bind::<BigInt, _>(package_id)
        .get_result(conn)
        .await?;
    Ok(n.n)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    url: &str,
    events: &[String],
    secret: &str,
) -> AppResult<Webhook> {
    Ok(diesel::sql_query(format!(
        "INSERT INTO webhooks (package_id, url, events, secret) VALUES ($1, $2, $3, $4)
         RETURNING {WEBHOOK_COLUMNS}"
    ))
    .bind::<BigInt, _>(package_id)
    .bind::<Text, _>(url)
    .bind::<Array<Text>, _>(events)
    .bind::<Text, _>(secret)
    .get_result(conn)
    .await?)
}

/// A package's webhooks, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, package_id: i64) -> AppResult<Vec<Webhook>> {
    Ok(diesel::sql_query(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE package_id = $1 ORDER BY id"
    ))
    .bind::<BigInt, _>(package_id)
    .load(conn)
    .await?)
}

/// The package's webhook `id`, if it is one of its.
pub async fn find(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    id: i64,
) -> AppResult<Option<Webhook>> {
    Ok(diesel::sql_query(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE package_id = $1 AND id = $2"
    ))
    .bind::<BigInt, _>(package_id)
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .await
    .optional()?)
}

/// Removes a webhook and its deliveries; whether it was there.
pub async fn delete(conn: &mut AsyncPgConnection, package_id: i64, id: i64) -> AppResult<bool> {
    let n = diesel::sql_query("DELETE FROM webhooks WHERE package_id = $1 AND id = $2")
        .bind::<BigInt, _>(package_id)
        .bind::<BigInt, _>(id)
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// The active webhooks of a package subscribed to `event`.
pub async fn subscribed(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    event: &str,
) -> AppResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT id FROM webhooks
         WHERE package_id = $1 AND disabled_at IS NULL AND $2 = ANY(events) ORDER BY id",
    )
    .bind::<BigInt, _>(package_id)
    .bind::<Text, _>(event)
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// Adds a delivery to the outbox, due now.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    webhook_id: i64,
    event: &str,
    payload: &str,
) -> AppResult<()> {
    diesel::sql_query(
        "INSERT INTO webhook_deliveries (id, webhook_id, event, payload) VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<BigInt, _>(webhook_id)
    .bind::<Text, _>(event)
    .bind::<Text, _>(payload)
    .execute(conn)
    .await?;
    Ok(())
}

/// A webhook's latest deliveries, newest first.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    webhook_id: i64,
    limit: i64,
) -> AppResult<Vec<Delivery>> {
    Ok(diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1
         ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind::<BigInt, _>(webhook_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

pub async fn find_delivery(
    conn: &mut AsyncPgConnection,
    webhook_id: i64,
    id: Uuid,
) -> AppResult<Option<Delivery>> {
    Ok(diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND id = $2"
    ))
    .bind::<BigInt, _>(webhook_id)
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await
    .optional()?)
}

/// Claims up to `limit` due deliveries for this instance: each is counted as
/// an attempt and its next attempt moved `lease_ms` ahead, so no other
/// instance takes it while it is sent, and it comes back if this one dies.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_ms: i64,
) -> AppResult<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "WITH due AS (
            SELECT id FROM webhook_deliveries
            WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
         ), claimed AS (
            UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1,
                next_attempt_at = now() + make_interval(secs => $2 / 1000.0)
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.webhook_id, d.event, d.payload, d.attempts
         )
         SELECT c.id, c.webhook_id, c.event, c.payload, c.attempts, w.url, w.secret
         FROM claimed c JOIN webhooks w ON w.id = c.webhook_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_ms)
    .load(conn)
    .await?)
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub response_code: Option<i32>,
    pub duration_ms: i32,
    /// `None` when delivered; otherwise what went wrong.
    pub error: Option<String>,
    /// After a failure: when to try again, or `None` when the delivery has failed.
    pub retry_in_ms: Option<i64>,
}

/// Writes an attempt's outcome on the delivery and its webhook: a success
/// clears the webhook's failing state (and re-enables it); a failure starts
/// it. Answers when every attempt since has failed.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    a: &Attempt,
) -> AppResult<Option<DateTime<Utc>>> {
    let status = match (&a.error, a.retry_in_ms) {
        (None, _) => "delivered",
        (Some(_), Some(_)) => "pending",
        (Some(_), None) => "failed",
    };
    #[derive(QueryableByName)]
    struct Failing {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        failing_since: Option<DateTime<Utc>>,
    }
    let f: Failing = diesel::sql_query(
        "WITH d AS (
            UPDATE webhook_deliveries SET status = $2, response_code = $3, duration_ms = $4,
                error = $5, last_attempt_at = now(),
                next_attempt_at = now() + make_interval(secs => COALESCE($6, 0) / 1000.0)
            WHERE id = $1 RETURNING webhook_id
         )
         UPDATE webhooks w SET
            failing_since = CASE WHEN $5 IS NULL THEN NULL ELSE COALESCE(w.failing_since, now()) END,
            disabled_at = CASE WHEN $5 IS NULL THEN NULL ELSE w.disabled_at END,
            disabled_reason = CASE WHEN $5 IS NULL THEN NULL ELSE w.disabled_reason END
         FROM d WHERE w.id = d.webhook_id RETURNING w.failing_since",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status)
    .bind::<Nullable<Int4>, _>(a.response_code)
    .bind::<Int4, _>(a.duration_ms)
    .bind::<Nullable<Text>, _>(a.error.as_deref())
    .bind::<Nullable<BigInt>, _>(a.retry_in_ms)
    .get_result(conn)
    .await
    .optional()?
    .unwrap_or(Failing {
        failing_since: None,
    });
    Ok(f.failing_since)
}

/// Disables a webhook (if still active), saying why; its pending deliveries
/// are marked failed.
pub async fn disable(conn: &mut AsyncPgConnection, id: i64, reason: &str) -> AppResult<()> {
    diesel::sql_query(
        "WITH w AS (
            UPDATE webhooks SET disabled_at = now(), disabled_reason = $2
            WHERE id = $1 AND disabled_at IS NULL RETURNING id
         )
         UPDATE webhook_deliveries d SET status = 'failed', error = 'the webhook was disabled'
         FROM w WHERE d.webhook_id = w.id AND d.status = 'pending'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Webhooks by state (`active`, `disabled`), for `/metrics`.
pub async fn count_by_state(conn: &mut AsyncPgConnection) -> AppResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        active: i64,
        #[diesel(sql_type = BigInt)]
        disabled: i64,
    }
    let c: Counts = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE disabled_at IS NULL) AS active,
                count(*) FILTER (WHERE disabled_at IS NOT NULL) AS disabled FROM webhooks",
    )
    .get_result(conn)
    .await?;
    Ok((c.active, c.disabled))
}
