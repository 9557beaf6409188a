//! Token revocation (RFC 7009).

use crate::Provider;
use crate::access_token;
use crate::client_auth::{self, ClientCredentials};
use crate::error::{OAuthError, OAuthResult};
use crate::params::Params;

/// RFC 7009 §2.1–2.2: authenticates the client, then revokes. Revoking a refresh token revokes
/// its grant, access tokens included (§2.1 SHOULD). An unknown or already invalid token is a
/// success (§2.2); a token of another client is refused and left alone (§2.1). The
/// `token_type_hint` only orders the search (§2.1: the server extends its search).
pub async fn revoke(
    p: &Provider,
    credentials: &ClientCredentials,
    client_ip: &str,
    params: &Params,
) -> OAuthResult<()> {
    let client = client_auth::authenticate(p, credentials, client_ip)
        .await?
        .client;
    let token = params.require("token")?;
    if token.len() > 8192 {
        return Ok(());
    }
    if let Some(record) = p.store.get_refresh_token(&p.hasher.hash(token)).await? {
        if record.client_id != client.client_id {
            return Err(foreign());
        }
        p.store.revoke_grant(&record.grant_id).await?;
        crate::audit::record(
            p,
            crate::audit::Event::new(crate::audit::EventType::SUCCESS_REVOCATION)
                .client_id(client.client_id.as_str())
                .description("Refresh token revoked")
                .detail("grant_id", record.grant_id.as_str()),
        );
        return Ok(());
    }
    if let Some(live) = access_token::check(p, token).await? {
        if live.record.client_id != client.client_id {
            return Err(foreign());
        }
        p.store
            .revoke_access_token(&live.record.jti, live.claims.exp)
            .await?;
    }
    Ok(())
}

fn foreign() -> OAuthError {
    OAuthError::unauthorized_client("The token was issued to another client.")
}
