//! `sema-pkg seed --packages N [--users U] [--versions V] [--tarballs K]`: a
//! synthetic registry for benchmarks, loaded with COPY in one transaction.
//! Names (plain and `ns/name`), descriptions, keywords, README excerpts,
//! 1–V versions, registry dependencies on older packages and a heavy-tailed
//! download history per package, from a fixed random seed so every run with
//! the same options on an empty database builds the same corpus. The K most
//! downloaded packages get real tarballs (4 KiB–400 KiB) in the blob store, so
//! installs and downloads can be measured; the rest exist for search.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Instant;

use bytes::Bytes;
use chrono::{Duration, NaiveDate, Utc};
use futures_util::SinkExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, NoTls};

use crate::registry::tarball;
use crate::storage::{blob_path, Storage};

/// What to generate; `Options::new(n)` gives the search benchmark's corpus.
#[derive(Debug, Clone)]
pub struct Options {
    pub packages: u64,
    /// Owner accounts; default one per 200 packages (at least 10).
    pub users: Option<u64>,
    /// Each package gets 1..=this many versions.
    pub max_versions: u32,
    /// How many of the most downloaded packages get real tarballs.
    pub tarballs: u64,
}

impl Options {
    pub fn new(packages: u64) -> Options {
        Options {
            packages,
            users: None,
            max_versions: 4,
            tarballs: packages.min(200),
        }
    }
}

/// Words that name things; most names, keywords and descriptions draw on them.
pub const TOPICS: &[&str] = &[
    "json",
    "http",
    "csv",
    "xml",
    "yaml",
    "toml",
    "markdown",
    "html",
    "css",
    "sql",
    "sqlite",
    "postgres",
    "redis",
    "kafka",
    "grpc",
    "websocket",
    "tcp",
    "udp",
    "dns",
    "tls",
    "crypto",
    "hash",
    "base64",
    "uuid",
    "regex",
    "parser",
    "lexer",
    "ast",
    "compiler",
    "interpreter",
    "vm",
    "async",
    "stream",
    "queue",
    "cache",
    "pool",
    "logger",
    "log",
    "metrics",
    "trace",
    "test",
    "bench",
    "mock",
    "cli",
    "args",
    "config",
    "env",
    "path",
    "fs",
    "file",
    "glob",
    "zip",
    "tar",
    "gzip",
    "image",
    "png",
    "svg",
    "pdf",
    "audio",
    "video",
    "midi",
    "math",
    "matrix",
    "vector",
    "stats",
    "random",
    "time",
    "date",
    "cron",
    "email",
    "smtp",
    "auth",
    "oauth",
    "jwt",
    "session",
    "cookie",
    "router",
    "server",
    "client",
    "proxy",
    "template",
    "i18n",
    "unicode",
    "color",
    "terminal",
    "tui",
    "gui",
    "graph",
    "tree",
    "trie",
    "heap",
    "set",
    "map",
    "list",
    "string",
    "text",
    "diff",
    "patch",
    "semver",
    "git",
    "docker",
    "kube",
    "aws",
    "s3",
    "geo",
    "money",
    "decimal",
    "bigint",
    "units",
    "chess",
    "game",
    "physics",
    "neural",
    "tensor",
    "nlp",
    "scraper",
    "crawler",
    "feed",
    "rss",
    "bot",
    "chat",
    "irc",
    "wasm",
    "ffi",
    "macro",
    "lint",
    "fmt",
    "doc",
    "repl",
    "lsp",
    "editor",
    "schema",
    "validator",
    "serde",
    "bytes",
    "buffer",
    "socket",
    "event",
    "signal",
    "thread",
    "actor",
    "channel",
    "retry",
    "rate",
    "limit",
    "sort",
    "search",
    "index",
    "query",
    "orm",
    "migrate",
    "backup",
    "mail",
    "sms",
    "pay",
    "stripe",
    "shop",
    "blog",
    "wiki",
    "forum",
    "calendar",
    "invoice",
    "pixel",
    "sprite",
    "shader",
    "opengl",
    "vulkan",
    "sound",
    "synth",
    "noise",
    "fractal",
    "plot",
    "chart",
    "table",
    "grid",
];
const SUFFIXES: &[&str] = &[
    "utils", "core", "lite", "fast", "tiny", "simple", "extra", "kit", "tools", "helpers",
    "macros", "sync", "next", "plus", "std", "rt", "io", "ext", "compat", "derive",
];
const NAMESPACES: &[&str] = &[
    "acme",
    "nova",
    "orbit",
    "pixelworks",
    "quantum",
    "zen",
    "atlas",
    "ember",
    "lumen",
    "flux",
    "cobalt",
    "maple",
    "onyx",
    "polar",
    "river",
    "summit",
    "tundra",
    "vertex",
    "willow",
    "yonder",
];
const ADJECTIVES: &[&str] = &[
    "Fast",
    "Tiny",
    "Safe",
    "Asynchronous",
    "Zero-copy",
    "Pure Sema",
    "Streaming",
    "Ergonomic",
    "Minimal",
    "Portable",
    "Batteries-included",
    "Type-safe",
    "Lightweight",
    "Composable",
    "Declarative",
    "Incremental",
    "Robust",
    "Experimental",
    "Idiomatic",
    "High-performance",
];
const KINDS: &[&str] = &[
    "library",
    "parser",
    "client",
    "toolkit",
    "framework",
    "bindings",
    "implementation",
    "utilities",
    "helpers",
    "engine",
    "encoder and decoder",
    "server",
    "middleware",
    "adapter",
];
const FEATURES: &[&str] = &[
    "pretty printing",
    "connection pooling",
    "streaming decode",
    "schema validation",
    "retries with backoff",
    "zero allocations",
    "property-based tests",
    "async support",
    "a small API",
    "good error messages",
    "unicode support",
    "configurable limits",
    "compile-time checks",
    "plugin hooks",
    "caching",
    "structured logging",
    "timeouts",
    "compression",
    "incremental parsing",
    "round-trip fidelity",
    "thread safety",
];
const VERBS: &[&str] = &[
    "parse", "encode", "decode", "render", "open", "connect", "run", "read", "write", "check",
];
const LICENSES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "MIT OR Apache-2.0",
    "BSD-3-Clause",
    "ISC",
];

/// Made-up words that each occur in a few packages only: the "rare word" queries.
pub fn rare_word(i: usize) -> String {
    const A: &[&str] = &[
        "vor", "quen", "zyl", "mab", "thra", "ulk", "pev", "dro", "kai", "fen",
    ];
    const B: &[&str] = &[
        "lax", "dith", "orra", "umbe", "ix", "ondo", "ashi", "elle", "orn", "ube",
    ];
    const C: &[&str] = &["", "n", "t", "ra", "s"];
    format!("{}{}{}", A[i % 10], B[(i / 10) % 10], C[(i / 100) % 5])
}
const RARE_WORDS: usize = 500;

struct Pkg {
    id: i64,
    name: String,
    canonical: String,
    namespace: Option<String>,
    owner: i64,
    description: String,
    keywords: Vec<String>,
    readme: String,
    license: &'static str,
    created: chrono::DateTime<Utc>,
    versions: Vec<(i64, String, chrono::DateTime<Utc>)>,
    downloads: u64,
}

/// A registry dependency of one version: (version id, package index, exact version).
type Dep = (i64, usize, String);

/// COPY text format: backslash, tab, newline and carriage return are escaped.
fn esc(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S+00").to_string()
}

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

async fn copy(client: &Client, statement: &str, rows: &[String]) -> anyhow::Result<()> {
    let sink = client.copy_in(statement).await?;
    futures_util::pin_mut!(sink);
    let mut buf = String::with_capacity(1 << 20);
    for row in rows {
        buf.push_str(row);
        if buf.len() >= 1 << 20 {
            sink.send(Bytes::from(std::mem::take(&mut buf))).await?;
        }
    }
    if !buf.is_empty() {
        sink.send(Bytes::from(buf)).await?;
    }
    sink.finish().await?;
    Ok(())
}

async fn next_ids(client: &Client, sequence: &str, n: i64) -> anyhow::Result<i64> {
    // Reserve a block of ids: the sequence moves past it in one call.
    let row = client
        .query_one(
            &format!(
                "SELECT setval('{sequence}', nextval('{sequence}') + $1 - 1) - $1 + 1 AS first"
            ),
            &[&n],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn run(database_url: &str, storage: &Storage, opts: &Options) -> anyhow::Result<()> {
    anyhow::ensure!(opts.max_versions >= 1, "--versions must be at least 1");
    let n = opts.packages;
    let started = Instant::now();
    let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
    let conn_task = tokio::spawn(connection);
    let mut rng = StdRng::seed_from_u64(0x5e3a_0000 ^ n);
    let n = n as i64;

    let existing: HashSet<String> = client
        .query("SELECT canonical_name FROM packages", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let taken_ns: HashSet<String> = client
        .query("SELECT name FROM namespaces", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let user_count: i64 = client
        .query_one("SELECT count(*) FROM users", &[])
        .await?
        .get(0);

    // Owners: one account per 200 packages (at least 10), without passwords.
    let users = opts.users.map_or((n / 200).max(10), |u| u.max(1) as i64);
    let first_user = next_ids(&client, "users_id_seq", users).await?;
    let mut user_rows = Vec::with_capacity(users as usize);
    for i in 0..users {
        let name = format!("seeder{}", user_count + i);
        user_rows.push(format!(
            "{}\t{name}\t{name}@seed.example\t\\N\n",
            first_user + i
        ));
    }
    // Namespaces: the fixed list plus numbered ones, each owned by one seeder.
    let mut namespaces: Vec<(String, i64)> = Vec::new();
    let ns_wanted = (n / 500).clamp(20, 4000) as usize;
    for i in 0..ns_wanted {
        let base = NAMESPACES[i % NAMESPACES.len()];
        let name = if i < NAMESPACES.len() {
            base.to_string()
        } else {
            format!("{base}{}", i / NAMESPACES.len())
        };
        if !taken_ns.contains(&name) {
            namespaces.push((name, first_user + rng.random_range(0..users)));
        }
    }

    let first_pkg = next_ids(&client, "packages_id_seq", n).await?;
    let mut seen = existing;
    let now = Utc::now();
    let mut pkgs: Vec<Pkg> = Vec::with_capacity(n as usize);
    let mut version_count = 0i64;
    for i in 0..n {
        let t1 = *pick(&mut rng, TOPICS);
        let t2 = *pick(&mut rng, TOPICS);
        let suffix = *pick(&mut rng, SUFFIXES);
        let shape = rng.random_range(0..100);
        let mut base = match shape {
            0..30 => t1.to_string(),
            30..75 => format!("{t1}-{t2}"),
            75..90 => format!("{t1}-{suffix}"),
            _ => format!("{t1}-{t2}-{suffix}"),
        };
        if t1 == t2 && shape >= 30 {
            base = format!("{t1}-{suffix}");
        }
        // A fifth of the packages live in a namespace (`ns/name`).
        let ns = (rng.random_range(0..5) == 0 && !namespaces.is_empty())
            .then(|| pick(&mut rng, &namespaces).clone());
        let mut name = match &ns {
            Some((ns, _)) => format!("{ns}/{base}"),
            None => base.clone(),
        };
        let mut k = 2;
        while seen.contains(&name) {
            name = match &ns {
                Some((ns, _)) => format!("{ns}/{base}{k}"),
                None => format!("{base}{k}"),
            };
            k += 1 + rng.random_range(0..k);
        }
        seen.insert(name.clone());
        let owner = ns
            .as_ref()
            .map(|(_, o)| *o)
            .unwrap_or_else(|| first_user + rng.random_range(0..users));

        let t3 = *pick(&mut rng, TOPICS);
        let (f1, f2) = (*pick(&mut rng, FEATURES), *pick(&mut rng, FEATURES));
        let mut description = match rng.random_range(0..4) {
            0 => format!(
                "{} {t1} {} for Sema",
                pick(&mut rng, ADJECTIVES),
                pick(&mut rng, KINDS)
            ),
            1 => format!(
                "{} {t1} {} with {f1} and {f2}",
                pick(&mut rng, ADJECTIVES),
                pick(&mut rng, KINDS)
            ),
            2 => format!("A {t1} {} that works with {t3}", pick(&mut rng, KINDS)),
            _ => format!("{t2} and {t1} {}: {f1}", pick(&mut rng, KINDS)),
        };
        let rare =
            (rng.random_range(0..20) == 0).then(|| rare_word(rng.random_range(0..RARE_WORDS)));
        if let Some(r) = &rare {
            if rng.random_bool(0.5) {
                description.push_str(&format!(" (codename {r})"));
            }
        }
        let mut keywords: Vec<String> = vec![t1.to_string()];
        for _ in 0..rng.random_range(0..5) {
            let k = pick(&mut rng, TOPICS).to_string();
            if !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        let v = *pick(&mut rng, VERBS);
        let mut readme = format!(
            "# {name}\n\n{description}.\n\n## Features\n\n- {f1}\n- {f2}\n- works with {t3} and {}\n\n## Install\n\n```sh\nsema pkg add {name}\n```\n\n## Usage\n\n```sema\n(import \"{name}\")\n({t1}/{v} input)\n```\n",
            pick(&mut rng, TOPICS)
        );
        if let Some(r) = &rare {
            readme.push_str(&format!("\nBuilt for the {r} project.\n"));
        }
        if rng.random_bool(0.3) {
            readme.push_str(&format!(
                "\nSee also the {} and {} packages. Contributions welcome: open an issue first.\n",
                pick(&mut rng, TOPICS),
                pick(&mut rng, TOPICS)
            ));
        }
        // Heavy tail: most packages are barely used, a few very much.
        let u: f64 = rng.random_range(1e-6..1.0);
        let downloads = ((8.0 / u.powf(1.15)) - 8.0) as u64;
        let created = now - Duration::minutes(rng.random_range(60..3 * 365 * 24 * 60));
        let nv = rng.random_range(1..=opts.max_versions as usize);
        let mut versions = Vec::with_capacity(nv);
        let (mut major, mut minor) = (rng.random_range(0..2), 0);
        let mut at = created;
        for j in 0..nv {
            if j > 0 {
                let span = (now - at).num_minutes().max(2);
                at += Duration::minutes(rng.random_range(1..span));
                if rng.random_bool(0.2) {
                    major += 1;
                    minor = 0;
                } else {
                    minor += 1;
                }
            }
            versions.push((0, format!("{major}.{minor}.0"), at));
        }
        version_count += nv as i64;
        pkgs.push(Pkg {
            id: first_pkg + i,
            canonical: name.to_lowercase().replace('_', "-"),
            name,
            namespace: ns.map(|(n, _)| n),
            owner,
            description,
            keywords,
            readme,
            license: LICENSES[rng.random_range(0..LICENSES.len())],
            created,
            versions,
            downloads,
        });
    }
    let first_version = next_ids(&client, "versions_id_seq", version_count).await?;
    let mut vid = first_version;
    for p in &mut pkgs {
        for v in &mut p.versions {
            v.0 = vid;
            vid += 1;
        }
    }
    println!("generated {n} packages in {:.1?}", started.elapsed());
    // Dependencies and tarballs draw on their own generator, so the packages
    // above (the search benchmark's corpus) do not change with these options.
    let mut drng = StdRng::seed_from_u64(0xde95_0000 ^ n as u64);
    let deps = dependencies(&mut drng, &pkgs);
    let blobs = tarballs(&mut drng, storage, &pkgs, &deps, opts.tarballs as usize).await?;
    println!(
        "{} dependencies, {} tarballs at {:.1?}",
        deps.len(),
        blobs.len(),
        started.elapsed()
    );

    client.batch_execute("BEGIN").await?;
    copy(
        &client,
        "COPY users (id, username, email, password_hash) FROM STDIN",
        &user_rows,
    )
    .await?;
    let ns_rows: Vec<String> = namespaces
        .iter()
        .map(|(n, o)| format!("{n}\t{o}\n"))
        .collect();
    copy(
        &client,
        "COPY namespaces (name, owner_id) FROM STDIN",
        &ns_rows,
    )
    .await?;

    let mut rows = Vec::with_capacity(pkgs.len());
    for p in &pkgs {
        let mut r = String::with_capacity(p.readme.len() + 256);
        let updated = p.versions.last().map(|v| v.2).unwrap_or(p.created);
        write!(r, "{}\t", p.id)?;
        esc(&mut r, &p.name);
        r.push('\t');
        esc(&mut r, &p.canonical);
        r.push('\t');
        match &p.namespace {
            Some(ns) => esc(&mut r, ns),
            None => r.push_str("\\N"),
        }
        r.push('\t');
        esc(&mut r, &p.description);
        write!(
            r,
            "\thttps://git.example/{}\t{}\t{{{}}}\t",
            p.canonical.replace('/', "-"),
            p.license,
            p.keywords.join(",")
        )?;
        esc(&mut r, &p.readme);
        writeln!(r, "\t{}\t{}", ts(p.created), ts(updated))?;
        rows.push(r);
    }
    // Search rows are written once at the end, with their popularity (a row
    // per package now and a rewrite later would index every document twice).
    client
        .batch_execute("ALTER TABLE packages DISABLE TRIGGER packages_search_insert")
        .await?;
    copy(
        &client,
        "COPY packages (id, name, canonical_name, namespace, description, repository_url, license, keywords, readme, created_at, updated_at) FROM STDIN",
        &rows,
    )
    .await?;
    client
        .batch_execute("ALTER TABLE packages ENABLE TRIGGER packages_search_insert")
        .await?;
    println!("packages copied at {:.1?}", started.elapsed());

    let rows: Vec<String> = pkgs
        .iter()
        .map(|p| format!("{}\t{}\n", p.id, p.owner))
        .collect();
    copy(
        &client,
        "COPY package_owners (package_id, user_id) FROM STDIN",
        &rows,
    )
    .await?;

    let mut rows = Vec::with_capacity(version_count as usize);
    for p in &pkgs {
        let last = p.versions.len() - 1;
        for (j, (id, version, at)) in p.versions.iter().enumerate() {
            let (checksum, size) = match blobs.get(id) {
                Some((checksum, size)) => (checksum.clone(), *size),
                None => (
                    hex::encode(Sha256::digest(format!("{}@{version}", p.canonical))),
                    2048 + (p.id % 40_000),
                ),
            };
            let mut r = format!("{id}\t{}\t{version}\t{version}\t{checksum}\t{size}\t", p.id);
            esc(&mut r, &p.description);
            write!(r, "\t{}\t{{{}}}\t", p.license, p.keywords.join(","))?;
            // Only the latest version carries its README: search reads no other.
            if j == last {
                esc(&mut r, &p.readme);
            } else {
                r.push_str("\\N");
            }
            writeln!(r, "\t{}\t{}", p.owner, ts(*at))?;
            rows.push(r);
        }
    }
    copy(
        &client,
        "COPY versions (id, package_id, version, version_key, checksum, size_bytes, description, license, keywords, readme, published_by, published_at) FROM STDIN",
        &rows,
    )
    .await?;
    let rows: Vec<String> = deps
        .iter()
        .map(|(vid, j, req)| {
            let name = &pkgs[*j].name;
            format!("{vid}\t{name}\t{}\t{req}\tregistry\n", pkgs[*j].canonical)
        })
        .collect();
    copy(
        &client,
        "COPY dependencies (version_id, name, canonical_name, req, kind) FROM STDIN",
        &rows,
    )
    .await?;
    println!(
        "versions and dependencies copied at {:.1?}",
        started.elapsed()
    );

    // Download history: the last 90 days day by day for busy packages, a few
    // days for quiet ones, and one old bucket for everything before.
    let today = now.date_naive();
    let mut rows = Vec::new();
    let day_rows = |rows: &mut Vec<String>, vid: i64, d: NaiveDate, k: u64| {
        if k > 0 {
            rows.push(format!("{vid}\t{d}\t{k}\n"));
        }
    };
    for p in &pkgs {
        if p.downloads == 0 {
            continue;
        }
        let latest = p.versions.last().expect("a version").0;
        let first = p.versions[0].0;
        let age_days = (now - p.created).num_days().max(1) as u64;
        let recent_share = if age_days <= 90 {
            1.0
        } else {
            rng.random_range(0.05..0.6)
        };
        let recent = (p.downloads as f64 * recent_share) as u64;
        let days = age_days.min(90);
        if recent >= 900 {
            let per_day = recent / days;
            for d in 0..days {
                let noise = rng.random_range(0.7..1.3);
                day_rows(
                    &mut rows,
                    latest,
                    today - Duration::days(d as i64),
                    (per_day as f64 * noise) as u64,
                );
            }
        } else if recent > 0 {
            let k = rng.random_range(1..=4u64).min(recent).min(days);
            let slot = days / k;
            for j in 0..k {
                // One day per slot, so no day repeats (the primary key).
                let d = j * slot + rng.random_range(0..slot);
                let n = if j + 1 == k {
                    recent - (recent / k) * (k - 1)
                } else {
                    recent / k
                };
                day_rows(&mut rows, latest, today - Duration::days(d as i64), n);
            }
        }
        let older = p.downloads - recent;
        if older > 0 && age_days > 91 {
            let d = rng.random_range(91..age_days) as i64;
            day_rows(&mut rows, first, today - Duration::days(d), older);
        }
    }
    // The rollup trigger would aggregate millions of rows package by package;
    // one set-based statement after the COPY does the same work at once.
    client
        .batch_execute(
            "ALTER TABLE version_downloads DISABLE TRIGGER version_downloads_rollup_insert",
        )
        .await?;
    copy(
        &client,
        "COPY version_downloads (version_id, date, downloads) FROM STDIN",
        &rows,
    )
    .await?;
    client
        .batch_execute(
            "ALTER TABLE version_downloads ENABLE TRIGGER version_downloads_rollup_insert",
        )
        .await?;
    let d_rows = rows.len();
    drop(rows);
    println!("{d_rows} download rows copied at {:.1?}", started.elapsed());
    client
        .execute(
            "UPDATE package_downloads s
             SET downloads = x.total, recent_downloads = x.recent, refreshed_on = current_date
             FROM (SELECT v.package_id, SUM(d.downloads) AS total,
                          COALESCE(SUM(d.downloads) FILTER (WHERE d.date > current_date - 90), 0) AS recent
                   FROM version_downloads d JOIN versions v ON v.id = d.version_id
                   WHERE v.package_id BETWEEN $1 AND $2
                   GROUP BY v.package_id) x
             WHERE s.package_id = x.package_id",
            &[&first_pkg, &(first_pkg + n - 1)],
        )
        .await?;
    client
        .execute(
            "SELECT package_search_upsert(ARRAY(SELECT generate_series($1::bigint, $2::bigint)))",
            &[&first_pkg, &(first_pkg + n - 1)],
        )
        .await?;
    println!("search rows written at {:.1?}", started.elapsed());
    client.batch_execute("COMMIT").await?;
    println!("committed at {:.1?}", started.elapsed());
    // Fresh statistics for the planner, and a visibility map so counts and
    // bitmap scans can skip heap pages.
    // One statement each: several in one call would share a transaction.
    for table in [
        "packages",
        "package_search",
        "package_name_parts",
        "package_downloads",
        "versions",
        "version_downloads",
        "package_owners",
        "dependencies",
        "users",
        "namespaces",
    ] {
        client
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .await?;
    }
    println!(
        "seeded {n} packages, {version_count} versions, {d_rows} download rows, {users} owners in {:.1?}",
        started.elapsed()
    );
    drop(client);
    let _ = conn_task.await;
    Ok(())
}

/// Half the versions depend on 1–3 older packages. Of two random candidates
/// the more downloaded one is taken, so popular packages gather dependents as
/// they do in real registries. Sema pins exact versions; every dependent asks
/// for the dependency's latest, so a tree never holds two conflicting pins.
fn dependencies(rng: &mut StdRng, pkgs: &[Pkg]) -> Vec<Dep> {
    let mut deps = Vec::new();
    for (i, p) in pkgs.iter().enumerate().skip(1) {
        for (vid, _, _) in &p.versions {
            if rng.random_bool(0.5) {
                continue;
            }
            let mut chosen: Vec<usize> = Vec::with_capacity(3);
            for _ in 0..rng.random_range(1..=3) {
                let (a, b) = (rng.random_range(0..i), rng.random_range(0..i));
                let j = if pkgs[a].downloads >= pkgs[b].downloads {
                    a
                } else {
                    b
                };
                if !chosen.contains(&j) {
                    chosen.push(j);
                }
            }
            for j in chosen {
                let latest = &pkgs[j].versions.last().expect("a version").1;
                deps.push((*vid, j, latest.clone()));
            }
        }
    }
    deps
}

/// Real tarballs for every version of the `k` most downloaded packages,
/// written to the blob store: a manifest naming the version's dependencies,
/// the README and generated source, 4 KiB–400 KiB compressed (log-uniform per
/// package; the most downloaded package's latest is 100 KiB). Returns
/// version id → (sha256, size).
async fn tarballs(
    rng: &mut StdRng,
    storage: &Storage,
    pkgs: &[Pkg],
    deps: &[Dep],
    k: usize,
) -> anyhow::Result<HashMap<i64, (String, i64)>> {
    let mut order: Vec<usize> = (0..pkgs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(pkgs[i].downloads));
    order.truncate(k);
    let wanted: HashSet<i64> = order
        .iter()
        .flat_map(|&i| pkgs[i].versions.iter().map(|v| v.0))
        .collect();
    let mut deps_of: HashMap<i64, String> = HashMap::new();
    for (vid, j, req) in deps.iter().filter(|d| wanted.contains(&d.0)) {
        let line = format!("{:?} = {req:?}\n", pkgs[*j].name);
        deps_of.entry(*vid).or_default().push_str(&line);
    }
    let mut out = HashMap::with_capacity(wanted.len());
    for (rank, &i) in order.iter().enumerate() {
        let p = &pkgs[i];
        let package_target = (4096.0 * 100f64.powf(rng.random_range(0.0..1.0))) as usize;
        let keywords: Vec<String> = p.keywords.iter().map(|k| format!("{k:?}")).collect();
        for (j, (vid, version, _)) in p.versions.iter().enumerate() {
            let target = if rank == 0 && j + 1 == p.versions.len() {
                100 * 1024
            } else {
                package_target
            };
            let manifest = format!(
                "[package]\nname = {:?}\nversion = {version:?}\ndescription = {:?}\nlicense = {:?}\nkeywords = [{}]\nentrypoint = \"package.sema\"\n\n[deps]\n{}",
                p.name,
                p.description,
                p.license,
                keywords.join(", "),
                deps_of.get(vid).map(String::as_str).unwrap_or(""),
            );
            let bytes = tarball_of(rng, &p.name, version, &manifest, &p.readme, target);
            let checksum = hex::encode(Sha256::digest(&bytes));
            let size = bytes.len() as i64;
            storage
                .operator()
                .write(&blob_path(&checksum), bytes)
                .await?;
            out.insert(*vid, (checksum, size));
        }
    }
    Ok(out)
}

/// A package tarball of about `target` bytes. Source with random identifiers
/// compresses about as well as real code; one trial build tells how many
/// lines reach the target.
fn tarball_of(
    rng: &mut StdRng,
    name: &str,
    version: &str,
    manifest: &str,
    readme: &str,
    target: usize,
) -> Vec<u8> {
    let source = |rng: &mut StdRng, lines: usize| {
        let mut s = format!(";; {name} {version}\n");
        for _ in 0..lines {
            let (t, v) = (pick(rng, TOPICS), pick(rng, VERBS));
            let _ = writeln!(
                s,
                "(define ({t}-{v}-{:x} x) (list x {} \"{}\"))",
                rng.random::<u32>(),
                rng.random_range(0..100_000),
                pick(rng, FEATURES)
            );
        }
        s
    };
    let build = |src: &str| {
        tarball::build(&[
            ("sema.toml", manifest.as_bytes()),
            ("README.md", readme.as_bytes()),
            ("package.sema", src.as_bytes()),
        ])
    };
    let guess = (target / 16).max(1);
    let trial = build(&source(rng, guess));
    let lines = guess * target / trial.len().max(1);
    build(&source(rng, lines.max(1)))
}
