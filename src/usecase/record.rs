//! The one place a change is recorded.

use diesel_async::AsyncPgConnection;

use crate::audit::{self, Entry, Origin};
use crate::error::AppResult;

/// Records that a change happened, in the transaction `tx` that made it, so
/// the change and its record stand or fall together. Every use case calls
/// this and nothing else writes the audit log; events that must follow a
/// change (webhooks, notifications) are added here, in the same transaction.
pub async fn record(tx: &mut AsyncPgConnection, origin: &Origin, event: Entry) -> AppResult<()> {
    audit::insert(tx, origin, event).await
}
