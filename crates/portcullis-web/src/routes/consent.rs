//! The consent page (`/u/consent`) of third-party applications: what the application asks
//! for, Allow or Deny.

use super::flow;
use super::forms::StateQuery;
use super::login::app_name;
use crate::csrf::{self, FormToken};
use crate::html::{self, ConsentPage};
use crate::state::AppState;
use crate::{cookies, errors};
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::authorize::AuthorizeFailure;
use portcullis_core::interaction::{self, Next, StepKind};
use portcullis_core::{OAuthError, Provider, sessions};
use portcullis_store::{Session, User};
use serde::Deserialize;

async fn session(p: &Provider, headers: &HeaderMap) -> Result<Option<(Session, User)>, Response> {
    let cookie = cookies::get(headers, cookies::session_name(&p.config.issuer));
    sessions::find(p, cookie).await.map_err(errors::page)
}

pub async fn consent_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StateQuery>,
) -> Response {
    let p = &s.provider;
    let Some((state, tx)) = flow::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let signed_in = match session(p, &headers).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some((session, user)) = signed_in else {
        // Signed out meanwhile: start over from the sign-in step.
        return flow::continue_with(p, &tx, None, StatusCode::FOUND).await;
    };
    match interaction::next(p, &tx, Some((&session, &user))).await {
        Ok(Next::Consent(_, scopes)) => {
            let form = FormToken::issue(p, &headers, &state);
            let app_name = app_name(p, &tx).await;
            let mut r = html::render(
                StatusCode::OK,
                &ConsentPage {
                    app_name: &app_name,
                    email: &user.email,
                    scopes: &scopes,
                    state: &state,
                    csrf: &form.token,
                },
            );
            form.set_cookie_on(p, &mut r);
            r
        }
        // Nothing (left) to ask: go on as the pipeline says.
        _ => flow::continue_with(p, &tx, Some((&session, &user)), StatusCode::FOUND).await,
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

pub async fn consent_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<ConsentForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.state, &form.csrf) {
        return refused.into_response();
    }
    let Some((_, mut tx)) = flow::open(p, Some(&form.state)) else {
        return flow::expired();
    };
    let (session, user) = match session(p, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return flow::continue_with(p, &tx, None, StatusCode::SEE_OTHER).await,
        Err(page) => return page,
    };
    let approved = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return errors::page(OAuthError::invalid_request("Choose Allow or Deny.")),
    };
    match interaction::answer_consent(p, &tx, &user, approved).await {
        Ok(None) => {
            tx.record(StepKind::Consent, p.now());
            flow::continue_with(p, &tx, Some((&session, &user)), StatusCode::SEE_OTHER).await
        }
        Ok(Some(denied)) => super::authorize::respond(denied, StatusCode::SEE_OTHER),
        Err(AuthorizeFailure::ErrorPage(e)) => errors::page(e),
        Err(AuthorizeFailure::Respond(r)) => super::authorize::respond(r, StatusCode::SEE_OTHER),
    }
}
