//! Minting tokens: JWT access tokens (RFC 9068), ID tokens (OIDC Core §2) and refresh tokens.

use crate::Provider;
use crate::crypto::{new_id, random_token};
use crate::error::OAuthResult;
use crate::jwt::{self, TYP_ACCESS_TOKEN, TYP_JWT};
use crate::scope::{EMAIL, OPENID, PROFILE, Scopes};
use portcullis_store::{AccessTokenRecord, Api, Grant, RefreshTokenRecord, User};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The token endpoint's success body (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// What an access token is for.
pub struct AccessTokenSpec<'a> {
    pub subject: &'a str,
    pub client_id: &'a str,
    /// The API identifier, if any.
    pub audience: Option<&'a str>,
    pub scopes: &'a Scopes,
    pub lifetime: i64,
    pub grant_id: Option<&'a str>,
    /// Extra claims (e.g. `gty`).
    pub extra: Map<String, Value>,
}

/// Signs an access token and remembers its `jti` (so it can be revoked and introspected).
/// `aud` is the API identifier, plus the userinfo endpoint when `openid` was granted; without an
/// API it is the userinfo endpoint alone (the token is then good only for /userinfo).
pub async fn access_token(p: &Provider, spec: AccessTokenSpec<'_>) -> OAuthResult<String> {
    let now = p.now();
    let userinfo = p.config.issuer.endpoint("userinfo");
    let aud = match spec.audience {
        Some(api) if spec.scopes.contains(OPENID) => json!([api, userinfo]),
        Some(api) => json!(api),
        None => json!(userinfo),
    };
    let jti = random_token(16);
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(p.config.issuer.as_str()));
    claims.insert("sub".into(), json!(spec.subject));
    claims.insert("aud".into(), aud);
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + spec.lifetime));
    claims.insert("scope".into(), json!(spec.scopes.to_string()));
    claims.insert("jti".into(), json!(jti));
    claims.insert("client_id".into(), json!(spec.client_id));
    claims.insert("azp".into(), json!(spec.client_id));
    claims.extend(spec.extra);
    let token = jwt::sign(p.keys.ring().current(), TYP_ACCESS_TOKEN, &claims)?;
    p.store
        .insert_access_token(&AccessTokenRecord {
            jti,
            grant_id: spec.grant_id.map(str::to_owned),
            client_id: spec.client_id.to_owned(),
            subject: spec.subject.to_owned(),
            expires_at: now + spec.lifetime,
            revoked: false,
        })
        .await?;
    Ok(token)
}

/// A user's token response for `grant`: an access token for the grant's API (or for /userinfo
/// alone), the ID token when `openid` was granted, and `refresh_token` as given. `nonce` only on
/// code exchange (OIDC Core §12.2).
pub async fn user_token_response(
    p: &Provider,
    grant: &Grant,
    api: Option<&Api>,
    user: &User,
    scopes: &Scopes,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> OAuthResult<TokenResponse> {
    let lifetime = api.map_or(p.config.userinfo_token_lifetime, |a| a.token_lifetime);
    let access_token = access_token(
        p,
        AccessTokenSpec {
            subject: &user.user_id,
            client_id: &grant.client_id,
            audience: grant.audience.as_deref(),
            scopes,
            lifetime,
            grant_id: Some(&grant.grant_id),
            extra: Map::new(),
        },
    )
    .await?;
    // auth0-spa-js requires an ID token on every response, refresh included.
    let id_token = if scopes.contains(OPENID) {
        Some(id_token(p, grant, user, scopes, nonce)?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime,
        refresh_token,
        id_token,
        scope: scopes.to_string(),
    })
}

/// Signs an ID token (OIDC Core §2, §3.1.3.6). `nonce` only on code exchange (OIDC Core
/// §12.2: a refreshed ID token has none); `auth_time` always, `sid` for logout.
pub fn id_token(
    p: &Provider,
    grant: &Grant,
    user: &User,
    scopes: &Scopes,
    nonce: Option<&str>,
) -> OAuthResult<String> {
    let now = p.now();
    let mut claims = user_claims(user, scopes);
    claims.insert("iss".into(), json!(p.config.issuer.as_str()));
    claims.insert("aud".into(), json!(grant.client_id));
    claims.insert("azp".into(), json!(grant.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + p.config.id_token_lifetime));
    claims.insert("auth_time".into(), json!(grant.auth_time));
    if let Some(sid) = &grant.session_id {
        claims.insert("sid".into(), json!(sid));
    }
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    Ok(jwt::sign(p.keys.ring().current(), TYP_JWT, &claims)?)
}

/// `sub` plus the standard claims the granted scopes release (OIDC Core §5.4).
pub fn user_claims(user: &User, scopes: &Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.user_id));
    if scopes.contains(PROFILE) {
        let name = user.name.clone().unwrap_or_else(|| user.email.clone());
        let nickname = user
            .nickname
            .clone()
            .unwrap_or_else(|| user.email.split('@').next().unwrap_or_default().to_owned());
        claims.insert("name".into(), json!(name));
        claims.insert("nickname".into(), json!(nickname));
        for (key, value) in [
            ("given_name", &user.given_name),
            ("family_name", &user.family_name),
            ("picture", &user.picture),
        ] {
            if let Some(v) = value {
                claims.insert(key.into(), json!(v));
            }
        }
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    // Users of an upstream connection may have no email (GitHub without a verified one).
    if scopes.contains(EMAIL) && !user.email.is_empty() {
        claims.insert("email".into(), json!(user.email));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    claims
}

/// Issues a new refresh token in `grant`'s family and stores its hash. It expires at the
/// earlier of the grant's absolute end and the inactivity lifetime from now.
pub fn new_refresh_token(p: &Provider, grant: &Grant) -> (String, RefreshTokenRecord) {
    let now = p.now();
    let token = random_token(32);
    let record = RefreshTokenRecord {
        token_hash: p.hasher.hash(&token),
        grant_id: grant.grant_id.clone(),
        client_id: grant.client_id.clone(),
        created_at: now,
        expires_at: (now + p.config.refresh_token_idle_lifetime).min(grant.expires_at),
        used_at: None,
        revoked: false,
    };
    (token, record)
}

/// A fresh grant id, for grants that don't come from a code.
pub fn new_grant_id() -> String {
    new_id("grt")
}
