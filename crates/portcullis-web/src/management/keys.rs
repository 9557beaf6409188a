//! `/api/v2/keys/signing`: the token-signing keys, in Auth0's shape. Portcullis keys are bare
//! RSA keys, so the public key is given as a JWK (`jwk`) instead of Auth0's X.509 `cert`.

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::management::time::iso8601;
use portcullis_core::management::{Caller, keys};
use portcullis_store::{KeyState, SigningKeyRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys))
        .routes(routes!(rotate_key))
        .routes(routes!(get_key))
        .routes(routes!(revoke_key))
}

/// A signing key as Auth0 shows it (without key material beyond the public JWK).
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyBody {
    pub kid: String,
    /// Signs new tokens.
    pub current: bool,
    /// Published, signs after the next rotation.
    pub next: bool,
    /// Published until `current_until`, so tokens it signed still verify.
    pub previous: bool,
    /// No longer published.
    pub revoked: bool,
    /// When the key was made.
    pub created_at: String,
    /// For a previous key: when it leaves the JWKS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_until: Option<String>,
    /// The public key (RFC 7517).
    #[schema(value_type = Object)]
    pub jwk: Value,
}

fn body(k: SigningKeyRecord) -> SigningKeyBody {
    SigningKeyBody {
        current: k.state == KeyState::Current,
        next: k.state == KeyState::Next,
        previous: k.state == KeyState::Previous,
        revoked: k.state == KeyState::Retired,
        created_at: iso8601(k.created_at),
        current_until: k.retire_at.map(iso8601),
        jwk: serde_json::from_str(&k.public_jwk).unwrap_or(Value::Null),
        kid: k.kid,
    }
}

/// The answer of a rotation or revocation (Auth0's `{kid, …}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyChangeBody {
    pub kid: String,
    #[schema(value_type = Object)]
    pub jwk: Value,
}

/// List the signing keys, retired ones included.
#[utoipa::path(get, path = "/keys/signing", tag = "keys",
    responses((status = 200, body = Vec<SigningKeyBody>), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:signing_keys"])))]
async fn list_keys(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<SigningKeyBody>>> {
    caller.require(&["read:signing_keys"])?;
    Ok(Json(
        keys::list(&s.provider)
            .await?
            .into_iter()
            .map(body)
            .collect(),
    ))
}

/// Get a signing key by kid.
#[utoipa::path(get, path = "/keys/signing/{kid}", tag = "keys",
    params(("kid" = String, Path, description = "The key id")),
    responses((status = 200, body = SigningKeyBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read:signing_keys"])))]
async fn get_key(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(kid): ApiPath<String>,
) -> ApiResult<Json<SigningKeyBody>> {
    caller.require(&["read:signing_keys"])?;
    Ok(Json(body(keys::get(&s.provider, &kid).await?)))
}

/// Rotate: the next key starts signing, the current one stays published while tokens it
/// signed live, a new next key is made (and returned).
#[utoipa::path(post, path = "/keys/signing/rotate", tag = "keys",
    responses((status = 201, body = KeyChangeBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:signing_keys", "update:signing_keys"])))]
async fn rotate_key(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Response> {
    caller.require(&["create:signing_keys", "update:signing_keys"])?;
    let next = body(keys::rotate(&s.provider).await?);
    Ok((
        StatusCode::CREATED,
        Json(KeyChangeBody {
            kid: next.kid,
            jwk: next.jwk,
        }),
    )
        .into_response())
}

/// Revoke a previous key: it leaves the JWKS at once.
#[utoipa::path(put, path = "/keys/signing/{kid}/revoke", tag = "keys",
    params(("kid" = String, Path, description = "The key id")),
    responses((status = 200, body = KeyChangeBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:signing_keys"])))]
async fn revoke_key(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(kid): ApiPath<String>,
) -> ApiResult<Json<KeyChangeBody>> {
    caller.require(&["update:signing_keys"])?;
    let revoked = body(keys::revoke(&s.provider, &kid).await?);
    Ok(Json(KeyChangeBody {
        kid: revoked.kid,
        jwk: revoked.jwk,
    }))
}
