//! Postgres: the pool, database creation and the embedded migrations.

pub mod models;
pub mod reads;
pub mod replica;
pub mod schema;
pub mod tls;

use anyhow::Context;
use diesel_async::{
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{deadpool::Pool as DeadPool, AsyncDieselConnectionManager},
    AsyncPgConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type Pool = DeadPool<AsyncPgConnection>;
pub type Conn = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long opening or checking a pooled connection may take. Without a bound,
/// a Postgres that stops answering (network cut, failover) makes every request
/// hang; with it, callers get a 503 within about a second and the pool heals
/// by itself once Postgres is back.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

pub fn pool(database_url: &str, max: usize) -> anyhow::Result<Pool> {
    use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
    use futures_util::FutureExt;
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| {
        let url = url.to_string();
        async move {
            match tokio::time::timeout(CONNECT_TIMEOUT, tls::connect(&url)).await {
                Ok(conn) => conn,
                Err(_) => Err(diesel::ConnectionError::BadConnection(
                    "timed out connecting to Postgres".into(),
                )),
            }
        }
        .boxed()
    });
    config.recycling_method = RecyclingMethod::CustomFunction(Box::new(|conn| {
        async move {
            use diesel_async::RunQueryDsl;
            match tokio::time::timeout(CONNECT_TIMEOUT, diesel::sql_query("SELECT 1").execute(conn))
                .await
            {
                Ok(r) => r.map(|_| ()),
                Err(_) => Err(diesel::result::Error::BrokenTransactionManager),
            }
        }
        .boxed()
    }));
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    DeadPool::builder(manager)
        .max_size(max)
        .build()
        .context("building the database pool")
}

/// Creates the database named in `database_url` if it does not exist yet, by
/// connecting to the server's `postgres` database.
pub async fn create_database_if_missing(database_url: &str) -> anyhow::Result<()> {
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_string();
    anyhow::ensure!(!name.is_empty(), "DATABASE_URL names no database");
    url.set_path("/postgres");
    let client = tls::client(url.as_str())
        .await
        .with_context(|| format!("connecting to Postgres at {}", redact(&url)))?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match client.batch_execute(&sql).await {
            Ok(()) => tracing::info!(database = %name, "created database"),
            // Another instance may have created it a moment ago (a race shows as
            // a unique violation on pg_database rather than duplicate_database).
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE)
                    || e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(e).context("creating the database"),
        }
    }
    Ok(())
}

/// A synchronous connection for diesel's migration harness; call it on a
/// blocking thread of a tokio runtime (the connection is driven there).
pub fn blocking_connection(
    url: &str,
) -> diesel::ConnectionResult<AsyncConnectionWrapper<AsyncPgConnection>> {
    let conn = tokio::runtime::Handle::current().block_on(tls::connect(url))?;
    Ok(AsyncConnectionWrapper::from(conn))
}

/// Runs pending migrations. The harness is synchronous, so it runs on a blocking thread.
pub async fn migrate(database_url: &str) -> anyhow::Result<Vec<String>> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn =
            blocking_connection(&url).context("connecting to Postgres for migrations")?;
        // Instances starting together take turns; the lock ends with the connection.
        diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_lock(7297110)"),
            &mut conn,
        )?;
        let done = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
        Ok(done.iter().map(|v| v.to_string()).collect())
    })
    .await?
}

fn redact(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_password(None);
    u.to_string()
}

/// True when a diesel error is a unique-constraint violation.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
