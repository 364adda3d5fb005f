//! `/api/v1/packages/{name}/{version}`: show, download, yank, unyank.

use actix_web::{
    http::header::{self, ContentDisposition, DispositionParam, DispositionType, EntityTag},
    web, HttpRequest, HttpResponse,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::wire::VersionInfo;
use crate::auth::Authed;
use crate::cache::VersionFile;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::reads::Reads;
use crate::registry::packages;
use crate::state::AppState;
use crate::usecase::{versions, Actor};

#[derive(Serialize, ToSchema)]
pub struct VersionDetail {
    pub name: String,
    pub version: VersionInfo,
    /// What the version's code may use; null until it is analysed.
    pub capabilities: Option<super::analysis::Capabilities>,
    /// Its public API; null until it is analysed.
    pub api: Option<Vec<super::analysis::ApiName>>,
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/{version}", operation_id = "versions_show", tag = "packages",
    params(super::params::NamePath, super::params::VersionPath),
    responses(
        (status = 200, description = "The version", body = VersionDetail),
        (status = 404, description = "No such package or version", body = ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    reads: Reads,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, version) = path.into_inner();
    state.resolve(&name).await?;
    let (pkg, info, analysis) = reads
        .run(async |c| {
            let pkg = packages::find(c, &name).await?;
            let info = packages::version_infos(c, &pkg)
                .await?
                .into_iter()
                .find(|v| v.version == version)
                .ok_or_else(|| {
                    AppError::not_found(format!(
                        "{}@{} not found",
                        pkg.name,
                        version.chars().take(80).collect::<String>()
                    ))
                })?;
            let analysis = crate::registry::analyses::find(c, pkg.id, &version).await?;
            Ok((pkg, info, analysis))
        })
        .await?;
    Ok(HttpResponse::Ok().json(VersionDetail {
        name: pkg.name,
        version: info.into(),
        capabilities: analysis.as_ref().map(super::analysis::Capabilities::of),
        api: analysis.map(|a| super::analysis::api_names(&a.report.api)),
    }))
}

/// Streams the tarball, byte-identical forever. Yanked versions stay
/// downloadable so existing lockfiles keep installing.
#[utoipa::path(
    method(get, head), path = "/api/v1/packages/{name}/{version}/download", operation_id = "versions_download", tag = "packages",
    params(
        super::params::NamePath, super::params::VersionPath,
        ("If-None-Match" = Option<String>, Header, description = "The ETag (sha256) already held"),
    ),
    responses(
        (status = 200, description = "The tarball, `Content-Type: application/gzip`, `ETag` = sha256, immutable caching",
            content_type = "application/gzip",
            headers(("ETag" = String, description = "The tarball's sha256, quoted"))),
        (status = 302, description = "With `BLOB_DOWNLOAD_REDIRECT=presigned`: a short-lived URL of the tarball",
            headers(("Location" = String))),
        (status = 304, description = "Not modified (`If-None-Match` matched)"),
        (status = 404, description = "No such package or version", body = ErrorBody),
        (status = 502, description = "Mirroring: the first download failed upstream, or upstream's bytes did not match its checksum (nothing is stored)", body = ErrorBody),
        (status = 504, description = "Mirroring: upstream did not answer in time", body = ErrorBody),
    )
)]
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, version) = path.into_inner();
    let v = version_file(&state, &req, &name, &version).await?;
    if let Some((name, version)) = &v.upstream {
        fetch_mirrored(&state, name, version, &v.checksum).await?;
    }
    let etag = EntityTag::new_strong(v.checksum.clone());
    // A private registry's tarballs must not sit in shared caches (a CDN, a proxy).
    let scope = if state.config.private {
        "private"
    } else {
        "public"
    };
    let cache = (
        header::CACHE_CONTROL,
        format!("{scope}, max-age=31536000, immutable"),
    );
    if super::client_has(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header(header::ETag(etag))
            .insert_header(cache.clone())
            .finish());
    }
    let mut res = HttpResponse::Ok();
    res.content_type("application/gzip")
        .insert_header(header::ETag(etag))
        .insert_header(cache)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(v.file_name.clone())],
        })
        .no_chunking(v.size_bytes as u64);
    if req.method() == actix_web::http::Method::HEAD {
        return Ok(res.streaming(futures_util::stream::empty::<
            Result<bytes::Bytes, std::io::Error>,
        >()));
    }
    if state.config.download_redirect {
        // Counted here, then served by the store (or a CDN in front of it).
        let url = state
            .storage
            .presigned_url(&v.checksum, std::time::Duration::from_secs(300))
            .await?;
        state.downloads.record(v.version_id);
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
            .finish());
    }
    let tarballs = &state.caches.tarballs;
    if let Some(bytes) = tarballs.get(&v.checksum) {
        state.downloads.record(v.version_id);
        return Ok(res.body(bytes));
    }
    if tarballs.wants(v.size_bytes) {
        let bytes = state.storage.read(&v.checksum).await?;
        tarballs.put(&v.checksum, bytes.clone());
        state.downloads.record(v.version_id);
        return Ok(res.body(bytes));
    }
    let stream = state.storage.stream(&v.checksum).await?;
    state.downloads.record(v.version_id);
    Ok(res.streaming(stream))
}

/// What a download serves, from the cache when it holds it.
async fn version_file(
    state: &AppState,
    req: &HttpRequest,
    name: &str,
    version: &str,
) -> AppResult<std::sync::Arc<VersionFile>> {
    let shelf = &state.caches.files;
    let key = format!("{name}/{version}");
    if let Some(hit) = shelf.get(&key) {
        return Ok(hit);
    }
    let ticket = shelf.ticket();
    state.resolve(name).await?;
    let (pkg, v) = Reads::of(req)
        .run(async |c| {
            let pkg = packages::find(c, name).await?;
            let v = packages::find_version(c, &pkg, version).await?;
            Ok((pkg, v))
        })
        .await?;
    let file = VersionFile {
        version_id: v.id,
        file_name: format!("{}-{}.tar.gz", pkg.name.replace('/', "-"), v.version),
        checksum: v.checksum,
        size_bytes: v.size_bytes,
        // Mirrored and not fetched yet: (package, version) as upstream names them.
        upstream: (!v.stored).then(|| (pkg.name.clone(), v.version.clone())),
    };
    Ok(shelf.put(key, ticket, pkg.id, file))
}

/// A mirrored version's first download: its tarball comes from upstream first.
async fn fetch_mirrored(
    state: &AppState,
    name: &str,
    version: &str,
    checksum: &str,
) -> AppResult<()> {
    let mirror = state.mirror.as_ref().ok_or_else(|| {
        AppError::BadGateway(format!(
            "{name}@{version} was mirrored but never downloaded, and this registry no longer has an upstream (UPSTREAM_URL)"
        ))
    })?;
    mirror.ensure_tarball(name, version, checksum).await
}

#[derive(Serialize, ToSchema)]
pub struct Yanked {
    pub ok: bool,
    pub package: String,
    pub version: String,
    pub yanked: bool,
}

/// Yanks a version: still listed and downloadable, never "latest".
#[utoipa::path(
    post, path = "/api/v1/packages/{name}/{version}/yank", operation_id = "versions_yank", tag = "packages",
    security(("token" = ["yank"]), ("session" = [])),
    params(super::params::NamePath, super::params::VersionPath),
    responses(
        (status = 200, description = "Yanked (idempotent)", body = Yanked),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `yank`", body = ErrorBody),
        (status = 404, description = "No such package or version", body = ErrorBody),
    )
)]
pub async fn yank(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    set_yanked(state, auth, path, true).await
}

#[utoipa::path(
    post, path = "/api/v1/packages/{name}/{version}/unyank", operation_id = "versions_unyank", tag = "packages",
    security(("token" = ["yank"]), ("session" = [])),
    params(super::params::NamePath, super::params::VersionPath),
    responses(
        (status = 200, description = "Unyanked (idempotent)", body = Yanked),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `yank`", body = ErrorBody),
        (status = 404, description = "No such package or version", body = ErrorBody),
    )
)]
pub async fn unyank(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    set_yanked(state, auth, path, false).await
}

async fn set_yanked(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
    yanked: bool,
) -> AppResult<HttpResponse> {
    let (name, version) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let actor = Actor::of(&auth);
    let pkg = versions::set_yanked(&mut conn, actor, &auth.origin, &name, &version, yanked).await?;
    Ok(HttpResponse::Ok().json(Yanked {
        ok: true,
        package: pkg.name,
        version,
        yanked,
    }))
}
