use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// OIDC Discovery §4: 200 `application/json`, no redirects. The document depends on the issuer
/// alone: it is serialized once, when the state is built ([`AppState::discovery_json`]).
pub async fn openid_configuration(State(s): State<AppState>) -> Response {
    cacheable(s.discovery_json.clone())
}

/// RFC 7517 §5: the public keys (current, next, and previous while its tokens live), serialized
/// once per key ring.
pub async fn jwks(State(s): State<AppState>) -> Response {
    let ring = s.provider.keys.ring();
    cacheable(Bytes::copy_from_slice(ring.jwks_json().as_bytes()))
}

fn cacheable(json: Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        json,
    )
        .into_response()
}
