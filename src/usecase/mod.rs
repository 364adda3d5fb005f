//! The use cases: every change the registry makes, one function each, called
//! alike by the API, the pages, /admin and the command line. Those only parse
//! input, call one of these, and shape the output.
//!
//! Each use case takes the [`Actor`] and the request's [`Origin`], makes its
//! checks once, and writes the change and its audit row in one transaction:
//! the row is written by [`record`], the one place where "this change
//! happened" is said. Whatever else must follow a change (a webhook outbox,
//! notifications) hangs there, inside the same transaction.
//!
//! | change                          | function                         |
//! |---------------------------------|----------------------------------|
//! | publish                         | [`publish::publish`]             |
//! | yank, unyank                    | [`versions::set_yanked`]         |
//! | deprecate, undeprecate          | [`deprecation::set_deprecated`]  |
//! | owners add, remove; invitations | [`owners`]                       |
//! | token create, revoke            | [`tokens`]                       |
//! | register, create user           | [`accounts`]                     |
//! | sign in, sign out               | [`sessions`]                     |
//! | GitHub sign-in, sign-up, connect, disconnect | [`github`]          |
//! | ban/unban, promote/demote, reset password | [`accounts`]           |
//! | package remove, name claim      | [`packages`]                     |
//! | webhook create, delete, ping, redeliver | [`webhooks`]             |

pub mod accounts;
pub mod deprecation;
pub mod github;
pub mod owners;
pub mod packages;
pub mod publish;
mod record;
pub mod sessions;
pub mod tokens;
pub mod versions;
pub mod webhooks;

pub use crate::audit::Origin;
pub use record::record;

use crate::audit::Entry;
use crate::auth::Authed;
use crate::db::models::{ApiToken, User};
use crate::error::{AppError, AppResult};

/// Who acts, and with what authority.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A user on their own behalf: with a session (`token: None`) or an API
    /// token, whose scopes and package patterns then limit what they may do.
    User {
        user: &'a User,
        token: Option<&'a ApiToken>,
    },
    /// An administrator using their powers on /admin.
    Admin(&'a User),
    /// The operator's command line (`sema-pkg admin …`).
    Cli,
}

impl<'a> Actor<'a> {
    /// A user with a signed-in session.
    pub fn session(user: &'a User) -> Actor<'a> {
        Actor::User { user, token: None }
    }

    /// The caller of an API request.
    pub fn of(auth: &'a Authed) -> Actor<'a> {
        Actor::User {
            user: &auth.user,
            token: auth.token.as_ref(),
        }
    }

    /// The audit entry naming this actor.
    pub(crate) fn entry(self, action: &'static str) -> Entry {
        match self {
            Actor::User { user, token } => Entry {
                token_id: token.map(|t| t.id),
                ..Entry::new(action).by_user(Some(user.id), &user.username)
            },
            Actor::Admin(u) => Entry::new(action).by_user(Some(u.id), &u.username),
            Actor::Cli => Entry::new(action).by_user(None, "admin-cli"),
        }
    }

    /// The user acting for themselves; administrators act for themselves
    /// through their own account, not through /admin.
    fn user(self) -> AppResult<&'a User> {
        match self {
            Actor::User { user, .. } => Ok(user),
            _ => Err(AppError::forbidden(
                "this change is made by a signed-in user",
            )),
        }
    }

    /// An administrator's power: the command line, or an administrator on /admin.
    fn require_admin(self) -> AppResult<()> {
        match self {
            Actor::Cli => Ok(()),
            Actor::Admin(u) if u.is_admin => Ok(()),
            _ => Err(AppError::forbidden("administrators only")),
        }
    }

    /// Does the actor's token (if any) allow `scope` on this package?
    pub fn require_scope(self, scope: &str, canonical_name: &str) -> AppResult<()> {
        match self {
            Actor::User { token, .. } => {
                crate::auth::extract::token_allows(token, scope, canonical_name)
            }
            _ => Ok(()),
        }
    }

    /// Token management is for people: an API token cannot mint or revoke tokens.
    fn require_session(self) -> AppResult<()> {
        match self {
            Actor::User { token: Some(_), .. } => Err(AppError::forbidden(
                "this endpoint needs a signed-in session, not an API token",
            )),
            _ => Ok(()),
        }
    }
}
