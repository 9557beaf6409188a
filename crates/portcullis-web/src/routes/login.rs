//! The hosted sign-in page (`/u/login`): a server-rendered form that works without JavaScript,
//! protected against CSRF by a cookie-bound token plus an `Origin`/`Sec-Fetch-Site` check.

use super::flow;
use super::forms::StateQuery;
use crate::csrf::{self, FormToken};
use crate::errors;
use crate::html::{self, LoginPage};
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::audit::RequestContext;
use portcullis_core::interaction::{StepKind, Transaction};
use portcullis_core::login::{self, LoginError};
use portcullis_core::{OAuthError, Provider};
use serde::Deserialize;

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
    Query(q): Query<StateQuery>,
) -> Response {
    let p = &s.provider;
    let Some((state, tx)) = flow::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let email = tx.login_hint().unwrap_or("").to_owned();
    render(p, &headers, &state, &tx, &email, None, StatusCode::OK).await
}

/// The sign-in page (again, with `error`, after a refused try).
pub(crate) async fn render(
    p: &Provider,
    headers: &HeaderMap,
    state: &str,
    tx: &Transaction,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    render_page(p, headers, state, tx, email, error, status, None).await
}

/// [`render`], telling the browser that passkey `unknown_credential` (base64url credential id)
/// is not registered here, so it can stop offering it (WebAuthn L3 `signalUnknownCredential`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn render_page(
    p: &Provider,
    headers: &HeaderMap,
    state: &str,
    tx: &Transaction,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
    unknown_credential: Option<&str>,
) -> Response {
    let form = FormToken::issue(p, headers, state);
    let app_name = app_name(p, tx).await;
    let signup = portcullis_core::accounts::signup_enabled(p)
        .await
        .unwrap_or(false);
    let connections = super::upstream::buttons(p, tx).await;
    let passkey = super::passkeys::sign_in_ceremony(p).await;
    let nonce = html::nonce();
    let mut r = html::render_with(
        status,
        &LoginPage {
            app_name: &app_name,
            state,
            csrf: &form.token,
            email,
            error,
            signup,
            connections: &connections,
            passkey: passkey.as_ref(),
            unknown_credential,
            nonce: &nonce,
        },
        "'none'",
        passkey.is_some().then_some(nonce.as_str()),
    );
    form.set_cookie_on(p, &mut r);
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
    if let Err(refused) = csrf::check(p, &headers, &form.state, &form.csrf) {
        return refused.into_response();
    }
    let Some((_, tx)) = flow::open(p, Some(&form.state)) else {
        return flow::expired();
    };
    // Sign-in events name the application the authorization request is for.
    let audit = RequestContext::current().with_client_id(tx.params.get("client_id"));
    let lang = crate::ui::lang();
    let signed_in = audit.scope(login::authenticate_in(
        p,
        &form.email,
        &form.password,
        &ip,
        lang,
    ));
    let user = match signed_in.await {
        Ok(user) => user,
        Err(e) => {
            crate::metrics::sign_in_failed(&e);
            let status = match &e {
                LoginError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                LoginError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            if let LoginError::Internal(inner) = &e {
                tracing::error!(error = %inner, "sign-in failed");
            }
            let message = e.to_string();
            let page = render(
                p,
                &headers,
                &form.state,
                &tx,
                &form.email,
                Some(&message),
                status,
            )
            .await;
            return crate::rejections::Rejection::new("login_failed", message)
                .for_client(tx.params.get("client_id"))
                .attach(page);
        }
    };
    crate::metrics::sign_in_succeeded();
    flow::signed_in(p, &headers, Some(tx), &user, StepKind::Password, || {
        super::authorize::redirect(StatusCode::SEE_OTHER, "/")
    })
    .await
}

/// The application's name for the pages of a transaction.
pub async fn app_name(p: &Provider, tx: &Transaction) -> String {
    match tx.params.get("client_id") {
        Some(id) => match p.store.get_client(id).await {
            Ok(Some(c)) => c.name,
            _ => crate::ui::t("login.the_application").to_owned(),
        },
        None => crate::ui::t("login.the_application").to_owned(),
    }
}
