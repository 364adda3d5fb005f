//! What a version's code can do: `GET /api/v1/packages/{name}/{version}/analysis`
//! (with the diff against the version before it) and `POST /api/v1/analyze`
//! (the same for a tarball not published, so owners can check a release in CI).

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::analysis::{self, ApiItem, Diff, DynamicUse, FileUses, Report};
use crate::auth::Authed;
use crate::domain::names::{self, PackageName, Version};
use crate::domain::{manifest, tarball};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::analyses::{self, Stored};
use crate::registry::packages;
use crate::state::AppState;

/// What the version's code may use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Capabilities {
    /// Used by the version's own code (through gated builtins).
    pub own: Vec<String>,
    /// Its own and its dependencies', transitively, by the exact versions pinned.
    pub effective: Vec<String>,
    /// It uses `eval`, `load` or a computed `import`, or a file was too large
    /// to read: more may happen than reading can tell.
    pub dynamic: bool,
}

/// One public name (the version's API).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiName {
    pub name: String,
    /// Required arguments, when the definition says.
    pub arity: Option<u32>,
    pub variadic: bool,
    /// `function`, `macro`, `value`, `record`, `multimethod` or `tool`.
    pub kind: String,
}

impl Capabilities {
    pub fn of(s: &Stored) -> Capabilities {
        Capabilities {
            own: s.report.capabilities.clone(),
            effective: s.effective.clone(),
            dynamic: s.report.dynamic,
        }
    }
}

pub fn api_names(api: &[ApiItem]) -> Vec<ApiName> {
    api.iter()
        .map(|a| ApiName {
            name: a.name.clone(),
            arity: a.arity,
            variadic: a.variadic,
            kind: a.kind.clone(),
        })
        .collect()
}

/// The analysis of one version, and how it differs from the one before it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisBody {
    pub name: String,
    pub version: String,
    pub capabilities: Capabilities,
    pub api: Vec<ApiItem>,
    /// Packages imported by a literal name.
    pub imports: Vec<String>,
    /// Where `eval`, `load` and computed imports occur.
    pub dynamic_uses: Vec<DynamicUse>,
    /// Per file, where each capability is used.
    pub files: Vec<FileUses>,
    /// "could not read FILE: reason", and limits reached.
    pub notes: Vec<String>,
    /// Every `.sema` file was read to the end.
    pub complete: bool,
    /// `.sema` files read.
    pub files_read: usize,
    /// The Sema release whose capability table was used.
    pub sema: String,
    #[serde(flatten)]
    pub diff: Diff,
}

fn body(
    name: String,
    version: String,
    report: Report,
    effective: Vec<String>,
    diff: Diff,
) -> AnalysisBody {
    AnalysisBody {
        name,
        version,
        capabilities: Capabilities {
            own: report.capabilities,
            effective,
            dynamic: report.dynamic,
        },
        files: analysis::by_file(&report.uses),
        api: report.api,
        imports: report.imports,
        dynamic_uses: report.dynamic_uses,
        notes: report.notes,
        complete: report.complete,
        files_read: report.files,
        sema: report.sema,
        diff,
    }
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/{version}/analysis", operation_id = "versions_analysis", tag = "packages",
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling"), ("version" = String, Path, description = "A published version (strict semver)")),
    responses(
        (status = 200, description = "The analysis and the diff against the previous analysed version", body = AnalysisBody),
        (status = 404, description = "No such package or version, or the version is not analysed yet", body = ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, version) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    packages::find_version(&mut conn, &pkg, &version).await?;
    let (this, prev) = analyses::with_previous(&mut conn, pkg.id, &version)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "{}@{version} has not been analysed yet (an operator runs `sema-pkg analyze --all`)",
                pkg.name
            ))
        })?;
    let diff = analyses::diff_of(&this, prev.as_ref());
    Ok(HttpResponse::Ok().json(body(
        pkg.name,
        this.version,
        this.report,
        this.effective,
        diff,
    )))
}

/// The multipart body of `POST /api/v1/analyze`.
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the part `read_tarball` reads; never built.
pub struct AnalyzeForm {
    /// The package as it would be published: gzip + tar with `sema.toml` at the root.
    #[schema(value_type = String, format = Binary)]
    tarball: Vec<u8>,
}

/// Analyses a tarball without publishing it: the same checks as publish
/// (archive, manifest, dependencies' pins), then the analysis and the diff
/// against the highest published version below it.
#[utoipa::path(
    post, path = "/api/v1/analyze", operation_id = "analyze", tag = "packages",
    security(("token" = []), ("session" = [])),
    request_body(content = AnalyzeForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The analysis; nothing is stored", body = AnalysisBody),
        (status = 400, description = "Bad multipart body or tarball", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 413, description = "Larger than the registry's limit", body = ErrorBody),
        (status = 422, description = "The manifest is invalid", body = ErrorBody),
    )
)]
pub async fn analyze(
    req: HttpRequest,
    state: web::Data<AppState>,
    _auth: Authed,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let tmp = read_tarball(&req, payload, state.config.max_tarball_bytes).await?;
    let path = tmp.to_path_buf();
    let contents =
        tokio::task::spawn_blocking(move || tarball::inspect(&path, tarball::Limits::default()))
            .await
            .map_err(AppError::internal)??;
    let (name, version) = name_and_version(&contents.manifest)?;
    let m = manifest::parse(&contents.manifest, &name, &version)?;
    let report = analyses::read(&tmp).await;
    let mut conn = state.pool.get().await?;
    let pins: Vec<(String, String)> = m
        .deps
        .iter()
        .filter(|d| d.kind == manifest::DepKind::Registry)
        .map(|d| (names::canonical(&d.name), d.req.clone()))
        .collect();
    let deps = analyses::deps_effective(&mut conn, &pins).await?;
    let effective = analysis::ordered(report.capabilities.iter().chain(&deps).map(String::as_str));
    let prev = match packages::find(&mut conn, &name.name).await {
        Ok(pkg) => analyses::before(&mut conn, pkg.id, &version.semver).await?,
        Err(_) => None,
    };
    let this = Stored {
        version: version.raw.clone(),
        report,
        effective,
        added: Vec::new(),
    };
    let diff = analyses::diff_of(&this, prev.as_ref());
    Ok(HttpResponse::Ok().json(body(
        name.name,
        this.version,
        this.report,
        this.effective,
        diff,
    )))
}

/// `[package] name` and `version` of a manifest, checked as publish checks a URL.
fn name_and_version(toml_text: &str) -> AppResult<(PackageName, Version)> {
    let bad = |m: &str| AppError::unprocessable(format!("sema.toml: {m}"));
    let doc: toml::Table = toml_text
        .parse()
        .map_err(|e: toml::de::Error| bad(&format!("not valid TOML ({})", e.message())))?;
    let package = doc.get("package").and_then(|p| p.as_table());
    let field = |k: &str| package.and_then(|p| p.get(k)).and_then(|v| v.as_str());
    let name = field("name").ok_or_else(|| bad("[package] name is missing"))?;
    let version = field("version").ok_or_else(|| bad("[package] version is missing"))?;
    Ok((PackageName::parse(name)?, Version::parse(version)?))
}

/// Streams the `tarball` part to a temporary file (other parts are refused).
async fn read_tarball(
    req: &HttpRequest,
    payload: web::Payload,
    max: u64,
) -> AppResult<tempfile::TempPath> {
    let bad = |m: String| AppError::bad_request(format!("invalid multipart upload: {m}"));
    let mut form = Multipart::new(req.headers(), payload);
    let mut out = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| bad(e.to_string()))?;
        if field.name() != Some("tarball") || out.is_some() {
            return Err(bad("send exactly one part, `tarball`".into()));
        }
        let (mut file, path) = tempfile::NamedTempFile::new()
            .map_err(AppError::internal)?
            .into_parts();
        let mut size = 0u64;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| bad(e.to_string()))?;
            size += chunk.len() as u64;
            if size > max {
                return Err(AppError::PayloadTooLarge(format!(
                    "the tarball is larger than this registry's limit of {max} bytes"
                )));
            }
            file.write_all(&chunk).map_err(AppError::internal)?;
        }
        file.flush().map_err(AppError::internal)?;
        out = Some(path);
    }
    out.ok_or_else(|| bad("missing the `tarball` part".into()))
}
