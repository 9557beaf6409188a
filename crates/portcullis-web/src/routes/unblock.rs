//! `/u/unblock`: the link of the "account blocked" mail. The link opens a page with one button
//! (a GET changes nothing, so mail scanners that follow links do not use it up); the POST lifts
//! the sign-in lockout ([`portcullis_core::accounts::unblock`]).

use super::forms::{TokenForm, TokenQuery};
use crate::csrf::{self, FormToken};
use crate::errors;
use crate::html::{self, MessagePage, UnblockPage};
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::OAuthError;
use portcullis_core::accounts::{AccountError, unblock};

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
            link: None,
        },
    )
}

pub async fn unblock_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let p = &s.provider;
    let token = q.token.unwrap_or_default();
    let email = match unblock::lookup(p, &token).await {
        Ok(email) => email,
        Err(e) => return unusable(&e),
    };
    let form = FormToken::issue(p, &headers, &token);
    let mut r = html::render(
        StatusCode::OK,
        &UnblockPage {
            email: &email,
            token: &token,
            csrf: &form.token,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

pub async fn unblock_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<TokenForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.token, &form.csrf) {
        return refused.into_response();
    }
    match unblock::complete(p, &form.token).await {
        Ok(email) => html::render(
            StatusCode::OK,
            &MessagePage {
                title: crate::ui::t("unblock.done_title"),
                text: &crate::ui::f("unblock.done_text", "email", &email),
                link: None,
            },
        ),
        Err(e) => unusable(&e),
    }
}
