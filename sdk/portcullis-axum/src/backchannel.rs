//! The receiver of OpenID Connect Back-Channel Logout 1.0: the provider POSTs a signed logout
//! token when a user's session there ends, and the sessions it names end here too. Needs a
//! [`SessionStore`](crate::SessionStore): a session held only in a browser's cookie cannot be
//! reached from the server.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use portcullis_bearer::Algorithm;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::PortcullisAuth;
use crate::persist::{session_key, sid_key, sub_key};
use crate::store::{SessionStore, StoreError};

/// The event a logout token carries (BCL §2.4).
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Clock tolerance on `iat`/`exp`.
const LEEWAY: u64 = 30;
/// How long a seen `jti` is remembered when the token has no usable `exp`.
const JTI_MEMORY: u64 = 600;

#[derive(Deserialize)]
pub(crate) struct LogoutRequest {
    #[serde(default)]
    pub(crate) logout_token: String,
}

/// BCL §2.8: `400` with an OAuth error body when the token is refused.
fn refused(description: &str) -> Response {
    let mut r = (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": "invalid_request", "error_description": description})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `POST /auth/backchannel-logout` (BCL §2.5).
pub(crate) async fn backchannel_logout(
    State(auth): State<PortcullisAuth>,
    Form(request): Form<LogoutRequest>,
) -> Response {
    backchannel_response(&auth, request).await
}

/// `POST /auth/backchannel-logout`, framework-neutral (the actix-web handler calls it too).
pub(crate) async fn backchannel_response(
    auth: &PortcullisAuth,
    request: LogoutRequest,
) -> Response {
    let Some(store) = auth.config().session_store.clone() else {
        return refused("back-channel logout needs a session store");
    };
    let claims = match validate(auth, &request.logout_token).await {
        Ok(claims) => claims,
        Err(reason) => {
            tracing::info!(%reason, "back-channel logout token refused");
            return refused(&reason);
        }
    };
    match end_sessions(store.as_ref(), &claims, auth.config().now()).await {
        Ok(Some(ended)) => {
            tracing::info!(ended, "back-channel logout");
            let mut r = StatusCode::OK.into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Ok(None) => refused("logout token already used"),
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: session store failed");
            let mut r = StatusCode::SERVICE_UNAVAILABLE.into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    }
}

/// Validates a logout token as BCL §2.6 says: signature with the provider's keys, `iss`,
/// `aud`, `iat`, `exp`, `jti`, `events`, a `sub` or `sid`, and no `nonce`.
async fn validate(auth: &PortcullisAuth, token: &str) -> Result<Map<String, Value>, String> {
    if token.is_empty() {
        return Err("missing logout_token".into());
    }
    let (metadata, jwks) = auth.discovered().await.map_err(|e| e.to_string())?;
    let allowed: Vec<Algorithm> = if metadata.id_token_signing_alg_values_supported.is_empty() {
        vec![Algorithm::RS256]
    } else {
        metadata
            .id_token_signing_alg_values_supported
            .iter()
            .filter_map(|a| a.parse::<Algorithm>().ok())
            .filter(|a| !a.is_symmetric())
            .collect()
    };
    let (header, claims) = jwks
        .verify(token, &allowed)
        .await
        .map_err(|e| e.to_string())?;
    // BCL §2.4: `typ` should be `logout+jwt`; a token typed as something else is not one.
    if let Some(typ) = header.typ.as_deref() {
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        if !typ.eq_ignore_ascii_case("logout+jwt") {
            return Err("typ is not logout+jwt".into());
        }
    }
    let config = auth.config();
    let now = config.now();
    let s = |k: &str| claims.get(k).and_then(Value::as_str);
    if s("iss") != Some(metadata.issuer.as_str()) {
        return Err("unexpected iss".into());
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == &config.client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(&config.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err("aud does not contain the client_id".into());
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or("missing iat")?;
    if iat > now + LEEWAY {
        return Err("iat is in the future".into());
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("missing exp")?;
    if now >= exp + LEEWAY {
        return Err("expired".into());
    }
    if s("jti").is_none() {
        return Err("missing jti".into());
    }
    if !claims
        .get("events")
        .and_then(|e| e.get(EVENT))
        .is_some_and(Value::is_object)
    {
        return Err("events does not name the back-channel logout event".into());
    }
    if s("sub").is_none() && s("sid").is_none() {
        return Err("neither sub nor sid".into());
    }
    if claims.contains_key("nonce") {
        return Err("a logout token must not contain a nonce".into());
    }
    Ok(claims)
}

/// Ends the sessions the token names (by `sid`, else every session of `sub`). `None` when the
/// token's `jti` was already seen (a replay).
async fn end_sessions(
    store: &dyn SessionStore,
    claims: &Map<String, Value>,
    now: u64,
) -> Result<Option<usize>, StoreError> {
    let s = |k: &str| claims.get(k).and_then(Value::as_str);
    let jti_key = format!("jti:{}", s("jti").unwrap_or_default());
    if store.load(&jti_key).await?.is_some() {
        return Ok(None);
    }
    let until = claims
        .get("exp")
        .and_then(Value::as_u64)
        .map_or(now + JTI_MEMORY, |exp| exp + LEEWAY);
    store.save(&jti_key, json!(true), until).await?;
    let mut ids: Vec<String> = Vec::new();
    if let Some(sid) = s("sid") {
        if let Some(Value::String(id)) = store.load(&sid_key(sid)).await? {
            ids.push(id);
        }
        store.delete(&sid_key(sid)).await?;
    } else if let Some(sub) = s("sub") {
        if let Some(Value::Array(all)) = store.load(&sub_key(sub)).await? {
            ids.extend(all.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
        store.delete(&sub_key(sub)).await?;
    }
    let mut ended = 0;
    for id in ids {
        if store.load(&session_key(&id)).await?.is_some() {
            ended += 1;
        }
        store.delete(&session_key(&id)).await?;
    }
    Ok(Some(ended))
}
