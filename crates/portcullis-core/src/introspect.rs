//! Token introspection (RFC 7662).

use crate::Provider;
use crate::access_token;
use crate::access_token::LiveAccessToken;
use crate::claims::{IntrospectedToken, Introspection};
use crate::client_auth::{self, ClientCredentials};
use crate::error::{OAuthError, OAuthResult};
use crate::params::Params;
use portcullis_store::Client;

/// RFC 7662 §2.1–2.2: only authenticated confidential clients may ask. An active token gives
/// `active: true` with its details; anything expired, revoked, unknown or not the caller's
/// business gives only `{"active": false}` (§2.2). §4: a token is the caller's business when it
/// was issued to the caller, or (access tokens) when the caller is one of the
/// `introspection_clients` of an API the token is for — the resource server checking the tokens
/// sent to it. Any other confidential client learns nothing.
pub async fn introspect(
    p: &Provider,
    credentials: &ClientCredentials,
    client_ip: &str,
    params: &Params,
) -> OAuthResult<Introspection> {
    let authenticated = client_auth::authenticate(p, credentials, client_ip).await?;
    if !authenticated.is_confidential() {
        return Err(OAuthError::invalid_client(
            "Introspection requires a confidential client.",
        ));
    }
    let client = authenticated.client;
    let token = params.require("token")?;
    if let Some(record) = p.store.get_refresh_token(&p.hasher.hash(token)).await? {
        let now = p.now();
        let grant = p.store.get_grant(&record.grant_id).await?;
        let live = record.client_id == client.client_id
            && record.used_at.is_none()
            && !record.revoked
            && record.expires_at > now
            && grant.as_ref().is_some_and(|g| !g.revoked);
        let Some(grant) = grant.filter(|_| live) else {
            return Ok(Introspection::inactive());
        };
        return Ok(Introspection::active(IntrospectedToken::RefreshToken {
            client_id: record.client_id,
            sub: grant.user_id,
            scope: grant.scope,
            iat: record.created_at,
            exp: record.expires_at,
            iss: p.config.issuer.as_str().to_owned(),
        }));
    }
    let Some(live) = access_token::check(p, token).await? else {
        return Ok(Introspection::inactive());
    };
    if !may_introspect(p, &client, &live).await? {
        return Ok(Introspection::inactive());
    }
    let c = live.claims;
    Ok(Introspection::active(IntrospectedToken::AccessToken {
        scope: c.scope,
        client_id: c.client_id,
        sub: c.sub,
        aud: c.aud,
        iss: c.iss,
        exp: c.exp,
        iat: c.iat,
        jti: c.jti,
        gty: c.gty,
        permissions: c.permissions,
    }))
}

/// RFC 7662 §4: the token's own client, or a client an API of the token's audience names.
async fn may_introspect(
    p: &Provider,
    client: &Client,
    live: &LiveAccessToken,
) -> OAuthResult<bool> {
    if live.record.client_id == client.client_id {
        return Ok(true);
    }
    for audience in live.audiences() {
        if let Some(api) = p.store.get_api_by_identifier(audience).await?
            && api.introspection_clients.contains(&client.client_id)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
