//! The audit log: every mutation with actor, token, client address, user agent and time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use crate::db::schema::audit_log;
use crate::error::AppResult;

/// Where a request came from (`Origin::of` reads it from an HTTP request).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// Actions taken from the command line (`sema-pkg admin …`).
    pub fn cli() -> Origin {
        Origin {
            ip: None,
            user_agent: Some("sema-pkg admin".into()),
        }
    }
}

/// One entry; `Entry::new(action)` then fill in what applies.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub action: &'static str,
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub token_id: Option<i64>,
    pub package_id: Option<i64>,
    pub package: Option<String>,
    pub version: Option<String>,
    pub subject: Option<String>,
}

impl Entry {
    pub fn new(action: &'static str) -> Entry {
        Entry {
            action,
            ..Default::default()
        }
    }

    pub fn by_user(mut self, id: Option<i64>, name: &str) -> Entry {
        self.actor_id = id;
        self.actor = Some(name.chars().take(254).collect());
        self
    }

    pub fn package(mut self, id: i64, name: &str) -> Entry {
        self.package_id = Some(id);
        self.package = Some(name.to_string());
        self
    }

    pub fn version(mut self, v: &str) -> Entry {
        self.version = Some(v.to_string());
        self
    }

    pub fn subject(mut self, s: &str) -> Entry {
        self.subject = Some(s.chars().take(256).collect());
        self
    }
}

/// Writes one row. Only `usecase::record` calls this, inside the change's transaction.
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    e: Entry,
) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::action.eq(e.action),
            audit_log::actor_id.eq(e.actor_id),
            audit_log::actor.eq(e.actor),
            audit_log::token_id.eq(e.token_id),
            audit_log::package_id.eq(e.package_id),
            audit_log::package.eq(e.package),
            audit_log::version.eq(e.version),
            audit_log::subject.eq(e.subject),
            audit_log::ip.eq(&origin.ip),
            audit_log::user_agent.eq(&origin.user_agent),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor: Option<String>,
    pub token_id: Option<i64>,
    pub package: Option<String>,
    pub version: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// How many entries a package's activity shows (API and web alike).
pub const PACKAGE_ACTIVITY_LIMIT: i64 = 200;

/// A package's activity, newest first.
pub async fn for_package(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    limit: i64,
) -> AppResult<Vec<Event>> {
    Ok(audit_log::table
        .filter(audit_log::package_id.eq(package_id))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(Event::as_select())
        .load(conn)
        .await?)
}

/// Client addresses and user agents are for administrators only: owners see
/// what happened to their package, not where everyone was.
pub fn hide_origins(events: &mut [Event]) {
    for e in events {
        e.ip = None;
        e.user_agent = None;
    }
}

/// What the admin view's audit log is narrowed to; empty parts match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The actor's name, case-insensitive (as recorded: a failed sign-in records the name tried).
    pub actor: String,
    /// The package's name as published, case-insensitive.
    pub package: String,
    /// An action or its start: `admin.` finds every admin action.
    pub action: String,
}

/// One page of the whole log, newest first, and how many entries match.
pub async fn search(
    conn: &mut AsyncPgConnection,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Event>, i64)> {
    // ILIKE with the pattern characters escaped is a case-insensitive equality.
    let exact = |s: &str| {
        let p = crate::registry::admin_listing::contains_pattern(s.trim());
        p[1..p.len() - 1].to_string()
    };
    let matching = || {
        let mut q = audit_log::table.into_boxed();
        if !f.actor.trim().is_empty() {
            q = q.filter(audit_log::actor.ilike(exact(&f.actor)));
        }
        if !f.package.trim().is_empty() {
            q = q.filter(audit_log::package.ilike(exact(&f.package)));
        }
        if !f.action.trim().is_empty() {
            q = q.filter(audit_log::action.like(format!("{}%", exact(&f.action))));
        }
        q
    };
    let total = matching().count().get_result(conn).await?;
    let rows = matching()
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Event::as_select())
        .load(conn)
        .await?;
    Ok((rows, total))
}
