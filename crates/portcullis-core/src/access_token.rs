//! Checking our own access tokens (for /userinfo, revocation and introspection): signature by a
//! published key (or our seal), issuer, expiry, and that neither the token nor its grant was
//! revoked.
//!
//! Access tokens are not written to the database when they are issued (a write per token
//! request, for the rare token anyone revokes). What the database holds instead decides whether
//! one still lives: its grant (a user's token dies with it: sign-out, revoked refresh token,
//! deleted user or application), its application (a client-credentials token dies with it),
//! and the list of `jti`s revoked one by one (RFC 7009). The `jti` says which grant: see
//! [`new_jti`].
//!
//! Two forms, as on Auth0: a token for an API is a JWT (RFC 9068) the API verifies itself; a
//! token without an API is good only for /userinfo and is opaque ([`seal`]): the same claims,
//! encrypted and authenticated under a key only the provider holds, so it costs no signature.

use crate::Provider;
use crate::claims::AccessTokenClaims;
use crate::crypto::random_token;
use crate::error::{OAuthError, OAuthResult};
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

/// The `jti` prefix of tokens that were not recorded when issued.
const UNRECORDED: &str = "at1.";

/// A fresh `jti` (RFC 9068 §2.2, RFC 7519 §4.1.7: unique per token): `at1.<random>` for a token
/// without a grant (client credentials), `at1.<random>.<grant id>` for a user's, so a check finds
/// the grant without a record of the token. It says nothing secret: grant ids are opaque.
pub fn new_jti(grant_id: Option<&str>) -> String {
    let random = random_token(16);
    match grant_id {
        Some(grant_id) => format!("{UNRECORDED}{random}.{grant_id}"),
        None => format!("{UNRECORDED}{random}"),
    }
}

/// What a verified token's `jti` says about where its state is.
#[derive(Debug, PartialEq, Eq)]
enum Jti<'a> {
    /// Issued by this release: no record; the grant, if any, is named.
    Unrecorded { grant_id: Option<&'a str> },
    /// Issued before migration 14 (or by an older replica): look up its record.
    Recorded,
}

impl<'a> Jti<'a> {
    fn parse(jti: &'a str) -> Jti<'a> {
        match jti.strip_prefix(UNRECORDED) {
            // The random part is base64url, which has no `.`.
            Some(rest) => Jti::Unrecorded {
                grant_id: rest.split_once('.').map(|(_, grant)| grant),
            },
            None => Jti::Recorded,
        }
    }
}

/// The purpose opaque access tokens are sealed for (the AES-256-GCM associated data): nothing
/// sealed for another use opens as an access token, and no access token opens as anything else.
const OPAQUE: &str = "portcullis opaque access token v1";

/// An opaque access token carrying `claims` (AES-256-GCM under a key derived from the master
/// key, base64url: no `.`, so never mistaken for a JWT). Every replica with the same master key
/// opens it.
pub fn seal(p: &Provider, claims: &AccessTokenClaims) -> OAuthResult<String> {
    p.sealer
        .seal(claims, OPAQUE)
        .map_err(OAuthError::server_error)
}

/// The claims of an access token we issued, in either form, once its signature or seal holds.
fn claims_of(p: &Provider, token: &str) -> Option<AccessTokenClaims> {
    if !token.contains('.') {
        return p.sealer.unseal(token, OPAQUE);
    }
    let verified = jwt::verify(&p.keys.ring(), token).ok()?;
    if verified.header.get("typ").and_then(Value::as_str) != Some(jwt::TYP_ACCESS_TOKEN) {
        return None;
    }
    serde_json::from_value::<AccessTokenClaims>(Value::Object(verified.claims)).ok()
}

/// `Ok(None)` for anything that is not a live access token we issued.
pub async fn check(p: &Provider, token: &str) -> OAuthResult<Option<LiveAccessToken>> {
    let Some(verified) = verified(p, token).await? else {
        return Ok(None);
    };
    let record = &verified.record;
    if !p
        .store
        .access_token_live(&record.jti, record.grant_id.as_deref())
        .await?
    {
        return Ok(None);
    }
    Ok(Some(verified))
}

/// What [`check`] checks, but for the database's say on revocation (the caller asks the store:
/// `access_token_live`, or `live_token_user` together with the user). `Ok(None)` when the token
/// is not ours, expired, or its application is gone.
pub async fn verified(p: &Provider, token: &str) -> OAuthResult<Option<LiveAccessToken>> {
    if token.len() > 8192 {
        return Ok(None);
    }
    let Some(claims) = claims_of(p, token) else {
        return Ok(None);
    };
    if claims.iss != p.config.issuer.as_str() || claims.exp <= p.now() {
        return Ok(None);
    }
    let record = match Jti::parse(&claims.jti) {
        Jti::Unrecorded { grant_id } => AccessTokenRecord {
            jti: claims.jti.clone(),
            grant_id: grant_id.map(str::to_owned),
            client_id: claims.client_id.clone(),
            subject: claims.sub.clone(),
            expires_at: claims.exp,
            revoked: false,
        },
        Jti::Recorded => match p.store.get_access_token(&claims.jti).await? {
            Some(record) if !record.revoked => record,
            _ => return Ok(None),
        },
    };
    // Kept in memory: a deleted application's tokens die with it.
    let client = p
        .catalog
        .client(p.store.as_ref(), &record.client_id)
        .await?;
    if client.is_none() {
        return Ok(None);
    }
    Ok(Some(LiveAccessToken { claims, record }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_names_its_grant() {
        let user = new_jti(Some("grt_abc"));
        assert_eq!(
            Jti::parse(&user),
            Jti::Unrecorded {
                grant_id: Some("grt_abc")
            }
        );
        let m2m = new_jti(None);
        assert_eq!(Jti::parse(&m2m), Jti::Unrecorded { grant_id: None });
        assert_ne!(new_jti(None), m2m, "unique");
        // Tokens issued before migration 14 had a bare random jti.
        assert_eq!(Jti::parse(&random_token(16)), Jti::Recorded);
    }
}
