//! The UserInfo endpoint (OIDC Core §5.3): the claims the token's scopes release.

use crate::Provider;
use crate::access_token;
use crate::claims::UserClaims;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::paths;
use crate::scope::{OPENID, Scopes};

/// Returns the claims for a Bearer token, or an RFC 6750 §3.1 error: `invalid_token` for
/// anything not live, `insufficient_scope` without `openid`.
pub async fn userinfo(p: &Provider, token: &str) -> OAuthResult<UserClaims> {
    let invalid = || OAuthError::invalid_token("The access token is invalid or has expired.");
    let Some(live) = access_token::verified(p, token).await? else {
        return Err(invalid());
    };
    if !live.has_audience(&p.config.issuer.endpoint(paths::USERINFO)) {
        return Err(invalid());
    }
    let scopes = Scopes::parse(live.scope())?;
    if !scopes.contains(OPENID) {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "The access token was not granted the openid scope.",
        ));
    }
    // Whether the token was revoked and who the user is now, in one read.
    let record = &live.record;
    let Some(user) = p
        .store
        .live_token_user(&record.jti, record.grant_id.as_deref(), &record.subject)
        .await?
    else {
        return Err(invalid());
    };
    if user.blocked {
        return Err(invalid());
    }
    Ok(UserClaims::new(&user, &scopes))
}
