//! Protocol errors to HTTP, in one place: JSON for back-channel endpoints (RFC 6749 §5.2),
//! RFC 6750 §3.1 challenges for bearer endpoints, a readable page for the browser.

use crate::html;
use crate::rejections::Rejection;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::{ErrorCode, OAuthError};
use serde_json::json;

/// `Cache-Control: no-store` + `Pragma: no-cache` (RFC 6749 §5.1).
pub fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// RFC 6749 §5.2: 400 JSON `{error, error_description}`; `invalid_client` is 401, with
/// `WWW-Authenticate: Basic` only when the client used HTTP Basic (oauth4webapi treats any
/// `WWW-Authenticate` as a challenge and would otherwise not read the body).
pub fn oauth_json(err: OAuthError) -> Response {
    let status = match err.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({ "error": err.code.as_str(), "error_description": err.description });
    let mut response = no_store((status, Json(body)).into_response());
    if err.basic_auth_failed {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"portcullis\""),
        );
    }
    Rejection::from_error(&err).attach(response)
}

/// RFC 6750 §3.1: 401 `invalid_token`, 403 `insufficient_scope`, 400 `invalid_request`; with no
/// token at all, a bare challenge.
pub fn bearer(err: Option<OAuthError>) -> Response {
    let Some(err) = err else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"portcullis\""),
        );
        return Rejection::new("invalid_request", "no access token in the request")
            .attach(no_store(r));
    };
    let status = match err.code {
        ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let challenge = format!(
        "Bearer realm=\"portcullis\", error=\"{}\", error_description=\"{}\"",
        err.code.as_str(),
        err.description
    );
    let body = json!({ "error": err.code.as_str(), "error_description": err.description });
    let mut r = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    Rejection::from_error(&err).attach(no_store(r))
}

/// A readable HTML error page (400, or 500 for our own failures).
pub fn page(err: OAuthError) -> Response {
    let status = match err.code {
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    };
    Rejection::from_error(&err).attach(html::error_page(
        status,
        err.code.as_str(),
        &err.description,
    ))
}
