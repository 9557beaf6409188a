//! Logout endpoints: `/oidc/logout` (RP-Initiated Logout 1.0, GET and POST) and Auth0's
//! `/v2/logout`, with a confirmation step when the request does not prove it comes from an
//! application of the browser's session (see `LogoutPlan::needs_confirmation`).

use super::authorize::redirect;
use crate::csrf::{self, FormToken, set_cookie};
use crate::html::{self, LogoutConfirmPage, SignedOutPage};
use crate::state::AppState;
use crate::{body, cookies, errors};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::logout::{self, LogoutPlan};
use portcullis_core::{OAuthError, Params, Provider, sessions};
use serde::{Deserialize, Serialize};

const PLAN_PURPOSE: &str = "logout-plan";

#[derive(Serialize, Deserialize)]
struct SealedPlan {
    redirect: Option<String>,
    exp: i64,
}

pub async fn oidc_logout_get(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match body::query(query.as_deref()) {
        Ok(params) => oidc_logout(&s, &Method::GET, &headers, params).await,
        Err(e) => errors::page(e.not_redirectable()),
    }
}

pub async fn oidc_logout_post(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match body::params(&headers, &body) {
        Ok(params) => oidc_logout(&s, &Method::POST, &headers, params).await,
        Err(e) => errors::page(e.not_redirectable()),
    }
}

async fn oidc_logout(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
    params: Params,
) -> Response {
    let p = &s.provider;
    let plan = match logout::plan_oidc_logout(p, &params).await {
        Ok(plan) => plan,
        Err(e) => return errors::page(e),
    };
    end_or_confirm(s, method, headers, plan).await
}

/// Ends the browser's session, or asks first when the request does not prove it comes from an
/// application of that session ([`LogoutPlan::needs_confirmation`]).
async fn end_or_confirm(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
    plan: LogoutPlan,
) -> Response {
    let p = &s.provider;
    let session_cookie = cookies::get(headers, cookies::session_name(&p.config.issuer));
    let session = match sessions::find(p, session_cookie).await {
        Ok(found) => found.map(|(session, _)| session),
        Err(e) => return errors::page(e),
    };
    if let Some(session) = &session
        && plan.needs_confirmation(session, is_top_level_navigation(headers))
    {
        return confirm_page(p, headers, &plan);
    }
    finish(p, method, session_cookie, plan.redirect.as_deref()).await
}

/// Fetch Metadata: whether the browser says this request is a top-level navigation (not an
/// `<img>`, a script, a frame or a `fetch`). Browsers send `Sec-Fetch-Dest` together with
/// `Sec-Fetch-Mode`; a request without `Sec-Fetch-Dest` (older browsers, server-side clients,
/// Node's fetch, which sends only a mode) counts as a navigation.
fn is_top_level_navigation(headers: &HeaderMap) -> bool {
    let Some(dest) = headers.get("sec-fetch-dest") else {
        return true;
    };
    let mode_ok = headers
        .get("sec-fetch-mode")
        .is_none_or(|v| v.as_bytes().eq_ignore_ascii_case(b"navigate"));
    dest.as_bytes().eq_ignore_ascii_case(b"document") && mode_ok
}

fn confirm_page(p: &Provider, headers: &HeaderMap, plan: &LogoutPlan) -> Response {
    let sealed = match p.sealer.seal(
        &SealedPlan {
            redirect: plan.redirect.clone(),
            exp: p.now() + 600,
        },
        PLAN_PURPOSE,
    ) {
        Ok(s) => s,
        Err(e) => return errors::page(OAuthError::server_error(e)),
    };
    let form = FormToken::issue(p, headers, &sealed);
    let mut r = html::render(
        StatusCode::OK,
        &LogoutConfirmPage {
            app_name: plan.client_name.as_deref(),
            back: plan.redirect.as_deref().unwrap_or("/"),
            plan: &sealed,
            csrf: &form.token,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    csrf: String,
}

/// The confirmation form's POST: CSRF-checked, then the session ends.
pub async fn confirm(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let p = &s.provider;
    let Ok(form) = serde_urlencoded::from_bytes::<ConfirmForm>(&body) else {
        return errors::page(OAuthError::invalid_request(
            "The sign-out form was malformed.",
        ));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.plan, &form.csrf) {
        return refused.into_response();
    }
    let Some(plan) = p
        .sealer
        .unseal::<SealedPlan>(&form.plan, PLAN_PURPOSE)
        .filter(|plan| plan.exp > p.now())
    else {
        return errors::page(OAuthError::invalid_request(
            "This sign-out request has expired. Try again.",
        ));
    };
    let session_cookie = cookies::get(&headers, cookies::session_name(&p.config.issuer));
    finish(p, &Method::POST, session_cookie, plan.redirect.as_deref()).await
}

/// Auth0's `/v2/logout?client_id&returnTo`.
pub async fn v2_logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let p = &s.provider;
    let params = match body::query(query.as_deref()) {
        Ok(params) => params,
        Err(e) => return errors::page(e.not_redirectable()),
    };
    let plan = match logout::plan_v2_logout(p, &params).await {
        Ok(plan) => plan,
        Err(e) => return errors::page(e),
    };
    end_or_confirm(&s, &Method::GET, &headers, plan).await
}

/// Ends the session, clears the cookie, and redirects to the validated URL or shows the
/// signed-out page. The redirect answers a POST with 303 (RFC 9700 §4.12), a GET with 302.
async fn finish(
    p: &Provider,
    method: &Method,
    session_cookie: Option<&str>,
    redirect_to: Option<&str>,
) -> Response {
    if let Err(e) = sessions::end_by_cookie(p, session_cookie).await {
        return errors::page(e);
    }
    let status = if method == Method::POST {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    let mut r = match redirect_to {
        Some(url) => redirect(status, url),
        None => html::render(StatusCode::OK, &SignedOutPage),
    };
    set_cookie(
        &mut r,
        &cookies::clear(&p.config.issuer, cookies::session_name(&p.config.issuer)),
    );
    r
}
