//! Minting tokens: JWT access tokens (RFC 9068), ID tokens (OIDC Core §2) and refresh tokens.

use super::rbac;
use crate::Provider;
use crate::claims::custom::{self, TokenKind};
use crate::claims::{AccessTokenClaims, Audience, CustomClaims, IdTokenClaims, UserClaims};
use crate::crypto::{new_id, random_token};
use crate::error::OAuthResult;
use crate::jwt::{self, TYP_ACCESS_TOKEN, TYP_JWT};
use crate::mfa::amr::Authentication;
use crate::paths;
use crate::scope::{OPENID, Scopes};
use portcullis_store::{Api, Grant, RefreshTokenRecord, SessionFactor, User};
use serde::Serialize;

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
    /// `gty`, for tokens that are not a user's.
    pub gty: Option<&'static str>,
    /// `permissions` (the API's `token_dialect` is `access_token_authz`).
    pub permissions: Option<Vec<String>>,
    /// Namespaced claims from the tenant's custom-claim rules.
    pub custom: CustomClaims,
}

/// Issues an access token. Nothing is written: whether it still lives hangs on its grant and
/// its `jti` ([`crate::access_token`]). For an API it is a signed JWT whose `aud` is the API
/// identifier, plus the userinfo endpoint when `openid` was granted. Without an API it is good
/// only for /userinfo (`aud` is that endpoint alone) and, as on Auth0, opaque: sealed rather than
/// signed, since nobody but this provider reads it ([`crate::access_token::seal`]).
pub fn access_token(p: &Provider, spec: AccessTokenSpec<'_>) -> OAuthResult<String> {
    let now = p.now();
    let userinfo = p.config.issuer.endpoint(paths::USERINFO);
    let aud = match spec.audience {
        Some(api) if spec.scopes.contains(OPENID) => Audience::Many(vec![api.to_owned(), userinfo]),
        Some(api) => Audience::One(api.to_owned()),
        None => Audience::One(userinfo),
    };
    let claims = AccessTokenClaims {
        iss: p.config.issuer.as_str().to_owned(),
        sub: spec.subject.to_owned(),
        aud,
        iat: now,
        exp: now + spec.lifetime,
        scope: spec.scopes.to_string(),
        jti: crate::access_token::new_jti(spec.grant_id),
        client_id: spec.client_id.to_owned(),
        azp: spec.client_id.to_owned(),
        gty: spec.gty.map(str::to_owned),
        permissions: spec.permissions,
        custom: spec.custom,
    };
    match spec.audience {
        Some(_) => Ok(jwt::sign(
            p.keys.ring().current(),
            TYP_ACCESS_TOKEN,
            &claims,
        )?),
        None => crate::access_token::seal(p, &claims),
    }
}

/// What a user's ID token says about the sign-in, beyond the grant and the user.
#[derive(Debug, Default, Clone, Copy)]
pub struct SignInFacts<'a> {
    /// The authorization request's `nonce`: only on code exchange (OIDC Core §12.2).
    pub nonce: Option<&'a str>,
    /// What the user of the grant's session authenticated with (`amr`, `acr`), read by the
    /// caller along with the code or refresh token; none for a grant without a session.
    pub session_factors: &'a [SessionFactor],
}

/// A user's token response for `grant`: an access token for the grant's API (or for /userinfo
/// alone), the ID token when `openid` was granted, and `refresh_token` as given. The API's RBAC
/// settings narrow `scopes` and may add `permissions` ([`rbac`]); the tenant's custom-claim rules
/// add their claims to both tokens.
pub async fn user_token_response(
    p: &Provider,
    grant: &Grant,
    api: Option<&Api>,
    user: &User,
    scopes: &Scopes,
    sign_in: SignInFacts<'_>,
    refresh_token: Option<String>,
) -> OAuthResult<TokenResponse> {
    let lifetime = api.map_or(p.config.userinfo_token_lifetime, |a| a.token_lifetime);
    let access = rbac::for_user(p, api, &user.user_id, scopes).await?;
    let openid = scopes.contains(OPENID);
    let kinds: &[TokenKind] = if openid {
        &[TokenKind::AccessToken, TokenKind::IdToken]
    } else {
        &[TokenKind::AccessToken]
    };
    let mut custom = custom::for_user(p, user, kinds).await?.into_iter();
    let access_custom = custom.next().unwrap_or_default();
    let access_token = access_token(
        p,
        AccessTokenSpec {
            subject: &user.user_id,
            client_id: &grant.client_id,
            audience: grant.audience.as_deref(),
            scopes: &access.scopes,
            lifetime,
            grant_id: Some(&grant.grant_id),
            gty: None,
            permissions: access.permissions,
            custom: access_custom,
        },
    )?;
    // auth0-spa-js requires an ID token on every response, refresh included.
    let id_token = if openid {
        let authn = Authentication::from_factors(sign_in.session_factors);
        let claims = custom.next().unwrap_or_default();
        Some(id_token(
            p,
            grant,
            user,
            scopes,
            sign_in.nonce,
            &authn,
            claims,
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime,
        refresh_token,
        id_token,
        scope: access.scopes.to_string(),
    })
}

/// Signs an ID token (OIDC Core §2, §3.1.3.6). `nonce` only on code exchange (OIDC Core
/// §12.2: a refreshed ID token has none); `auth_time` always, `sid` for logout; `amr` and
/// `acr` from what the session's user did (RFC 8176, [`crate::mfa::amr`]); `custom` from the
/// tenant's rules ([`custom::for_user`]).
pub fn id_token(
    p: &Provider,
    grant: &Grant,
    user: &User,
    scopes: &Scopes,
    nonce: Option<&str>,
    authn: &crate::mfa::Authentication,
    custom: CustomClaims,
) -> OAuthResult<String> {
    let now = p.now();
    let claims = IdTokenClaims {
        iss: p.config.issuer.as_str().to_owned(),
        aud: grant.client_id.clone(),
        azp: grant.client_id.clone(),
        iat: now,
        exp: now + p.config.id_token_lifetime,
        auth_time: grant.auth_time,
        sid: grant.session_id.clone(),
        nonce: nonce.map(str::to_owned),
        amr: (!authn.amr.is_empty()).then(|| authn.amr.clone()),
        acr: authn.acr.map(str::to_owned),
        user: UserClaims::new(user, scopes),
        custom,
    };
    Ok(jwt::sign(p.keys.ring().current(), TYP_JWT, &claims)?)
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
