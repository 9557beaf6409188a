//! Sign-in through upstream connections: the sign-in page's buttons
//! (`/u/login/connection?state=&connection=`), the redirect to the upstream (also reached by
//! `/authorize?connection=NAME`), and its answer at `/login/callback`
//! (`portcullis_core::upstream::flow`). The pending sign-in rides in a `SameSite=Lax` cookie of
//! this browser, so a callback URL is useless in another browser (login CSRF).

use super::authorize::{redirect, respond};
use super::flow;
use crate::state::AppState;
use crate::{body, cookies, errors, html};
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use portcullis_core::authorize::{self, AuthorizeFailure};
use portcullis_core::interaction::{StepKind, Transaction};
use portcullis_core::upstream::flow::{self as upstream_flow, UpstreamError};
use portcullis_core::upstream::{self, Connection, accounts};
use portcullis_core::{ErrorCode, OAuthError, Provider, sessions};
use serde::Deserialize;

/// The cookie holding the sealed pending sign-in.
fn cookie_name(p: &Provider) -> &'static str {
    if p.config.issuer.is_https() {
        "__Host-portcullis_upstream"
    } else {
        "portcullis_upstream"
    }
}

fn set_pending_cookie(p: &Provider, response: &mut Response, value: &str, max_age: i64) {
    let mut cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}",
        cookie_name(p)
    );
    if p.config.issuer.is_https() {
        cookie.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The sign-in page's buttons for a transaction: (name, label) of each connection enabled for
/// its application.
pub async fn buttons(p: &Provider, tx: &Transaction) -> Vec<(String, String)> {
    let Some(client_id) = tx.params.get("client_id") else {
        return Vec::new();
    };
    match upstream::enabled_for(p, client_id).await {
        Ok(list) => list
            .iter()
            .map(|c| (c.name.clone(), c.display_name.clone()))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "connections unavailable");
            Vec::new()
        }
    }
}

/// Sends the browser to `c` to sign in (for `tx`), or to add `c` to `link_user`'s account.
pub async fn start(
    p: &Provider,
    c: &Connection,
    tx: Option<Transaction>,
    link_user: Option<String>,
    status: StatusCode,
) -> Response {
    match upstream_flow::begin(p, c, tx, link_user).await {
        Ok(started) => {
            tracing::info!(connection = %c.name, "redirecting to the upstream identity provider");
            let mut r = redirect(status, &started.location);
            set_pending_cookie(p, &mut r, &started.sealed, upstream_flow::LIFETIME);
            r
        }
        Err(e) => failure_page(e),
    }
}

#[derive(Deserialize)]
pub struct ButtonQuery {
    state: Option<String>,
    connection: Option<String>,
}

/// `GET /u/login/connection`: a button of the sign-in page.
pub async fn button(State(s): State<AppState>, Query(q): Query<ButtonQuery>) -> Response {
    let p = &s.provider;
    let Some((_, tx)) = flow::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let name = q.connection.unwrap_or_default();
    let client_id = tx.params.get("client_id").unwrap_or("");
    match upstream::find(p, &name).await {
        Ok(Some(c)) if c.enabled_for(client_id) => {
            start(p, &c, Some(tx), None, StatusCode::FOUND).await
        }
        Ok(_) => errors::page(OAuthError::invalid_request(
            "This sign-in method is not available for this application.",
        )),
        Err(e) => errors::page(e),
    }
}

/// `GET /login/callback`: the upstream's answer.
pub async fn callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let p = &s.provider;
    let params = match body::query(query.as_deref()) {
        Ok(params) => params,
        Err(e) => return errors::page(e.not_redirectable()),
    };
    let sealed = cookies::get(&headers, cookie_name(p));
    let mut response = match upstream_flow::callback(p, sealed, &params).await {
        Ok((pending, c, profile)) => match pending.link_user {
            Some(user_id) => link(p, &headers, &c, &profile, &user_id).await,
            None => sign_in(p, &headers, pending.tx, &c, &profile).await,
        },
        Err(UpstreamError::Denied {
            pending,
            connection,
            error,
            description,
        }) => denied(p, *pending, &connection, &error, description.as_deref()).await,
        Err(e) => failure_page(e),
    };
    set_pending_cookie(p, &mut response, "", 0);
    response
}

async fn sign_in(
    p: &Provider,
    headers: &HeaderMap,
    tx: Option<Transaction>,
    c: &Connection,
    profile: &upstream_flow::Profile,
) -> Response {
    let user = match accounts::sign_in(p, c, profile).await {
        Ok(user) => user,
        Err(e) => return errors::page(e),
    };
    if authorize::user_may_sign_in(&user).is_err() {
        return html::error_page(
            StatusCode::FORBIDDEN,
            "access_denied",
            "This account is blocked. Contact your administrator.",
        );
    }
    flow::signed_in(p, headers, tx, &user, StepKind::Connection, || {
        redirect(StatusCode::SEE_OTHER, "/u/account")
    })
    .await
}

async fn link(
    p: &Provider,
    headers: &HeaderMap,
    c: &Connection,
    profile: &upstream_flow::Profile,
    user_id: &str,
) -> Response {
    // Still signed in as the user who asked (the session may have ended meanwhile).
    let cookie = cookies::get(headers, cookies::session_name(&p.config.issuer));
    match sessions::find(p, cookie).await {
        Ok(Some((_, user))) if user.user_id == user_id => {}
        Ok(_) => {
            return html::error_page(
                StatusCode::UNAUTHORIZED,
                "access_denied",
                "Your session ended before the account was connected. Sign in and try again.",
            );
        }
        Err(e) => return errors::page(e),
    }
    match accounts::link(p, c, profile, user_id).await {
        Ok(()) => redirect(
            StatusCode::SEE_OTHER,
            &format!("/u/account?linked={}", c.name),
        ),
        Err(accounts::LinkError::OtherUser(name)) => html::error_page(
            StatusCode::CONFLICT,
            "access_denied",
            &format!(
                "This {name} account already signs in another account, so it cannot be connected to yours."
            ),
        ),
        Err(accounts::LinkError::Internal(e)) => errors::page(e),
    }
}

/// The upstream refused (RFC 6749 §4.1.2.1): the application gets `access_denied` with a
/// description; without an application (linking), a page says so.
async fn denied(
    p: &Provider,
    pending: upstream_flow::Pending,
    connection: &str,
    error: &str,
    description: Option<&str>,
) -> Response {
    let text = match description {
        Some(d) => format!("{connection} did not sign the user in ({error}: {d})."),
        None => format!("{connection} did not sign the user in ({error})."),
    };
    tracing::info!(%connection, %error, "upstream sign-in refused");
    let Some(tx) = pending.tx else {
        return html::error_page(StatusCode::BAD_REQUEST, "access_denied", &text);
    };
    match authorize::validate(p, tx.params).await {
        Ok(request) => respond(
            authorize::error(p, &request, OAuthError::new(ErrorCode::AccessDenied, text)),
            StatusCode::FOUND,
        ),
        Err(AuthorizeFailure::Respond(r)) => respond(r, StatusCode::FOUND),
        Err(AuthorizeFailure::ErrorPage(e)) => errors::page(e),
    }
}

fn failure_page(e: UpstreamError) -> Response {
    match e {
        UpstreamError::Internal(e) => errors::page(e),
        UpstreamError::Failed { .. } => {
            tracing::warn!(error = %e, "upstream sign-in failed");
            html::error_page(StatusCode::BAD_GATEWAY, "access_denied", &e.to_string())
        }
        other => {
            tracing::info!(error = %other, "upstream callback refused");
            html::error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &other.to_string(),
            )
        }
    }
}
