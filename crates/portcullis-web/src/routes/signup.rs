//! Sign-up on the hosted pages: `/u/signup` (the form), `/u/signup/check` (check your inbox, type
//! the code) and `/u/signup/confirm` (the mailed link: a page with one button, so that mail
//! scanners that open links cannot use it).

use super::flow;
use super::forms::{StateQuery, TokenForm, TokenQuery};
use super::login::app_name;
use crate::csrf::{self, FormToken};
use crate::errors;
use crate::html::{self, ConfirmEmailPage, MessagePage, SignupCheckPage, SignupPage};
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::accounts::AccountError;
use portcullis_core::accounts::signup::{self, Links, SignUpForm};
use portcullis_core::interaction::{StepKind, Transaction};
use portcullis_core::{OAuthError, Provider};
use serde::{Deserialize, Serialize};

const CHECK_PURPOSE: &str = "signup-check";

/// The "check your inbox" page's state: who signed up, in which transaction.
#[derive(Serialize, Deserialize)]
struct Check {
    email: String,
    transaction: String,
    exp: i64,
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn signup_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StateQuery>,
) -> Response {
    let p = &s.provider;
    if !portcullis_core::accounts::signup_enabled(p)
        .await
        .unwrap_or(false)
    {
        return disabled();
    }
    let Some((state, tx)) = flow::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let form = SignupForm {
        email: tx.login_hint().unwrap_or("").to_owned(),
        state,
        ..SignupForm::default()
    };
    render(p, &headers, &tx, &form, None, StatusCode::OK).await
}

async fn render(
    p: &Provider,
    headers: &HeaderMap,
    tx: &Transaction,
    form: &SignupForm,
    error: Option<&AccountError>,
    status: StatusCode,
) -> Response {
    let token = FormToken::issue(p, headers, &form.state);
    let app_name = app_name(p, tx).await;
    let message = error.map(ToString::to_string);
    let on = |field: &str| match error {
        Some(AccountError::Field { field: f, .. }) if *f == field => message.as_deref(),
        _ => None,
    };
    let general = match error {
        Some(AccountError::Field { .. }) | None => None,
        Some(_) => message.as_deref(),
    };
    let mut r = html::render(
        status,
        &SignupPage {
            app_name: &app_name,
            state: &form.state,
            csrf: &token.token,
            email: &form.email,
            name: &form.name,
            error: general,
            email_error: on("email"),
            name_error: on("name"),
            password_error: on("password"),
        },
    );
    token.set_cookie_on(p, &mut r);
    r
}

pub async fn signup_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<SignupForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request(
            "The sign-up form was malformed.",
        ));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.state, &form.csrf) {
        return refused.into_response();
    }
    if !portcullis_core::accounts::signup_enabled(p)
        .await
        .unwrap_or(false)
    {
        return disabled();
    }
    let Some((state, tx)) = flow::open(p, Some(&form.state)) else {
        return flow::expired();
    };
    let confirm = |token: &str| {
        p.config
            .issuer
            .endpoint(&format!("u/signup/confirm?token={token}"))
    };
    let sign_in = p.config.issuer.endpoint(&format!("u/login?state={state}"));
    let reset = p.config.issuer.endpoint(portcullis_core::paths::RESET);
    let started = signup::start(
        p,
        SignUpForm {
            email: &form.email,
            password: &form.password,
            name: Some(&form.name),
            ..SignUpForm::default()
        },
        &ip,
        Some(&state),
        Links {
            confirm: &confirm,
            sign_in: &sign_in,
            reset: &reset,
        },
        crate::ui::lang(),
    )
    .await;
    let email = match started {
        Ok(started) => started.email,
        Err(e) => {
            let status = status_of(&e);
            return render(p, &headers, &tx, &form, Some(&e), status).await;
        }
    };
    let check = Check {
        email,
        transaction: state,
        exp: tx.exp,
    };
    match p.sealer.seal(&check, CHECK_PURPOSE) {
        Ok(sealed) => super::authorize::redirect(
            StatusCode::SEE_OTHER,
            &format!("/u/signup/check?state={sealed}"),
        ),
        Err(e) => errors::page(OAuthError::server_error(e)),
    }
}

fn status_of(e: &AccountError) -> StatusCode {
    match e {
        AccountError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        AccountError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AccountError::SignupDisabled => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn open_check(p: &Provider, sealed: Option<&str>) -> Option<Check> {
    sealed
        .and_then(|s| p.sealer.unseal::<Check>(s, CHECK_PURPOSE))
        .filter(|c| c.exp > p.now())
        .inspect(|c| {
            Transaction::open(p, &c.transaction)
                .iter()
                .for_each(crate::ui::prefer_transaction);
        })
}

pub async fn check_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StateQuery>,
) -> Response {
    let p = &s.provider;
    let Some(check) = open_check(p, q.state.as_deref()) else {
        return flow::expired();
    };
    render_check(
        p,
        &headers,
        q.state.as_deref().unwrap_or(""),
        &check,
        None,
        StatusCode::OK,
    )
}

fn render_check(
    p: &Provider,
    headers: &HeaderMap,
    state: &str,
    check: &Check,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = FormToken::issue(p, headers, state);
    let back = format!("/u/signup?state={}", check.transaction);
    let mut r = html::render(
        status,
        &SignupCheckPage {
            email: &check.email,
            state,
            csrf: &token.token,
            error,
            back: &back,
        },
    );
    token.set_cookie_on(p, &mut r);
    r
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn check_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<CodeForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.state, &form.csrf) {
        return refused.into_response();
    }
    let Some(check) = open_check(p, Some(&form.state)) else {
        return flow::expired();
    };
    match signup::confirm_code(p, &check.email, &form.code).await {
        Ok(confirmed) => {
            let tx = Transaction::open(p, &check.transaction);
            flow::signed_in(
                p,
                &headers,
                tx,
                &confirmed.user,
                StepKind::SignUp,
                account_ready,
            )
            .await
        }
        Err(e) => {
            let message = e.to_string();
            render_check(
                p,
                &headers,
                &form.state,
                &check,
                Some(&message),
                status_of(&e),
            )
        }
    }
}

/// The mailed link: a page with a button (a GET must not use the token).
pub async fn confirm_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let p = &s.provider;
    let token = q.token.unwrap_or_default();
    let form = FormToken::issue(p, &headers, &token);
    let mut r = html::render(
        StatusCode::OK,
        &ConfirmEmailPage {
            token: &token,
            csrf: &form.token,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

pub async fn confirm_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<TokenForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.token, &form.csrf) {
        return refused.into_response();
    }
    match signup::confirm_link(p, &form.token).await {
        Ok(confirmed) => {
            let tx = confirmed
                .transaction
                .as_deref()
                .and_then(|sealed| Transaction::open(p, sealed));
            flow::signed_in(
                p,
                &headers,
                tx,
                &confirmed.user,
                StepKind::SignUp,
                account_ready,
            )
            .await
        }
        Err(e) => html::render(
            status_of(&e),
            &MessagePage {
                title: crate::ui::t("link.unusable_title"),
                text: &e.to_string(),
                link: None,
            },
        ),
    }
}

fn account_ready() -> Response {
    html::render(
        StatusCode::OK,
        &MessagePage {
            title: crate::ui::t("signup.ready_title"),
            text: crate::ui::t("signup.ready_text"),
            link: None,
        },
    )
}

fn disabled() -> Response {
    html::render(
        StatusCode::FORBIDDEN,
        &MessagePage {
            title: crate::ui::t("signup.off_title"),
            text: crate::ui::t("signup.off_text"),
            link: None,
        },
    )
}
