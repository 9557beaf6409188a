//! The hosted passwordless pages (`/authorize?connection=email`, the pipeline's
//! [`Next::Passwordless`](portcullis_core::interaction::Next::Passwordless) step): the email,
//! then the 6-digit code from the mail; and the page a mailed magic link opens
//! (`/passwordless/verify_redirect`), whose button signs in and answers the authorization
//! request the application started the link with.

use super::flow;
use super::forms::{StateQuery, TokenForm, TokenQuery};
use crate::csrf::{self, FormToken};
use crate::errors;
use crate::html::{
    self, MessagePage, PasswordlessCodePage, PasswordlessEmailPage, PasswordlessLinkPage,
};
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::accounts::AccountError;
use portcullis_core::accounts::passwordless::{self, Delivery, Start};
use portcullis_core::interaction::{StepKind, Transaction};
use portcullis_core::{OAuthError, Provider};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
}

/// `GET /u/passwordless?state=…`: asks for the email.
pub async fn email_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StateQuery>,
) -> Response {
    let p = &s.provider;
    let Some((state, tx)) = flow::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let email = tx.login_hint().unwrap_or("").to_owned();
    render_email(p, &headers, &state, &tx, &email, None, StatusCode::OK).await
}

async fn render_email(
    p: &Provider,
    headers: &HeaderMap,
    state: &str,
    tx: &Transaction,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let form = FormToken::issue(p, headers, state);
    let app_name = super::login::app_name(p, tx).await;
    let mut r = html::render(
        status,
        &PasswordlessEmailPage {
            app_name: &app_name,
            state,
            csrf: &form.token,
            email,
            error,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

fn render_code(
    p: &Provider,
    headers: &HeaderMap,
    state: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let form = FormToken::issue(p, headers, state);
    let back = format!("/u/passwordless?state={state}");
    let mut r = html::render(
        status,
        &PasswordlessCodePage {
            email,
            state,
            csrf: &form.token,
            error,
            back: &back,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

fn status_of(e: &AccountError) -> StatusCode {
    match e {
        AccountError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        AccountError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AccountError::SignupDisabled | AccountError::Blocked => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `POST /u/passwordless`: mails a code (the same page follows whether or not the address has
/// an account), then asks for it.
pub async fn email_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<EmailForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.state, &form.csrf) {
        return refused.into_response();
    }
    let Some((state, tx)) = flow::open(p, Some(&form.state)) else {
        return flow::expired();
    };
    let client_id = tx.params.get("client_id").unwrap_or_default().to_owned();
    // The hosted flow mails a code only: the page that asked waits for it.
    let no_link = |_: &str| String::new();
    let started = passwordless::start(
        p,
        Start {
            email: &form.email,
            send: Delivery::Code,
            client_id: &client_id,
            auth_params: None,
            transaction: Some(&state),
        },
        &ip,
        &no_link,
        crate::ui::lang(),
    )
    .await;
    match started {
        Ok(started) => render_code(p, &headers, &state, &started.email, None, StatusCode::OK),
        Err(e) => {
            let message = e.to_string();
            let status = status_of(&e);
            render_email(
                p,
                &headers,
                &state,
                &tx,
                &form.email,
                Some(&message),
                status,
            )
            .await
        }
    }
}

/// `POST /u/passwordless/code`: checks the code, signs in and continues the request.
pub async fn code_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<CodeForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.state, &form.csrf) {
        return refused.into_response();
    }
    let Some((state, tx)) = flow::open(p, Some(&form.state)) else {
        return flow::expired();
    };
    let client_id = tx.params.get("client_id").unwrap_or_default().to_owned();
    match passwordless::verify_code(p, &form.email, &form.code, &client_id).await {
        Ok(verified) => {
            flow::signed_in(
                p,
                &headers,
                Some(tx),
                &verified.user,
                StepKind::Passwordless,
                || super::authorize::redirect(StatusCode::SEE_OTHER, "/"),
            )
            .await
        }
        Err(e) => {
            let message = e.to_string();
            let page = render_code(
                p,
                &headers,
                &state,
                &form.email,
                Some(&message),
                status_of(&e),
            );
            crate::rejections::Rejection::new("passwordless_failed", message)
                .for_client(Some(&client_id))
                .attach(page)
        }
    }
}

/// `GET /passwordless/verify_redirect?token=…`: the magic link's page, with a button.
pub async fn link_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let p = &s.provider;
    let token = q.token.unwrap_or_default();
    let form = FormToken::issue(p, &headers, &token);
    let mut r = html::render(
        StatusCode::OK,
        &PasswordlessLinkPage {
            token: &token,
            csrf: &form.token,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

/// `POST /passwordless/verify_redirect`: uses the link once, signs in, and answers the
/// authorization request the link was started with (validated again now).
pub async fn link_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<TokenForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.token, &form.csrf) {
        return refused.into_response();
    }
    match passwordless::verify_link(p, &form.token).await {
        Ok(verified) => {
            let tx = match (verified.transaction.as_deref(), verified.auth_params) {
                (Some(sealed), _) => Transaction::open(p, sealed),
                (None, Some(params)) => Some(Transaction::new(p, params)),
                (None, None) => None,
            };
            flow::signed_in(
                p,
                &headers,
                tx,
                &verified.user,
                StepKind::Passwordless,
                || super::authorize::redirect(StatusCode::SEE_OTHER, "/"),
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
