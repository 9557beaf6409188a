//! Who calls the Management API: a live access token we issued for `{issuer}api/v2/` with
//! `client_credentials` (RFC 6750 §2.1 bearer), and the scopes it carries.
//!
//! Only machine-to-machine tokens are accepted: a token a user obtained through a browser flow
//! (even one naming this audience) would let any signed-in user manage the tenant.

use super::builtin_api::audience;
use super::error::{ManagementError, ManagementResult};
use crate::Provider;
use crate::access_token;
use crate::scope::Scopes;

/// The caller of a Management API request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The M2M application the token was issued to: rate limits and audit entries key on it.
    pub client_id: String,
    pub scopes: Scopes,
}

impl Caller {
    /// Passes when the token holds at least one of `any_of` (Auth0: "expected any of").
    pub fn require(&self, any_of: &[&str]) -> ManagementResult<()> {
        if any_of.iter().any(|s| self.scopes.contains(s)) {
            Ok(())
        } else {
            Err(ManagementError::insufficient_scope(any_of))
        }
    }

    pub fn has(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

/// Checks a bearer token: ours, live, for the Management API, issued by `client_credentials` to
/// an application that still exists.
pub async fn authenticate(p: &Provider, token: &str) -> ManagementResult<Caller> {
    let invalid = || ManagementError::unauthorized("Invalid token");
    let Some(live) = access_token::check(p, token).await? else {
        return Err(invalid());
    };
    if !live.has_audience(&audience(&p.config.issuer)) {
        return Err(ManagementError::unauthorized(
            "Bad audience: the token is not for the Management API",
        ));
    }
    let machine = live.record.grant_id.is_none()
        && live.record.subject == format!("{}@clients", live.record.client_id)
        && live.claims.gty.as_deref() == Some(crate::claims::access::GTY_CLIENT_CREDENTIALS);
    if !machine {
        return Err(invalid());
    }
    if p.store.get_client(&live.record.client_id).await?.is_none() {
        return Err(invalid());
    }
    let scopes = Scopes::parse(live.scope()).map_err(|_| invalid())?;
    Ok(Caller {
        client_id: live.record.client_id,
        scopes,
    })
}
