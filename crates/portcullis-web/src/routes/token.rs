//! Back-channel endpoints: token (RFC 6749 §3.2), revocation (RFC 7009), introspection
//! (RFC 7662).

use super::ClientIp;
use crate::cors::ClientOrigins;
use crate::state::AppState;
use crate::{body, errors};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::{
    Params, client_auth, introspect as introspection, revoke as revocation, token as grants,
};

/// For a browser request (one with `Origin`) that succeeded: the web origins of the application
/// that made it (the HTTP Basic user, else the `client_id` parameter), so that CORS lets only
/// that application's pages read the answer.
async fn client_origins(
    s: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Option<ClientOrigins> {
    headers.get(header::ORIGIN)?;
    let client_id = match authorization(headers).and_then(client_auth::parse_basic) {
        Some(Ok((id, _))) => id,
        _ => params.get("client_id")?.to_owned(),
    };
    let client = s
        .provider
        .store
        .get_client(&client_id)
        .await
        .ok()
        .flatten()?;
    Some(ClientOrigins(client.web_origins))
}

fn with_origins(mut response: Response, origins: Option<ClientOrigins>) -> Response {
    if let Some(origins) = origins {
        response.extensions_mut().insert(origins);
    }
    response
}

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
        Ok(response) => with_origins(
            errors::no_store(Json(response).into_response()),
            client_origins(&s, &headers, &params).await,
        ),
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
        Ok(()) => with_origins(
            errors::no_store(StatusCode::OK.into_response()),
            client_origins(&s, &headers, &params).await,
        ),
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
