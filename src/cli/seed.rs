//! `sema-pkg seed`: demo users and a dozen realistic packages with real
//! tarballs, several versions, dependencies, one yanked version and 90 days
//! of downloads, published through the same code path as `sema pkg publish`.

pub mod bulk;
mod corpus;
mod load;
mod words;

use std::io::Write;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use crate::db::models::{NewUser, User};
use crate::db::schema::{packages, users};
use crate::domain::{
    names::{PackageName, Version},
    tarball,
};
use crate::error::AppResult;
use crate::registry::{
    packages as pkgs,
    publish::{self, Upload},
};
use crate::state::AppState;

/// (username, email); every demo account's password is `sema-demo-password`.
pub const USERS: &[(&str, &str)] = &[
    ("sema", "team@sema-lang.com"),
    ("alice", "alice@example.com"),
    ("bob", "bob@example.com"),
];
pub const DEMO_PASSWORD: &str = "sema-demo-password";

struct Demo {
    owner: &'static str,
    name: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    versions: &'static [&'static str],
    deps: &'static [(&'static str, &'static str)],
    body: &'static str,
}

const PACKAGES: &[Demo] = &[
    Demo {
        owner: "alice",
        name: "json",
        description: "Fast JSON encoding and decoding for Sema",
        keywords: &["json", "parser", "serialization"],
        versions: &["0.9.0", "1.0.0", "1.1.0", "1.2.0"],
        deps: &[],
        body: "(define (encode v) (json/encode v))\n(define (decode s) (json/decode s))",
    },
    Demo {
        owner: "alice",
        name: "json-schema",
        description: "Validate JSON documents against JSON Schema",
        keywords: &["json", "schema", "validation"],
        versions: &["0.1.0", "0.2.0"],
        deps: &[("json", "1.2.0")],
        body: "(define (valid? schema doc) #t)",
    },
    Demo {
        owner: "bob",
        name: "strings",
        description: "String utilities: padding, splitting, case conversion",
        keywords: &["string", "text"],
        versions: &["0.1.0", "0.2.0", "0.3.0"],
        deps: &[],
        body: "(define (pad-left s n c) (string-append (make-string (- n (string-length s)) c) s))",
    },
    Demo {
        owner: "bob",
        name: "csv",
        description: "Read and write CSV files",
        keywords: &["csv", "parser", "data"],
        versions: &["0.1.0", "0.1.1"],
        deps: &[("strings", "0.3.0")],
        body: "(define (parse-line line) (string/split line \",\"))",
    },
    Demo {
        owner: "sema",
        name: "sema/http",
        description: "HTTP client with connection pooling and JSON helpers",
        keywords: &["http", "client", "web"],
        versions: &["0.1.0", "0.2.0", "1.0.0"],
        deps: &[("json", "1.2.0")],
        body: "(define (get url) (http/get url))",
    },
    Demo {
        owner: "sema",
        name: "sema/test",
        description: "A small test framework with assertions and reporters",
        keywords: &["testing", "assert"],
        versions: &["1.0.0", "1.1.0"],
        deps: &[],
        body: "(define (assert-equal a b) (if (equal? a b) #t (error \"not equal\" a b)))",
    },
    Demo {
        owner: "alice",
        name: "datetime",
        description: "Dates, times, time zones and ISO 8601 formatting",
        keywords: &["time", "date", "iso8601"],
        versions: &["0.1.0", "0.2.0", "0.2.1"],
        deps: &[],
        body: "(define (now) (time/now))",
    },
    Demo {
        owner: "bob",
        name: "cli-args",
        description: "Declarative command-line argument parsing",
        keywords: &["cli", "args", "parser"],
        versions: &["0.1.0", "0.2.0"],
        deps: &[("strings", "0.3.0")],
        body: "(define (parse argv spec) argv)",
    },
    Demo {
        owner: "alice",
        name: "colors",
        description: "ANSI terminal colours and styles",
        keywords: &["terminal", "ansi", "color"],
        versions: &["1.0.0", "1.0.1"],
        deps: &[],
        body: "(define (red s) (string-append \"\\x1b[31m\" s \"\\x1b[0m\"))",
    },
    Demo {
        owner: "bob",
        name: "logging",
        description: "Structured logging with levels and pluggable sinks",
        keywords: &["log", "logging"],
        versions: &["0.1.0", "0.2.0"],
        deps: &[("colors", "1.0.1"), ("datetime", "0.2.1")],
        body: "(define (info msg) (display msg))",
    },
    Demo {
        owner: "alice",
        name: "math-extra",
        description: "Statistics, matrices and number theory helpers",
        keywords: &["math", "statistics"],
        versions: &["0.1.0"],
        deps: &[],
        body: "(define (mean xs) (/ (apply + xs) (length xs)))",
    },
    Demo {
        owner: "sema",
        name: "sema/markdown",
        description: "CommonMark parser and HTML renderer",
        keywords: &["markdown", "html", "parser"],
        versions: &["0.1.0", "0.2.0"],
        deps: &[("strings", "0.3.0")],
        body: "(define (render md) md)",
    },
];

/// The version that the demo leaves yanked.
pub const YANKED: (&str, &str) = ("json", "1.1.0");

fn manifest(d: &Demo, version: &str) -> String {
    let keywords = d
        .keywords
        .iter()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let deps = d
        .deps
        .iter()
        .map(|(n, v)| format!("{n:?} = {v:?}\n"))
        .collect::<String>();
    format!(
        "[package]\nname = {:?}\nversion = {version:?}\ndescription = {:?}\nrepository = \"https://github.com/sema-lang/{}\"\nlicense = \"MIT\"\nkeywords = [{keywords}]\nentrypoint = \"package.sema\"\n\n[deps]\n{deps}",
        d.name,
        d.description,
        d.name.replace('/', "-"),
    )
}

fn readme(d: &Demo, version: &str) -> String {
    format!(
        "# {}\n\n{}.\n\n## Install\n\n```sh\nsema pkg add {}\n```\n\n## Use\n\n```sema\n(import \"{}\")\n{}\n```\n\nVersion {version}. Licensed under MIT.\n",
        d.name, d.description, d.name, d.name, d.body
    )
}

async fn ensure_user(state: &AppState, username: &str, email: &str) -> AppResult<User> {
    let mut conn = state.pool.get().await?;
    if let Ok(u) = pkgs::find_user(&mut conn, username).await {
        return Ok(u);
    }
    let hash = crate::auth::accounts::hash_password(DEMO_PASSWORD).await?;
    let user: User = diesel::insert_into(users::table)
        .values(NewUser {
            username,
            email,
            password_hash: Some(&hash),
        })
        .returning(User::as_returning())
        .get_result(&mut conn)
        .await?;
    crate::registry::namespaces::claim_for_user(&mut conn, user.id, username).await?;
    if username == "sema" {
        diesel::update(users::table.find(user.id))
            .set(users::is_official.eq(true))
            .execute(&mut conn)
            .await?;
    }
    Ok(user)
}

/// Publishes one tarball through the real publish path.
pub async fn publish_bytes(
    state: &AppState,
    user: &User,
    name: &str,
    version: &str,
    bytes: &[u8],
) -> AppResult<publish::Outcome> {
    let mut tmp = tempfile::NamedTempFile::new().map_err(crate::error::AppError::internal)?;
    tmp.write_all(bytes)
        .map_err(crate::error::AppError::internal)?;
    let upload = Upload {
        path: tmp.path().to_path_buf(),
        checksum: hex::encode(Sha256::digest(bytes)),
        size: bytes.len() as u64,
    };
    let registry = crate::usecase::publish::Registry {
        pool: &state.pool,
        storage: &state.storage,
        // The demo is local packages only.
        upstream: None,
        limits: tarball::Limits::default(),
    };
    let actor = crate::usecase::Actor::session(user);
    let origin = crate::audit::Origin::cli();
    let (name, version) = (PackageName::parse(name)?, Version::parse(version)?);
    crate::usecase::publish::publish(registry, actor, &origin, name, version, upload).await
}

pub async fn demo(state: &AppState, force: bool) -> anyhow::Result<()> {
    let mut conn = state.pool.get().await?;
    let existing: i64 = packages::table.count().get_result(&mut conn).await?;
    drop(conn);
    if existing > 0 && !force {
        println!("registry already has {existing} packages; not seeding (use --force)");
        return Ok(());
    }
    let mut accounts = Vec::new();
    for (u, e) in USERS {
        accounts.push(ensure_user(state, u, e).await?);
    }
    for d in PACKAGES {
        let owner = accounts
            .iter()
            .find(|u| u.username == d.owner)
            .expect("demo owner");
        for v in d.versions {
            let files: Vec<(&str, Vec<u8>)> = vec![
                ("sema.toml", manifest(d, v).into_bytes()),
                (
                    "package.sema",
                    format!(";; {} {v}\n{}\n", d.name, d.body).into_bytes(),
                ),
                ("README.md", readme(d, v).into_bytes()),
            ];
            let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
            publish_bytes(state, owner, d.name, v, &tarball::build(&refs)).await?;
        }
    }
    let mut conn = state.pool.get().await?;
    let json = pkgs::find(&mut conn, YANKED.0).await?;
    pkgs::set_yanked(&mut conn, &json, YANKED.1, true).await?;
    // 90 days of plausible download history.
    diesel::sql_query(
        "INSERT INTO version_downloads (version_id, date, downloads)
         SELECT v.id, d::date, (random() * 40 * (1 + (v.id % 5)))::bigint
         FROM versions v, generate_series(current_date - 89, current_date, interval '1 day') d
         ON CONFLICT DO NOTHING",
    )
    .execute(&mut conn)
    .await?;
    println!(
        "seeded {} users and {} packages (password for all: {DEMO_PASSWORD})",
        USERS.len(),
        PACKAGES.len()
    );
    Ok(())
}
