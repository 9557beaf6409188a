//! Role-based access control in access tokens (Auth0's "API Authorization Core").
//!
//! An API with `enforce_policies` grants a user only the scopes that were asked *and* that the
//! user holds as permissions through their roles; OpenID Connect scopes (`openid`, `profile`,
//! `email`, `offline_access`) are not API permissions and always pass. With the
//! `access_token_authz` dialect the token also lists, in `permissions`, every permission the
//! user holds for the API, asked or not. Permissions are read when each token is minted, so a
//! role change shows in the user's next token (a refresh included).

use crate::Provider;
use crate::error::OAuthResult;
use crate::scope::{OIDC_SCOPES, Scopes};
use portcullis_store::{Api, TokenDialect};

/// What a token for an API may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAccess {
    /// The scopes granted in this token.
    pub scopes: Scopes,
    /// `permissions`, when the API's dialect asks for it.
    pub permissions: Option<Vec<String>>,
}

/// The scopes and permissions of a user's access token for `api` (none: a token for /userinfo
/// alone, where RBAC does not apply).
pub async fn for_user(
    p: &Provider,
    api: Option<&Api>,
    user_id: &str,
    asked: &Scopes,
) -> OAuthResult<ApiAccess> {
    let Some(api) = api.filter(|a| a.enforce_policies) else {
        return Ok(ApiAccess {
            scopes: asked.clone(),
            permissions: None,
        });
    };
    let mut held: Vec<String> = p
        .store
        .list_user_permissions(user_id, Some(&api.identifier))
        .await?
        .into_iter()
        .map(|h| h.permission.permission_name)
        .collect();
    held.dedup();
    Ok(ApiAccess {
        scopes: intersect(asked, &held),
        permissions: (api.token_dialect == TokenDialect::AccessTokenAuthz).then_some(held),
    })
}

/// The `permissions` of an M2M token for `api`: the scopes granted to the application, when the
/// API's dialect asks for them.
pub fn for_client(api: &Api, granted: &Scopes) -> Option<Vec<String>> {
    (api.enforce_policies && api.token_dialect == TokenDialect::AccessTokenAuthz)
        .then(|| granted.iter().map(str::to_owned).collect())
}

/// The asked scopes that are OpenID Connect scopes or held permissions, in the asked order.
pub fn intersect(asked: &Scopes, held: &[String]) -> Scopes {
    Scopes::from_vec(
        asked
            .iter()
            .filter(|s| OIDC_SCOPES.contains(s) || held.iter().any(|h| h == s))
            .map(str::to_owned)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_oidc_scopes_and_held_permissions_only() {
        let asked = Scopes::parse("openid profile read:a write:a offline_access delete:a").unwrap();
        let held = vec![
            "read:a".to_owned(),
            "delete:a".to_owned(),
            "admin".to_owned(),
        ];
        assert_eq!(
            intersect(&asked, &held).to_string(),
            "openid profile read:a offline_access delete:a"
        );
        assert_eq!(
            intersect(&asked, &[]).to_string(),
            "openid profile offline_access"
        );
    }
}
