//! What a version's code can do, on the pages: the capability row of the
//! package page, its Capabilities tab (the diff against the previous version,
//! in a warning style when a release adds capabilities), and the mark on
//! releases that add capabilities in the activity and audit lists.

use diesel_async::AsyncPgConnection;

use super::view::EventRow;
use crate::analysis::{DynamicUse, FileUses};
use crate::error::AppResult;
use crate::registry::analyses;

/// "network · fs-read", or "no capabilities".
pub fn caps_text(caps: &[String]) -> String {
    if caps.is_empty() {
        "no capabilities".into()
    } else {
        caps.join(" · ")
    }
}

/// The capability row of the package page.
#[derive(Default)]
pub struct CapRow {
    pub analysed: bool,
    /// The effective capabilities ("no capabilities" when none).
    pub text: String,
    pub dynamic: bool,
    /// What this version added over the previous one ("shell, process").
    pub adds: Option<String>,
}

pub async fn row(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    version: &str,
) -> AppResult<CapRow> {
    Ok(match analyses::find(conn, package_id, version).await? {
        Some(s) => CapRow {
            analysed: true,
            text: caps_text(&s.effective),
            dynamic: s.report.dynamic,
            adds: (!s.added.is_empty()).then(|| s.added.join(", ")),
        },
        None => CapRow::default(),
    })
}

/// The Capabilities tab of one version.
#[derive(Default)]
pub struct CapPanel {
    pub version: String,
    pub analysed: bool,
    pub own: String,
    pub effective: String,
    pub dynamic: bool,
    pub dynamic_uses: Vec<DynamicUse>,
    pub files: Vec<FileUses>,
    /// (name, arity as shown: "2", "1+", "—").
    pub api: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub previous: Option<String>,
    pub bump: String,
    pub added: String,
    pub removed: String,
    pub added_api: Vec<String>,
    pub removed_api: Vec<String>,
    pub changed_api: Vec<String>,
    /// API removed or changed in a patch or minor release.
    pub breaking: bool,
    /// The release adds capabilities: shown as a warning.
    pub warn: bool,
}

pub async fn panel(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    version: &str,
) -> AppResult<CapPanel> {
    let Some((this, prev)) = analyses::with_previous(conn, package_id, version).await? else {
        return Ok(CapPanel {
            version: version.to_string(),
            ..Default::default()
        });
    };
    let diff = analyses::diff_of(&this, prev.as_ref());
    let r = &this.report;
    Ok(CapPanel {
        version: this.version.clone(),
        analysed: true,
        own: caps_text(&r.capabilities),
        effective: caps_text(&this.effective),
        dynamic: r.dynamic,
        dynamic_uses: r.dynamic_uses.clone(),
        files: crate::analysis::by_file(&r.uses),
        api: r
            .api
            .iter()
            .map(|a| {
                let arity = match (a.arity, a.variadic) {
                    (Some(n), true) => format!("{n}+"),
                    (Some(n), false) => n.to_string(),
                    (None, _) => "—".into(),
                };
                (a.name.clone(), arity)
            })
            .collect(),
        notes: r.notes.clone(),
        previous: diff.previous_version,
        bump: diff.bump.map(|b| b.as_str()).unwrap_or("").to_string(),
        warn: !diff.added_capabilities.is_empty(),
        added: diff.added_capabilities.join(", "),
        removed: diff.removed_capabilities.join(", "),
        added_api: diff.added_api,
        removed_api: diff.removed_api,
        changed_api: diff.changed_api,
        breaking: diff.breaking,
    })
}

/// Marks the publish entries of releases that added capabilities.
pub async fn mark_releases(conn: &mut AsyncPgConnection, rows: &mut [EventRow]) -> AppResult<()> {
    let releases: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r.action == "version.publish")
        .filter_map(|r| Some((r.package.clone()?, r.version.clone()?)))
        .collect();
    let added = analyses::added_caps(conn, &releases).await?;
    for r in rows {
        if let (Some(p), Some(v)) = (&r.package, &r.version) {
            if r.action == "version.publish" {
                r.adds = added.get(&(p.clone(), v.clone())).map(|c| c.join(", "));
            }
        }
    }
    Ok(())
}
