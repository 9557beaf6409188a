//! Custom claims: tenant-level rules, declared in the tenant file's `[[custom_claims]]`, that
//! add namespaced claims to ID and access tokens (what Auth0 Actions are mostly used for:
//! `api.idToken.setCustomClaim("https://example.com/roles", event.authorization.roles)`).
//!
//! A claim name must be namespaced: an `http://` or `https://` URL, so it can never collide with
//! a registered claim (RFC 7519 §4.1, OIDC Core §5.1) or one a later Portcullis adds. Names on
//! Auth0's own domains and the registered names themselves are refused as reserved.

use super::CustomClaims;
use crate::Provider;
use crate::error::OAuthResult;
use portcullis_store::User;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The setting (see `SettingStore`) that holds the tenant's rules, as JSON.
pub const SETTING: &str = "custom_claims";

/// Claim names that are never custom: registered JWT claims (RFC 7519 §4.1), OIDC claims (OIDC
/// Core §2, §5.1) and the ones Portcullis and Auth0 issue.
pub const RESERVED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "acr",
    "amr",
    "sid",
    "scope",
    "scp",
    "permissions",
    "gty",
    "client_id",
    "org_id",
    "org_name",
    "cnf",
    "events",
    "act",
    "may_act",
];

/// Domains whose namespaces Auth0 keeps for itself (Auth0 refuses custom claims there).
const RESERVED_DOMAINS: &[&str] = &["auth0.com", "webtask.io", "webtask.run"];

/// Which tokens a rule adds its claim to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    IdToken,
    AccessToken,
}

/// Where a claim's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimSource {
    /// `roles`: the names of the user's roles (an array, possibly empty).
    Roles,
    /// `app_metadata.<key>` (or `app_metadata.<key>.<key>…` into nested objects): that value
    /// of the user's `app_metadata`, as stored (any JSON); the claim is left out when the user
    /// has none. `app_metadata` is what Auth0 Actions usually copy into tokens
    /// (`event.user.app_metadata.plan`); the user cannot change it. Metadata keys never hold
    /// `.`, so the path is unambiguous.
    AppMetadata(Vec<String>),
}

/// The prefix of an `app_metadata` source.
const APP_METADATA: &str = "app_metadata.";

/// Most keys in an `app_metadata` path.
const MAX_PATH: usize = 8;

impl ClaimSource {
    /// The tenant-file spelling.
    pub fn as_str(&self) -> String {
        match self {
            ClaimSource::Roles => "roles".to_owned(),
            ClaimSource::AppMetadata(path) => format!("{APP_METADATA}{}", path.join(".")),
        }
    }

    /// The value for `user` (roles are read by the caller, once per token).
    fn metadata_value(path: &[String], user: &User) -> Value {
        let mut keys = path.iter();
        let Some(first) = keys.next() else {
            return Value::Null;
        };
        let mut value = user.app_metadata.get(first);
        for key in keys {
            value = value.and_then(|v| v.get(key));
        }
        value.cloned().unwrap_or(Value::Null)
    }
}

impl TryFrom<String> for ClaimSource {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text == "roles" {
            return Ok(ClaimSource::Roles);
        }
        if let Some(path) = text.strip_prefix(APP_METADATA) {
            let keys: Vec<String> = path.split('.').map(str::to_owned).collect();
            let valid = keys.len() <= MAX_PATH
                && keys.iter().all(|k| {
                    !k.is_empty()
                        && k.len() <= 255
                        && !k.starts_with('$')
                        && !k.chars().any(|c| c.is_control() || c.is_whitespace())
                });
            if !valid {
                return Err(format!(
                    "{text:?}: name a key of app_metadata, e.g. \"app_metadata.plan\" (at most \
                     {MAX_PATH} keys joined by '.', no spaces)"
                ));
            }
            return Ok(ClaimSource::AppMetadata(keys));
        }
        Err(format!(
            "{text:?} is not a claim source; use \"roles\" or \"app_metadata.<key>\""
        ))
    }
}

impl Serialize for ClaimSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for ClaimSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ClaimSource::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn both() -> Vec<TokenKind> {
    vec![TokenKind::IdToken, TokenKind::AccessToken]
}

/// One rule: the claim `name` gets the value of `from` in the `tokens` listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomClaimRule {
    /// A namespaced claim name: `https://example.com/roles`.
    pub name: String,
    pub from: ClaimSource,
    /// Default both `id_token` and `access_token`.
    #[serde(default = "both")]
    pub tokens: Vec<TokenKind>,
}

/// Why a claim name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimNameError {
    #[error(
        "{0:?} is a reserved claim name; custom claims must be namespaced, e.g. https://example.com/{0}"
    )]
    Reserved(String),
    #[error(
        "{0:?} is not namespaced: use an http:// or https:// URL such as https://example.com/roles"
    )]
    NotNamespaced(String),
    #[error("{0:?} uses a namespace reserved by Auth0 ({1}); use a domain of your own")]
    ReservedDomain(String, &'static str),
    #[error("claim names are at most 256 characters")]
    TooLong,
}

/// Checks a custom claim name: namespaced, not reserved, at most 256 characters.
pub fn check_name(name: &str) -> Result<(), ClaimNameError> {
    if name.len() > 256 {
        return Err(ClaimNameError::TooLong);
    }
    if RESERVED.contains(&name) || super::supported().contains(&name) {
        return Err(ClaimNameError::Reserved(name.to_owned()));
    }
    let not_namespaced = || ClaimNameError::NotNamespaced(name.to_owned());
    let url = url::Url::parse(name).map_err(|_| not_namespaced())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(not_namespaced());
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(domain) = RESERVED_DOMAINS
        .iter()
        .find(|d| host == **d || host.ends_with(&format!(".{d}")))
    {
        return Err(ClaimNameError::ReservedDomain(name.to_owned(), domain));
    }
    Ok(())
}

/// Checks a whole rule list: every name valid, no name twice, each rule for at least one token.
pub fn check_rules(rules: &[CustomClaimRule]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        check_name(&rule.name).map_err(|e| e.to_string())?;
        if rules[..i].iter().any(|r| r.name == rule.name) {
            return Err(format!("{:?} is declared twice", rule.name));
        }
        if rule.tokens.is_empty() {
            return Err(format!(
                "{:?} is added to no token: list id_token and/or access_token",
                rule.name
            ));
        }
    }
    Ok(())
}

/// The tenant's rules (none when the setting is absent). A stored value that no longer parses
/// is logged and treated as no rules, so tokens keep being issued.
pub async fn rules(p: &Provider) -> OAuthResult<Vec<CustomClaimRule>> {
    let Some(text) = p.catalog.setting(p.store.as_ref(), SETTING).await? else {
        return Ok(Vec::new());
    };
    match serde_json::from_str(&text) {
        Ok(rules) => Ok(rules),
        Err(e) => {
            tracing::error!(error = %e, "the stored custom_claims setting does not parse; no custom claims are added");
            Ok(Vec::new())
        }
    }
}

/// The custom claims of `user`'s tokens of each kind in `kinds`, in that order: one read of the
/// rules and at most one of the user's roles, however many tokens (a code exchange issues an
/// access token and an ID token).
pub async fn for_user(
    p: &Provider,
    user: &User,
    kinds: &[TokenKind],
) -> OAuthResult<Vec<CustomClaims>> {
    let mut claims = vec![CustomClaims::new(); kinds.len()];
    let mut role_names: Option<Vec<String>> = None;
    for rule in rules(p).await? {
        if !kinds.iter().any(|k| rule.tokens.contains(k)) {
            continue;
        }
        let value = match rule.from {
            ClaimSource::Roles => {
                if role_names.is_none() {
                    let roles = p.store.list_user_roles(&user.user_id).await?;
                    role_names = Some(roles.into_iter().map(|r| r.name).collect());
                }
                json!(role_names.clone().unwrap_or_default())
            }
            ClaimSource::AppMetadata(path) => ClaimSource::metadata_value(&path, user),
        };
        if value.is_null() {
            continue;
        }
        for (kind, claims) in kinds.iter().zip(claims.iter_mut()) {
            if rule.tokens.contains(kind) {
                claims.insert(rule.name.clone(), value.clone());
            }
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_namespaced_and_not_reserved() {
        assert!(check_name("https://example.com/roles").is_ok());
        assert!(check_name("http://example.com/plan").is_ok());
        for reserved in ["sub", "permissions", "email", "acr", "org_id"] {
            assert!(
                matches!(check_name(reserved), Err(ClaimNameError::Reserved(_))),
                "{reserved}"
            );
        }
        for bare in [
            "roles",
            "urn:example:roles",
            "example.com/roles",
            "https://",
            "mailto:roles@example.com",
        ] {
            assert!(
                matches!(check_name(bare), Err(ClaimNameError::NotNamespaced(_))),
                "{bare}"
            );
        }
        assert!(matches!(
            check_name("https://tenant.auth0.com/roles"),
            Err(ClaimNameError::ReservedDomain(..))
        ));
        assert!(check_name(&format!("https://example.com/{}", "a".repeat(300))).is_err());
    }

    #[test]
    fn sources_parse_and_print() {
        for text in ["roles", "app_metadata.plan", "app_metadata.billing.tier"] {
            let source = ClaimSource::try_from(text.to_owned()).unwrap();
            assert_eq!(source.as_str(), text);
        }
        assert_eq!(
            ClaimSource::try_from("app_metadata.billing.tier".to_owned()).unwrap(),
            ClaimSource::AppMetadata(vec!["billing".into(), "tier".into()])
        );
        for bad in [
            "app_metadata.",
            "app_metadata",
            "app_metadata..x",
            "app_metadata.a b",
            "app_metadata.$where",
            "user_metadata.plan",
            "app_metadata.a.b.c.d.e.f.g.h.i",
            "email",
        ] {
            assert!(ClaimSource::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_values_are_found_by_path() {
        let user = User {
            app_metadata: json!({"plan": "gold", "billing": {"tier": 3}, "flags": ["a"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..User::default()
        };
        let value = |path: &[&str]| {
            let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
            ClaimSource::metadata_value(&path, &user)
        };
        assert_eq!(value(&["plan"]), json!("gold"));
        assert_eq!(value(&["billing", "tier"]), json!(3));
        assert_eq!(value(&["flags"]), json!(["a"]));
        assert_eq!(value(&["missing"]), Value::Null);
        assert_eq!(value(&["plan", "deeper"]), Value::Null);
    }

    #[test]
    fn rules_are_checked_as_a_whole() {
        let rule = |name: &str, tokens: Vec<TokenKind>| CustomClaimRule {
            name: name.into(),
            from: ClaimSource::Roles,
            tokens,
        };
        assert!(check_rules(&[rule("https://a.example/r", both())]).is_ok());
        assert!(
            check_rules(&[
                rule("https://a.example/r", both()),
                rule("https://a.example/r", both())
            ])
            .is_err()
        );
        assert!(check_rules(&[rule("https://a.example/r", vec![])]).is_err());
    }
}
