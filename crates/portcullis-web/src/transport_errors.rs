//! Requests refused by the HTTP layer itself (a body over the limit, a request that took too
//! long) still get an OAuth error body from the back-channel endpoints (RFC 6749 §5.2), so a
//! client library reports `invalid_request` with a reason instead of failing to parse an empty
//! body. 414 and 431 are answered by the HTTP server before any route runs and keep their empty
//! bodies.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The paths whose errors are OAuth JSON.
fn is_back_channel(path: &str) -> bool {
    matches!(
        path,
        "/oauth/token" | "/oauth/revoke" | "/oauth/introspect" | "/userinfo"
    )
}

/// Middleware: rewrites a 413 or 408 from a back-channel endpoint that is not already JSON as
/// an OAuth error.
pub async fn oauth_bodies(request: Request, next: Next) -> Response {
    let back_channel = is_back_channel(request.uri().path());
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !back_channel || is_json {
        return response;
    }
    let description = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        StatusCode::REQUEST_TIMEOUT => "The request took too long to arrive.",
        _ => return response,
    };
    let body = json!({ "error": "invalid_request", "error_description": description });
    crate::errors::no_store((response.status(), Json(body)).into_response())
}
