//! `grant_type=refresh_token` (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2): each use returns a new refresh token; presenting a used one revokes the
//! whole family.

use super::issue::{self, TokenResponse};
use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use crate::params::Params;
use crate::scope::Scopes;
use portcullis_store::{Client, RefreshTokenInUse, StoreError};

/// The description auth0-spa-js looks for ("invalid refresh token") to fall back to the iframe.
const UNKNOWN_TOKEN: &str = "Unknown or invalid refresh token.";

pub(super) async fn exchange(
    p: &Provider,
    client: &Client,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let presented = params.require("refresh_token")?;
    let now = p.now();
    let hash = p.hasher.hash(presented);
    // The token, its grant, its user and its session's factors in one read.
    let Some(RefreshTokenInUse {
        token: record,
        grant,
        user,
        session_factors,
    }) = p.store.get_refresh_token_in_use(&hash).await?
    else {
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    };
    // RFC 6749 §10.4: bound to the client it was issued to.
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    }
    if record.used_at.is_some() {
        p.store.revoke_grant(&record.grant_id).await?;
        tracing::warn!(client_id = %client.client_id, grant_id = %record.grant_id, "refresh token reused; family revoked");
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    }
    if record.revoked || record.expires_at <= now {
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    }
    let Some(grant) = grant else {
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    };
    if grant.revoked || grant.expires_at <= now {
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    }
    let granted = Scopes::parse(&grant.scope)?;
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    let scopes = match params.get("scope") {
        Some(text) => {
            let asked = Scopes::parse(text)?;
            if let Some(extra) = asked.first_not_in(&granted) {
                return Err(OAuthError::invalid_scope(format!(
                    "Scope {extra} was not part of the original grant."
                )));
            }
            asked
        }
        None => granted,
    };
    if let Some(audience) = params.get("audience")
        && Some(audience) != grant.audience.as_deref()
    {
        return Err(OAuthError::invalid_request(
            "audience differs from the one this refresh token was issued for.",
        ));
    }
    let Some(user) = user else {
        p.store.revoke_grant(&grant.grant_id).await?;
        return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
    };
    if let Err(refusal) = crate::authorize::user_may_sign_in(&user) {
        return Err(OAuthError::invalid_grant(refusal.description));
    }
    let (new_token, new_record) = issue::new_refresh_token(p, &grant);
    match p.store.rotate_refresh_token(&hash, &new_record, now).await {
        Ok(()) => {}
        Err(StoreError::AlreadyConsumed { grant_id }) => {
            // Lost a race with another use of the same token: that is reuse too.
            p.store.revoke_grant(&grant_id).await?;
            return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN));
        }
        Err(StoreError::NotFound) => return Err(OAuthError::invalid_grant(UNKNOWN_TOKEN)),
        Err(e) => return Err(e.into()),
    }
    let api = match &grant.audience {
        Some(identifier) => p.catalog.api(p.store.as_ref(), identifier).await?,
        None => None,
    };
    issue::user_token_response(
        p,
        &grant,
        api.as_ref(),
        &user,
        &scopes,
        issue::SignInFacts {
            nonce: None,
            session_factors: &session_factors,
        },
        Some(new_token),
    )
    .await
}
