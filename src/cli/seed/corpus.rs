//! The bulk seeder's corpus, generated in memory from fixed random seeds:
//! the same options and the same starting point (existing names, id ranges,
//! start time) give the same corpus, which is what lets an interrupted run
//! resume by regenerating it and loading only what is missing.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::words::*;
use crate::domain::names::PackageName;
use crate::domain::tarball;

pub struct Pkg {
    pub id: i64,
    pub name: String,
    pub canonical: String,
    pub namespace: Option<String>,
    pub owner: i64,
    pub description: String,
    pub keywords: Vec<String>,
    pub readme: String,
    pub license: &'static str,
    pub created: DateTime<Utc>,
    /// (id, version, published at)
    pub versions: Vec<(i64, String, DateTime<Utc>)>,
    pub downloads: u64,
}

/// A registry dependency of one version: (version id, package index, exact version).
pub type Dep = (i64, usize, String);

/// What the corpus is generated against: the registry as the run found it.
pub struct Start {
    pub packages: i64,
    pub users: i64,
    pub first_user: i64,
    pub first_package: i64,
    /// Accounts before the run (seeder names continue the numbering).
    pub prior_users: i64,
    pub existing_names: HashSet<String>,
    pub taken_namespaces: HashSet<String>,
    pub now: DateTime<Utc>,
}

pub struct Corpus {
    pub user_rows: Vec<String>,
    pub namespaces: Vec<(String, i64)>,
    pub pkgs: Vec<Pkg>,
    pub deps: Vec<Dep>,
    /// `version_downloads` rows, per package: (version id, day, downloads).
    pub downloads: Vec<Vec<(i64, NaiveDate, u64)>>,
    /// Package index → its rank among those that get real tarballs.
    pub tarball_rank: HashMap<usize, usize>,
}

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// Everything but the version ids, which `Corpus::number_versions` assigns.
pub fn generate(start: &Start, max_versions: u32, tarballs: u64) -> Corpus {
    let n = start.packages;
    let mut rng = StdRng::seed_from_u64(0x5e3a_0000 ^ n as u64);
    let user_rows = (0..start.users)
        .map(|i| {
            let name = format!("seeder{}", start.prior_users + i);
            format!(
                "{}\t{name}\t{name}@seed.example\t\\N\n",
                start.first_user + i
            )
        })
        .collect();
    let namespaces = namespaces(&mut rng, start);
    let mut seen = start.existing_names.clone();
    let mut next_version = 0;
    let pkgs: Vec<Pkg> = (0..n)
        .map(|i| {
            let p = package(&mut rng, start, &namespaces, &mut seen, i, max_versions);
            p.numbered_from(&mut next_version)
        })
        .collect();
    // Dependencies draw on their own generator, so the packages above (the
    // search benchmark's corpus) do not change with these options.
    let mut drng = StdRng::seed_from_u64(0xde95_0000 ^ n as u64);
    let deps = dependencies(&mut drng, &pkgs);
    let downloads = pkgs
        .iter()
        .map(|p| download_rows(&mut rng, p, start.now))
        .collect();
    let mut order: Vec<usize> = (0..pkgs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(pkgs[i].downloads));
    order.truncate(tarballs as usize);
    let tarball_rank = order.into_iter().enumerate().map(|(r, i)| (i, r)).collect();
    Corpus {
        user_rows,
        namespaces,
        pkgs,
        deps,
        downloads,
        tarball_rank,
    }
}

impl Corpus {
    pub fn version_count(&self) -> i64 {
        self.pkgs.iter().map(|p| p.versions.len() as i64).sum()
    }

    /// Version ids are generated from 0 in package order; they start at `first`.
    pub fn number_versions(&mut self, first: i64) {
        for p in &mut self.pkgs {
            for v in &mut p.versions {
                v.0 += first;
            }
        }
        for d in &mut self.deps {
            d.0 += first;
        }
        for row in self.downloads.iter_mut().flatten() {
            row.0 += first;
        }
    }
}

impl Pkg {
    fn numbered_from(mut self, next: &mut i64) -> Pkg {
        for v in &mut self.versions {
            v.0 = *next;
            *next += 1;
        }
        self
    }
}

/// The fixed list plus numbered ones, each owned by one seeder.
fn namespaces(rng: &mut StdRng, start: &Start) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let wanted = (start.packages / 500).clamp(20, 4000) as usize;
    for i in 0..wanted {
        let base = NAMESPACES[i % NAMESPACES.len()];
        let name = if i < NAMESPACES.len() {
            base.to_string()
        } else {
            format!("{base}{}", i / NAMESPACES.len())
        };
        if !start.taken_namespaces.contains(&name) {
            out.push((name, start.first_user + rng.random_range(0..start.users)));
        }
    }
    out
}

/// Package `i`: name, owner, texts, versions and popularity.
fn package(
    rng: &mut StdRng,
    start: &Start,
    namespaces: &[(String, i64)],
    seen: &mut HashSet<String>,
    i: i64,
    max_versions: u32,
) -> Pkg {
    let t1 = *pick(rng, TOPICS);
    let t2 = *pick(rng, TOPICS);
    let suffix = *pick(rng, SUFFIXES);
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
        .then(|| pick(rng, namespaces).clone());
    let name = unique_name(rng, seen, ns.as_ref().map(|(n, _)| n.as_str()), &base);
    seen.insert(name.clone());
    let owner = ns
        .as_ref()
        .map(|(_, o)| *o)
        .unwrap_or_else(|| start.first_user + rng.random_range(0..start.users));
    let (description, keywords, readme) = texts(rng, &name, t1, t2);
    // Heavy tail: most packages are barely used, a few very much.
    let u: f64 = rng.random_range(1e-6..1.0);
    let downloads = ((8.0 / u.powf(1.15)) - 8.0) as u64;
    let created = start.now - Duration::minutes(rng.random_range(60..3 * 365 * 24 * 60));
    let versions = versions(rng, created, start.now, max_versions);
    Pkg {
        id: start.first_package + i,
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
    }
}

/// Description, keywords and README.
fn texts(rng: &mut StdRng, name: &str, t1: &str, t2: &str) -> (String, Vec<String>, String) {
    let t3 = *pick(rng, TOPICS);
    let (f1, f2) = (*pick(rng, FEATURES), *pick(rng, FEATURES));
    let mut description = match rng.random_range(0..4) {
        0 => format!(
            "{} {t1} {} for Sema",
            pick(rng, ADJECTIVES),
            pick(rng, KINDS)
        ),
        1 => format!(
            "{} {t1} {} with {f1} and {f2}",
            pick(rng, ADJECTIVES),
            pick(rng, KINDS)
        ),
        2 => format!("A {t1} {} that works with {t3}", pick(rng, KINDS)),
        _ => format!("{t2} and {t1} {}: {f1}", pick(rng, KINDS)),
    };
    let rare = (rng.random_range(0..20) == 0).then(|| rare_word(rng.random_range(0..RARE_WORDS)));
    if let Some(r) = &rare {
        if rng.random_bool(0.5) {
            description.push_str(&format!(" (codename {r})"));
        }
    }
    let mut keywords: Vec<String> = vec![t1.to_string()];
    for _ in 0..rng.random_range(0..5) {
        let k = pick(rng, TOPICS).to_string();
        if !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    let v = *pick(rng, VERBS);
    let mut readme = format!(
        "# {name}\n\n{description}.\n\n## Features\n\n- {f1}\n- {f2}\n- works with {t3} and {}\n\n## Install\n\n```sh\nsema pkg add {name}\n```\n\n## Usage\n\n```sema\n(import \"{name}\")\n({t1}/{v} input)\n```\n",
        pick(rng, TOPICS)
    );
    if let Some(r) = &rare {
        readme.push_str(&format!("\nBuilt for the {r} project.\n"));
    }
    if rng.random_bool(0.3) {
        readme.push_str(&format!(
            "\nSee also the {} and {} packages. Contributions welcome: open an issue first.\n",
            pick(rng, TOPICS),
            pick(rng, TOPICS)
        ));
    }
    (description, keywords, readme)
}

/// 1..=max versions between creation and now; ids are assigned by `Pkg::numbered_from`.
fn versions(
    rng: &mut StdRng,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
    max_versions: u32,
) -> Vec<(i64, String, DateTime<Utc>)> {
    let nv = rng.random_range(1..=max_versions as usize);
    let mut out = Vec::with_capacity(nv);
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
        out.push((0, format!("{major}.{minor}.0"), at));
    }
    out
}

/// `ns/base` or `base`, numbered (`base2`, `base5`, …) until it is neither
/// taken nor refused by publish (a reserved last segment such as `stats`).
pub fn unique_name(
    rng: &mut StdRng,
    seen: &HashSet<String>,
    ns: Option<&str>,
    base: &str,
) -> String {
    let full = |b: &str| match ns {
        Some(ns) => format!("{ns}/{b}"),
        None => b.to_string(),
    };
    let mut name = full(base);
    let mut k = 2;
    while seen.contains(&name) || PackageName::parse(&name).is_err() {
        name = full(&format!("{base}{k}"));
        k += 1 + rng.random_range(0..k);
    }
    name
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

/// Download history: the last 90 days day by day for busy packages, a few
/// days for quiet ones, and one old bucket for everything before.
fn download_rows(rng: &mut StdRng, p: &Pkg, now: DateTime<Utc>) -> Vec<(i64, NaiveDate, u64)> {
    let mut rows = Vec::new();
    if p.downloads == 0 {
        return rows;
    }
    let today = now.date_naive();
    let mut day = |vid: i64, d: NaiveDate, k: u64| {
        if k > 0 {
            rows.push((vid, d, k));
        }
    };
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
            day(
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
            day(latest, today - Duration::days(d as i64), n);
        }
    }
    let older = p.downloads - recent;
    if older > 0 && age_days > 91 {
        let d = rng.random_range(91..age_days) as i64;
        day(first, today - Duration::days(d), older);
    }
    rows
}

/// Real tarballs for every version of package `p` (ranked `rank` among the
/// most downloaded): a manifest naming the version's dependencies, the README
/// and generated source, 4 KiB–400 KiB compressed (log-uniform per package;
/// the most downloaded package's latest is 100 KiB). Each package draws on a
/// generator of its own, so any subset can be rebuilt alike.
pub fn tarballs_of(corpus: &Corpus, index: usize, rank: usize) -> Vec<(i64, Vec<u8>)> {
    let p = &corpus.pkgs[index];
    let mut rng =
        StdRng::seed_from_u64(0x7a2b_0000_0000 ^ ((corpus.pkgs.len() as u64) << 24) ^ index as u64);
    let package_target = (4096.0 * 100f64.powf(rng.random_range(0.0..1.0))) as usize;
    let keywords: Vec<String> = p.keywords.iter().map(|k| format!("{k:?}")).collect();
    let mut out = Vec::with_capacity(p.versions.len());
    for (j, (vid, version, _)) in p.versions.iter().enumerate() {
        let target = if rank == 0 && j + 1 == p.versions.len() {
            100 * 1024
        } else {
            package_target
        };
        let mut deps = String::new();
        // Dependencies are generated in version order, so they are sorted by version id.
        let from = corpus.deps.partition_point(|d| d.0 < *vid);
        for (_, dep, req) in corpus.deps[from..].iter().take_while(|d| d.0 == *vid) {
            let _ = writeln!(deps, "{:?} = {req:?}", corpus.pkgs[*dep].name);
        }
        let manifest = format!(
            "[package]\nname = {:?}\nversion = {version:?}\ndescription = {:?}\nlicense = {:?}\nkeywords = [{}]\nentrypoint = \"package.sema\"\n\n[deps]\n{deps}",
            p.name,
            p.description,
            p.license,
            keywords.join(", "),
        );
        let bytes = tarball_of(&mut rng, &p.name, version, &manifest, &p.readme, target);
        out.push((*vid, bytes));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::RESERVED;

    #[test]
    fn generated_names_are_names_publish_accepts() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = HashSet::new();
        for word in RESERVED.iter().chain(TOPICS) {
            for ns in [None, Some("acme")] {
                // Twice each: the second is numbered past the first.
                for _ in 0..2 {
                    let name = unique_name(&mut rng, &seen, ns, word);
                    assert!(PackageName::parse(&name).is_ok(), "{name}");
                    assert!(seen.insert(name));
                }
            }
        }
        assert!(!seen.contains("stats") && !seen.contains("acme/feed"));
        assert!(seen.contains("json") && seen.contains("acme/json"));
    }
}
