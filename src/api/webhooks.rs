//! `/api/v1/packages/{name}/webhooks…`: a package's signed webhooks and their
//! deliveries, for its owners (a token needs `change-owners`).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OkBody;
use crate::auth::Authed;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::webhooks::{Delivery, Webhook};
use crate::state::AppState;
use crate::usecase::{webhooks, Actor};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Where deliveries are POSTed: an `http` or `https` URL, as sent, naming
    /// its host or an IPv4 address (an IPv6 literal in brackets is accepted
    /// too). The host must resolve to public addresses only (422 otherwise),
    /// unless the operator allows private targets.
    #[schema(
        max_length = 2048,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://(?:(?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(?::[0-9]{1,4})?(?:[/?#]\S*)?$",
        example = "https://ci.example.com/hooks/sema"
    )]
    pub url: String,
    /// One or more of `publish`, `yank`, `unyank`, `owner-add`,
    /// `owner-remove`, `deprecate`, `undeprecate`.
    #[schema(value_type = Vec<EventName>, min_items = 1, example = json!(["publish", "yank"]))]
    pub events: Vec<String>,
    /// Signs each delivery (8–256 characters, no control characters); absent
    /// or null: one is generated.
    #[serde(default)]
    #[schema(
        min_length = 8,
        max_length = 256,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub secret: Option<String>,
}

/// The events a webhook can subscribe to (`domain::webhook::EVENTS`), for the
/// document only: the body keeps strings, checked by the domain.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
#[allow(dead_code)]
enum EventName {
    Publish,
    Yank,
    Unyank,
    OwnerAdd,
    OwnerRemove,
    Deprecate,
    Undeprecate,
}

/// A webhook just created, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    /// Keep it: deliveries carry `X-Sema-Signature-256`, the HMAC-SHA256 of the body with it.
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// A webhook as listed: never its secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookInfo {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// `active`, or `disabled` after failing for days (see `disabled_reason`).
    #[schema(example = "active")]
    pub state: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; null after a success.
    pub failing_since: Option<DateTime<Utc>>,
}

impl From<Webhook> for WebhookInfo {
    fn from(w: Webhook) -> Self {
        WebhookInfo {
            id: w.id,
            url: w.url,
            events: w.events,
            created_at: w.created_at,
            state: if w.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            }
            .into(),
            disabled_at: w.disabled_at,
            disabled_reason: w.disabled_reason,
            failing_since: w.failing_since,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub name: String,
    pub webhooks: Vec<WebhookInfo>,
}

/// One delivery: the event sent, and how its attempts went.
#[derive(Serialize, ToSchema)]
pub struct DeliveryInfo {
    pub id: String,
    /// An event the webhook subscribes to, or `ping`.
    pub event: String,
    /// `pending` (not yet sent, or retrying), `delivered` (a 2xx answer) or
    /// `failed` (no attempt succeeded for about a day).
    pub status: String,
    /// The last attempt's HTTP status; null before one, or when there was no answer.
    pub response_code: Option<i32>,
    pub attempts: i32,
    /// When a pending delivery is tried next; null once delivered or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// How long the last attempt took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// What went wrong with the last attempt.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryInfo {
    fn from(d: Delivery) -> Self {
        DeliveryInfo {
            id: d.id.to_string(),
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            event: d.event,
            status: d.status,
            response_code: d.response_code,
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at,
            duration_ms: d.duration_ms,
            error: d.error,
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub webhook: WebhookInfo,
    /// Newest first, at most 50.
    pub deliveries: Vec<DeliveryInfo>,
}

/// A delivery queued by a test or a redelivery; the worker sends it shortly.
#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub delivery: String,
}

fn webhook_id(raw: &str) -> AppResult<i64> {
    raw.parse()
        .map_err(|_| AppError::not_found(format!("no webhook {raw:?}")))
}

#[utoipa::path(
    post, path = "/api/v1/packages/{name}/webhooks", operation_id = "webhooks_create", tag = "webhooks",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath),
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = Created),
        (status = 400, description = "Not an http(s) URL, no event or an unknown one, or a secret of the wrong length", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package", body = ErrorBody),
        (status = 409, description = "The package already has 20 webhooks", body = ErrorBody),
        (status = 422, description = "The host does not resolve, or resolves to a non-public address", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
    body: web::Json<CreateBody>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let request = webhooks::Request {
        url: &body.url,
        events: &body.events,
        secret: body.secret.as_deref(),
    };
    let allow_private = state.config.webhooks.allow_private_targets;
    let (hook, secret) = webhooks::create(
        &mut conn,
        Actor::of(&auth),
        &auth.origin,
        &name,
        request,
        allow_private,
    )
    .await?;
    Ok(HttpResponse::Created().json(Created {
        id: hook.id,
        url: hook.url,
        events: hook.events,
        secret,
        created_at: hook.created_at,
    }))
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/webhooks", operation_id = "webhooks_list", tag = "webhooks",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath),
    responses(
        (status = 200, description = "The package's webhooks, oldest first, without their secrets", body = WebhookList),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (pkg, hooks) = webhooks::list(&mut conn, Actor::of(&auth), &name).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        name: pkg.name,
        webhooks: hooks.into_iter().map(WebhookInfo::from).collect(),
    }))
}

#[utoipa::path(
    delete, path = "/api/v1/packages/{name}/webhooks/{id}", operation_id = "webhooks_delete", tag = "webhooks",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath, super::params::WebhookIdPath),
    responses(
        (status = 200, description = "Removed, with its deliveries", body = OkBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package, or no such webhook of it", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, id) = path.into_inner();
    let id = webhook_id(&id)?;
    let mut conn = state.pool.get().await?;
    webhooks::delete(&mut conn, Actor::of(&auth), &auth.origin, &name, id).await?;
    Ok(HttpResponse::Ok().json(OkBody { ok: true }))
}

#[utoipa::path(
    post, path = "/api/v1/packages/{name}/webhooks/{id}/test", operation_id = "webhooks_test", tag = "webhooks",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath, super::params::WebhookIdPath),
    responses(
        (status = 202, description = "A `ping` delivery is queued (even to a disabled webhook: its success enables it again)", body = Queued),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package, or no such webhook of it", body = ErrorBody),
    )
)]
pub async fn test(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, id) = path.into_inner();
    let id = webhook_id(&id)?;
    let mut conn = state.pool.get().await?;
    let delivery = webhooks::ping(&mut conn, Actor::of(&auth), &auth.origin, &name, id).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        delivery: delivery.to_string(),
    }))
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/webhooks/{id}/deliveries", operation_id = "webhooks_deliveries", tag = "webhooks",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath, super::params::WebhookIdPath),
    responses(
        (status = 200, description = "The webhook and its latest deliveries", body = DeliveryList),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package, or no such webhook of it", body = ErrorBody),
    )
)]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, id) = path.into_inner();
    let id = webhook_id(&id)?;
    let mut conn = state.pool.get().await?;
    let (hook, list) = webhooks::deliveries(&mut conn, Actor::of(&auth), &name, id).await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        webhook: hook.into(),
        deliveries: list.into_iter().map(DeliveryInfo::from).collect(),
    }))
}

#[utoipa::path(
    post, path = "/api/v1/packages/{name}/webhooks/{id}/deliveries/{delivery}/redeliver",
    operation_id = "webhooks_redeliver", tag = "webhooks",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath, super::params::WebhookIdPath, super::params::DeliveryPath),
    responses(
        (status = 202, description = "Queued again as a new delivery (a new id, the same event and content)", body = Queued),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package, webhook or delivery", body = ErrorBody),
    )
)]
pub async fn redeliver(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (name, id, delivery) = path.into_inner();
    let id = webhook_id(&id)?;
    let delivery: uuid::Uuid = delivery
        .parse()
        .map_err(|_| AppError::not_found(format!("no delivery {delivery:?}")))?;
    let mut conn = state.pool.get().await?;
    let actor = Actor::of(&auth);
    let new = webhooks::redeliver(&mut conn, actor, &auth.origin, &name, id, delivery).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        delivery: new.to_string(),
    }))
}
