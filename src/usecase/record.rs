//! The one place a change is recorded.

use diesel_async::AsyncPgConnection;

use crate::audit::{self, Entry, Origin};
use crate::domain::webhook;
use crate::error::AppResult;
use crate::registry::webhooks;

/// Records that a change happened, in the transaction `tx` that made it, so
/// the change and its record stand or fall together. Every use case calls
/// this and nothing else writes the audit log; events that must follow a
/// change (webhooks, notifications) are added here, in the same transaction.
pub async fn record(tx: &mut AsyncPgConnection, origin: &Origin, event: Entry) -> AppResult<()> {
    let notify = match (webhook::event_for_action(event.action), event.package_id) {
        (Some(name), Some(package_id)) => Some((name, package_id, event.clone())),
        _ => None,
    };
    audit::insert(tx, origin, event).await?;
    if let Some((name, package_id, entry)) = notify {
        // The outbox: one delivery per subscribed webhook, committed with the change.
        for webhook_id in webhooks::subscribed(tx, package_id, name).await? {
            let id = uuid::Uuid::new_v4();
            let body = payload(id, name, &entry, chrono::Utc::now());
            webhooks::enqueue(tx, id, webhook_id, name, &body).await?;
        }
    }
    Ok(())
}

/// The body of a delivery: what happened, to which package, by whom, when.
/// `owner` names the owner added or removed (null for other events).
pub(crate) fn payload(
    id: uuid::Uuid,
    event: &str,
    entry: &Entry,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let owner = event
        .starts_with("owner-")
        .then_some(entry.subject.as_deref());
    serde_json::json!({
        "id": id,
        "event": event,
        "package": entry.package,
        "version": entry.version,
        "actor": entry.actor,
        "owner": owner.flatten(),
        "at": at,
    })
    .to_string()
}
