//! Prometheus metrics of the HTTP layer, through the `metrics` facade: the binary installs a
//! Prometheus recorder and serves `/metrics` on its own listener (`metrics_listen`). Without
//! it the router does not even add the middleware, so requests pay nothing.
//!
//! Labels are bounded: the route is the router's path template (`/u/login`, never a raw path),
//! the method one of a fixed few, the grant and sign-in failure reasons fixed lists.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use portcullis_core::login::LoginError;
use std::time::Instant;

/// Requests answered, by `method`, `route` and `status`.
pub const REQUESTS: &str = "portcullis_http_requests_total";
/// Time to answer, in seconds, by `method`, `route` and `status`.
pub const DURATION: &str = "portcullis_http_request_duration_seconds";
/// Tokens issued by the token endpoint, by `grant_type`.
pub const TOKENS: &str = "portcullis_tokens_issued_total";
/// Password sign-ins on the hosted page, by `outcome` (`success`, `failure`) and, for failures,
/// `reason`.
pub const SIGN_INS: &str = "portcullis_sign_ins_total";

/// Gives each metric of the HTTP layer its help text (call once the recorder is installed).
pub fn describe() {
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route and status."
    );
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method, route and status."
    );
    metrics::describe_counter!(
        TOKENS,
        "Tokens issued by the token endpoint, by grant_type."
    );
    metrics::describe_counter!(
        SIGN_INS,
        "Password sign-ins on the hosted page, by outcome and (failures) reason."
    );
}

/// Middleware: counts and times every request.
pub async fn record(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(start.elapsed().as_secs_f64());
    response
}

/// Standard methods by name, anything else as `other` (no label per invented method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Counts a token response of the token endpoint. `grant_type` is the request's (already
/// accepted, so one of the grants the provider supports).
pub fn token_issued(grant_type: Option<&str>) {
    let grant = match grant_type {
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        _ => "other",
    };
    metrics::counter!(TOKENS, "grant_type" => grant).increment(1);
}

/// Counts a successful password sign-in.
pub fn sign_in_succeeded() {
    metrics::counter!(SIGN_INS, "outcome" => "success", "reason" => "").increment(1);
}

/// Counts a refused password sign-in, by why.
pub fn sign_in_failed(error: &LoginError) {
    let reason = match error {
        LoginError::InvalidCredentials => "invalid_credentials",
        LoginError::Blocked => "blocked",
        LoginError::TooManyAttempts => "too_many_attempts",
        LoginError::Internal(_) => "internal",
        _ => "other",
    };
    metrics::counter!(SIGN_INS, "outcome" => "failure", "reason" => reason).increment(1);
}
