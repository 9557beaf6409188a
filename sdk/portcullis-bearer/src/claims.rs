//! The claims of a validated access token.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// No custom claims: the default type parameter of [`AccessToken`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NoCustomClaims {}

/// A validated access token: the registered claims, your typed custom claims `C`, and the raw
/// claim set for anything else.
///
/// ```
/// #[derive(serde::Deserialize, Clone)]
/// struct MyClaims {
///     #[serde(default)]
///     permissions: Vec<String>,
///     #[serde(rename = "https://example.com/tenant")]
///     tenant: Option<String>,
/// }
/// // validator.validate_as::<MyClaims>(token) returns AccessToken<MyClaims>;
/// // in axum, `Bearer<MyClaims>` extracts one.
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessToken<C = NoCustomClaims> {
    /// `iss`.
    pub issuer: String,
    /// `sub`, if present.
    pub subject: Option<String>,
    /// `aud`, always as a list.
    pub audience: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// `iat`, if present.
    pub issued_at: Option<u64>,
    /// `client_id` (RFC 9068) or `azp`, if present.
    pub client_id: Option<String>,
    /// The granted scopes, from `scope` (a space-separated string or an array) or `scp`.
    pub scopes: Vec<String>,
    /// Your custom claims.
    pub custom: C,
    raw: Arc<Map<String, Value>>,
}

impl<C> AccessToken<C> {
    /// Any claim by name, as JSON.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// All claims as JSON.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The same token without the custom claims (cheap: the claim set is shared).
    pub fn without_custom(&self) -> AccessToken<NoCustomClaims> {
        AccessToken {
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            audience: self.audience.clone(),
            expires_at: self.expires_at,
            issued_at: self.issued_at,
            client_id: self.client_id.clone(),
            scopes: self.scopes.clone(),
            custom: NoCustomClaims {},
            raw: self.raw.clone(),
        }
    }

    /// The same token with other custom claims.
    pub fn with_custom<D: DeserializeOwned>(&self) -> Result<AccessToken<D>, crate::Error> {
        let custom = serde_json::from_value(Value::Object((*self.raw).clone())).map_err(|e| {
            crate::Error::invalid(format!("claims do not match the expected shape: {e}"))
        })?;
        Ok(AccessToken {
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            audience: self.audience.clone(),
            expires_at: self.expires_at,
            issued_at: self.issued_at,
            client_id: self.client_id.clone(),
            scopes: self.scopes.clone(),
            custom,
            raw: self.raw.clone(),
        })
    }
}

/// Reads a claim that may be a space-separated string or an array of strings.
pub(crate) fn string_or_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn build<C: DeserializeOwned>(
    raw: Map<String, Value>,
    audience: Vec<String>,
    expires_at: u64,
) -> Result<AccessToken<C>, crate::Error> {
    let custom: C = serde_json::from_value(Value::Object(raw.clone())).map_err(|e| {
        crate::Error::invalid(format!("claims do not match the expected shape: {e}"))
    })?;
    let s = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
    let scopes = if raw.contains_key("scope") {
        string_or_list(raw.get("scope"))
    } else {
        string_or_list(raw.get("scp"))
    };
    Ok(AccessToken {
        issuer: s("iss").unwrap_or_default(),
        subject: s("sub"),
        audience,
        expires_at,
        issued_at: raw.get("iat").and_then(Value::as_u64),
        client_id: s("client_id").or_else(|| s("azp")),
        scopes,
        custom,
        raw: Arc::new(raw),
    })
}
