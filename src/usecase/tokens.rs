//! API tokens: create (the secret is shown once) and revoke. People manage
//! their tokens with a session; the operator may issue and revoke any user's.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::audit::Entry;
use crate::db::models::{ApiToken, User};
use crate::domain::token;
use crate::error::{AppError, AppResult};
use crate::registry::{tokens, users};

/// At most this many package patterns per token.
const MAX_PATTERNS: usize = 20;

/// What a new token should be: checked by [`create`].
#[derive(Debug, Default, Clone)]
pub struct TokenRequest {
    /// 1-64 characters.
    pub name: String,
    /// Scopes; all when absent.
    pub scopes: Option<Vec<String>>,
    /// Package patterns; all packages when absent.
    pub packages: Option<Vec<String>>,
    /// 1-3650 days; never expires when absent.
    pub expires_in_days: Option<i64>,
}

/// A stored token and its secret, which is never shown again.
pub struct Created {
    pub token: ApiToken,
    pub secret: String,
}

/// The checked, canonical parts of a request.
fn checked(req: TokenRequest) -> AppResult<tokens::NewRow> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::bad_request("token name must be 1-64 characters"));
    }
    let scopes = token::validate_scopes(req.scopes)?;
    let packages = req
        .packages
        .unwrap_or_default()
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| token::validate_pattern(p))
        .collect::<Result<Vec<_>, _>>()?;
    if packages.len() > MAX_PATTERNS {
        return Err(AppError::bad_request(format!(
            "at most {MAX_PATTERNS} package patterns per token"
        )));
    }
    let expires_at = match req.expires_in_days {
        None => None,
        Some(d) if (1..=3650).contains(&d) => Some(Utc::now() + chrono::Duration::days(d)),
        Some(_) => {
            return Err(AppError::bad_request(
                "expires_in_days must be between 1 and 3650",
            ))
        }
    };
    Ok(tokens::NewRow {
        name,
        scopes,
        packages,
        expires_at,
    })
}

/// A new token for `owner`: the actor themselves (with a session, not a
/// token), or anyone when the operator issues it from the command line.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    owner: &User,
    req: TokenRequest,
) -> AppResult<Created> {
    actor.require_session()?;
    let by_operator = match actor {
        Actor::User { user, .. } if user.id == owner.id => false,
        Actor::User { .. } => return Err(AppError::forbidden("a token is its owner's to create")),
        Actor::Admin(_) | Actor::Cli => {
            actor.require_admin()?;
            true
        }
    };
    let row = checked(req)?;
    let secret = token::generate();
    conn.transaction::<_, AppError, _>(async |tx| {
        let t = tokens::insert(tx, owner.id, &row, &token::hash(&secret)).await?;
        let event = Entry {
            token_id: Some(t.id),
            ..Entry::new("token.create").by_user(Some(owner.id), &owner.username)
        };
        record(tx, origin, event.subject(&t.name)).await?;
        if by_operator {
            record(
                tx,
                origin,
                actor.entry("admin.token_create").subject(&owner.username),
            )
            .await?;
        }
        Ok(Created { token: t, secret })
    })
    .await
}

/// Revokes one of the actor's own live tokens; anyone else's is "not found".
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    id: i64,
) -> AppResult<()> {
    actor.require_session()?;
    let user = actor.user()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        if !tokens::revoke(tx, user.id, id).await? {
            return Err(AppError::not_found("token not found"));
        }
        let event = Entry {
            token_id: Some(id),
            ..Entry::new("token.revoke").by_user(Some(user.id), &user.username)
        };
        record(tx, origin, event).await
    })
    .await
}

/// `sema-pkg admin revoke-tokens`: every live token of a user; returns how many.
pub async fn revoke_all(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
) -> AppResult<(User, usize)> {
    actor.require_admin()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let u = users::find(tx, username).await?;
        let n = tokens::revoke_all(tx, u.id).await?;
        record(
            tx,
            origin,
            actor.entry("admin.revoke_tokens").subject(&u.username),
        )
        .await?;
        Ok((u, n))
    })
    .await
}
