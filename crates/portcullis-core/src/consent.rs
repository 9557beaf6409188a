//! Consent for third-party applications (issue: hosted accounts §5). A first-party application
//! (the default, Auth0's `is_first_party`) is trusted with what it asks; a third-party one gets
//! a page listing the requested scopes, and the user's approval is remembered per user,
//! application and scope, so the page comes back only for new scopes or with `prompt=consent`.

use crate::Provider;
use crate::authorize::AuthorizeRequest;
use crate::error::OAuthResult;
use crate::scope::{ADDRESS, EMAIL, OFFLINE_ACCESS, OPENID, PHONE, PROFILE};
use portcullis_store::{Consent, User};

/// One line of the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeLine {
    /// What the application gets, in words.
    pub description: String,
    /// The scope value as sent.
    pub value: String,
}

/// The key a scope is remembered under: API scopes carry their API, so `read` of one API is
/// not `read` of another.
fn key(req: &AuthorizeRequest, scope: &str) -> String {
    match &req.api {
        Some(api) if !crate::scope::OIDC_SCOPES.contains(&scope) => {
            format!("{}|{scope}", api.identifier)
        }
        _ => scope.to_owned(),
    }
}

/// The scopes `user` would be granted for `req`: with an API that enforces RBAC, only the asked
/// scopes the user holds as permissions ([`crate::token::rbac`]), so the page never asks to
/// approve what the application will not get.
async fn grantable(
    p: &Provider,
    req: &AuthorizeRequest,
    user: &User,
) -> OAuthResult<crate::scope::Scopes> {
    Ok(
        crate::token::rbac::for_user(p, req.api.as_ref(), &user.user_id, &req.scopes)
            .await?
            .scopes,
    )
}

/// The scopes of `req` that `user` has not approved for its client, as page lines; empty when
/// nothing needs asking (a first-party client, or everything approved before).
pub async fn missing(
    p: &Provider,
    req: &AuthorizeRequest,
    user: &User,
    always_ask: bool,
) -> OAuthResult<Vec<ScopeLine>> {
    if req.client.first_party {
        return Ok(Vec::new());
    }
    let approved = p
        .store
        .get_consent(&user.user_id, &req.client.client_id)
        .await?
        .map(|c| c.scopes)
        .unwrap_or_default();
    Ok(grantable(p, req, user)
        .await?
        .iter()
        .filter(|s| always_ask || !approved.contains(&key(req, s)))
        .map(|s| ScopeLine {
            description: describe(req, s),
            value: s.to_owned(),
        })
        .collect())
}

/// Remembers that `user` approved every scope of `req` they would be granted (what the page
/// showed) for its client, added to what was approved before.
pub async fn approve(p: &Provider, req: &AuthorizeRequest, user: &User) -> OAuthResult<()> {
    let now = p.now();
    let existing = p
        .store
        .get_consent(&user.user_id, &req.client.client_id)
        .await?;
    let created_at = existing.as_ref().map_or(now, |c| c.created_at);
    let mut scopes = existing.map(|c| c.scopes).unwrap_or_default();
    for scope in grantable(p, req, user).await?.iter() {
        let k = key(req, scope);
        if !scopes.contains(&k) {
            scopes.push(k);
        }
    }
    p.store
        .put_consent(&Consent {
            user_id: user.user_id.clone(),
            client_id: req.client.client_id.clone(),
            scopes,
            created_at,
            updated_at: now,
        })
        .await?;
    tracing::info!(event = "consent", user_id = %user.user_id, client_id = %req.client.client_id, "consent given");
    Ok(())
}

fn describe(req: &AuthorizeRequest, scope: &str) -> String {
    match scope {
        OPENID => "Know who you are when you sign in".to_owned(),
        PROFILE => "See your name, nickname and picture".to_owned(),
        EMAIL => "See your email address".to_owned(),
        PHONE => "See your phone number".to_owned(),
        ADDRESS => "See your postal address".to_owned(),
        OFFLINE_ACCESS => "Stay connected when you are not using it".to_owned(),
        other => match &req.api {
            Some(api) => {
                let what = api
                    .scopes
                    .iter()
                    .find(|s| s.value == other)
                    .map(|s| s.description.trim())
                    .filter(|d| !d.is_empty())
                    .unwrap_or(other);
                format!("{what} ({})", api.name)
            }
            None => other.to_owned(),
        },
    }
}
