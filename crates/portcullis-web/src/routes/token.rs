//! Back-channel endpoints: token (RFC 6749 §3.2), revocation (RFC 7009), introspection
//! (RFC 7662).

use super::ClientIp;
use crate::state::AppState;
use crate::{body, errors};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::{introspect as introspection, revoke as revocation, token as grants};

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

pub async fn token(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match body::params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return errors::oauth_json(e),
    };
    match grants::exchange(&s.provider, authorization(&headers), &ip, &params).await {
        Ok(response) => errors::no_store(Json(response).into_response()),
        Err(e) => errors::oauth_json(e),
    }
}

/// RFC 7009 §2.2: 200 with an empty body, also for unknown tokens.
pub async fn revoke(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match body::params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return errors::oauth_json(e),
    };
    match revocation::revoke(&s.provider, authorization(&headers), &ip, &params).await {
        Ok(()) => errors::no_store(StatusCode::OK.into_response()),
        Err(e) => errors::oauth_json(e),
    }
}

pub async fn introspect(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match body::params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return errors::oauth_json(e),
    };
    match introspection::introspect(&s.provider, authorization(&headers), &ip, &params).await {
        Ok(map) => errors::no_store(Json(map).into_response()),
        Err(e) => errors::oauth_json(e),
    }
}
