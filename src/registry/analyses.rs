//! The stored analysis of each version (migration `version_analysis`): written
//! at publish and by `sema-pkg analyze --all`, read by the API, the package
//! page, search (through the filter terms) and the feeds.

use std::collections::HashMap;
use std::path::Path;

use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Text};
use diesel::OptionalExtension;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::analysis::{self, ApiItem, Report};
use crate::error::{AppError, AppResult};

/// Reads an uploaded tarball's code on a blocking thread; never fails.
pub async fn read(path: &Path) -> Report {
    let path = path.to_path_buf();
    let limits = analysis::Limits::default();
    tokio::task::spawn_blocking(move || analysis::analyze_tarball(&path, limits))
        .await
        .unwrap_or_else(|e| Report {
            notes: vec![format!("analysis failed: {e}")],
            dynamic: true,
            ..Default::default()
        })
}

/// Stores (or replaces) a version's analysis, with its effective
/// capabilities, and refreshes what its package's versions add.
pub async fn save(conn: &mut AsyncPgConnection, version_id: i64, report: &Report) -> AppResult<()> {
    let json = serde_json::to_value(report).map_err(AppError::internal)?;
    diesel::sql_query(
        "INSERT INTO version_analysis (version_id, analyzer, caps, dynamic, report)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (version_id) DO UPDATE
         SET analyzer = excluded.analyzer, caps = excluded.caps, dynamic = excluded.dynamic,
             report = excluded.report, analyzed_at = now()",
    )
    .bind::<BigInt, _>(version_id)
    .bind::<Integer, _>(report.analyzer)
    .bind::<Array<Text>, _>(&report.capabilities)
    .bind::<Bool, _>(report.dynamic)
    .bind::<Jsonb, _>(json)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE version_analysis SET effective_caps = version_effective_caps(version_id)
         WHERE version_id = $1",
    )
    .bind::<BigInt, _>(version_id)
    .execute(conn)
    .await?;
    let package_id: i64 = diesel::sql_query("SELECT package_id AS n FROM versions WHERE id = $1")
        .bind::<BigInt, _>(version_id)
        .get_result::<Count>(conn)
        .await?
        .n;
    refresh_added(conn, package_id).await
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    version_id: i64,
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Array<Text>)]
    effective_caps: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    added_caps: Vec<String>,
}

/// The package's analysed versions in semver order (unparsable ones dropped).
async fn rows(conn: &mut AsyncPgConnection, package_id: i64) -> AppResult<Vec<Row>> {
    let mut rows: Vec<(semver::Version, Row)> = diesel::sql_query(
        "SELECT a.version_id, v.version, a.effective_caps, a.added_caps
         FROM version_analysis a JOIN versions v ON v.id = a.version_id WHERE v.package_id = $1",
    )
    .bind::<BigInt, _>(package_id)
    .load::<Row>(conn)
    .await?
    .into_iter()
    .filter_map(|r| Some((semver::Version::parse(&r.version).ok()?, r)))
    .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Each analysed version's `added_caps` against the one before it (by semver):
/// publishing or analysing one version can change its successor's.
pub async fn refresh_added(conn: &mut AsyncPgConnection, package_id: i64) -> AppResult<()> {
    let rows = rows(conn, package_id).await?;
    let mut prev: Option<&[String]> = None;
    for r in &rows {
        let added: Vec<String> = match prev {
            Some(p) => r
                .effective_caps
                .iter()
                .filter(|c| !p.contains(c))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        if added != r.added_caps {
            diesel::sql_query("UPDATE version_analysis SET added_caps = $2 WHERE version_id = $1")
                .bind::<BigInt, _>(r.version_id)
                .bind::<Array<Text>, _>(analysis::ordered(added.iter().map(String::as_str)))
                .execute(conn)
                .await?;
        }
        prev = Some(&r.effective_caps);
    }
    Ok(())
}

/// A version's stored analysis.
#[derive(Debug, Clone)]
pub struct Stored {
    pub version: String,
    pub report: Report,
    pub effective: Vec<String>,
    pub added: Vec<String>,
}

#[derive(diesel::QueryableByName)]
struct Full {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Jsonb)]
    report: serde_json::Value,
    #[diesel(sql_type = Array<Text>)]
    effective_caps: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    added_caps: Vec<String>,
}

/// The analysis of `version` of the package, if it has one.
pub async fn find(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    version: &str,
) -> AppResult<Option<Stored>> {
    let row: Option<Full> = diesel::sql_query(
        "SELECT v.version, a.report, a.effective_caps, a.added_caps
         FROM version_analysis a JOIN versions v ON v.id = a.version_id
         WHERE v.package_id = $1 AND v.version = $2",
    )
    .bind::<BigInt, _>(package_id)
    .bind::<Text, _>(version)
    .get_result(conn)
    .await
    .optional()?;
    row.map(|r| {
        Ok(Stored {
            version: r.version,
            report: serde_json::from_value(r.report).map_err(AppError::internal)?,
            effective: analysis::ordered(r.effective_caps.iter().map(String::as_str)),
            added: analysis::ordered(r.added_caps.iter().map(String::as_str)),
        })
    })
    .transpose()
}

/// The analysis of `version` and of the analysed version before it.
pub async fn with_previous(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    version: &str,
) -> AppResult<Option<(Stored, Option<Stored>)>> {
    let Some(this) = find(conn, package_id, version).await? else {
        return Ok(None);
    };
    let prev = match semver::Version::parse(version) {
        Ok(v) => before(conn, package_id, &v).await?,
        Err(_) => None,
    };
    Ok(Some((this, prev)))
}

/// The highest analysed version below `version`.
pub async fn before(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    version: &semver::Version,
) -> AppResult<Option<Stored>> {
    let rows = rows(conn, package_id).await?;
    let prev = rows
        .iter()
        .rev()
        .find(|r| semver::Version::parse(&r.version).is_ok_and(|v| v < *version));
    match prev {
        Some(r) => find(conn, package_id, &r.version.clone()).await,
        None => Ok(None),
    }
}

/// The effective capabilities of exact dependency versions, (canonical name, version).
pub async fn deps_effective(
    conn: &mut AsyncPgConnection,
    deps: &[(String, String)],
) -> AppResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Cap {
        #[diesel(sql_type = Text)]
        cap: String,
    }
    if deps.is_empty() {
        return Ok(Vec::new());
    }
    let (names, versions): (Vec<String>, Vec<String>) = deps.iter().cloned().unzip();
    let caps: Vec<Cap> = diesel::sql_query(
        "SELECT DISTINCT c AS cap
         FROM unnest($1::text[], $2::text[]) AS d(canonical, version)
         JOIN packages p ON p.canonical_name = d.canonical
         JOIN versions v ON v.package_id = p.id AND v.version = d.version
         JOIN version_analysis a ON a.version_id = v.id, unnest(a.effective_caps) AS c",
    )
    .bind::<Array<Text>, _>(names)
    .bind::<Array<Text>, _>(versions)
    .load(conn)
    .await?;
    Ok(caps.into_iter().map(|c| c.cap).collect())
}

/// The diff of a stored analysis against the previous one.
pub fn diff_of(this: &Stored, prev: Option<&Stored>) -> analysis::Diff {
    let side = |s: &'_ Stored| -> (String, Vec<String>, Vec<ApiItem>) {
        (s.version.clone(), s.effective.clone(), s.report.api.clone())
    };
    let (v, caps, api) = side(this);
    let prev = prev.map(side);
    analysis::diff(
        prev.as_ref().map(|(v, c, a)| analysis::Side {
            version: v,
            capabilities: c,
            api: a,
        }),
        analysis::Side {
            version: &v,
            capabilities: &caps,
            api: &api,
        },
    )
}

#[derive(diesel::QueryableByName)]
struct Added {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Array<Text>)]
    added_caps: Vec<String>,
}

/// Capabilities each (package name, version) release added, for lists of
/// releases (feeds, activity, the audit log); releases that added none are absent.
pub async fn added_caps(
    conn: &mut AsyncPgConnection,
    releases: &[(String, String)],
) -> AppResult<HashMap<(String, String), Vec<String>>> {
    if releases.is_empty() {
        return Ok(HashMap::new());
    }
    let (names, versions): (Vec<String>, Vec<String>) = releases.iter().cloned().unzip();
    let rows: Vec<Added> = diesel::sql_query(
        "SELECT p.name, v.version, a.added_caps
         FROM unnest($1::text[], $2::text[]) AS r(name, version)
         JOIN packages p ON p.name = r.name
         JOIN versions v ON v.package_id = p.id AND v.version = r.version
         JOIN version_analysis a ON a.version_id = v.id
         WHERE cardinality(a.added_caps) > 0",
    )
    .bind::<Array<Text>, _>(names)
    .bind::<Array<Text>, _>(versions)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let caps = analysis::ordered(r.added_caps.iter().map(String::as_str));
            ((r.name, r.version), caps)
        })
        .collect())
}
