use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::discovery;

/// OIDC Discovery §4: 200 `application/json`, no redirects.
pub async fn openid_configuration(State(s): State<AppState>) -> Response {
    cacheable(Json(discovery::metadata(&s.provider.config.issuer)).into_response())
}

/// RFC 7517 §5: the public keys (current, next, and previous while its tokens live).
pub async fn jwks(State(s): State<AppState>) -> Response {
    let ring = s.provider.keys.ring();
    cacheable(Json(ring.jwks().clone()).into_response())
}

fn cacheable(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}
