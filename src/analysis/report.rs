//! The analysis's report and its vocabulary: capabilities, limits, uses,
//! the public API; shared by the walk, the diff and the entry points.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::capability_table;

/// Bumped when the analysis changes meaning, so `sema-pkg analyze --all`
/// redoes versions analysed by an older one.
pub const ANALYZER_VERSION: i32 = 1;

/// Sema's capabilities, in the order sema-core's `Caps` lists them.
pub const CAPABILITIES: [&str; 9] = [
    "fs-read",
    "fs-write",
    "shell",
    "network",
    "env-read",
    "env-write",
    "process",
    "llm",
    "serial",
];

/// Bounds on the work one version may cause.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `.sema` files read; more are skipped (and said so).
    pub files: usize,
    /// Bytes of one file; larger files are not read.
    pub file_bytes: u64,
    /// Bytes of all `.sema` files together.
    pub total_bytes: u64,
    /// Tokens of one file, estimated before reading it (the reader keeps
    /// every token in memory).
    pub file_tokens: usize,
    /// Forms walked over all files.
    pub nodes: usize,
    /// Wall time of the whole analysis.
    pub time: Duration,
    /// Entries listed per kind (uses, API, dynamic sites, notes).
    pub listed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            files: 2_000,
            file_bytes: 1024 * 1024,
            total_bytes: 16 * 1024 * 1024,
            file_tokens: 200_000,
            nodes: 2_000_000,
            time: Duration::from_secs(20),
            listed: 2_000,
        }
    }
}

/// A gated builtin referenced in code.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Use {
    pub file: String,
    pub line: usize,
    pub builtin: String,
    pub capabilities: Vec<String>,
}

/// `eval`, `load`, or `import` of a computed value.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct DynamicUse {
    /// `eval`, `load` or `import`.
    pub kind: String,
    pub file: String,
    pub line: usize,
    /// The literal argument when there is one (`load "x.sema"`), else what it is.
    pub detail: String,
}

/// One name of the public API.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct ApiItem {
    pub name: String,
    /// Required parameters, when the definition says (a function or macro).
    pub arity: Option<u32>,
    /// Takes more arguments after the required ones (`. rest`).
    #[serde(default)]
    pub variadic: bool,
    /// `function`, `macro`, `value`, `record`, `multimethod`, `tool` or `agent`.
    pub kind: String,
    pub file: String,
}

/// What reading a version found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub analyzer: i32,
    /// The Sema release the capability table comes from.
    pub sema: String,
    /// Capabilities the version's own code may use, in `CAPABILITIES` order.
    pub capabilities: Vec<String>,
    /// It uses a dynamic feature, or a file could not be fully read.
    pub dynamic: bool,
    pub dynamic_uses: Vec<DynamicUse>,
    pub api: Vec<ApiItem>,
    /// Other packages imported by a literal name.
    pub imports: Vec<String>,
    pub uses: Vec<Use>,
    /// `.sema` files read.
    pub files: usize,
    /// "could not read FILE: reason", and any limit reached.
    pub notes: Vec<String>,
    /// Every `.sema` file was read to the end.
    pub complete: bool,
}

/// The uses of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileUses {
    pub file: String,
    /// What the file's code may use, in `CAPABILITIES` order.
    pub capabilities: Vec<String>,
    pub uses: Vec<FileUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileUse {
    pub line: usize,
    pub builtin: String,
    pub capabilities: Vec<String>,
}

/// Uses grouped by file, files in path order.
pub fn by_file(uses: &[Use]) -> Vec<FileUses> {
    let mut out: Vec<FileUses> = Vec::new();
    for u in uses {
        if out.last().is_none_or(|f| f.file != u.file) {
            out.push(FileUses {
                file: u.file.clone(),
                capabilities: Vec::new(),
                uses: Vec::new(),
            });
        }
        let f = out.last_mut().expect("pushed above");
        f.uses.push(FileUse {
            line: u.line,
            builtin: u.builtin.clone(),
            capabilities: u.capabilities.clone(),
        });
        let all: Vec<String> = f
            .capabilities
            .iter()
            .chain(&u.capabilities)
            .cloned()
            .collect();
        f.capabilities = ordered(all.iter().map(String::as_str));
    }
    out
}

/// Capabilities in `CAPABILITIES` order, unknown ones last, each once.
pub fn ordered<'a>(caps: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = caps.into_iter().collect();
    let rank = |c: &str| {
        CAPABILITIES
            .iter()
            .position(|k| *k == c)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<&str> = set.into_iter().collect();
    out.sort_by_key(|c| (rank(c), *c));
    out.into_iter().map(str::to_string).collect()
}

/// The capabilities a gated builtin needs, from the generated table.
pub fn gated(name: &str) -> Option<&'static [&'static str]> {
    let table = capability_table::GATED;
    table
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| table[i].1)
}
