//! Tokens for a user who authenticated at the token endpoint itself (the password grants and
//! the passwordless one-time code), with no browser session: the same grant, scopes and token
//! response as a code exchange, minus `sid` and `nonce`.

use super::issue::{self, TokenResponse};
use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use crate::params::Params;
use crate::scope::{self, OFFLINE_ACCESS, OPENID, Scopes};
use portcullis_store::{Client, Grant, GrantType, User};

/// Issues `user`'s tokens for `client`, for the `audience` and `scope` of `params` (unknown
/// scopes ignored unless the tenant is strict, RFC 6749 §3.3). A refresh token needs
/// `offline_access`, the refresh grant and an API that allows it, as for codes.
pub(super) async fn issue_for_user(
    p: &Provider,
    client: &Client,
    user: &User,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let api = crate::audience::for_user(p, params.get("audience")).await?;
    let requested = Scopes::parse(params.get("scope").unwrap_or(OPENID))?;
    let scopes = scope::grantable(&requested, api.as_ref(), scope::strict(p).await?)?;
    let offline = scopes.contains(OFFLINE_ACCESS)
        && client.grant_types.contains(&GrantType::RefreshToken)
        && api.as_ref().is_none_or(|a| a.allow_offline_access);
    let now = p.now();
    let grant = Grant {
        grant_id: issue::new_grant_id(),
        client_id: client.client_id.clone(),
        user_id: user.user_id.clone(),
        session_id: None,
        scope: scopes.to_string(),
        audience: api.as_ref().map(|a| a.identifier.clone()),
        nonce: None,
        auth_time: now,
        offline,
        revoked: false,
        created_at: now,
        expires_at: now + p.config.refresh_token_lifetime,
    };
    p.store.create_grant(&grant).await?;
    let refresh_token = if offline {
        let (token, stored) = issue::new_refresh_token(p, &grant);
        p.store.insert_refresh_token(&stored).await?;
        Some(token)
    } else {
        None
    };
    issue::user_token_response(
        p,
        &grant,
        api.as_ref(),
        user,
        &scopes,
        // No browser session: no nonce, no session factors.
        issue::SignInFacts::default(),
        refresh_token,
    )
    .await
}

/// Grants that take a user's secret at the token endpoint are for the tenant's own (first-party)
/// applications only: a third-party application would see the user's credentials and skip the
/// consent page.
pub(super) fn first_party_only(client: &Client, grant_type: &str) -> OAuthResult<()> {
    if client.first_party {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(format!(
            "Third-party applications cannot use {grant_type}."
        )))
    }
}
