//! `sema-pkg admin …` and `sema-pkg package …`: operator commands that work
//! against any deployment's database. Each change is a use case (see
//! `usecase`) taken by `Actor::Cli`, so /admin and the command line write the
//! very same audit entries; only the actor and origin differ.

use crate::audit::Origin;
use crate::error::AppResult;
use crate::registry::users;
use crate::state::AppState;
use crate::usecase::accounts::{self, NewAccount};
use crate::usecase::tokens::{self, TokenRequest};
use crate::usecase::{packages, versions, Actor};

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
    /// Claim a name for local packages: it is no longer mirrored from upstream
    /// (a mirrored copy is dropped) and may be published here.
    Claim {
        name: String,
    },
}

pub async fn run_admin(state: &AppState, cmd: AdminCommand) -> AppResult<String> {
    let origin = Origin::cli();
    let mut conn = state.pool.get().await?;
    let conn = &mut conn;
    let (cli, o) = (Actor::Cli, &origin);
    let out = match cmd {
        AdminCommand::CreateUser {
            username,
            email,
            password,
            admin: make_admin,
        } => {
            let new = NewAccount {
                username: &username,
                email: &email,
                password: &password,
            };
            let u = accounts::create_user(conn, cli, o, new, make_admin).await?;
            format!("created user {} (id {})", u.username, u.id)
        }
        AdminCommand::Promote { username } => {
            let u = accounts::set_admin(conn, cli, o, &username, true).await?;
            format!("{} is now an administrator", u.username)
        }
        AdminCommand::Demote { username } => {
            let u = accounts::set_admin(conn, cli, o, &username, false).await?;
            format!("{} is no longer an administrator", u.username)
        }
        AdminCommand::Ban { username } => {
            let (u, ended) = accounts::ban(conn, cli, o, &username).await?;
            format!(
                "banned {} ({ended} sessions ended; tokens refused while banned)",
                u.username
            )
        }
        AdminCommand::Unban { username } => {
            let u = accounts::unban(conn, cli, o, &username).await?;
            format!("unbanned {}", u.username)
        }
        AdminCommand::ResetPassword { username, password } => {
            let u = accounts::reset_password(conn, cli, o, &username, &password).await?;
            format!("password reset for {}; their sessions ended", u.username)
        }
        AdminCommand::TokenCreate {
            username,
            name,
            scopes,
            expires_in_days,
        } => {
            let u = users::find(conn, &username).await?;
            let req = TokenRequest {
                name,
                scopes: (!scopes.is_empty()).then_some(scopes),
                packages: None,
                expires_in_days,
            };
            tokens::create(conn, cli, o, &u, req).await?.secret
        }
        AdminCommand::RevokeTokens { username } => {
            let (u, n) = tokens::revoke_all(conn, cli, o, &username).await?;
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
            let pkg =
                versions::set_yanked(&mut conn, Actor::Cli, &origin, &name, &version, true).await?;
            Ok(format!("yanked {}@{version}", pkg.name))
        }
        PackageCommand::Unyank { name, version } => {
            let pkg = versions::set_yanked(&mut conn, Actor::Cli, &origin, &name, &version, false)
                .await?;
            Ok(format!("unyanked {}@{version}", pkg.name))
        }
        PackageCommand::Remove { name } => {
            let pkg = packages::remove_package(&mut conn, Actor::Cli, &origin, &name).await?;
            Ok(format!("removed {}; the name stays reserved (its blobs are now orphans: see `sema-pkg doctor`)", pkg.name))
        }
        PackageCommand::Claim { name } => {
            let name = packages::claim_name(&mut conn, Actor::Cli, &origin, &name).await?;
            Ok(format!(
                "claimed {name} for local packages: it is no longer mirrored and may be published here"
            ))
        }
    }
}
