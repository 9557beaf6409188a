//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5–4.6, OIDC Core §3.1.3).

use super::issue::{self, TokenResponse};
use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use crate::params::Params;
use crate::pkce;
use crate::scope::{OFFLINE_ACCESS, Scopes};
use portcullis_store::{
    AuthorizationCode, AuthorizationCodeInUse, Client, Grant, GrantType, StoreError,
};

pub(super) async fn exchange(
    p: &Provider,
    client: &Client,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let now = p.now();
    let code_hash = p.hasher.hash(code);
    // The code, its user and its session's factors in one read.
    let Some(AuthorizationCodeInUse {
        code: record,
        user,
        session_factors,
    }) = p.store.get_code_in_use(&code_hash).await?
    else {
        return Err(invalid_code());
    };
    // Everything about the code is checked before it is consumed: a stolen code presented by
    // another client (or with the wrong redirect URI or PKCE verifier) neither burns it nor
    // counts as a replay.
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    if record.used_at.is_some() {
        return Err(replayed(p, &record.grant_id, client, now).await);
    }
    check_binding(&record, redirect_uri, params, now)?;
    // The user may sign in, or the code is spent without issuing anything.
    let user = match user {
        Some(user) => user,
        None => {
            spend(p, &code_hash, client, now).await?;
            return Err(OAuthError::invalid_grant("The user no longer exists."));
        }
    };
    if let Err(refusal) = crate::authorize::user_may_sign_in(&user) {
        spend(p, &code_hash, client, now).await?;
        return Err(OAuthError::invalid_grant(refusal.description));
    }
    let scopes = Scopes::parse(&record.scope)?;
    let api = match &record.audience {
        Some(identifier) => p.catalog.api(p.store.as_ref(), identifier).await?,
        None => None,
    };
    // Refresh tokens need offline_access, the refresh grant, and an API that allows them.
    let offline = scopes.contains(OFFLINE_ACCESS)
        && client.grant_types.contains(&GrantType::RefreshToken)
        && api.as_ref().is_none_or(|a| a.allow_offline_access);
    let grant = Grant {
        grant_id: record.grant_id.clone(),
        client_id: client.client_id.clone(),
        user_id: user.user_id.clone(),
        session_id: Some(record.session_id.clone()),
        scope: record.scope.clone(),
        audience: record.audience.clone(),
        nonce: record.nonce.clone(),
        auth_time: record.auth_time,
        offline,
        revoked: false,
        created_at: now,
        expires_at: now + p.config.refresh_token_lifetime,
    };
    let refresh = offline.then(|| issue::new_refresh_token(p, &grant));
    // The claim, the grant and its refresh token, in one step.
    let stored = refresh.as_ref().map(|(_, record)| record);
    match p.store.redeem_code(&code_hash, now, &grant, stored).await {
        Ok(()) => {}
        // Used already (possibly by a redemption racing this one): that is a replay.
        Err(StoreError::AlreadyConsumed { grant_id }) => {
            return Err(replayed(p, &grant_id, client, now).await);
        }
        // Gone, or a replay of this code left its grant id revoked (see `revoke_replayed`):
        // nothing is issued.
        Err(StoreError::NotFound | StoreError::Conflict(_)) => return Err(invalid_code()),
        Err(e) => return Err(e.into()),
    }
    let refresh_token = refresh.map(|(token, _)| token);
    issue::user_token_response(
        p,
        &grant,
        api.as_ref(),
        &user,
        &scopes,
        issue::SignInFacts {
            nonce: record.nonce.as_deref(),
            session_factors: &session_factors,
        },
        refresh_token,
    )
    .await
}

/// Marks the code used without issuing anything (its user may not sign in); a code used
/// already is a replay, as in a redemption.
async fn spend(p: &Provider, code_hash: &str, client: &Client, now: i64) -> OAuthResult<()> {
    match p.store.consume_code(code_hash, now).await {
        Ok(_) | Err(StoreError::NotFound) => Ok(()),
        Err(StoreError::AlreadyConsumed { grant_id }) => {
            Err(replayed(p, &grant_id, client, now).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// RFC 6749 §4.1.2: a code used twice by its own client revokes the tokens its first use
/// issued. Returns the error to answer with.
async fn replayed(p: &Provider, grant_id: &str, client: &Client, now: i64) -> OAuthError {
    if let Err(e) = revoke_replayed(p, grant_id, client, now).await {
        return e;
    }
    tracing::warn!(client_id = %client.client_id, grant_id, "authorization code replayed; grant revoked");
    invalid_code()
}

/// Revokes what the first redemption of a replayed code issued. The first redemption may still
/// be running (it has claimed the code but not yet stored its grant), so when the grant does not
/// exist yet a revoked one is stored under its id: the first redemption's insert then conflicts
/// and it issues nothing. Exactly one of the two inserts wins, whatever the interleaving.
async fn revoke_replayed(
    p: &Provider,
    grant_id: &str,
    client: &Client,
    now: i64,
) -> OAuthResult<()> {
    let tombstone = Grant {
        grant_id: grant_id.to_owned(),
        client_id: client.client_id.clone(),
        user_id: String::new(),
        session_id: None,
        scope: String::new(),
        audience: None,
        nonce: None,
        auth_time: now,
        offline: false,
        revoked: true,
        created_at: now,
        expires_at: now + p.config.code_lifetime,
    };
    match p.store.create_grant(&tombstone).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(_)) => Ok(p.store.revoke_grant(grant_id).await?),
        Err(e) => Err(e.into()),
    }
}

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("Invalid authorization code.")
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.6: the code (already known to be this client's) is
/// unexpired and bound to this redirect URI and this PKCE verifier. A verifier without a
/// challenge is a downgrade attempt (RFC 9700 §4.8.2) and is refused too.
fn check_binding(
    code: &AuthorizationCode,
    redirect_uri: &str,
    params: &Params,
    now: i64,
) -> OAuthResult<()> {
    if code.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "The authorization code has expired.",
        ));
    }
    if code.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request.",
        ));
    }
    match (&code.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            if !pkce::is_valid_verifier(verifier) || !pkce::verify_s256(verifier, challenge) {
                return Err(OAuthError::invalid_grant("Invalid code_verifier."));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant("Missing code_verifier."));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier was sent but the authorization request had no code_challenge.",
            ));
        }
        (None, None) => {}
    }
    Ok(())
}
