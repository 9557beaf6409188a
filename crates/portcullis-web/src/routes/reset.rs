//! Password reset on the hosted pages: `/u/reset` (ask for a link; the same answer whether or
//! not the address has an account) and `/u/reset/confirm` (the mailed link: choose a new
//! password, which signs the user out everywhere else and then in here).

use super::flow;
use super::forms::{StateQuery, TokenQuery};
use crate::csrf::{self, FormToken};
use crate::errors;
use crate::html::{self, MessagePage, ResetPasswordPage, ResetRequestPage};
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::accounts::{AccountError, reset};
use portcullis_core::interaction::{StepKind, Transaction};
use portcullis_core::{OAuthError, Provider};
use serde::Deserialize;

/// What a reset form is bound to when it came without a transaction.
const NO_TRANSACTION: &str = "reset";

pub async fn request_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StateQuery>,
) -> Response {
    let p = &s.provider;
    // A transaction is optional (a link from a mail has none), but a bad one is not ignored.
    let state = q.state.unwrap_or_default();
    if !state.is_empty() && Transaction::open(p, &state).is_none() {
        return flow::expired();
    }
    let email = Transaction::open(p, &state)
        .inspect(crate::ui::prefer_transaction)
        .and_then(|tx| tx.login_hint().map(str::to_owned))
        .unwrap_or_default();
    render_request(p, &headers, &state, &email, None, StatusCode::OK)
}

fn render_request(
    p: &Provider,
    headers: &HeaderMap,
    state: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let bound = if state.is_empty() {
        NO_TRANSACTION
    } else {
        state
    };
    let form = FormToken::issue(p, headers, bound);
    let mut r = html::render(
        status,
        &ResetRequestPage {
            state,
            csrf: &form.token,
            email,
            error,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

pub async fn request_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<RequestForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    let bound = if form.state.is_empty() {
        NO_TRANSACTION
    } else {
        &form.state
    };
    if let Err(refused) = csrf::check(p, &headers, bound, &form.csrf) {
        return refused.into_response();
    }
    let transaction = Transaction::open(p, &form.state)
        .inspect(crate::ui::prefer_transaction)
        .map(|_| form.state.as_str());
    let link = |token: &str| {
        p.config
            .issuer
            .endpoint(&format!("u/reset/confirm?token={token}"))
    };
    match reset::request(p, &form.email, &ip, transaction, &link, crate::ui::lang()).await {
        Ok(()) => html::render(
            StatusCode::OK,
            &MessagePage {
                title: crate::ui::t("check.title"),
                text: crate::ui::t("reset.sent_text"),
                link: None,
            },
        ),
        Err(e) => {
            let status = match &e {
                AccountError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
                AccountError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            render_request(
                p,
                &headers,
                &form.state,
                &form.email,
                Some(&e.to_string()),
                status,
            )
        }
    }
}

pub async fn password_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let p = &s.provider;
    let token = q.token.unwrap_or_default();
    match reset::lookup(p, &token).await {
        Ok(email) => render_password(p, &headers, &token, &email, None, StatusCode::OK),
        Err(e) => unusable(&e),
    }
}

fn render_password(
    p: &Provider,
    headers: &HeaderMap,
    token: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let form = FormToken::issue(p, headers, token);
    let mut r = html::render(
        status,
        &ResetPasswordPage {
            token,
            csrf: &form.token,
            email,
            error,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn password_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<PasswordForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.token, &form.csrf) {
        return refused.into_response();
    }
    let reset_link = p.config.issuer.endpoint(portcullis_core::paths::RESET);
    match reset::complete(
        p,
        &form.token,
        &form.password,
        &reset_link,
        crate::ui::lang(),
    )
    .await
    {
        Ok(done) => {
            let tx = done
                .transaction
                .as_deref()
                .and_then(|sealed| Transaction::open(p, sealed));
            flow::signed_in(p, &headers, tx, &done.user, StepKind::PasswordReset, || {
                html::render(
                    StatusCode::OK,
                    &MessagePage {
                        title: crate::ui::t("reset.done_title"),
                        text: crate::ui::t("reset.done_text"),
                        link: None,
                    },
                )
            })
            .await
        }
        Err(AccountError::Field { message, .. }) => {
            let email = reset::lookup(p, &form.token).await.unwrap_or_default();
            render_password(
                p,
                &headers,
                &form.token,
                &email,
                Some(&message),
                StatusCode::BAD_REQUEST,
            )
        }
        Err(e) => unusable(&e),
    }
}

fn unusable(e: &AccountError) -> Response {
    let status = match e {
        AccountError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    html::render(
        status,
        &MessagePage {
            title: crate::ui::t("link.unusable_title"),
            text: &e.to_string(),
            link: Some((
                crate::ui::t("reset.ask_again"),
                portcullis_core::paths::RESET,
            )),
        },
    )
}
