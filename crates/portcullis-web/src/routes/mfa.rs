//! Second factors on the hosted pages: the challenge (`/u/mfa`), authenticator-app enrolment
//! (`/u/mfa/enroll`) and recovery codes. Each page works inside a sign-in (with `state`, the
//! sealed transaction: the pipeline of `portcullis_core::interaction` asked for it) or from the
//! account page (without `state`).

use super::flow;
use crate::csrf::{self, FormToken};
use crate::html::{self, MessagePage, MfaChallengePage, MfaEnrolPage, RecoveryCodesPage};
use crate::state::AppState;
use crate::{cookies, errors};
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::interaction::{self, Next, StepKind, Transaction};
use portcullis_core::mfa::{self, MfaError, MfaPolicy, method, recovery, totp};
use portcullis_core::{OAuthError, Provider, sessions};
use portcullis_store::{Session, User};
use serde::Deserialize;

/// Where a second-factor page belongs.
pub(super) enum Context {
    /// Inside a sign-in: the sealed transaction and its state.
    SignIn { state: String, tx: Transaction },
    /// From the account page.
    Account,
}

impl Context {
    /// From the page's `state`: none means the account page; one that does not open, an
    /// expired sign-in.
    pub(super) fn open(p: &Provider, state: Option<&str>) -> Option<Context> {
        match state.filter(|s| !s.is_empty()) {
            None => Some(Context::Account),
            Some(state) => {
                flow::open(p, Some(state)).map(|(state, tx)| Context::SignIn { state, tx })
            }
        }
    }

    /// What the forms' CSRF tokens are bound to: the transaction, or the session.
    pub(super) fn bound_to<'a>(&'a self, session: &'a Session) -> &'a str {
        match self {
            Context::SignIn { state, .. } => state,
            Context::Account => &session.session_id,
        }
    }

    pub(super) fn state(&self) -> &str {
        match self {
            Context::SignIn { state, .. } => state,
            Context::Account => "",
        }
    }
}

pub(super) async fn session(
    p: &Provider,
    headers: &HeaderMap,
) -> Result<Option<(Session, User)>, Response> {
    let cookie = cookies::get(headers, cookies::session_name(&p.config.issuer));
    sessions::find(p, cookie).await.map_err(errors::page)
}

/// Without a session: a sign-in starts over; the account page says how to sign in.
pub(super) async fn no_session(p: &Provider, ctx: Context, status: StatusCode) -> Response {
    match ctx {
        Context::SignIn { tx, .. } => flow::continue_with(p, &tx, None, status).await,
        Context::Account => super::authorize::redirect(status, "/u/account"),
    }
}

/// Whether the session may use the account page: a user with a second factor must have used
/// it in this session (a password alone does not open the page that removes factors).
pub async fn account_access(
    p: &Provider,
    session: &Session,
    user: &User,
) -> Result<bool, OAuthError> {
    if !mfa::enrolled(p, &user.user_id).await?.any() {
        return Ok(true);
    }
    Ok(mfa::amr::for_session(p, Some(&session.session_id))
        .await?
        .is_multi_factor())
}

/// After a second factor: the sign-in goes on, the account page opens.
pub(super) async fn proceed(
    p: &Provider,
    ctx: Context,
    session: &Session,
    user: &User,
    step: StepKind,
) -> Response {
    match ctx {
        Context::SignIn { mut tx, .. } => {
            tx.record(step, p.now());
            flow::continue_with(p, &tx, Some((session, user)), StatusCode::SEE_OTHER).await
        }
        Context::Account => super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account"),
    }
}

/// Where "Continue" leads after a page that must be read first (recovery codes).
fn continue_href(p: &Provider, ctx: &Context, step: StepKind) -> Result<String, OAuthError> {
    match ctx {
        Context::SignIn { tx, .. } => {
            let mut tx = tx.clone();
            tx.record(step, p.now());
            let sealed = tx.seal(p)?;
            Ok(format!("/u/mfa/continue?state={sealed}"))
        }
        Context::Account => Ok("/u/account".to_owned()),
    }
}

pub(super) fn status_of(e: &MfaError) -> StatusCode {
    match e {
        MfaError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        MfaError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        MfaError::Expired | MfaError::NotEnrolled | MfaError::PasskeysUnavailable => {
            StatusCode::BAD_REQUEST
        }
        MfaError::Blocked => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    }
}

#[derive(Deserialize)]
pub struct MfaQuery {
    state: Option<String>,
    /// `recovery` to enter a recovery code instead of an app code.
    method: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct MfaForm {
    #[serde(default)]
    pub(super) state: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    pub(super) factor_id: String,
    /// The id of a passkey ceremony's server-side state.
    #[serde(default)]
    pub(super) ceremony: String,
    /// A passkey's answer (WebAuthn `PublicKeyCredential` as JSON).
    #[serde(default)]
    pub(super) credential: String,
    /// A passkey's name.
    #[serde(default)]
    pub(super) name: String,
}

/// Reads a second-factor form: its context, the session and the CSRF token bound to them.
pub(super) async fn accept(
    p: &Provider,
    request: Request,
) -> Result<(HeaderMap, Context, Option<(Session, User)>, MfaForm), Response> {
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<MfaForm>::from_request(request, &()).await else {
        return Err(errors::page(OAuthError::invalid_request(
            "The form was malformed.",
        )));
    };
    let ctx = Context::open(p, Some(form.state.as_str())).ok_or_else(flow::expired)?;
    let signed_in = session(p, &headers).await?;
    if let Some((session, _)) = &signed_in {
        csrf::check(p, &headers, ctx.bound_to(session), &form.csrf)
            .map_err(IntoResponse::into_response)?;
    }
    Ok((headers, ctx, signed_in, form))
}

// ---- The challenge -------------------------------------------------------------------------

/// Whether this page has something to ask: the pipeline asks for a second factor, or (account
/// page) the user has one that this session has not used.
async fn challenge_due(
    p: &Provider,
    ctx: &Context,
    session: &Session,
    user: &User,
) -> Result<bool, Response> {
    match ctx {
        Context::SignIn { tx, .. } => Ok(matches!(
            interaction::next(p, tx, Some((session, user))).await,
            Ok(Next::SecondFactor(_))
        )),
        Context::Account => account_access(p, session, user)
            .await
            .map(|ok| !ok)
            .map_err(errors::page),
    }
}

/// How the challenge page is shown: which code it asks for, and the outcome of a try.
pub(super) struct Shown<'a> {
    pub(super) recovery: bool,
    pub(super) error: Option<&'a str>,
    pub(super) status: StatusCode,
}

pub(super) async fn render_challenge(
    p: &Provider,
    headers: &HeaderMap,
    ctx: &Context,
    session: &Session,
    user: &User,
    shown: Shown<'_>,
) -> Response {
    let Shown {
        recovery: recovery_mode,
        error,
        status,
    } = shown;
    let enrolled = match mfa::enrolled(p, &user.user_id).await {
        Ok(e) => e,
        Err(e) => return errors::page(e),
    };
    let passkey = if !recovery_mode && enrolled.passkeys > 0 {
        match mfa::passkey::begin_second_factor(p, user).await {
            Ok(challenge) => challenge.map(html::PasskeyCeremony::new),
            Err(e) => {
                tracing::error!(error = %e, "starting a passkey check failed");
                None
            }
        }
    } else {
        None
    };
    // Without an app, and without usable passkeys, only a recovery code is left.
    let recovery_mode = recovery_mode || (!enrolled.totp && passkey.is_none());
    let form = FormToken::issue(p, headers, ctx.bound_to(session));
    let nonce = html::nonce();
    let mut r = html::render_with(
        status,
        &MfaChallengePage {
            state: ctx.state(),
            csrf: &form.token,
            email: &user.email,
            recovery: recovery_mode,
            has_totp: enrolled.totp,
            recovery_left: enrolled.recovery_codes,
            error,
            passkey: passkey.as_ref(),
            has_passkeys: enrolled.passkeys > 0,
            nonce: &nonce,
        },
        "'none'",
        passkey.is_some().then_some(nonce.as_str()),
    );
    form.set_cookie_on(p, &mut r);
    r
}

pub async fn challenge_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MfaQuery>,
) -> Response {
    let p = &s.provider;
    let Some(ctx) = Context::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let (session, user) = match session(p, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return no_session(p, ctx, StatusCode::FOUND).await,
        Err(page) => return page,
    };
    match challenge_due(p, &ctx, &session, &user).await {
        Ok(true) => {}
        Ok(false) => return after_nothing_due(p, ctx, &session, &user, StatusCode::FOUND).await,
        Err(page) => return page,
    }
    let recovery_mode = q.method.as_deref() == Some("recovery");
    render_challenge(
        p,
        &headers,
        &ctx,
        &session,
        &user,
        Shown {
            recovery: recovery_mode,
            error: None,
            status: StatusCode::OK,
        },
    )
    .await
}

/// Nothing to ask on this page: the sign-in goes on as the pipeline says, the account page opens.
pub(super) async fn after_nothing_due(
    p: &Provider,
    ctx: Context,
    session: &Session,
    user: &User,
    status: StatusCode,
) -> Response {
    match ctx {
        Context::SignIn { tx, .. } => {
            flow::continue_with(p, &tx, Some((session, user)), status).await
        }
        Context::Account => super::authorize::redirect(status, "/u/account"),
    }
}

pub async fn challenge_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let (headers, ctx, signed_in, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let Some((session, user)) = signed_in else {
        return no_session(p, ctx, StatusCode::SEE_OTHER).await;
    };
    match challenge_due(p, &ctx, &session, &user).await {
        Ok(true) => {}
        Ok(false) => {
            return after_nothing_due(p, ctx, &session, &user, StatusCode::SEE_OTHER).await;
        }
        Err(page) => return page,
    }
    if form.method == "passkey" {
        return super::passkeys::second_factor(p, &ip, &headers, ctx, &session, &user, &form).await;
    }
    let recovery_mode = form.method == "recovery";
    let outcome = if recovery_mode {
        recovery::verify(p, &user, &form.code, &ip).await.map(Some)
    } else {
        totp::verify(p, &user, &form.code, &ip).await.map(|()| None)
    };
    match outcome {
        Ok(remaining) => {
            if let Err(e) = mfa::record(p, &session, method::OTP).await {
                return errors::page(e);
            }
            tracing::info!(user_id = %user.user_id, session_id = %session.session_id, recovery = recovery_mode, "second factor accepted");
            match remaining {
                None => proceed(p, ctx, &session, &user, StepKind::Totp).await,
                Some(left) => recovery_used(p, &ctx, left),
            }
        }
        Err(e) => {
            if let MfaError::Internal(inner) = &e {
                tracing::error!(error = %inner, "second factor check failed");
            }
            let message = e.to_string();
            let page = render_challenge(
                p,
                &headers,
                &ctx,
                &session,
                &user,
                Shown {
                    recovery: recovery_mode,
                    error: Some(&message),
                    status: status_of(&e),
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

/// "Recovery code accepted: N left", then on.
fn recovery_used(p: &Provider, ctx: &Context, left: u32) -> Response {
    let href = match continue_href(p, ctx, StepKind::RecoveryCode) {
        Ok(href) => href,
        Err(e) => return errors::page(e),
    };
    let text = crate::ui::f("mfa.recovery_left", "count", &left.to_string());
    html::render(
        StatusCode::OK,
        &MessagePage {
            title: crate::ui::t("mfa.recovery_accepted"),
            text: &text,
            link: Some((crate::ui::t("mfa.continue"), &href)),
        },
    )
}

/// `/u/mfa/continue?state=`: the sign-in goes on after a page that had to be read.
pub async fn continue_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MfaQuery>,
) -> Response {
    let p = &s.provider;
    let Some((_, tx)) = flow::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    match session(p, &headers).await {
        Ok(found) => {
            let found = found.as_ref().map(|(s, u)| (s, u));
            flow::continue_with(p, &tx, found, StatusCode::FOUND).await
        }
        Err(page) => page,
    }
}

// ---- Enrolment -----------------------------------------------------------------------------

/// Whether enrolment may happen here: the pipeline asks for it, or (account page) the tenant
/// allows second factors and the session may change them.
pub(super) async fn enrolment_allowed(
    p: &Provider,
    ctx: &Context,
    session: &Session,
    user: &User,
) -> Result<bool, Response> {
    match ctx {
        Context::SignIn { tx, .. } => Ok(matches!(
            interaction::next(p, tx, Some((session, user))).await,
            Ok(Next::EnrolFactor(_))
        )),
        Context::Account => {
            let policy = mfa::policy::tenant(p).await.map_err(errors::page)?;
            let access = account_access(p, session, user)
                .await
                .map_err(errors::page)?;
            Ok(policy != MfaPolicy::Off && access)
        }
    }
}

async fn render_enrolment(
    p: &Provider,
    headers: &HeaderMap,
    ctx: &Context,
    session: &Session,
    user: &User,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let enrolment = match totp::begin(p, user).await {
        Ok(e) => e,
        Err(e) => return errors::page(e),
    };
    let qr = crate::qr::svg_data_url(&enrolment.uri).unwrap_or_default();
    let grouped = enrolment
        .secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let form = FormToken::issue(p, headers, ctx.bound_to(session));
    let mut r = html::render(
        status,
        &MfaEnrolPage {
            state: ctx.state(),
            csrf: &form.token,
            factor_id: &enrolment.factor_id,
            qr: &qr,
            secret: &grouped,
            uri: &enrolment.uri,
            required: matches!(ctx, Context::SignIn { .. }),
            error,
            passkeys: mfa::passkey::available(p),
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

pub async fn enrol_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MfaQuery>,
) -> Response {
    let p = &s.provider;
    let Some(ctx) = Context::open(p, q.state.as_deref()) else {
        return flow::expired();
    };
    let (session, user) = match session(p, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return no_session(p, ctx, StatusCode::FOUND).await,
        Err(page) => return page,
    };
    match enrolment_allowed(p, &ctx, &session, &user).await {
        Ok(true) => {}
        Ok(false) => return after_nothing_due(p, ctx, &session, &user, StatusCode::FOUND).await,
        Err(page) => return page,
    }
    render_enrolment(p, &headers, &ctx, &session, &user, None, StatusCode::OK).await
}

pub async fn enrol_submit(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let (headers, ctx, signed_in, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let Some((session, user)) = signed_in else {
        return no_session(p, ctx, StatusCode::SEE_OTHER).await;
    };
    match enrolment_allowed(p, &ctx, &session, &user).await {
        Ok(true) => {}
        Ok(false) => {
            return after_nothing_due(p, ctx, &session, &user, StatusCode::SEE_OTHER).await;
        }
        Err(page) => return page,
    }
    if let Err(e) = totp::confirm(p, &user, &form.factor_id, &form.code, &ip).await {
        if let MfaError::Internal(inner) = &e {
            tracing::error!(error = %inner, "enrolment failed");
        }
        let message = e.to_string();
        let page = render_enrolment(
            p,
            &headers,
            &ctx,
            &session,
            &user,
            Some(&message),
            status_of(&e),
        )
        .await;
        return crate::rejections::Rejection::new("mfa_enrolment_failed", message).attach(page);
    }
    if let Err(e) = enrolled_now(p, &session, &user).await {
        return errors::page(e);
    }
    // The first factor comes with recovery codes, shown once.
    match p.store.count_recovery_codes(&user.user_id).await {
        Ok(0) => {}
        Ok(_) => return proceed(p, ctx, &session, &user, StepKind::MfaEnrolment).await,
        Err(e) => return errors::page(e.into()),
    }
    let codes = match recovery::regenerate(p, &user).await {
        Ok(codes) => codes,
        Err(e) => return errors::page(e),
    };
    show_codes(p, &ctx, &codes, StepKind::MfaEnrolment)
}

/// An authenticator app was just confirmed: the session used it, the owner is told.
async fn enrolled_now(p: &Provider, session: &Session, user: &User) -> Result<(), OAuthError> {
    mfa::record(p, session, method::OTP).await?;
    mfa::notify::factor_added(
        p,
        user,
        crate::ui::lang(),
        mfa::notify::Factor::AuthenticatorApp,
    )
    .await?;
    tracing::info!(event = "mfa_enrolled", user_id = %user.user_id, factor = "totp", "second factor enrolled");
    Ok(())
}

/// The page showing a new set of recovery codes, once.
pub fn show_codes(
    p: &Provider,
    ctx_state: &impl ContinueTarget,
    codes: &[String],
    step: StepKind,
) -> Response {
    let href = match ctx_state.href(p, step) {
        Ok(href) => href,
        Err(e) => return errors::page(e),
    };
    html::render(
        StatusCode::OK,
        &RecoveryCodesPage {
            codes,
            continue_href: &href,
        },
    )
}

/// Where "Continue" leads from the recovery-codes page.
pub trait ContinueTarget {
    fn href(&self, p: &Provider, step: StepKind) -> Result<String, OAuthError>;
}

impl ContinueTarget for Context {
    fn href(&self, p: &Provider, step: StepKind) -> Result<String, OAuthError> {
        continue_href(p, self, step)
    }
}

/// The account page.
pub struct AccountTarget;

impl ContinueTarget for AccountTarget {
    fn href(&self, _: &Provider, _: StepKind) -> Result<String, OAuthError> {
        Ok("/u/account".to_owned())
    }
}

// ---- The account page's second-factor forms -------------------------------------------------

/// The session of an account-page form, allowed to change second factors.
pub(super) async fn account_form(
    p: &Provider,
    request: Request,
) -> Result<(Session, User, MfaForm), Response> {
    let (_, ctx, signed_in, form) = accept(p, request).await?;
    if !matches!(ctx, Context::Account) {
        return Err(errors::page(OAuthError::invalid_request(
            "The form was malformed.",
        )));
    }
    let Some((session, user)) = signed_in else {
        return Err(super::authorize::redirect(
            StatusCode::SEE_OTHER,
            "/u/account",
        ));
    };
    match account_access(p, &session, &user).await {
        Ok(true) => Ok((session, user, form)),
        Ok(false) => Err(super::authorize::redirect(StatusCode::SEE_OTHER, "/u/mfa")),
        Err(e) => Err(errors::page(e)),
    }
}

/// `POST /u/account/mfa/remove`: removes one factor (with the recovery codes when it was the
/// last one) and tells the owner.
pub async fn remove_factor(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (_, user, form) = match account_form(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match mfa::remove_factor(p, &user, &form.factor_id, crate::ui::lang()).await {
        Ok(true) => super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account?changed=mfa"),
        Ok(false) => super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account"),
        Err(e) => errors::page(e),
    }
}

/// `POST /u/account/mfa/recovery-codes`: a new set of recovery codes, shown once.
pub async fn regenerate_codes(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (_, user, _) = match account_form(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match mfa::enrolled(p, &user.user_id).await {
        Ok(e) if e.any() => {}
        Ok(_) => return super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account"),
        Err(e) => return errors::page(e),
    }
    match recovery::regenerate(p, &user).await {
        Ok(codes) => show_codes(p, &AccountTarget, &codes, StepKind::MfaEnrolment),
        Err(e) => errors::page(e),
    }
}

/// The account page's second-factor section (`None` when the tenant turned MFA off and the
/// user has nothing enrolled).
pub async fn account_section(
    p: &Provider,
    user: &User,
) -> Result<Option<crate::html::MfaSection>, OAuthError> {
    let factors = mfa::confirmed_factors(p, &user.user_id).await?;
    let policy = mfa::policy::tenant(p).await?;
    if policy == MfaPolicy::Off && factors.is_empty() {
        return Ok(None);
    }
    let has_totp = factors
        .iter()
        .any(|f| f.kind == portcullis_store::FactorKind::Totp);
    let passkeys = policy != MfaPolicy::Off && mfa::passkey::available(p);
    let recovery_left = p.store.count_recovery_codes(&user.user_id).await?;
    Ok(Some(crate::html::MfaSection {
        factors: factors
            .into_iter()
            .map(|f| crate::html::FactorLine {
                name: match f.kind {
                    portcullis_store::FactorKind::Totp => {
                        crate::ui::t("account.mfa_app").to_owned()
                    }
                    portcullis_store::FactorKind::Passkey => f.name.clone(),
                },
                added: crate::html::utc(f.created_at),
                passkey: f.kind == portcullis_store::FactorKind::Passkey,
                id: f.factor_id,
            })
            .collect(),
        has_totp,
        recovery_left,
        passkeys,
    }))
}
