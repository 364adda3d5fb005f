//! A package's webhooks: creating and removing one, a test ping, sending a
//! delivery again; and the owners' reads of them. The deliveries of changes
//! are queued by [`super::record`]; `crate::webhooks` sends them.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::owners::owned_package;
use super::record::payload;
use super::{record, Actor, Origin};
use crate::db::models::Package;
use crate::domain::webhook::{self as rules, Target};
use crate::error::{AppError, AppResult};
use crate::registry::webhooks::{self as hooks, Delivery, Webhook};

/// How many deliveries the list shows.
pub const DELIVERIES_LIMIT: i64 = 50;

/// What an owner asks for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub url: &'a str,
    pub events: &'a [String],
    /// `None`: a random one is made.
    pub secret: Option<&'a str>,
}

/// Checks a target before anything is stored: its URL, and (unless
/// `allow_private`) that every address its host resolves to is public.
async fn check_target(url: &str, allow_private: bool) -> AppResult<Target> {
    let target = Target::parse(url)?;
    if !allow_private {
        crate::webhooks::public_addresses(&target)
            .await
            .map_err(AppError::unprocessable)?;
    }
    Ok(target)
}

/// Creates a webhook on the package `name` for its owner (a token needs
/// `change-owners`); answers it and its secret, which is never shown again.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    request: Request<'_>,
    allow_private: bool,
) -> AppResult<(Webhook, String)> {
    // Owners are checked before the URL is resolved, so strangers cannot
    // use this endpoint to probe names.
    owned_package(conn, actor, name).await?;
    let events = rules::parse_events(request.events)?;
    let secret = match request.secret {
        Some(s) => {
            rules::check_secret(s)?;
            s.to_string()
        }
        None => crate::domain::token::random_token(32),
    };
    let target = check_target(request.url, allow_private).await?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = owned_package(tx, actor, name).await?;
        if hooks::count(tx, pkg.id).await? >= rules::MAX_PER_PACKAGE {
            return Err(AppError::conflict(format!(
                "{} already has {} webhooks, the most a package may have",
                pkg.name,
                rules::MAX_PER_PACKAGE
            )));
        }
        let hook = hooks::insert(tx, pkg.id, target.url.as_str(), &events, &secret).await?;
        let event = actor
            .entry("webhook.create")
            .package(pkg.id, &pkg.name)
            .subject(&hook.url);
        record(tx, origin, event).await?;
        Ok((hook, secret))
    })
    .await
}

/// The package's webhooks, for its owners.
pub async fn list(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    name: &str,
) -> AppResult<(Package, Vec<Webhook>)> {
    let pkg = owned_package(conn, actor, name).await?;
    let hooks = hooks::list(conn, pkg.id).await?;
    Ok((pkg, hooks))
}

async fn owned_webhook(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    name: &str,
    id: i64,
) -> AppResult<(Package, Webhook)> {
    let pkg = owned_package(conn, actor, name).await?;
    let hook = hooks::find(conn, pkg.id, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("{} has no webhook {id}", pkg.name)))?;
    Ok((pkg, hook))
}

/// Removes a webhook and its deliveries.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    id: i64,
) -> AppResult<()> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let (pkg, hook) = owned_webhook(tx, actor, name, id).await?;
        hooks::delete(tx, pkg.id, hook.id).await?;
        let event = actor
            .entry("webhook.delete")
            .package(pkg.id, &pkg.name)
            .subject(&hook.url);
        record(tx, origin, event).await
    })
    .await
}

/// Queues a `ping` to the webhook (even a disabled one: its success enables
/// it again); answers the delivery's id.
pub async fn ping(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    id: i64,
) -> AppResult<Uuid> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let (pkg, hook) = owned_webhook(tx, actor, name, id).await?;
        let event = actor
            .entry("webhook.test")
            .package(pkg.id, &pkg.name)
            .subject(&hook.url);
        let delivery = Uuid::new_v4();
        let body = payload(delivery, rules::PING, &event, chrono::Utc::now());
        hooks::enqueue(tx, delivery, hook.id, rules::PING, &body).await?;
        record(tx, origin, event).await?;
        Ok(delivery)
    })
    .await
}

/// The webhook's latest deliveries, newest first.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    name: &str,
    id: i64,
) -> AppResult<(Webhook, Vec<Delivery>)> {
    let (_, hook) = owned_webhook(conn, actor, name, id).await?;
    let list = hooks::deliveries(conn, hook.id, DELIVERIES_LIMIT).await?;
    Ok((hook, list))
}

/// Sends a delivery again, as a new delivery (its own id, in the body too)
/// of the same event and content; answers the new delivery's id.
pub async fn redeliver(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    id: i64,
    delivery: Uuid,
) -> AppResult<Uuid> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let (pkg, hook) = owned_webhook(tx, actor, name, id).await?;
        let old = hooks::find_delivery(tx, hook.id, delivery)
            .await?
            .ok_or_else(|| {
                AppError::not_found(format!("webhook {id} has no delivery {delivery}"))
            })?;
        let mut body: serde_json::Value =
            serde_json::from_str(&old.payload).map_err(AppError::internal)?;
        let new = Uuid::new_v4();
        body["id"] = serde_json::json!(new);
        hooks::enqueue(tx, new, hook.id, &old.event, &body.to_string()).await?;
        let event = actor
            .entry("webhook.redeliver")
            .package(pkg.id, &pkg.name)
            .subject(&delivery.to_string());
        record(tx, origin, event).await?;
        Ok(new)
    })
    .await
}
