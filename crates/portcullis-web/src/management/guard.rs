//! The middleware in front of every Management API endpoint: the bearer token (RFC 6750 §2.1)
//! must be a live Management API token ([`portcullis_core::management::auth`]), then the
//! application's rate limit is counted and reported in `X-RateLimit-*` headers (429 when used
//! up). The [`Caller`] is put into the request's extensions for the handler, which checks the
//! scope its operation needs with [`Caller::require`].

use super::error::ApiError;
use crate::rejections::Rejection;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portcullis_core::audit::{self, Event, EventType};
use portcullis_core::management::rate_limit::{self, RateLimitStatus};
use portcullis_core::management::{Caller, ManagementError, auth};

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}

/// Authenticates, counts the request against the application's budget, runs the handler and
/// logs a refused request with the application that made it.
pub async fn guard(State(s): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(token) = bearer(request.headers()) else {
        let mut response =
            ApiError(ManagementError::unauthorized("Missing authentication")).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return logged(response, None, &request);
    };
    let caller = match auth::authenticate(&s.provider, token).await {
        Ok(caller) => caller,
        Err(e) => {
            let mut response = ApiError(e).into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return logged(response, None, &request);
        }
    };
    let status = match rate_limit::acquire(&s.provider, &caller.client_id).await {
        Ok(status) => status,
        Err(e) => return logged(ApiError(e).into_response(), Some(&caller), &request),
    };
    let client_id = caller.client_id.clone();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = if status.allowed {
        request.extensions_mut().insert::<Caller>(caller);
        next.run(request).await
    } else {
        let mut response = ApiError(ManagementError::too_many_requests()).into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from((status.reset - s.provider.now()).clamp(1, rate_limit::WINDOW_SECS)),
        );
        response
    };
    rate_limit_headers(response.headers_mut(), &status);
    if status.allowed {
        audit_write(&s, &client_id, &method, &path, &response);
    }
    if let Some(rejection) = response.extensions().get::<Rejection>() {
        log(
            &rejection.clone(),
            Some(&client_id),
            &method,
            &path,
            response.status(),
        );
    }
    response
}

/// Records a write operation (any method but `GET`, `HEAD` and `OPTIONS`) of an authenticated
/// caller in the audit log: Auth0's `sapi` (success API operation) or `fapi` (failed). The
/// details are the method, the path (ids only), the status and the error code: never the
/// body, which may hold passwords or client secrets.
fn audit_write(
    s: &AppState,
    client_id: &str,
    method: &axum::http::Method,
    path: &str,
    response: &Response,
) {
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return;
    }
    let code = response.status();
    let event_type = if code.is_success() {
        EventType::SUCCESS_API_OPERATION
    } else {
        EventType::FAILED_API_OPERATION
    };
    let path: String = path.chars().filter(|c| !c.is_control()).take(300).collect();
    let mut event = Event::new(event_type)
        .client_id(client_id)
        .description(format!("{method} /api/v2{path}"))
        .detail("method", method.as_str())
        .detail("path", format!("/api/v2{path}"))
        .detail("status", code.as_u16());
    if let Some(rejection) = response.extensions().get::<Rejection>() {
        event = event.detail("error_code", rejection.error);
    }
    audit::record(&s.provider, event);
}

fn rate_limit_headers(headers: &mut HeaderMap, status: &RateLimitStatus) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(status.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(status.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(status.reset));
}

fn logged(response: Response, caller: Option<&Caller>, request: &Request) -> Response {
    if let Some(rejection) = response.extensions().get::<Rejection>() {
        log(
            &rejection.clone(),
            caller.map(|c| c.client_id.as_str()),
            request.method(),
            request.uri().path(),
            response.status(),
        );
    }
    response
}

fn log(
    rejection: &Rejection,
    client_id: Option<&str>,
    method: &axum::http::Method,
    path: &str,
    status: axum::http::StatusCode,
) {
    let client_id = client_id.unwrap_or("-");
    if rejection.internal {
        tracing::error!(error = rejection.error, client_id, reason = %rejection.reason, status = status.as_u16(), %method, path, "management API request failed");
    } else {
        tracing::info!(error = rejection.error, client_id, reason = %rejection.reason, status = status.as_u16(), %method, path, "management API request rejected");
    }
}
