//! OpenID Connect Back-Channel Logout 1.0: when an IdP session ends, every application that took
//! part in it and registered a `backchannel_logout_uri` receives a signed logout token, so it can
//! end its own session for that user.

use crate::Provider;
use crate::claims::{LogoutEvents, LogoutTokenClaims};
use crate::crypto::random_token;
use crate::error::OAuthResult;
use crate::jwt;
use portcullis_store::Session;
use std::sync::Arc;

/// `typ` of logout tokens (BCL §2.4).
pub const TYP_LOGOUT: &str = "logout+jwt";
/// How long a logout token is valid (BCL §2.4 recommends at most two minutes).
const LIFETIME: i64 = 120;

/// Delivers logout tokens. The web layer provides an HTTP implementation; delivery must not
/// block the logout the user is waiting for.
pub trait LogoutNotifier: Send + Sync {
    /// POSTs `logout_token` to `uri` (form-encoded), in the background.
    fn notify(&self, uri: String, logout_token: String);
}

/// A notifier that sends nothing (the default until the web layer installs its own).
#[derive(Debug, Default)]
pub struct NoNotifier;

impl LogoutNotifier for NoNotifier {
    fn notify(&self, _uri: String, _logout_token: String) {}
}

/// A signed logout token for `client_id` about `session` (BCL §2.4): `iss`, `aud`, `iat`, `exp`,
/// `jti`, `sub`, `sid`, `events`, and never a `nonce`.
pub fn logout_token(p: &Provider, client_id: &str, session: &Session) -> OAuthResult<String> {
    let now = p.now();
    let claims = LogoutTokenClaims {
        iss: p.config.issuer.as_str().to_owned(),
        aud: client_id.to_owned(),
        iat: now,
        exp: now + LIFETIME,
        jti: random_token(16),
        sub: session.user_id.clone(),
        sid: session.session_id.clone(),
        events: LogoutEvents::default(),
    };
    Ok(jwt::sign(p.keys.ring().current(), TYP_LOGOUT, &claims)?)
}

/// Sends a logout token to each application of `session` that asked for them. Called before the
/// session's records are removed.
pub async fn notify_session_end(p: &Provider, session: &Session) -> OAuthResult<()> {
    for client_id in p.store.session_client_ids(&session.session_id).await? {
        let Some(client) = p.store.get_client(&client_id).await? else {
            continue;
        };
        if let Some(uri) = client.backchannel_logout_uri {
            let token = logout_token(p, &client_id, session)?;
            p.notifier.notify(uri, token);
        }
    }
    Ok(())
}

/// The notifier, shared by clones of the provider.
pub type SharedNotifier = Arc<dyn LogoutNotifier>;
