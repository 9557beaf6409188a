//! Whether a sign-in needs a second factor before the application gets its answer.

use super::{Authentication, MULTI_FACTOR_ACR, MfaPolicy, policy};
use crate::Provider;
use crate::authorize::AuthorizeRequest;
use crate::error::OAuthResult;
use portcullis_store::{Session, User};

/// What the policy asks of this sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Nothing more: answer the application.
    Satisfied,
    /// The user has a factor and must use it.
    Challenge,
    /// The user has no factor and must enrol one now.
    Enrol,
}

/// Whether the application asked for step-up: `acr_values` (OIDC Core §3.1.2.1) naming the
/// multi-factor policy.
pub fn step_up_requested(request: &AuthorizeRequest) -> bool {
    request
        .params
        .get("acr_values")
        .is_some_and(|v| v.split(' ').any(|acr| acr == MULTI_FACTOR_ACR))
}

/// The rule: a second factor is needed when the application's policy is `required`, when it
/// is `optional` and the user enrolled one, or when the application asks for step-up (unless
/// the policy is `off`). A session that already used a second factor satisfies it (`max_age`
/// and `prompt=login` start a new session, whose factors start over).
pub fn decide(
    policy: MfaPolicy,
    step_up: bool,
    has_factor: bool,
    done: &Authentication,
) -> Requirement {
    let needed = match policy {
        MfaPolicy::Off => false,
        MfaPolicy::Optional => has_factor || step_up,
        MfaPolicy::Required => true,
    };
    if !needed || done.is_multi_factor() {
        Requirement::Satisfied
    } else if has_factor {
        Requirement::Challenge
    } else {
        Requirement::Enrol
    }
}

/// What `request` needs from the signed-in `user` of `session`.
pub async fn of(
    p: &Provider,
    request: &AuthorizeRequest,
    session: &Session,
    user: &User,
) -> OAuthResult<Requirement> {
    let policy = policy::for_application(p, &request.client.client_id).await?;
    if policy == MfaPolicy::Off {
        return Ok(Requirement::Satisfied);
    }
    let done = super::amr::for_session(p, Some(&session.session_id)).await?;
    let has_factor = super::enrolled(p, &user.user_id).await?.any();
    Ok(decide(
        policy,
        step_up_requested(request),
        has_factor,
        &done,
    ))
}
