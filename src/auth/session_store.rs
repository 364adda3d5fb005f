//! actix-session state in Postgres, so every instance sees every session.
//! The key in the cookie is never stored: rows are keyed by its SHA-256.

use std::collections::HashMap;

use actix_session::storage::{
    generate_session_key, LoadError, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_web::cookie::time::Duration;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use crate::db::{schema::sessions, Pool};

#[derive(Clone)]
pub struct PgSessionStore {
    pool: Pool,
}

impl PgSessionStore {
    pub fn new(pool: Pool) -> Self {
        PgSessionStore { pool }
    }
}

fn key_hash(key: &SessionKey) -> Vec<u8> {
    Sha256::digest(key.as_ref().as_bytes()).to_vec()
}

fn expiry(ttl: &Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

type State = HashMap<String, String>;

impl SessionStore for PgSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        let row: Option<serde_json::Value> = sessions::table
            .filter(sessions::key_hash.eq(key_hash(key)))
            .filter(sessions::expires_at.gt(Utc::now()))
            .select(sessions::state)
            .first(&mut conn)
            .await
            .optional()
            .map_err(|e| LoadError::Other(e.into()))?;
        row.map(serde_json::from_value)
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let value = serde_json::to_value(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::key_hash.eq(key_hash(&key)),
                sessions::state.eq(value),
                sessions::expires_at.eq(expiry(ttl)),
            ))
            .execute(&mut conn)
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let value =
            serde_json::to_value(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        let n = diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash(&key))))
            .set((
                sessions::state.eq(&value),
                sessions::expires_at.eq(expiry(ttl)),
            ))
            .execute(&mut conn)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if n == 1 {
            return Ok(key);
        }
        // The row expired and was swept: store the state under a new key.
        drop(conn);
        self.save(state, ttl).await.map_err(|e| match e {
            SaveError::Serialization(e) => UpdateError::Serialization(e),
            SaveError::Other(e) => UpdateError::Other(e),
        })
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let mut conn = self.pool.get().await?;
        diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash(key))))
            .set(sessions::expires_at.eq(expiry(ttl)))
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let mut conn = self.pool.get().await?;
        diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash(key))))
            .execute(&mut conn)
            .await?;
        Ok(())
    }
}

/// Removes expired rows; run periodically by the server.
pub async fn sweep(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get().await?;
    Ok(
        diesel::delete(sessions::table.filter(sessions::expires_at.lt(Utc::now())))
            .execute(&mut conn)
            .await?,
    )
}
