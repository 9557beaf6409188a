//! Checking our own access tokens (for /userinfo, revocation and introspection): signature by a
//! published key, issuer, expiry, and that neither the token nor its grant was revoked.

use crate::Provider;
use crate::claims::AccessTokenClaims;
use crate::error::OAuthResult;
use crate::jwt;
use portcullis_store::AccessTokenRecord;
use serde_json::Value;

/// A live access token.
#[derive(Debug, Clone)]
pub struct LiveAccessToken {
    pub claims: AccessTokenClaims,
    pub record: AccessTokenRecord,
}

impl LiveAccessToken {
    /// Whether `aud` (string or array) contains `audience`.
    pub fn has_audience(&self, audience: &str) -> bool {
        self.claims.aud.contains(audience)
    }

    /// The `aud` values (a string or an array).
    pub fn audiences(&self) -> Vec<&str> {
        self.claims.aud.values()
    }

    pub fn scope(&self) -> &str {
        &self.claims.scope
    }
}

/// `Ok(None)` for anything that is not a live access token we issued.
pub async fn check(p: &Provider, token: &str) -> OAuthResult<Option<LiveAccessToken>> {
    if token.len() > 8192 {
        return Ok(None);
    }
    let Ok(verified) = jwt::verify(&p.keys.ring(), token) else {
        return Ok(None);
    };
    if verified.header.get("typ").and_then(Value::as_str) != Some(jwt::TYP_ACCESS_TOKEN) {
        return Ok(None);
    }
    let Ok(claims) = serde_json::from_value::<AccessTokenClaims>(Value::Object(verified.claims))
    else {
        return Ok(None);
    };
    if claims.iss != p.config.issuer.as_str() || claims.exp <= p.now() {
        return Ok(None);
    }
    let Some(record) = p.store.get_access_token(&claims.jti).await? else {
        return Ok(None);
    };
    if record.revoked {
        return Ok(None);
    }
    if let Some(grant_id) = &record.grant_id {
        match p.store.get_grant(grant_id).await? {
            Some(grant) if !grant.revoked => {}
            _ => return Ok(None),
        }
    }
    Ok(Some(LiveAccessToken { claims, record }))
}
