//! `/api/v1/packages/{name}` and its read-only children, and publish (PUT).

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::audit::{self, Entry};
use crate::auth::Authed;
use crate::cache::Rendered;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::{
    names::{PackageName, Version},
    packages::{self, DependentInfo, PackageDetail, VersionInfo},
    publish::{self, Published, Publisher, Upload},
    readme,
    tarball::Limits,
};
use crate::state::AppState;

/// A package with its owners and every version (newest published first, yanked
/// included). The install path's hottest read: from memory when cached (see
/// `cache`), with an ETag.
#[utoipa::path(
    get, path = "/api/v1/packages/{name}", operation_id = "packages_show", tag = "packages",
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling")),
    responses(
        (status = 200, description = "The package", body = PackageDetail),
        (status = 304, description = "Unchanged since the ETag sent in `If-None-Match`"),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let shelf = &state.caches.metadata;
    let answer = match shelf.get(&name) {
        Some(hit) => hit,
        None => {
            let ticket = shelf.ticket();
            let mut conn = state.pool.get().await?;
            let detail = packages::detail(&mut conn, &name).await?;
            let body = serde_json::to_vec(&detail).map_err(AppError::internal)?;
            shelf.put(
                name.into_inner(),
                ticket,
                detail.package_id,
                Rendered::new(body),
            )
        }
    };
    Ok(super::rendered_json(&req, &answer))
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub name: String,
    /// Newest published first, yanked included.
    pub versions: Vec<VersionInfo>,
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/versions", operation_id = "packages_versions", tag = "packages",
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling")),
    responses(
        (status = 200, description = "Every version", body = VersionList),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn versions(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let detail = packages::detail(&mut conn, &name).await?;
    Ok(HttpResponse::Ok().json(VersionList {
        name: detail.package.name,
        versions: detail.versions,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Dependents {
    pub name: String,
    pub dependents: Vec<DependentInfo>,
}

/// Packages whose versions depend on this one.
#[utoipa::path(
    get, path = "/api/v1/packages/{name}/dependents", operation_id = "packages_dependents", tag = "packages",
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling")),
    responses(
        (status = 200, description = "Dependents with the versions that need this package", body = Dependents),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn dependents(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    let dependents = packages::dependents(&mut conn, &pkg).await?;
    Ok(HttpResponse::Ok().json(Dependents {
        name: pkg.name,
        dependents,
    }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadmeQuery {
    /// A version; the latest when absent.
    pub version: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Readme {
    pub name: String,
    pub version: String,
    /// The README as sanitised HTML; null when the version has none.
    pub html: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/readme", operation_id = "packages_readme", tag = "packages",
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling"), ReadmeQuery),
    responses(
        (status = 200, description = "The README of that version", body = Readme),
        (status = 404, description = "No such package or version", body = ErrorBody),
    )
)]
pub async fn readme(
    state: web::Data<AppState>,
    name: web::Path<String>,
    q: web::Query<ReadmeQuery>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    let (version, text) = packages::readme(&mut conn, &pkg, q.version.as_deref()).await?;
    Ok(HttpResponse::Ok().json(Readme {
        name: pkg.name,
        version,
        html: text.as_deref().map(readme::render),
    }))
}

/// The multipart body `sema pkg publish` sends.
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the parts `read_multipart` reads; never built.
pub struct PublishForm {
    /// The package: gzip + tar with `sema.toml` at the root.
    #[schema(value_type = String, format = Binary)]
    tarball: Vec<u8>,
    /// A JSON object; the manifest inside the tarball wins where they differ.
    metadata: String,
}

/// `PUT /api/v1/packages/{name}/{version}`. The route takes the whole tail and
/// splits at the last `/`, so any malformed name or version gets a precise 400.
#[utoipa::path(
    put, path = "/api/v1/packages/{name}/{version}", operation_id = "packages_publish", tag = "packages",
    security(("token" = ["publish-new", "publish-update"])),
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling"), ("version" = String, Path, description = "A published version (strict semver)")),
    request_body(content = PublishForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Published", body = Published),
        (status = 200, description = "The same bytes were already published (a retry): the first response again", body = Published),
        (status = 400, description = "Bad name, version, multipart body or tarball", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an owner, the namespace is someone else's, or the token lacks the scope", body = ErrorBody),
        (status = 409, description = "That version exists with other bytes", body = ErrorBody),
        (status = 413, description = "Larger than the registry's limit", body = ErrorBody),
        (status = 422, description = "The manifest does not match the URL or is invalid", body = ErrorBody),
    )
)]
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authed,
    tail: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let audit_auth = auth.clone();
    let result = accept_upload(&req, &state, auth, &tail, payload).await;
    let label = match &result {
        Ok(o) if o.created => "created",
        Ok(_) => "unchanged",
        Err(_) => "refused",
    };
    state.metrics.publishes.with_label_values(&[label]).inc();
    let outcome = result?;
    if outcome.created {
        let mut conn = state.pool.get().await?;
        let entry = Entry::new("version.publish")
            .by(&audit_auth)
            .package(outcome.package_id, &outcome.body.package)
            .version(&outcome.body.version);
        audit::record(&mut conn, &audit_auth.origin, entry).await?;
    }
    let mut status = if outcome.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(status.json(outcome.body))
}

async fn accept_upload(
    req: &HttpRequest,
    state: &AppState,
    auth: Authed,
    tail: &str,
    payload: web::Payload,
) -> AppResult<publish::Outcome> {
    let (name, version) = tail
        .rsplit_once('/')
        .ok_or_else(|| AppError::bad_request("publish to /api/v1/packages/{name}/{version}"))?;
    let name = PackageName::parse(name)?;
    let version = Version::parse(version)?;
    let max = state.config.max_tarball_bytes;
    // Refuse a declared oversize body before reading any of it.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max + METADATA_MAX as u64 + 64 * 1024) {
        return Err(too_large(max));
    }
    let (upload, _tmp) = read_multipart(req, payload, max).await?;
    let user = auth.user.clone();
    let allows = move |scope: &str, canonical: &str| auth.require_scope(scope, canonical);
    let publisher = Publisher {
        user: &user,
        allows: &allows,
    };
    publish::publish(
        &state.pool,
        &state.storage,
        Limits::default(),
        name,
        version,
        upload,
        publisher,
    )
    .await
}

const METADATA_MAX: usize = 64 * 1024;

fn too_large(max: u64) -> AppError {
    AppError::PayloadTooLarge(format!(
        "the tarball is larger than this registry's limit of {max} bytes"
    ))
}

/// Streams the `tarball` part to a temporary file while hashing it (memory
/// stays flat whatever the size) and checks the `metadata` part.
async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    max: u64,
) -> AppResult<(Upload, tempfile::TempPath)> {
    let bad = |m: String| AppError::bad_request(format!("invalid multipart upload: {m}"));
    let mut form = Multipart::new(req.headers(), payload);
    let mut upload: Option<(Upload, tempfile::TempPath)> = None;
    let mut metadata_seen = false;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| bad(e.to_string()))?;
        match field.name().unwrap_or_default() {
            "tarball" => {
                if upload.is_some() {
                    return Err(bad("more than one `tarball` part".into()));
                }
                let tmp = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
                let (mut file, path) = tmp.into_parts();
                let mut hasher = Sha256::new();
                let mut size = 0u64;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| bad(e.to_string()))?;
                    size += chunk.len() as u64;
                    if size > max {
                        return Err(too_large(max));
                    }
                    hasher.update(&chunk);
                    // Small blocking writes to a local temp file; cheaper than a thread hop each.
                    file.write_all(&chunk).map_err(AppError::internal)?;
                }
                file.flush().map_err(AppError::internal)?;
                if size == 0 {
                    return Err(bad("the `tarball` part is empty".into()));
                }
                let checksum = hex::encode(hasher.finalize());
                upload = Some((
                    Upload {
                        path: path.to_path_buf(),
                        checksum,
                        size,
                    },
                    path,
                ));
            }
            "metadata" => {
                if metadata_seen {
                    return Err(bad("more than one `metadata` part".into()));
                }
                metadata_seen = true;
                let mut buf = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| bad(e.to_string()))?;
                    if buf.len() + chunk.len() > METADATA_MAX {
                        return Err(bad(format!(
                            "the `metadata` part is larger than {METADATA_MAX} bytes"
                        )));
                    }
                    buf.extend_from_slice(&chunk);
                }
                // The manifest inside the tarball wins; the metadata only has to be well-formed.
                match serde_json::from_slice::<serde_json::Value>(&buf) {
                    Ok(serde_json::Value::Object(_)) => {}
                    _ => return Err(bad("the `metadata` part must be a JSON object".into())),
                }
            }
            other => {
                let shown: String = other.chars().take(40).collect();
                return Err(bad(format!(
                    "unexpected part {shown:?}; send `tarball` and `metadata`"
                )));
            }
        }
    }
    if !metadata_seen {
        return Err(bad("missing the `metadata` part".into()));
    }
    upload.ok_or_else(|| bad("missing the `tarball` part".into()))
}
