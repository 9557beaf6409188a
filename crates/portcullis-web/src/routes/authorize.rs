//! `/authorize` (RFC 6749 §3.1, OIDC Core §3.1.2.1): GET and POST.

use crate::html::{self, FormPostPage, WebMessagePage};
use crate::state::AppState;
use crate::{body, cookies, errors};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::authorize::{AuthorizationResponse, AuthorizeFailure, ResponseMode};
use portcullis_core::interaction::{self, Transaction};
use portcullis_core::{OAuthError, Params, sessions};
use serde_json::json;

pub async fn authorize_get(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match body::query(query.as_deref()) {
        Ok(params) => authorize(&s, &headers, params).await,
        Err(e) => errors::page(e.not_redirectable()),
    }
}

/// OIDC Core §3.1.2.1: POST with a form body is the same request.
pub async fn authorize_post(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = std::str::from_utf8(&body)
        .map_err(|_| OAuthError::invalid_request("The body is not valid UTF-8."))
        .and_then(Params::from_urlencoded);
    match params {
        Ok(params) => authorize(&s, &headers, params).await,
        Err(e) => errors::page(e.not_redirectable()),
    }
}

async fn authorize(s: &AppState, headers: &HeaderMap, params: Params) -> Response {
    let p = &s.provider;
    let cookie = cookies::get(headers, cookies::session_name(&p.config.issuer));
    let session = match sessions::find(p, cookie).await {
        Ok(s) => s,
        Err(e) => return errors::page(e),
    };
    let mut tx = Transaction::new(p, params);
    let verifier = cookies::get(headers, cookies::co_verifier_name(&p.config.issuer));
    match interaction::redeem_login_ticket(p, &mut tx, verifier).await {
        Ok(Some((user, step))) => {
            return super::flow::signed_in(p, headers, Some(tx), &user, step, || {
                redirect(StatusCode::SEE_OTHER, "/")
            })
            .await;
        }
        Ok(None) => {}
        Err(AuthorizeFailure::ErrorPage(e)) => return errors::page(e),
        Err(AuthorizeFailure::Respond(r)) => return respond(r, StatusCode::FOUND),
    }
    super::flow::continue_with(
        p,
        &tx,
        session.as_ref().map(|(s, u)| (s, u)),
        StatusCode::FOUND,
    )
    .await
}

/// Delivers an authorization response in its mode. `redirect_status` is 302 for a plain
/// GET and 303 after a credential POST (RFC 9700 §4.12: never 307).
pub fn respond(r: AuthorizationResponse, redirect_status: StatusCode) -> Response {
    let rejection = r
        .error
        .as_ref()
        .map(crate::rejections::Rejection::from_error);
    let response = deliver(r, redirect_status);
    match rejection {
        Some(rejection) => rejection.attach(response),
        None => response,
    }
}

fn deliver(r: AuthorizationResponse, redirect_status: StatusCode) -> Response {
    match r.mode {
        ResponseMode::Query => redirect(redirect_status, &r.query_url()),
        ResponseMode::Fragment => redirect(redirect_status, &r.fragment_url()),
        ResponseMode::FormPost => {
            let nonce = html::nonce();
            html::render_with(
                StatusCode::OK,
                &FormPostPage {
                    action: &r.redirect_uri,
                    params: &r.params,
                    nonce: &nonce,
                },
                "'none'",
                Some(&nonce),
            )
        }
        ResponseMode::WebMessage => {
            let response: serde_json::Map<String, serde_json::Value> = r
                .params
                .iter()
                .filter(|(k, _)| k != "iss")
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let message = json!({ "type": "authorization_response", "response": response });
            let origin = r.target_origin();
            let nonce = html::nonce();
            // The page runs in the application's hidden iframe (or popup): only that origin
            // may frame it, and the message is posted to that origin only.
            html::render_with(
                StatusCode::OK,
                &WebMessagePage {
                    message_json: &html::script_json(&message),
                    target_origin_json: &html::script_json(&json!(origin)),
                    nonce: &nonce,
                },
                &origin,
                Some(&nonce),
            )
        }
    }
}

/// A redirect that carries no referrer and is never cached.
pub fn redirect(status: StatusCode, location: &str) -> Response {
    let mut r = status.into_response();
    let h = r.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            h.insert(header::LOCATION, v);
        }
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect").into_response(),
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}
