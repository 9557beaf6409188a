//! Scopes (RFC 6749 §3.3): space-delimited, case-sensitive tokens of NQCHAR.

use crate::error::{OAuthError, OAuthResult};
use crate::params::printable;
use portcullis_store::Api;

pub const OPENID: &str = "openid";
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";
pub const PHONE: &str = "phone";
pub const ADDRESS: &str = "address";
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The OpenID Connect scopes Portcullis understands (OIDC Core §5.4, §11).
pub const OIDC_SCOPES: &[&str] = &[OPENID, PROFILE, EMAIL, ADDRESS, PHONE, OFFLINE_ACCESS];

/// RFC 6749 §3.3: the scopes of `requested` that can be granted — the OpenID Connect scopes and
/// those of the requested API. The others are left out (the authorization server "MAY fully or
/// partially ignore the scope requested", as Auth0 does), and the granted `scope` is what the
/// token response returns. With the tenant's `strict_scopes`, an unknown scope is
/// `invalid_scope` instead.
pub fn grantable(requested: &Scopes, api: Option<&Api>, strict: bool) -> OAuthResult<Scopes> {
    let mut granted = Scopes::default();
    for scope in requested.iter() {
        let known = OIDC_SCOPES.contains(&scope)
            || api.is_some_and(|api| api.scopes.iter().any(|s| s.value == scope));
        if known {
            granted.push(scope);
        } else if strict {
            return Err(OAuthError::invalid_scope(format!(
                "Unknown scope: {}.",
                printable(scope)
            )));
        }
    }
    Ok(granted)
}

/// Whether the tenant file set `[tenant] strict_scopes = true`.
pub async fn strict(p: &crate::Provider) -> OAuthResult<bool> {
    Ok(p.catalog
        .setting(p.store.as_ref(), "strict_scopes")
        .await?
        .as_deref()
        == Some("true"))
}

/// An ordered set of scope tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a scope string. Order is irrelevant and repeats collapse (RFC 6749 §3.3); any
    /// character outside NQCHAR is `invalid_scope`.
    pub fn parse(text: &str) -> OAuthResult<Self> {
        let mut out: Vec<String> = Vec::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token.chars().all(is_nqchar) {
                return Err(OAuthError::invalid_scope(format!(
                    "Scope `{}` contains characters that are not allowed.",
                    printable(token)
                )));
            }
            if token.len() > 256 {
                return Err(OAuthError::invalid_scope("A scope value is too long."));
            }
            if !out.iter().any(|t| t == token) {
                out.push(token.to_owned());
            }
        }
        if out.len() > 100 {
            return Err(OAuthError::invalid_scope("Too many scopes."));
        }
        Ok(Scopes(out))
    }

    pub fn from_vec(values: Vec<String>) -> Self {
        let mut s = Scopes::default();
        for v in values {
            s.push(&v);
        }
        s
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    pub fn push(&mut self, scope: &str) {
        if !self.contains(scope) {
            self.0.push(scope.to_owned());
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every scope here is also in `other`.
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.iter().all(|s| other.contains(s))
    }

    /// The first scope not in `other`.
    pub fn first_not_in<'a>(&'a self, other: &Scopes) -> Option<&'a str> {
        self.iter().find(|s| !other.contains(s))
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// NQCHAR = %x21 / %x23-5B / %x5D-7E (RFC 6749 Appendix A.4).
fn is_nqchar(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dedupes_and_ignores_extra_spaces() {
        let s = Scopes::parse("openid  email openid read:shows").unwrap();
        assert_eq!(s.to_string(), "openid email read:shows");
    }

    #[test]
    fn refuses_characters_outside_nqchar() {
        assert!(Scopes::parse("openid \"x\"").is_err());
        assert!(Scopes::parse("openid é").is_err());
    }

    #[test]
    fn unknown_scopes_are_left_out_unless_strict() {
        let api = Api {
            api_id: "api_1".into(),
            identifier: "https://api.example".into(),
            name: "API".into(),
            scopes: vec![portcullis_store::ApiScope {
                value: "read:shows".into(),
                description: String::new(),
            }],
            token_lifetime: 60,
            allow_offline_access: false,
            introspection_clients: Vec::new(),
            created_at: 0,
            updated_at: 0,
            enforce_policies: false,
            token_dialect: Default::default(),
        };
        let asked = Scopes::parse("openid phone address read:shows write:all unknown").unwrap();
        let granted = grantable(&asked, Some(&api), false).unwrap();
        assert_eq!(granted.to_string(), "openid phone address read:shows");
        let without_api = grantable(&asked, None, false).unwrap();
        assert_eq!(without_api.to_string(), "openid phone address");
        let err = grantable(&asked, Some(&api), true).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidScope);
        assert_eq!(err.description, "Unknown scope: write:all.");
    }

    #[test]
    fn subset() {
        let a = Scopes::parse("a b").unwrap();
        let b = Scopes::parse("b a c").unwrap();
        assert!(a.is_subset_of(&b));
        assert_eq!(b.first_not_in(&a), Some("c"));
    }
}
