//! The web side of the sign-in pipeline (`portcullis_core::interaction`): shows the step the
//! core decides, and starts the session when a step signs the user in.

use super::authorize::{redirect, respond};
use crate::csrf::set_cookie;
use crate::{cookies, errors};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portcullis_core::authorize::AuthorizeFailure;
use portcullis_core::interaction::{self, Next, StepKind, Transaction};
use portcullis_core::{Provider, paths, sessions};
use portcullis_store::{Session, User};

/// Continues `tx` with the browser's session and answers with the next step: a redirect to a
/// hosted page (carrying the sealed transaction), or the response to the application.
/// `status` is the redirect status: 302 after a GET, 303 after a form POST (RFC 9700 §4.12).
pub async fn continue_with(
    p: &Provider,
    tx: &Transaction,
    session: Option<(&Session, &User)>,
    status: StatusCode,
) -> Response {
    match interaction::next(p, tx, session).await {
        Ok(Next::Respond(r)) => respond(r, status),
        Ok(Next::SignIn(_)) => to_page(p, tx, paths::LOGIN, status),
        Ok(Next::SignUp(_)) => to_page(p, tx, paths::SIGNUP, status),
        Ok(Next::Consent(..)) => to_page(p, tx, paths::CONSENT, status),
        Ok(Next::Passwordless(_)) => to_page(p, tx, paths::PASSWORDLESS, status),
        Ok(Next::SecondFactor(_)) => to_page(p, tx, paths::MFA, status),
        Ok(Next::EnrolFactor(_)) => to_page(p, tx, paths::MFA_ENROLL, status),
        Ok(Next::Upstream(c)) => {
            super::upstream::start(p, &c, Some(tx.clone()), None, status).await
        }
        Err(AuthorizeFailure::ErrorPage(e)) => errors::page(e),
        Err(AuthorizeFailure::Respond(r)) => respond(r, status),
    }
}

fn to_page(p: &Provider, tx: &Transaction, path: &str, status: StatusCode) -> Response {
    match tx.seal(p) {
        Ok(sealed) => redirect(status, &format!("{path}?state={sealed}")),
        Err(e) => errors::page(e),
    }
}

/// A step signed `user` in: the browser's previous session ends (a new sign-in replaces it,
/// whoever it was), a new session starts (a new id: no fixation), the step is recorded, and the
/// transaction continues. Without a transaction (a mailed link opened elsewhere), `otherwise`
/// is shown, with the new session set.
pub async fn signed_in(
    p: &Provider,
    headers: &HeaderMap,
    tx: Option<Transaction>,
    user: &User,
    step: StepKind,
    otherwise: impl FnOnce() -> Response,
) -> Response {
    let methods: Vec<&str> = step.method().into_iter().collect();
    signed_in_with(p, headers, tx, user, step, &methods, otherwise).await
}

/// [`signed_in`], recording `methods` (RFC 8176) on the new session: a passkey proves `hwk` or
/// `swk` depending on the authenticator, and `user`.
pub async fn signed_in_with(
    p: &Provider,
    headers: &HeaderMap,
    tx: Option<Transaction>,
    user: &User,
    step: StepKind,
    methods: &[&str],
    otherwise: impl FnOnce() -> Response,
) -> Response {
    let previous = cookies::get(headers, cookies::session_name(&p.config.issuer));
    if let Err(e) = sessions::end_by_cookie(p, previous).await {
        return errors::page(e);
    }
    let (secret, session) = match sessions::create(p, user).await {
        Ok(v) => v,
        Err(e) => return errors::page(e),
    };
    for method in methods {
        if let Err(e) = portcullis_core::mfa::record(p, &session, method).await {
            return errors::page(e);
        }
    }
    tracing::info!(user_id = %user.user_id, session_id = %session.session_id, step = ?step, "signed in");
    let mut response = match tx {
        Some(mut tx) => {
            tx.record(step, p.now());
            continue_with(p, &tx, Some((&session, user)), StatusCode::SEE_OTHER).await
        }
        None => otherwise(),
    };
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

/// The transaction a page's `state` names (and that state), if it is genuine and unexpired.
pub fn open(p: &Provider, state: Option<&str>) -> Option<(String, Transaction)> {
    state
        .and_then(|st| Transaction::open(p, st).map(|tx| (st.to_owned(), tx)))
        .inspect(|(_, tx)| crate::ui::prefer_transaction(tx))
}

/// The page for a transaction that is forged, damaged or too old.
pub fn expired() -> Response {
    crate::html::error_page(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "This sign-in link has expired or is not valid. Go back to the application and start again.",
    )
}
