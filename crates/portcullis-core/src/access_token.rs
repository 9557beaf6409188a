//! Checking our own access tokens (for /userinfo, revocation and introspection): signature by a
//! published key, issuer, expiry, and that neither the token nor its grant was revoked.

use crate::Provider;
use crate::error::OAuthResult;
use crate::jwt;
use portcullis_store::AccessTokenRecord;
use serde_json::{Map, Value};

/// A live access token.
#[derive(Debug, Clone)]
pub struct LiveAccessToken {
    pub claims: Map<String, Value>,
    pub record: AccessTokenRecord,
}

impl LiveAccessToken {
    /// Whether `aud` (string or array) contains `audience`.
    pub fn has_audience(&self, audience: &str) -> bool {
        match self.claims.get("aud") {
            Some(Value::String(s)) => s == audience,
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(audience)),
            _ => false,
        }
    }

    /// The `aud` values (a string or an array).
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    pub fn scope(&self) -> &str {
        self.claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
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
    let claims = verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(p.config.issuer.as_str()) {
        return Ok(None);
    }
    let now = p.now();
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_none_or(|exp| exp <= now)
    {
        return Ok(None);
    }
    let Some(jti) = claims.get("jti").and_then(Value::as_str) else {
        return Ok(None);
    };
    let Some(record) = p.store.get_access_token(jti).await? else {
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
