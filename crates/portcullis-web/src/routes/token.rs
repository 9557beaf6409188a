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
use portcullis_core::client_auth::ClientCredentials;
use portcullis_core::{
    OAuthError, Params, introspect as introspection, revoke as revocation, token as grants,
};

/// For a browser request (one with `Origin`) that succeeded: the web origins of the application
/// that made it, so that CORS lets only that application's pages read the answer.
async fn client_origins(
    s: &AppState,
    headers: &HeaderMap,
    credentials: &ClientCredentials,
) -> Option<ClientOrigins> {
    headers.get(header::ORIGIN)?;
    let client = s
        .provider
        .store
        .get_client(credentials.client_id()?)
        .await
        .ok()
        .flatten()?;
    Some(ClientOrigins(client.web_origins))
}

/// The body's parameters and the client's credentials (HTTP Basic or body), each extracted
/// once, before anything else looks at the request.
fn parse(headers: &HeaderMap, body: &Bytes) -> Result<(Params, ClientCredentials), OAuthError> {
    let params = body::params(headers, body)?;
    let credentials = ClientCredentials::extract(authorization(headers), &params)?;
    Ok((params, credentials))
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
    let (params, credentials) = match parse(&headers, &body) {
        Ok(parsed) => parsed,
        Err(e) => return errors::oauth_json(e),
    };
    match grants::exchange(&s.provider, &credentials, &ip, &params).await {
        Ok(response) => {
            crate::metrics::token_issued(params.get("grant_type"));
            with_origins(
                errors::no_store(Json(response).into_response()),
                client_origins(&s, &headers, &credentials).await,
            )
        }
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
    let (params, credentials) = match parse(&headers, &body) {
        Ok(parsed) => parsed,
        Err(e) => return errors::oauth_json(e),
    };
    match revocation::revoke(&s.provider, &credentials, &ip, &params).await {
        Ok(()) => with_origins(
            errors::no_store(StatusCode::OK.into_response()),
            client_origins(&s, &headers, &credentials).await,
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
    let (params, credentials) = match parse(&headers, &body) {
        Ok(parsed) => parsed,
        Err(e) => return errors::oauth_json(e),
    };
    match introspection::introspect(&s.provider, &credentials, &ip, &params).await {
        Ok(map) => errors::no_store(Json(map).into_response()),
        Err(e) => errors::oauth_json(e),
    }
}
