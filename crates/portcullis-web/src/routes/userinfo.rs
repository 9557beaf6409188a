//! `/userinfo` (OIDC Core §5.3) with the three RFC 6750 token locations: the `Authorization`
//! header (§2.1), a form body (§2.2) and the query (§2.3, which passport-auth0 uses).

use crate::state::AppState;
use crate::{body, errors};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::{OAuthError, Params, userinfo};

pub async fn userinfo_get(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = match body::query(query.as_deref()) {
        Ok(q) => q,
        Err(e) => return errors::bearer(Some(e)),
    };
    answer(&s, &headers, &query, &Params::default()).await
}

pub async fn userinfo_post(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query = match body::query(query.as_deref()) {
        Ok(q) => q,
        Err(e) => return errors::bearer(Some(e)),
    };
    let form = if body.is_empty() {
        Params::default()
    } else {
        match body::params(&headers, &body) {
            Ok(f) => f,
            Err(e) => return errors::bearer(Some(e)),
        }
    };
    answer(&s, &headers, &query, &form).await
}

async fn answer(s: &AppState, headers: &HeaderMap, query: &Params, form: &Params) -> Response {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
        });
    let candidates = [
        header_token,
        form.get("access_token"),
        query.get("access_token"),
    ];
    let sent: Vec<&str> = candidates.iter().flatten().copied().collect();
    let token = match sent.as_slice() {
        [] => return errors::bearer(None),
        [one] => *one,
        _ => {
            return errors::bearer(Some(OAuthError::invalid_request(
                "Send the access token in one place only.",
            )));
        }
    };
    match userinfo::userinfo(&s.provider, token).await {
        Ok(claims) => {
            let mut r = errors::no_store(Json(claims).into_response());
            if query.get("access_token").is_some() {
                // RFC 6750 §2.3: responses to query-string tokens are private.
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
            }
            r
        }
        Err(e) => errors::bearer(Some(e)),
    }
}
