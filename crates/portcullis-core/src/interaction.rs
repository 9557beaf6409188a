//! The sign-in pipeline: what happens between `/authorize` and the answer to the application.
//!
//! An authorization request that needs the user becomes a [`Transaction`]: the request as
//! received, plus the steps completed so far. The browser carries it sealed (authenticated
//! encryption under the master key) from page to page, so nothing is stored until it completes,
//! and any replica can continue it. After each step the core decides the [`Next`] one: sign in,
//! sign up, a second factor or its enrolment ([`crate::mfa`]), consent, or answer the
//! application (later: an upstream provider).
//! The web layer only renders the step and maps it to HTTP.

use crate::Provider;
use crate::authorize::{self, AuthorizationResponse, AuthorizeFailure, AuthorizeRequest, Decision};
use crate::consent::{self, ScopeLine};
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::upstream::Connection;
use portcullis_store::{Session, User};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a sign-in may take before its transaction expires.
pub const LIFETIME: i64 = 30 * 60;
/// The sealing purpose of transactions.
const PURPOSE: &str = "authorization-transaction";

/// A step the user completed, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Signed in with a password (RFC 8176 `pwd`).
    Password,
    /// Created an account and proved the email address with the mailed link or code.
    SignUp,
    /// Chose a new password from a mailed link.
    PasswordReset,
    /// Approved what a third-party application asked for.
    Consent,
    /// Signed in at an upstream identity provider (a social or enterprise connection).
    Connection,
    /// Signed in with a one-time code or link mailed by the passwordless `email` connection.
    Passwordless,
    /// Entered a code from an authenticator app (RFC 8176 `otp`).
    Totp,
    /// Entered a single-use recovery code (RFC 8176 `otp`).
    RecoveryCode,
    /// Enrolled a second factor and proved it with a first code (RFC 8176 `otp`).
    MfaEnrolment,
    /// Used a passkey as the second factor (RFC 8176 `hwk` or `swk`, and `user`).
    Passkey,
    /// Signed in without a password with a passkey (a discoverable credential, RFC 8176 `hwk`
    /// or `swk`, and `user`: a multi-factor sign-in on its own).
    PasskeySignIn,
    /// Registered a passkey as a second factor (RFC 8176 `hwk` or `swk`, and `user`).
    PasskeyEnrolment,
}

impl StepKind {
    /// Whether the step signs a user in (password, sign-up, reset, passwordless, upstream), as
    /// opposed to a second factor or consent: only these satisfy `prompt=login` and `max_age`.
    pub fn is_sign_in(self) -> bool {
        matches!(
            self,
            StepKind::Password
                | StepKind::SignUp
                | StepKind::PasswordReset
                | StepKind::Passwordless
                | StepKind::Connection
                | StepKind::PasskeySignIn
        )
    }

    /// The RFC 8176 method the step proves, recorded on the session (`amr`). The passkey steps
    /// have none here: what they prove (`hwk` or `swk`) depends on the authenticator, so their
    /// caller records [`crate::mfa::passkey::Used::methods`].
    pub fn method(self) -> Option<&'static str> {
        use crate::mfa::method;
        match self {
            StepKind::Password | StepKind::SignUp | StepKind::PasswordReset => Some(method::PWD),
            StepKind::Passwordless => Some(method::EMAIL),
            StepKind::Connection => Some(method::FED),
            StepKind::Totp | StepKind::RecoveryCode | StepKind::MfaEnrolment => Some(method::OTP),
            StepKind::Consent
            | StepKind::Passkey
            | StepKind::PasskeySignIn
            | StepKind::PasskeyEnrolment => None,
        }
    }
}

/// One completed step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completed {
    pub step: StepKind,
    pub at: i64,
}

/// A pending authorization request and what has happened in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The authorization request as received (validated again when resumed: clients and
    /// redirect URIs may have changed meanwhile).
    pub params: Params,
    pub exp: i64,
    #[serde(default)]
    pub done: Vec<Completed>,
}

impl Transaction {
    /// A new transaction for `params`.
    pub fn new(p: &Provider, params: Params) -> Self {
        Transaction {
            params,
            exp: p.now() + LIFETIME,
            done: Vec::new(),
        }
    }

    /// The sealed form carried by the browser (the `state` of the hosted pages).
    pub fn seal(&self, p: &Provider) -> Result<String, crate::OAuthError> {
        p.sealer
            .seal(self, PURPOSE)
            .map_err(crate::OAuthError::server_error)
    }

    /// Opens a sealed transaction; `None` when forged, damaged or expired.
    pub fn open(p: &Provider, sealed: &str) -> Option<Self> {
        if sealed.is_empty() || sealed.len() > 16 * 1024 {
            return None;
        }
        p.sealer
            .unseal::<Transaction>(sealed, PURPOSE)
            .filter(|tx| tx.exp > p.now())
    }

    /// Records a completed step.
    pub fn record(&mut self, step: StepKind, at: i64) {
        self.done.push(Completed { step, at });
    }

    /// Whether the user authenticated in this transaction (which satisfies `prompt=login` and
    /// `max_age`, OIDC Core §3.1.2.1).
    pub fn authenticated(&self) -> bool {
        self.done.iter().any(|c| c.step.is_sign_in())
    }

    /// Whether the user approved the request on the consent page in this transaction.
    pub fn consented(&self) -> bool {
        self.done.iter().any(|c| c.step == StepKind::Consent)
    }

    /// The application's `login_hint`, if any.
    pub fn login_hint(&self) -> Option<&str> {
        self.params.get("login_hint")
    }

    /// Whether the application asked for the sign-up page (`screen_hint=signup`, Auth0's, or
    /// `prompt=create`, OpenID Connect's).
    pub fn wants_signup(&self) -> bool {
        self.params.get("screen_hint") == Some("signup")
            || self
                .params
                .get("prompt")
                .is_some_and(|p| p.split(' ').any(|v| v == "create"))
    }
}

/// What the hosted pages show next, or the answer to the application.
#[derive(Debug)]
pub enum Next {
    /// The sign-in page.
    SignIn(Page),
    /// The sign-up page.
    SignUp(Page),
    /// The consent page of a third-party application, with what it asks for.
    Consent(Page, Vec<ScopeLine>),
    /// Sign in at an upstream identity provider (`/authorize?connection=NAME`).
    Upstream(Arc<Connection>),
    /// The passwordless page (`connection=email`): asks for the email, then the mailed code.
    Passwordless(Page),
    /// A second factor of the signed-in user (multi-factor policy or step-up).
    SecondFactor(Page),
    /// Enrolment of a second factor: the policy requires one and the user has none.
    EnrolFactor(Page),
    /// Answer the application (a code, an ID token or an error such as `login_required`).
    Respond(AuthorizationResponse),
}

/// What a hosted page needs to know about the request.
#[derive(Debug, Clone)]
pub struct Page {
    /// The application's name.
    pub client_name: String,
    /// An email to pre-fill.
    pub login_hint: Option<String>,
    /// Whether the sign-up page may be offered.
    pub signup: bool,
}

/// Continues `tx` with the browser's session (if any): validates the request again, then
/// decides the next step.
pub async fn next(
    p: &Provider,
    tx: &Transaction,
    session: Option<(&Session, &User)>,
) -> Result<Next, AuthorizeFailure> {
    let request = authorize::validate(p, tx.params.clone()).await?;
    // Whether sign-up is open is read only when a page is about to be shown, so answering the
    // application (the SSO path) costs no settings lookup.
    let signup_open = || async {
        crate::accounts::signup_enabled(p)
            .await
            .map_err(AuthorizeFailure::ErrorPage)
    };
    // prompt=create asks for the sign-up page even with a session (Initiating User
    // Registration §4), unless this transaction already signed someone in.
    if !tx.authenticated() && request.prompt.create && signup_open().await? {
        return Ok(Next::SignUp(page(&request, true)));
    }
    if let Some((signed_in, user)) = session
        && !authorize::needs_login(p, &request, Some(signed_in), tx.authenticated())
        && authorize::user_may_sign_in(user).is_ok()
    {
        let requirement = crate::mfa::requirement::of(p, &request, signed_in, user)
            .await
            .map_err(AuthorizeFailure::ErrorPage)?;
        if requirement != crate::mfa::Requirement::Satisfied && request.prompt.none {
            let error = OAuthError::new(
                ErrorCode::InteractionRequired,
                "Multi-factor authentication required",
            );
            return Ok(Next::Respond(authorize::error(p, &request, error)));
        }
        match requirement {
            crate::mfa::Requirement::Satisfied => {}
            crate::mfa::Requirement::Challenge => {
                return Ok(Next::SecondFactor(page(&request, false)));
            }
            crate::mfa::Requirement::Enrol => {
                return Ok(Next::EnrolFactor(page(&request, false)));
            }
        }
    }
    if let Some((signed_in, user)) = session
        && !authorize::needs_login(p, &request, Some(signed_in), tx.authenticated())
        && authorize::user_may_sign_in(user).is_ok()
        && !tx.consented()
    {
        let lines = consent::missing(p, &request, user, request.prompt.consent)
            .await
            .map_err(AuthorizeFailure::ErrorPage)?;
        if !lines.is_empty() {
            if request.prompt.none {
                let error = OAuthError::new(ErrorCode::ConsentRequired, "Consent required");
                return Ok(Next::Respond(authorize::error(p, &request, error)));
            }
            return Ok(Next::Consent(page(&request, signup_open().await?), lines));
        }
    }
    let route = match connection_route(p, &request).await {
        Ok(route) => route,
        Err(error) => return Ok(Next::Respond(authorize::error(p, &request, error))),
    };
    let decision = authorize::decide(p, &request, session, tx.authenticated())
        .await
        .map_err(AuthorizeFailure::ErrorPage)?;
    Ok(match decision {
        Decision::Respond(response) => Next::Respond(response),
        Decision::Login => match route {
            ConnectionRoute::Upstream(c) => Next::Upstream(c),
            ConnectionRoute::PasswordlessEmail => {
                Next::Passwordless(page(&request, signup_open().await?))
            }
            ConnectionRoute::Default => {
                let signup = signup_open().await?;
                if signup && tx.wants_signup() {
                    Next::SignUp(page(&request, signup))
                } else {
                    Next::SignIn(page(&request, signup))
                }
            }
        },
    })
}

/// Auth0's cross-origin authentication ends at `/authorize` with the `login_ticket` that
/// `/co/authenticate` issued ([`crate::cross_origin`]): redeeming it is the sign-in step of this
/// transaction. `None` without a ticket; the ticket is taken out of the request either way.
/// `verifier` is the browser's verifier cookie.
pub async fn redeem_login_ticket(
    p: &Provider,
    tx: &mut Transaction,
    verifier: Option<&str>,
) -> Result<Option<(User, StepKind)>, AuthorizeFailure> {
    let Some(ticket) = tx.params.remove("login_ticket") else {
        return Ok(None);
    };
    let request = authorize::validate(p, tx.params.clone()).await?;
    match crate::cross_origin::redeem(p, &ticket, verifier, &request.client.client_id).await {
        Ok(user) => Ok(Some((user, StepKind::Passwordless))),
        Err(error) => Err(AuthorizeFailure::Respond(authorize::error(
            p, &request, error,
        ))),
    }
}

/// Where Auth0's `connection` parameter of an authorization request sends a user who must
/// authenticate.
#[derive(Debug, Clone)]
pub enum ConnectionRoute {
    /// No `connection`, or the database connection: the sign-in (or sign-up) page.
    Default,
    /// `connection=email`: the passwordless page.
    PasswordlessEmail,
    /// Straight to an upstream identity provider (a social or enterprise connection).
    Upstream(Arc<Connection>),
}

/// Maps the `connection` parameter to the step that authenticates the user. This is the one
/// place a connection name becomes a pipeline step (Auth0: the named connection replaces the
/// choice on the sign-in page). An unknown connection, or one not enabled for the application,
/// is `invalid_request`, never silently the default: the application asked for a specific way
/// of signing in.
pub async fn connection_route(
    p: &Provider,
    request: &AuthorizeRequest,
) -> Result<ConnectionRoute, OAuthError> {
    let Some(name) = request.params.get("connection") else {
        return Ok(ConnectionRoute::Default);
    };
    match crate::connections::resolve(p, name).await? {
        Some(crate::connections::Connection::Database) => return Ok(ConnectionRoute::Default),
        Some(crate::connections::Connection::PasswordlessEmail) => {
            return Ok(ConnectionRoute::PasswordlessEmail);
        }
        None => {}
    }
    match crate::upstream::find(p, name).await? {
        Some(c) if c.enabled_for(&request.client.client_id) => Ok(ConnectionRoute::Upstream(c)),
        _ => Err(OAuthError::invalid_request(format!(
            "The connection {} is not enabled for this application.",
            crate::params::printable(name)
        ))),
    }
}

/// The user's answer on the consent page. Approval is remembered and the transaction goes on
/// (the caller records the step); refusal answers the application with `access_denied`
/// (RFC 6749 §4.1.2.1).
pub async fn answer_consent(
    p: &Provider,
    tx: &Transaction,
    user: &User,
    approved: bool,
) -> Result<Option<AuthorizationResponse>, AuthorizeFailure> {
    let request = authorize::validate(p, tx.params.clone()).await?;
    if approved {
        consent::approve(p, &request, user)
            .await
            .map_err(AuthorizeFailure::ErrorPage)?;
        return Ok(None);
    }
    let error = OAuthError::new(
        ErrorCode::AccessDenied,
        "The user did not allow the application access.",
    );
    Ok(Some(authorize::error(p, &request, error)))
}

fn page(request: &AuthorizeRequest, signup: bool) -> Page {
    Page {
        client_name: request.client.name.clone(),
        login_hint: request.login_hint.clone(),
        signup,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn params(extra: &[(&str, &str)]) -> Params {
        authorize_params(extra)
    }

    #[tokio::test]
    async fn sealed_transactions_round_trip_and_expire() {
        let f = fixture().await;
        let mut tx = Transaction::new(&f.p, params(&[]));
        tx.record(StepKind::Password, f.p.now());
        let sealed = tx.seal(&f.p).unwrap();
        assert_eq!(Transaction::open(&f.p, &sealed), Some(tx));
        assert_eq!(Transaction::open(&f.p, "garbage"), None);
        f.clock.advance(LIFETIME);
        assert_eq!(Transaction::open(&f.p, &sealed), None, "expired");
    }

    #[tokio::test]
    async fn without_a_session_the_next_step_is_sign_in_or_sign_up_as_asked() {
        let f = fixture().await;
        let tx = Transaction::new(&f.p, params(&[]));
        assert!(matches!(next(&f.p, &tx, None).await, Ok(Next::SignIn(_))));
        for extra in [("screen_hint", "signup"), ("prompt", "create")] {
            let tx = Transaction::new(&f.p, params(&[extra]));
            assert!(
                matches!(next(&f.p, &tx, None).await, Ok(Next::SignUp(_))),
                "{extra:?}"
            );
        }
    }

    #[tokio::test]
    async fn signup_off_means_the_sign_in_page() {
        let mut f = fixture().await;
        let mut config = (*f.p.config).clone();
        config.signup_enabled = false;
        f.p.config = std::sync::Arc::new(config);
        let tx = Transaction::new(&f.p, params(&[("screen_hint", "signup")]));
        match next(&f.p, &tx, None).await {
            Ok(Next::SignIn(page)) => assert!(!page.signup),
            other => panic!("{other:?}"),
        }
    }

    async fn step_for(f: &Fixture, extra: &[(&str, &str)]) -> Result<Next, AuthorizeFailure> {
        let tx = Transaction::new(&f.p, params(extra));
        next(&f.p, &tx, None).await
    }

    #[tokio::test]
    async fn the_connection_parameter_picks_the_step() {
        let f = fixture().await;
        assert!(matches!(
            step_for(&f, &[("connection", "email")]).await,
            Ok(Next::Passwordless(_))
        ));
        assert!(matches!(
            step_for(&f, &[("connection", "Username-Password-Authentication")]).await,
            Ok(Next::SignIn(_))
        ));
        match step_for(&f, &[("connection", "google-oauth2")]).await {
            Ok(Next::Respond(r)) => {
                assert_eq!(r.error.map(|e| e.code), Some(ErrorCode::InvalidRequest));
            }
            other => panic!("{other:?}"),
        }
        f.p.store
            .put_setting(crate::connections::DATABASE_SETTING, "acme-users", 0)
            .await
            .unwrap();
        assert!(matches!(
            step_for(&f, &[("connection", "acme-users")]).await,
            Ok(Next::SignIn(_))
        ));
    }

    #[tokio::test]
    async fn prompt_login_needs_a_step_in_this_transaction() {
        let f = fixture().await;
        let session = Some((&f.session, &f.user));
        let mut tx = Transaction::new(&f.p, params(&[("prompt", "login")]));
        assert!(matches!(
            next(&f.p, &tx, session).await,
            Ok(Next::SignIn(_))
        ));
        tx.record(StepKind::Password, f.p.now());
        assert!(matches!(
            next(&f.p, &tx, session).await,
            Ok(Next::Respond(_))
        ));
    }
}
