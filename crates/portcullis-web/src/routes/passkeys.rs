//! Passkeys on the hosted pages: "Sign in with a passkey" and passkey autofill on the sign-in
//! page (`POST /u/login/passkey`), a passkey as the second factor (`POST /u/mfa` with
//! `method=passkey`), registration (`/u/mfa/passkey`, from the account page or right after the
//! password when the policy requires a factor) and renaming. The ceremonies themselves are
//! `portcullis_core::mfa::passkey`; the browser side is `/assets/passkeys.js`.

use super::flow;
use super::mfa::{Context, MfaForm, Shown};
use crate::csrf::{self, FormToken};
use crate::errors;
use crate::html::{self, MfaPasskeyPage, PasskeyCeremony};
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::audit::RequestContext;
use portcullis_core::interaction::StepKind;
use portcullis_core::mfa::{self, MfaError, passkey};
use portcullis_core::{OAuthError, Provider};
use portcullis_store::{Session, User};
use serde::Deserialize;

/// The discoverable-credential ceremony the sign-in page starts (`None` when passkeys are
/// unavailable with this issuer, or the state could not be stored: the page works without).
pub async fn sign_in_ceremony(p: &Provider) -> Option<PasskeyCeremony> {
    if !passkey::available(p) {
        return None;
    }
    match passkey::begin_sign_in(p).await {
        Ok(challenge) => Some(PasskeyCeremony::new(challenge)),
        Err(e) => {
            tracing::error!(error = %e, "starting a passkey sign-in failed");
            None
        }
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
}

/// `POST /u/login/passkey`: a passwordless sign-in with a passkey. With user verification it
/// is a multi-factor sign-in on its own (`hwk`/`swk` and `user`).
pub async fn sign_in_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<SignInForm>::from_request(request, &()).await else {
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
    let audit = RequestContext::current().with_client_id(tx.params.get("client_id"));
    let outcome = audit
        .scope(passkey::sign_in(p, &form.ceremony, &form.credential, &ip))
        .await;
    match outcome {
        Ok((user, used)) => {
            crate::metrics::sign_in_succeeded();
            tracing::info!(user_id = %user.user_id, factor_id = %used.factor_id, "signed in with a passkey");
            flow::signed_in_with(
                p,
                &headers,
                Some(tx),
                &user,
                StepKind::PasskeySignIn,
                &used.methods,
                || super::authorize::redirect(StatusCode::SEE_OTHER, "/"),
            )
            .await
        }
        Err(e) => {
            if let MfaError::Internal(inner) = &e {
                tracing::error!(error = %inner, "passkey sign-in failed");
            }
            let message = e.to_string();
            let unknown = matches!(e, MfaError::UnknownPasskey)
                .then(|| credential_id(&form.credential))
                .flatten();
            let page = super::login::render_page(
                p,
                &headers,
                &form.state,
                &tx,
                tx.login_hint().unwrap_or(""),
                Some(&message),
                super::mfa::status_of(&e),
                unknown.as_deref(),
            )
            .await;
            crate::rejections::Rejection::new("login_failed", message)
                .for_client(tx.params.get("client_id"))
                .attach(page)
        }
    }
}

/// The credential id (base64url) an answer names, if it is one (§4 "Credential ID": at most
/// 1023 bytes).
fn credential_id(response: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(response).ok()?;
    let id = value.get("rawId")?.as_str()?;
    let plain = !id.is_empty()
        && id.len() <= 1400
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| id.to_owned())
}

/// The second-factor page's passkey answer (`POST /u/mfa`, `method=passkey`).
pub(super) async fn second_factor(
    p: &Provider,
    ip: &str,
    headers: &HeaderMap,
    ctx: Context,
    session: &Session,
    user: &User,
    form: &MfaForm,
) -> Response {
    match passkey::verify_second_factor(p, user, &form.ceremony, &form.credential, ip).await {
        Ok(used) => {
            for method in &used.methods {
                if let Err(e) = mfa::record(p, session, method).await {
                    return errors::page(e);
                }
            }
            tracing::info!(user_id = %user.user_id, session_id = %session.session_id, factor_id = %used.factor_id, "second factor accepted (passkey)");
            super::mfa::proceed(p, ctx, session, user, StepKind::Passkey).await
        }
        Err(e) => {
            if let MfaError::Internal(inner) = &e {
                tracing::error!(error = %inner, "passkey check failed");
            }
            let message = e.to_string();
            let page = super::mfa::render_challenge(
                p,
                headers,
                &ctx,
                session,
                user,
                Shown {
                    recovery: false,
                    error: Some(&message),
                    status: super::mfa::status_of(&e),
                },
            )
            .await;
            let client_id = match &ctx {
                Context::SignIn { tx, .. } => tx.params.get("client_id"),
                Context::Account => None,
            };
            crate::rejections::Rejection::new("mfa_failed", message)
                .for_client(client_id)
                .attach(page)
        }
    }
}

// ---- Registration --------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct EnrolQuery {
    state: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_enrolment(
    p: &Provider,
    headers: &HeaderMap,
    ctx: &Context,
    session: &Session,
    user: &User,
    name: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let ceremony = match passkey::begin_registration(p, user).await {
        Ok(challenge) => PasskeyCeremony::new(challenge),
        Err(MfaError::Internal(e)) => return errors::page(e),
        Err(e) => return errors::page(OAuthError::invalid_request(e.to_string())),
    };
    let form = FormToken::issue(p, headers, ctx.bound_to(session));
    let nonce = html::nonce();
    let mut r = html::render_with(
        status,
        &MfaPasskeyPage {
            state: ctx.state(),
            csrf: &form.token,
            ceremony: &ceremony,
            name,
            required: matches!(ctx, Context::SignIn { .. }),
            error,
            nonce: &nonce,
        },
        "'none'",
        Some(&nonce),
    );
    form.set_cookie_on(p, &mut r);
    r
}

/// `GET /u/mfa/passkey`: the page that registers a passkey.
pub async fn enrol_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<EnrolQuery>,
) -> Response {
    let p = &s.provider;
    let Some(ctx) = Context::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let (session, user) = match super::mfa::session(p, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return super::mfa::no_session(p, ctx, StatusCode::FOUND).await,
        Err(page) => return page,
    };
    if !passkey::available(p) {
        return unavailable();
    }
    match super::mfa::enrolment_allowed(p, &ctx, &session, &user).await {
        Ok(true) => {}
        Ok(false) => {
            return super::mfa::after_nothing_due(p, ctx, &session, &user, StatusCode::FOUND).await;
        }
        Err(page) => return page,
    }
    render_enrolment(p, &headers, &ctx, &session, &user, "", None, StatusCode::OK).await
}

fn unavailable() -> Response {
    errors::page(OAuthError::invalid_request(
        MfaError::PasskeysUnavailable.to_string(),
    ))
}

/// `POST /u/mfa/passkey`: finishes the registration, tells the owner by mail, and (for the
/// first factor) shows the recovery codes.
pub async fn enrol_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, ctx, signed_in, form) = match super::mfa::accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let Some((session, user)) = signed_in else {
        return super::mfa::no_session(p, ctx, StatusCode::SEE_OTHER).await;
    };
    match super::mfa::enrolment_allowed(p, &ctx, &session, &user).await {
        Ok(true) => {}
        Ok(false) => {
            return super::mfa::after_nothing_due(p, ctx, &session, &user, StatusCode::SEE_OTHER)
                .await;
        }
        Err(page) => return page,
    }
    let (_, used) =
        match passkey::finish_registration(p, &user, &form.ceremony, &form.credential, &form.name)
            .await
        {
            Ok(done) => done,
            Err(e) => {
                if let MfaError::Internal(inner) = &e {
                    tracing::error!(error = %inner, "passkey registration failed");
                }
                let message = e.to_string();
                let page = render_enrolment(
                    p,
                    &headers,
                    &ctx,
                    &session,
                    &user,
                    &form.name,
                    Some(&message),
                    super::mfa::status_of(&e),
                )
                .await;
                return crate::rejections::Rejection::new("mfa_enrolment_failed", message)
                    .attach(page);
            }
        };
    // Registering proved the new passkey (with user verification) in this session.
    for method in &used.methods {
        if let Err(e) = mfa::record(p, &session, method).await {
            return errors::page(e);
        }
    }
    if let Err(e) =
        mfa::notify::factor_added(p, &user, crate::ui::lang(), mfa::notify::Factor::Passkey).await
    {
        return errors::page(e);
    }
    // The first factor comes with recovery codes, shown once.
    match p.store.count_recovery_codes(&user.user_id).await {
        Ok(0) => {}
        Ok(_) => {
            return match ctx {
                Context::Account => {
                    super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account?changed=passkey")
                }
                ctx => {
                    super::mfa::proceed(p, ctx, &session, &user, StepKind::PasskeyEnrolment).await
                }
            };
        }
        Err(e) => return errors::page(e.into()),
    }
    let codes = match mfa::recovery::regenerate(p, &user).await {
        Ok(codes) => codes,
        Err(e) => return errors::page(e),
    };
    super::mfa::show_codes(p, &ctx, &codes, StepKind::PasskeyEnrolment)
}

/// `POST /u/account/mfa/rename`: a new name for one of the user's passkeys.
pub async fn rename_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (_, user, form) = match super::mfa::account_form(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let is_passkey = match p.store.list_mfa_factors(&user.user_id).await {
        Ok(factors) => factors.iter().any(|f| {
            f.factor_id == form.factor_id && f.kind == portcullis_store::FactorKind::Passkey
        }),
        Err(e) => return errors::page(e.into()),
    };
    if !is_passkey {
        return super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account");
    }
    let name = passkey::clean_name(&form.name);
    match p
        .store
        .rename_mfa_factor(&user.user_id, &form.factor_id, &name)
        .await
    {
        Ok(_) => super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account?changed=renamed"),
        Err(e) => errors::page(e.into()),
    }
}
