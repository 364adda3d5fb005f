//! `sema-pkg admin …`, `sema-pkg package …`, `sema-pkg stats` and `sema-pkg doctor`:
//! operator commands that work against any deployment's database. Every
//! change is written to the audit log as an admin action.
//!
//! The actions the web admin view also offers (promote/demote, ban/unban,
//! yank/unyank, remove) are functions taking an [`Actor`], so both write the
//! very same audit entries; only the actor and origin differ.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Entry, Origin};
use crate::auth::accounts;
use crate::db::models::{Package, User};
use crate::db::schema::{api_tokens, package_owners, packages, sessions, users, versions};
use crate::error::{AppError, AppResult};
use crate::registry::packages as pkgs;
use crate::state::AppState;

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a user (password from --password or the SEMA_PKG_PASSWORD variable).
    CreateUser {
        username: String,
        email: String,
        #[arg(long, env = "SEMA_PKG_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        admin: bool,
    },
    /// Make a user an administrator.
    Promote {
        username: String,
    },
    /// Take administrator rights away.
    Demote {
        username: String,
    },
    /// Suspend a user: their sessions end and their tokens stop working at once.
    Ban {
        username: String,
    },
    Unban {
        username: String,
    },
    /// Set a new password and end the user's sessions.
    ResetPassword {
        username: String,
        #[arg(long, env = "SEMA_PKG_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Create an API token for a user and print it (shown once).
    TokenCreate {
        username: String,
        #[arg(long, default_value = "admin-issued")]
        name: String,
        /// Comma-separated scopes (default: all).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Revoke every token a user has.
    RevokeTokens {
        username: String,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum PackageCommand {
    Yank {
        name: String,
        version: String,
    },
    Unyank {
        name: String,
        version: String,
    },
    /// Remove a package and its versions, leaving a tombstone so nobody can take the name.
    Remove {
        name: String,
    },
}

/// Who takes an admin action: the command line, or an administrator on the web.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Cli,
    User(&'a User),
}

impl Actor<'_> {
    fn entry(self, action: &'static str) -> Entry {
        match self {
            Actor::Cli => Entry::new(action).by_user(None, "admin-cli"),
            Actor::User(u) => Entry::new(action).by_user(Some(u.id), &u.username),
        }
    }
}

fn admin(action: &'static str) -> Entry {
    Actor::Cli.entry(action)
}

async fn user(state: &AppState, username: &str) -> AppResult<User> {
    let mut conn = state.pool.get().await?;
    pkgs::find_user(&mut conn, username).await
}

/// Grants (`promote`) or removes (`demote`) administrator rights.
pub async fn set_admin(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
    value: bool,
) -> AppResult<User> {
    let u = pkgs::find_user(conn, username).await?;
    let u: User = diesel::update(users::table.find(u.id))
        .set(users::is_admin.eq(value))
        .returning(User::as_returning())
        .get_result(conn)
        .await?;
    let action = if value {
        "admin.promote"
    } else {
        "admin.demote"
    };
    audit::record(conn, origin, actor.entry(action).subject(&u.username)).await?;
    Ok(u)
}

/// Suspends a user: their sessions end now and their tokens are refused
/// while the ban lasts. Returns the user and how many sessions ended.
pub async fn ban(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
) -> AppResult<(User, usize)> {
    let u = pkgs::find_user(conn, username).await?;
    let u: User = diesel::update(users::table.find(u.id))
        .set(users::banned_at.eq(chrono::Utc::now()))
        .returning(User::as_returning())
        .get_result(conn)
        .await?;
    let ended = end_sessions(conn, u.id).await?;
    audit::record(conn, origin, actor.entry("admin.ban").subject(&u.username)).await?;
    Ok((u, ended))
}

pub async fn unban(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
) -> AppResult<User> {
    let u = pkgs::find_user(conn, username).await?;
    let u: User = diesel::update(users::table.find(u.id))
        .set(users::banned_at.eq(None::<chrono::DateTime<chrono::Utc>>))
        .returning(User::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        origin,
        actor.entry("admin.unban").subject(&u.username),
    )
    .await?;
    Ok(u)
}

/// Yanks or unyanks any package's version, as an administrator.
pub async fn set_yanked(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    version: &str,
    yanked: bool,
) -> AppResult<Package> {
    let pkg = pkgs::find(conn, name).await?;
    pkgs::set_yanked(conn, &pkg, version, yanked).await?;
    let action = if yanked { "admin.yank" } else { "admin.unyank" };
    let entry = actor
        .entry(action)
        .package(pkg.id, &pkg.name)
        .version(version);
    audit::record(conn, origin, entry).await?;
    Ok(pkg)
}

/// Deletes a package's versions and owners and marks it removed: the row
/// stays as a tombstone so nobody else can take the name.
pub async fn remove_package(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
) -> AppResult<Package> {
    let pkg = pkgs::find(conn, name).await?;
    let id = pkg.id;
    conn.transaction::<_, AppError, _>(async move |conn| {
        diesel::delete(versions::table.filter(versions::package_id.eq(id)))
            .execute(conn)
            .await?;
        diesel::delete(package_owners::table.filter(package_owners::package_id.eq(id)))
            .execute(conn)
            .await?;
        diesel::update(packages::table.find(id))
            .set(packages::removed_at.eq(chrono::Utc::now()))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await?;
    let entry = actor.entry("admin.remove").package(pkg.id, &pkg.name);
    audit::record(conn, origin, entry).await?;
    Ok(pkg)
}

/// Ends every session of a user (session state stores the user id as JSON text).
async fn end_sessions(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<usize> {
    Ok(diesel::delete(sessions::table)
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("state->>'user_id' = ")
                .bind::<Text, _>(user_id.to_string()),
        )
        .execute(conn)
        .await?)
}

pub async fn run_admin(state: &AppState, cmd: AdminCommand) -> AppResult<String> {
    let origin = Origin::cli();
    let mut conn = state.pool.get().await?;
    let out = match cmd {
        AdminCommand::CreateUser {
            username,
            email,
            password,
            admin: make_admin,
        } => {
            accounts::validate_username(&username)?;
            accounts::validate_email(&email)?;
            accounts::validate_password(&password)?;
            let hash = accounts::hash_password(&password).await?;
            let u: User = diesel::insert_into(users::table)
                .values((
                    users::username.eq(&username),
                    users::email.eq(&email),
                    users::password_hash.eq(&hash),
                    users::is_admin.eq(make_admin),
                ))
                .returning(User::as_returning())
                .get_result(&mut conn)
                .await
                .map_err(|e| {
                    if crate::db::is_unique_violation(&e) {
                        AppError::conflict("username or email taken")
                    } else {
                        e.into()
                    }
                })?;
            audit::record(
                &mut conn,
                &origin,
                admin("admin.create_user").subject(&u.username),
            )
            .await?;
            format!("created user {} (id {})", u.username, u.id)
        }
        AdminCommand::Promote { username } => {
            let u = set_admin(&mut conn, Actor::Cli, &origin, &username, true).await?;
            format!("{} is now an administrator", u.username)
        }
        AdminCommand::Demote { username } => {
            let u = set_admin(&mut conn, Actor::Cli, &origin, &username, false).await?;
            format!("{} is no longer an administrator", u.username)
        }
        AdminCommand::Ban { username } => {
            let (u, ended) = ban(&mut conn, Actor::Cli, &origin, &username).await?;
            format!(
                "banned {} ({ended} sessions ended; tokens refused while banned)",
                u.username
            )
        }
        AdminCommand::Unban { username } => {
            let u = unban(&mut conn, Actor::Cli, &origin, &username).await?;
            format!("unbanned {}", u.username)
        }
        AdminCommand::ResetPassword { username, password } => {
            accounts::validate_password(&password)?;
            let u = user(state, &username).await?;
            let hash = accounts::hash_password(&password).await?;
            diesel::update(users::table.find(u.id))
                .set(users::password_hash.eq(hash))
                .execute(&mut conn)
                .await?;
            end_sessions(&mut conn, u.id).await?;
            audit::record(
                &mut conn,
                &origin,
                admin("admin.reset_password").subject(&u.username),
            )
            .await?;
            format!("password reset for {}; their sessions ended", u.username)
        }
        AdminCommand::TokenCreate {
            username,
            name,
            scopes,
            expires_in_days,
        } => {
            let u = user(state, &username).await?;
            let req = crate::api::tokens::NewToken {
                name,
                scopes: (!scopes.is_empty()).then_some(scopes),
                packages: None,
                expires_in_days,
            };
            let t = crate::api::tokens::create_token(&mut conn, &u, &origin, req).await?;
            audit::record(
                &mut conn,
                &origin,
                admin("admin.token_create").subject(&u.username),
            )
            .await?;
            t.token.unwrap_or_default()
        }
        AdminCommand::RevokeTokens { username } => {
            let u = user(state, &username).await?;
            let n = diesel::update(
                api_tokens::table
                    .filter(api_tokens::user_id.eq(u.id))
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(chrono::Utc::now()))
            .execute(&mut conn)
            .await?;
            audit::record(
                &mut conn,
                &origin,
                admin("admin.revoke_tokens").subject(&u.username),
            )
            .await?;
            format!("revoked {n} tokens of {}", u.username)
        }
    };
    Ok(out)
}

pub async fn run_package(state: &AppState, cmd: PackageCommand) -> AppResult<String> {
    let origin = Origin::cli();
    let mut conn = state.pool.get().await?;
    match cmd {
        PackageCommand::Yank { name, version } => {
            let pkg = set_yanked(&mut conn, Actor::Cli, &origin, &name, &version, true).await?;
            Ok(format!("yanked {}@{version}", pkg.name))
        }
        PackageCommand::Unyank { name, version } => {
            let pkg = set_yanked(&mut conn, Actor::Cli, &origin, &name, &version, false).await?;
            Ok(format!("unyanked {}@{version}", pkg.name))
        }
        PackageCommand::Remove { name } => {
            let pkg = remove_package(&mut conn, Actor::Cli, &origin, &name).await?;
            Ok(format!("removed {}; the name stays reserved (its blobs are now orphans: see `sema-pkg doctor`)", pkg.name))
        }
    }
}

/// One page of a listing, with the total for paging.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// `%text%` for LIKE, with the pattern characters in `text` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Users whose name or email contains `q` (case-insensitive), by name.
pub async fn list_users(
    conn: &mut AsyncPgConnection,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Listing<User>> {
    let pattern = contains_pattern(q.trim());
    let matching = || {
        users::table
            .filter(
                users::username
                    .ilike(pattern.clone())
                    .or(users::email.ilike(pattern.clone())),
            )
            .into_boxed()
    };
    let total = matching().count().get_result(conn).await?;
    let rows = matching()
        .order(users::username.asc())
        .limit(limit)
        .offset(offset)
        .select(User::as_select())
        .load(conn)
        .await?;
    Ok(Listing { rows, total })
}

/// A package as the admin view lists it, removed ones included.
#[derive(Debug, Clone, QueryableByName)]
pub struct PackageRow {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub versions: i64,
    #[diesel(sql_type = Text)]
    pub owners: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub removed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Packages whose canonical name contains `q` (any spelling), by name.
pub async fn list_packages(
    conn: &mut AsyncPgConnection,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Listing<PackageRow>> {
    let pattern = contains_pattern(&crate::registry::names::canonical(q.trim()));
    let total = packages::table
        .filter(packages::canonical_name.like(pattern.clone()))
        .count()
        .get_result(conn)
        .await?;
    let rows = diesel::sql_query(
        "SELECT p.name, p.created_at, p.removed_at,
                (SELECT count(*) FROM versions v WHERE v.package_id = p.id) AS versions,
                COALESCE((SELECT string_agg(u.username, ', ' ORDER BY o.created_at)
                          FROM package_owners o JOIN users u ON u.id = o.user_id
                          WHERE o.package_id = p.id), '') AS owners
         FROM packages p
         WHERE p.canonical_name LIKE $1
         ORDER BY p.canonical_name
         LIMIT $2 OFFSET $3",
    )
    .bind::<Text, _>(pattern)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(conn)
    .await?;
    Ok(Listing { rows, total })
}

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

#[derive(clap::Subcommand, Debug)]
pub enum BlobsCommand {
    /// Copy every published tarball from one store to the other, verifying each by sha256.
    Migrate {
        #[arg(long, value_parser = ["fs", "s3"])]
        from: String,
        #[arg(long, value_parser = ["fs", "s3"])]
        to: String,
    },
}

/// Copies (streaming) and verifies every blob a version refers to. Idempotent:
/// blobs already present and intact at the destination are skipped.
pub async fn migrate_blobs(
    state: &AppState,
    from: &crate::storage::Storage,
    to: &crate::storage::Storage,
) -> anyhow::Result<String> {
    use futures_util::StreamExt;
    use sha2::{Digest, Sha256};
    let mut conn = state.pool.get().await?;
    let sums: Vec<String> = versions::table
        .select(versions::checksum)
        .distinct()
        .load(&mut conn)
        .await?;
    drop(conn);
    let (mut copied, mut present) = (0usize, 0usize);
    let digest = |s: &crate::storage::Storage, sum: String| {
        let s = s.clone();
        async move {
            let mut h = Sha256::new();
            let mut stream = s.stream(&sum).await?;
            while let Some(chunk) = stream.next().await {
                h.update(&chunk?);
            }
            anyhow::Ok(hex::encode(h.finalize()))
        }
    };
    for sum in sums {
        let path = crate::storage::blob_path(&sum);
        if to.operator().exists(&path).await? && digest(to, sum.clone()).await? == sum {
            present += 1;
            continue;
        }
        let mut writer = to
            .operator()
            .writer_with(&path)
            .chunk(8 * 1024 * 1024)
            .await?;
        let mut stream = from.stream(&sum).await?;
        let mut h = Sha256::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            h.update(&chunk);
            writer.write(chunk).await?;
        }
        writer.close().await?;
        anyhow::ensure!(
            hex::encode(h.finalize()) == sum,
            "source blob {sum} does not match its checksum"
        );
        anyhow::ensure!(
            digest(to, sum.clone()).await? == sum,
            "copy of {sum} does not verify at the destination"
        );
        copied += 1;
    }
    Ok(format!(
        "{copied} blobs copied and verified, {present} already present"
    ))
}
