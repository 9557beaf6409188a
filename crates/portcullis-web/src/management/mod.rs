//! The Auth0-shaped Management API at `/api/v2/` over HTTP. The rules live in
//! `portcullis_core::management` (and the tenant-management functions of
//! `portcullis_core::admin`, which the CLI uses too); this module extracts, checks the scope,
//! calls them and answers in Auth0's shapes.
//!
//! # Adding an endpoint
//!
//! 1. Write the handler in the file of its resource (`users.rs`, `roles.rs`, …), annotated with
//!    `#[utoipa::path(...)]`: method, `path` relative to `/api/v2` (`"/roles/{id}"`),
//!    `params(...)`, `request_body = …`, `responses(...)` and
//!    `security(("bearer" = ["read:roles"]))` naming the scopes it accepts. Bodies and answers
//!    are structs deriving `Deserialize`/`Serialize` and `utoipa::ToSchema`
//!    (`#[schema(value_type = Object)]` on free-form JSON such as metadata). Request bodies use
//!    `#[serde(deny_unknown_fields)]`: Auth0 refuses properties it does not know.
//! 2. Take the caller as `Extension(caller): Extension<Caller>` (the [`guard`] put it there after
//!    checking the token and the rate limit) and check the scope first:
//!    `caller.require(&["read:roles"])?;` (any one of the listed scopes will do, as on Auth0).
//!    Scope names are Auth0's; the built-in API defines them in
//!    `portcullis_core::management::builtin_api::SCOPES` (add new ones there).
//! 3. Extract with [`extract::ApiJson`], [`extract::ApiQuery`] and [`extract::ApiPath`], never
//!    axum's own extractors: a malformed request must get Auth0's error body
//!    (`{statusCode, error, message, errorCode}`), not axum's text.
//! 4. Return [`error::ApiResult`]`<…>`; `?` turns `ManagementError`, `AdminError` and
//!    `StoreError` into Auth0-shaped errors (`inexistent_user` 404, `invalid_body` 400, …). A
//!    500 is logged, and its body says nothing more.
//! 5. Lists: take `ApiQuery(paging): ApiQuery<paging::Paging>` beside your own filters, filter
//!    and order the whole list, and answer with
//!    [`paging::listed`]`(items, &paging, "roles", to_body)`, which does `page`, `per_page`,
//!    `include_totals` and checkpoint paging (`from`, `take`) as Auth0 does. Put `Paging` in
//!    the handler's `params(...)`.
//! 6. Register it: add the handler to the resource's `routes()` with `routes!(handler, …)`
//!    (handlers of the same path in one `routes!`), and that `routes()` to [`router`]. The
//!    OpenAPI document (`/api/v2/openapi.json`) then lists it.
//! 7. Test it in `crates/portcullis-web/tests/http/management_<resource>.rs` with the helpers of
//!    `management_support.rs` (a token with chosen scopes): one test per scope refusal,
//!    validation error and paging case.

pub mod clients;
pub mod connections;
pub mod error;
pub mod extract;
pub mod grants;
pub mod guard;
pub mod jobs;
pub mod keys;
pub mod logs;
pub mod openapi;
pub mod paging;
pub mod resource_servers;
pub mod roles;
pub mod users;

use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;

/// The largest request body of the Management API: user metadata may be large (Auth0 allows
/// 16 MB for both objects of a user).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024 + 64 * 1024;

/// Every endpoint with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(users::routes())
        .merge(clients::routes())
        .merge(connections::routes())
        .merge(resource_servers::routes())
        .merge(grants::routes())
        .merge(keys::routes())
        .merge(roles::routes())
        .merge(logs::routes())
        .merge(jobs::routes())
}

/// The router to nest at `/api/v2`: the endpoints behind the [`guard::guard`], the OpenAPI
/// document (public), and Auth0-shaped answers for unknown paths and methods.
pub fn router(state: AppState) -> Router<AppState> {
    let (endpoints, document) = api().split_for_parts();
    let document = openapi::finish(document);
    let endpoints = endpoints.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        guard::guard,
    ));
    Router::new()
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document) }
            }),
        )
        .merge(endpoints)
        .fallback(not_found)
        .layer(axum::middleware::from_fn(auth0_shaped))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
}

async fn not_found() -> Response {
    error::body(StatusCode::NOT_FOUND, "Not Found", "inexistent_resource")
}

/// Answers the HTTP layer gives by itself (405, 413, 408, …) carry Auth0's error body too.
async fn auth0_shaped(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (message, code) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("Method Not Allowed", "method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("Payload too large", "payload_too_large"),
        StatusCode::REQUEST_TIMEOUT => ("The request took too long to arrive", "timeout"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("Unsupported Media Type", "invalid_body"),
        _ if status.is_server_error() => ("Internal error; see the server log", "server_error"),
        _ => ("Bad Request", "invalid_request"),
    };
    let mut shaped = error::body(status, message, code);
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        if let Some(value) = response.headers().get(name) {
            shaped.headers_mut().insert(name, value.clone());
        }
    }
    shaped.into_response()
}
