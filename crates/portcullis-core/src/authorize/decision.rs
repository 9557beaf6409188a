//! What to do with a valid request given the browser's session: sign the user in, fail
//! (`prompt=none`), or issue a code.

use super::{AuthorizationResponse, AuthorizeRequest, ResponseType};
use crate::Provider;
use crate::crypto::{new_id, random_token};
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use portcullis_store::{AuthorizationCode, Grant, Session, User};

/// The outcome of an authorization request.
#[derive(Debug)]
pub enum Decision {
    /// Show the sign-in page.
    Login,
    /// Answer the client now (a code, or an error such as `login_required`).
    Respond(AuthorizationResponse),
}

/// OIDC Core §3.1.2.3: whether the user must (re)authenticate: no session, or `prompt=login`
/// or an exceeded `max_age` that this transaction has not yet satisfied.
pub fn needs_login(
    p: &Provider,
    req: &AuthorizeRequest,
    session: Option<&Session>,
    just_signed_in: bool,
) -> bool {
    match session {
        None => true,
        Some(_) if just_signed_in => false,
        Some(session) => {
            req.prompt.login
                || req
                    .max_age
                    .is_some_and(|max| p.now() - session.auth_time > max)
        }
    }
}

/// OIDC Core §3.1.2.3: decides whether the user must authenticate. `just_signed_in` is true when
/// the request resumes after the sign-in page, which satisfies `prompt=login` and `max_age`.
pub async fn decide(
    p: &Provider,
    req: &AuthorizeRequest,
    session: Option<(&Session, &User)>,
    just_signed_in: bool,
) -> OAuthResult<Decision> {
    if needs_login(p, req, session.map(|(s, _)| s), just_signed_in) {
        if req.prompt.none {
            return Ok(Decision::Respond(error(
                p,
                req,
                OAuthError::new(ErrorCode::LoginRequired, "Login required"),
            )));
        }
        return Ok(Decision::Login);
    }
    let Some((session, user)) = session else {
        return Ok(Decision::Login);
    };
    if let Err(refusal) = user_may_sign_in(user) {
        return Ok(Decision::Respond(error(p, req, refusal)));
    }
    match req.response_type {
        ResponseType::Code => issue_code(p, req, session, user).await,
        ResponseType::IdToken => issue_id_token(p, req, session, user).await,
    }
    .map(Decision::Respond)
}

/// The one rule on whether an account may sign in now (a blocked account may not), answered
/// with one error wherever it is asked: at the authorization endpoint, at the token endpoint,
/// and when a session is looked up.
pub fn user_may_sign_in(user: &User) -> Result<(), OAuthError> {
    if user.blocked {
        return Err(OAuthError::new(ErrorCode::AccessDenied, "user is blocked"));
    }
    Ok(())
}

/// OIDC Core §3.2.2.5: an ID token straight from the authorization endpoint, with the request's
/// `nonce`, for sign-in only (no access token, so the profile claims go in the ID token, §5.4).
/// The grant is stored (with nothing to refresh) so the application is told when the session
/// ends (back-channel logout).
pub async fn issue_id_token(
    p: &Provider,
    req: &AuthorizeRequest,
    session: &Session,
    user: &User,
) -> OAuthResult<AuthorizationResponse> {
    let now = p.now();
    let grant = Grant {
        grant_id: new_id("grt"),
        client_id: req.client.client_id.clone(),
        user_id: user.user_id.clone(),
        session_id: Some(session.session_id.clone()),
        scope: req.scopes.to_string(),
        audience: None,
        nonce: req.nonce.clone(),
        auth_time: session.auth_time,
        offline: false,
        revoked: false,
        created_at: now,
        expires_at: now + p.config.id_token_lifetime,
    };
    p.store.create_grant(&grant).await?;
    let authn = crate::mfa::amr::for_session(p, Some(&session.session_id)).await?;
    let kinds = [crate::claims::custom::TokenKind::IdToken];
    let custom = crate::claims::custom::for_user(p, user, &kinds)
        .await?
        .pop()
        .unwrap_or_default();
    let id_token = crate::token::issue::id_token(
        p,
        &grant,
        user,
        &req.scopes,
        req.nonce.as_deref(),
        &authn,
        custom,
    )?;
    Ok(AuthorizationResponse::success(
        p,
        &req.redirect_uri,
        req.response_mode,
        ("id_token", id_token),
        req.state.as_deref(),
    ))
}

/// An error response for a validated request.
pub fn error(p: &Provider, req: &AuthorizeRequest, err: OAuthError) -> AuthorizationResponse {
    AuthorizationResponse::error(
        p,
        &req.redirect_uri,
        req.response_mode,
        req.state.as_deref(),
        err,
    )
}

/// RFC 6749 §4.1.2: issues a single-use code (256 bits, stored as a keyed hash, valid for
/// `code_lifetime` ≤ 60 s) bound to the client, redirect URI, PKCE challenge, nonce and session.
pub async fn issue_code(
    p: &Provider,
    req: &AuthorizeRequest,
    session: &Session,
    user: &User,
) -> OAuthResult<AuthorizationResponse> {
    let now = p.now();
    let code = random_token(32);
    p.store
        .insert_code(&AuthorizationCode {
            code_hash: p.hasher.hash(&code),
            grant_id: new_id("grt"),
            client_id: req.client.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            user_id: user.user_id.clone(),
            session_id: session.session_id.clone(),
            scope: req.scopes.to_string(),
            audience: req.api.as_ref().map(|a| a.identifier.clone()),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            code_challenge_method: req.code_challenge_method.clone(),
            auth_time: session.auth_time,
            max_age_requested: req.max_age.is_some(),
            created_at: now,
            expires_at: now + p.config.code_lifetime,
            used_at: None,
        })
        .await?;
    Ok(AuthorizationResponse::success(
        p,
        &req.redirect_uri,
        req.response_mode,
        ("code", code),
        req.state.as_deref(),
    ))
}
