//! API tokens in Postgres (the rules of their shape are `domain::token`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::models::ApiToken;
use crate::db::schema::api_tokens;
use crate::error::AppResult;

/// A checked token, ready to store.
pub struct NewRow {
    pub name: String,
    pub scopes: Vec<String>,
    pub packages: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    t: &NewRow,
    hash: &[u8],
) -> AppResult<ApiToken> {
    Ok(diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(&t.name),
            api_tokens::token_hash.eq(hash),
            api_tokens::scopes.eq(&t.scopes),
            api_tokens::packages.eq(&t.packages),
            api_tokens::expires_at.eq(t.expires_at),
        ))
        .returning(ApiToken::as_returning())
        .get_result(conn)
        .await?)
}

/// The user's live tokens, newest first.
pub async fn live(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<Vec<ApiToken>> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
        .await?)
}

/// Revokes the user's live token `id`; false when there is none.
pub async fn revoke(conn: &mut AsyncPgConnection, user_id: i64, id: i64) -> AppResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

pub async fn revoke_all(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<usize> {
    Ok(diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await?)
}
