//! `/api/v1/packages/{name}` and its read-only children, and publish (PUT).

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::wire::{DependentInfo, PackageDetail, Published, VersionInfo};
use crate::auth::Authed;
use crate::cache::Rendered;
use crate::domain::{
    names::{PackageName, Version},
    readme,
    tarball::Limits,
};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::reads::Reads;
use crate::registry::{
    packages,
    publish::{self, Upload},
};
use crate::state::AppState;
use crate::usecase;

/// A package with its owners and every version (newest published first, yanked
/// included). The install path's hottest read: from memory when cached (see
/// `cache`), with an ETag.
#[utoipa::path(
    get, path = "/api/v1/packages/{name}", operation_id = "packages_show", tag = "packages",
    params(super::params::NamePath),
    responses(
        (status = 200, description = "The package", body = PackageDetail),
        (status = 304, description = "Unchanged since the ETag sent in `If-None-Match`"),
        (status = 404, description = "No such package", body = ErrorBody),
        (status = 502, description = "Mirroring: upstream is unreachable or answered badly, and no copy is held here", body = ErrorBody),
        (status = 504, description = "Mirroring: upstream did not answer in time, and no copy is held here", body = ErrorBody),
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
            state.resolve(&name).await?;
            let detail = Reads::of(&req)
                .run(async |c| packages::detail(c, &name).await)
                .await?;
            let (id, mirrored) = (detail.package_id, detail.package.mirrored_from.is_some());
            let wire = PackageDetail::from(detail);
            let body = Rendered::new(serde_json::to_vec(&wire).map_err(AppError::internal)?);
            if mirrored {
                // Not kept in memory: its freshness is checked against upstream's TTL on every read.
                std::sync::Arc::new(body)
            } else {
                shelf.put(name.into_inner(), ticket, id, body)
            }
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
    params(super::params::NamePath),
    responses(
        (status = 200, description = "Every version", body = VersionList),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn versions(
    state: web::Data<AppState>,
    reads: Reads,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    state.resolve(&name).await?;
    let detail = reads
        .run(async |c| packages::detail(c, &name).await)
        .await?;
    Ok(HttpResponse::Ok().json(VersionList {
        name: detail.package.name,
        versions: detail.versions.into_iter().map(Into::into).collect(),
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
    params(super::params::NamePath),
    responses(
        (status = 200, description = "Dependents with the versions that need this package", body = Dependents),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn dependents(reads: Reads, name: web::Path<String>) -> AppResult<HttpResponse> {
    let (pkg, dependents) = reads
        .run(async |c| {
            let pkg = packages::find(c, &name).await?;
            let dependents = packages::dependents(c, &pkg).await?;
            Ok((pkg, dependents))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Dependents {
        name: pkg.name,
        dependents: dependents.into_iter().map(Into::into).collect(),
    }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadmeQuery {
    /// A version (strict semver, as in the path of a version); the latest when absent.
    #[param(
        pattern = r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$",
        max_length = 128
    )]
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
    params(super::params::NamePath, ReadmeQuery),
    responses(
        (status = 200, description = "The README of that version", body = Readme),
        (status = 404, description = "No such package or version", body = ErrorBody),
    )
)]
pub async fn readme(
    reads: Reads,
    name: web::Path<String>,
    q: web::Query<ReadmeQuery>,
) -> AppResult<HttpResponse> {
    let (pkg, (version, text)) = reads
        .run(async |c| {
            let pkg = packages::find(c, &name).await?;
            let found = packages::readme(c, &pkg, q.version.as_deref()).await?;
            Ok((pkg, found))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Readme {
        name: pkg.name,
        version,
        html: text.as_deref().map(readme::render),
    }))
}

/// `PUT /api/v1/packages/{name}/{version}`. The route takes the whole tail and
/// splits at the last `/`, so any malformed name or version gets a precise 400.
#[utoipa::path(
    put, path = "/api/v1/packages/{name}/{version}", operation_id = "packages_publish", tag = "packages",
    security(("token" = ["publish-new", "publish-update"])),
    params(super::params::NamePath, super::params::VersionPath),
    request_body(content = super::publish_form::PublishForm, content_type = "multipart/form-data"),
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
    let result = accept_upload(&req, &state, &auth, &tail, payload).await;
    let label = match &result {
        Ok(o) if o.created => "created",
        Ok(_) => "unchanged",
        Err(_) => "refused",
    };
    state.metrics.publishes.with_label_values(&[label]).inc();
    let outcome = result?;
    let mut status = if outcome.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(status.json(Published::from(outcome.body)))
}

async fn accept_upload(
    req: &HttpRequest,
    state: &AppState,
    auth: &Authed,
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
    let registry = usecase::publish::Registry {
        pool: &state.pool,
        storage: &state.storage,
        upstream: state.mirror.as_deref(),
        limits: Limits::default(),
    };
    let actor = usecase::Actor::of(auth);
    usecase::publish::publish(registry, actor, &auth.origin, name, version, upload).await
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
                super::publish_form::check_metadata(&buf)?;
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
