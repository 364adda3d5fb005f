//! `sema-pkg stats` and `sema-pkg doctor`: read-only reports on a deployment.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use crate::db::schema::versions;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut diesel_async::AsyncPgConnection, sql: &str) -> AppResult<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn).await?.n)
}

pub async fn stats(state: &AppState) -> AppResult<String> {
    let mut conn = state.pool.get().await?;
    let mut out = String::new();
    for (label, sql) in [
        ("users", "SELECT count(*) AS n FROM users"),
        ("banned users", "SELECT count(*) AS n FROM users WHERE banned_at IS NOT NULL"),
        ("packages", "SELECT count(*) AS n FROM packages WHERE removed_at IS NULL"),
        ("removed packages", "SELECT count(*) AS n FROM packages WHERE removed_at IS NOT NULL"),
        ("versions", "SELECT count(*) AS n FROM versions"),
        ("yanked versions", "SELECT count(*) AS n FROM versions WHERE yanked"),
        ("downloads", "SELECT COALESCE(sum(downloads), 0)::bigint AS n FROM version_downloads"),
        ("downloads (30 days)", "SELECT COALESCE(sum(downloads), 0)::bigint AS n FROM version_downloads WHERE date > current_date - 30"),
        ("active tokens", "SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"),
        ("live sessions", "SELECT count(*) AS n FROM sessions WHERE expires_at > now()"),
        ("blob bytes", "SELECT COALESCE(sum(size_bytes), 0)::bigint AS n FROM versions"),
    ] {
        out.push_str(&format!("{label:<22} {}\n", count(&mut conn, sql).await?));
    }
    Ok(out)
}

/// Checks a deployment: database, migrations, blob store, configuration, orphans.
/// Returns the report and whether everything is healthy.
pub async fn doctor(state: &AppState) -> (String, bool) {
    use diesel_migrations::MigrationHarness;
    let mut out = String::new();
    let mut ok = true;
    let mut line = |good: bool, what: String| {
        ok &= good;
        out.push_str(&format!(
            "[{}] {what}\n",
            if good { " ok " } else { "FAIL" }
        ));
    };
    let db = async {
        let mut conn = state.pool.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        anyhow::Ok(())
    };
    match db.await {
        Ok(()) => line(true, "database reachable".into()),
        Err(e) => line(false, format!("database unreachable: {e}")),
    }
    let url = state.config.database_url.clone();
    let pending = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut c = crate::db::blocking_connection(&url)?;
        Ok(c.pending_migrations(crate::db::MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len())
    })
    .await;
    match pending {
        Ok(Ok(0)) => line(true, "migrations current".into()),
        Ok(Ok(n)) => line(
            false,
            format!("{n} migrations pending: run `sema-pkg migrate`"),
        ),
        Ok(Err(e)) => line(false, format!("cannot read migrations: {e}")),
        Err(e) => line(false, format!("cannot read migrations: {e}")),
    }
    match state.storage.check().await {
        Ok(()) => line(true, "blob store read/write round trip".into()),
        Err(e) => line(false, format!("blob store: {e}")),
    }
    if state.config.github.is_none() {
        line(true, "GitHub sign-in not configured (optional)".into());
    }
    if !state.config.secure_cookies() {
        line(
            true,
            format!(
                "warning: BASE_URL {} is not https; cookies are not Secure",
                state.config.base_url
            ),
        );
    }
    for (good, what) in team_checks(state).await {
        line(good, what);
    }
    match orphans(state).await {
        Ok(list) if list.is_empty() => line(true, "no orphan blobs".into()),
        Ok(list) => line(
            true,
            format!(
                "{} orphan blobs (harmless; content-addressed): {}",
                list.len(),
                list.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
        ),
        Err(e) => line(false, format!("listing blobs: {e}")),
    }
    (out, ok)
}

/// The read replica and the upstream registry answer (when configured), and private mode's settings.
async fn team_checks(state: &AppState) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    if let Some(r) = &state.replica {
        out.push(r.replica.doctor(&state.pool).await);
    }
    if let Some(m) = &state.mirror {
        out.push(match m.ping().await {
            Ok(took) => (
                true,
                format!("upstream {} reachable ({} ms)", m.url(), took.as_millis()),
            ),
            Err(e) => (false, format!("upstream {} unreachable: {e}", m.url())),
        });
    }
    if state.config.private {
        let registration = if state.config.registration_open {
            "open"
        } else {
            "closed"
        };
        out.push((
            true,
            format!("private registry (REGISTRY_ACCESS=private), registration {registration}"),
        ));
    }
    out
}

/// Blobs no version refers to.
pub async fn orphans(state: &AppState) -> anyhow::Result<Vec<String>> {
    use futures_util::TryStreamExt;
    let mut conn = state.pool.get().await?;
    let known: std::collections::HashSet<String> = versions::table
        .select(versions::checksum)
        .load::<String>(&mut conn)
        .await?
        .into_iter()
        .collect();
    let mut lister = state
        .storage
        .operator()
        .lister_with("sha256/")
        .recursive(true)
        .await?;
    let mut out = Vec::new();
    while let Some(entry) = lister.try_next().await? {
        let path = entry.path();
        if let Some(sum) = path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".tar.gz"))
        {
            if !known.contains(sum) {
                out.push(path.to_string());
            }
        }
    }
    Ok(out)
}
