//! The hosted sign-in page (`/u/login`): a server-rendered form that works without JavaScript,
//! protected against CSRF by a cookie-bound token plus an `Origin`/`Sec-Fetch-Site` check.

use super::authorize::{LOGIN_PURPOSE, LoginTransaction, redirect, respond};
use crate::html::{self, LoginPage};
use crate::state::AppState;
use crate::{cookies, errors};
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use portcullis_core::authorize::{self, AuthorizeFailure, Decision};
use portcullis_core::crypto::random_token;
use portcullis_core::login::{self, LoginError};
use portcullis_core::{OAuthError, Provider, sessions};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginQuery {
    state: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let p = &s.provider;
    let Some((state, tx)) = q.state.and_then(|st| open(p, &st).map(|tx| (st, tx))) else {
        return expired();
    };
    let (csrf_cookie, fresh) = csrf_cookie(p, &headers);
    let app_name = app_name(p, &tx).await;
    let mut r = html::render(
        StatusCode::OK,
        &LoginPage {
            app_name: &app_name,
            state: &state,
            csrf: &csrf_token(p, &csrf_cookie, &state),
            email: tx.params.get("login_hint").unwrap_or(""),
            error: None,
        },
    );
    if fresh {
        set_cookie(&mut r, &cookies::set_csrf(&p.config.issuer, &csrf_cookie));
    }
    r
}

pub async fn login_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<LoginForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request(
            "The sign-in form was malformed.",
        ));
    };
    if !same_origin(p, &headers) {
        return forbidden();
    }
    let Some(tx) = open(p, &form.state) else {
        return expired();
    };
    let Some(cookie) = cookies::get(&headers, cookies::csrf_name(&p.config.issuer)) else {
        return forbidden();
    };
    if !p
        .hasher
        .verify(&format!("csrf:{cookie}:{}", form.state), &form.csrf)
    {
        return forbidden();
    }
    let user = match login::authenticate(p, &form.email, &form.password, &ip).await {
        Ok(user) => user,
        Err(e) => {
            let status = match &e {
                LoginError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                LoginError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            if let LoginError::Internal(inner) = &e {
                tracing::error!(error = %inner, "sign-in failed");
            }
            let app_name = app_name(p, &tx).await;
            let message = e.to_string();
            let page = html::render(
                status,
                &LoginPage {
                    app_name: &app_name,
                    state: &form.state,
                    csrf: &form.csrf,
                    email: &form.email,
                    error: Some(&message),
                },
            );
            return crate::rejections::Rejection::new("login_failed", message)
                .for_client(tx.params.get("client_id"))
                .attach(page);
        }
    };
    let (secret, session) = match sessions::create(p, &user).await {
        Ok(v) => v,
        Err(e) => return errors::page(e),
    };
    tracing::info!(user_id = %user.user_id, session_id = %session.session_id, "signed in");
    let mut response = resume(p, tx, &session, &user).await;
    set_cookie(
        &mut response,
        &cookies::set(
            &p.config.issuer,
            cookies::session_name(&p.config.issuer),
            &secret,
            Some(p.config.session_lifetime),
        ),
    );
    response
}

/// Continues the authorization request now that the user has signed in.
async fn resume(
    p: &Provider,
    tx: LoginTransaction,
    session: &portcullis_store::Session,
    user: &portcullis_store::User,
) -> Response {
    let request = match authorize::validate(p, tx.params).await {
        Ok(r) => r,
        Err(AuthorizeFailure::ErrorPage(e)) => return errors::page(e),
        Err(AuthorizeFailure::Respond(r)) => return respond(r, StatusCode::SEE_OTHER),
    };
    match authorize::decide(p, &request, Some((session, user)), true).await {
        Ok(Decision::Respond(r)) => respond(r, StatusCode::SEE_OTHER),
        Ok(Decision::Login) => redirect(StatusCode::SEE_OTHER, "/"),
        Err(e) => errors::page(e),
    }
}

fn open(p: &Provider, sealed: &str) -> Option<LoginTransaction> {
    p.sealer
        .unseal::<LoginTransaction>(sealed, LOGIN_PURPOSE)
        .filter(|tx| tx.exp > p.now())
}

async fn app_name(p: &Provider, tx: &LoginTransaction) -> String {
    match tx.params.get("client_id") {
        Some(id) => match p.store.get_client(id).await {
            Ok(Some(c)) => c.name,
            _ => "the application".to_owned(),
        },
        None => "the application".to_owned(),
    }
}

/// The browser's anti-CSRF cookie, or a new one (`true` when it must be set).
pub fn csrf_cookie(p: &Provider, headers: &HeaderMap) -> (String, bool) {
    match cookies::get(headers, cookies::csrf_name(&p.config.issuer)).filter(|c| c.len() == 43) {
        Some(c) => (c.to_owned(), false),
        None => (random_token(32), true),
    }
}

/// The form token: bound to the browser's cookie and to this one transaction.
pub fn csrf_token(p: &Provider, cookie: &str, bound_to: &str) -> String {
    p.hasher.hash(&format!("csrf:{cookie}:{bound_to}"))
}

/// RFC 6749 §10.12: refuse cross-site form posts. `Sec-Fetch-Site`, when the browser sends it,
/// must say the form came from our own pages; an `Origin` must be ours. `Origin: null` is let
/// through: our pages are served with `Referrer-Policy: no-referrer`, under which browsers send
/// `null` even for same-origin POSTs (Fetch, "serializing a request origin"). The cookie-bound
/// CSRF token is checked in every case.
pub fn same_origin(p: &Provider, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some("null") | None => true,
        Some(origin) => origin == p.config.issuer.origin(),
    }
}

pub fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub fn forbidden() -> Response {
    html::error_page(
        StatusCode::FORBIDDEN,
        "invalid_request",
        "This form was submitted from another site or its security token is missing. Go back to the application and sign in again.",
    )
}

fn expired() -> Response {
    html::error_page(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "This sign-in link has expired or is not valid. Go back to the application and start again.",
    )
}
