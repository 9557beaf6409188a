//! The session data (nextjs-auth0 v4's `SessionData` shape) and the per-request handle.

use std::sync::Arc;

use portcullis_bearer::NoCustomClaims;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The ID-token claims kept in the session by default, as nextjs-auth0's `DEFAULT_ID_TOKEN_CLAIMS`.
pub(crate) const DEFAULT_USER_CLAIMS: &[&str] = &[
    "sub",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "email",
    "email_verified",
    "org_id",
];

/// The signed-in user: the ID-token claims kept in the session (see
/// [`ConfigBuilder::user_claims`](crate::ConfigBuilder::user_claims)), with your typed custom
/// claims `C` deserialized from them:
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Roles {
///     #[serde(rename = "https://example.com/roles", default)]
///     roles: Vec<String>,
/// }
/// async fn admin(user: portcullis_axum::User<Roles>) -> String {
///     format!("{} has roles {:?}", user.sub(), user.custom.roles)
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct User<C = NoCustomClaims> {
    claims: Map<String, Value>,
    /// Your custom claims.
    pub custom: C,
}

impl User {
    /// A user with these claims.
    pub fn from_claims(claims: Map<String, Value>) -> Self {
        Self {
            claims,
            custom: NoCustomClaims {},
        }
    }

    /// The same user with typed custom claims.
    pub fn with_custom<C: DeserializeOwned>(&self) -> Result<User<C>, serde_json::Error> {
        Ok(User {
            custom: serde_json::from_value(Value::Object(self.claims.clone()))?,
            claims: self.claims.clone(),
        })
    }

    /// Adds or replaces a claim (in [`ConfigBuilder::before_session_saved`](crate::ConfigBuilder::before_session_saved)).
    pub fn insert_claim(&mut self, name: impl Into<String>, value: Value) {
        self.claims.insert(name.into(), value);
    }

    /// Removes a claim.
    pub fn remove_claim(&mut self, name: &str) -> Option<Value> {
        self.claims.remove(name)
    }

    pub(crate) fn claims_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.claims
    }
}

impl<C> User<C> {
    fn str(&self, k: &str) -> Option<&str> {
        self.claims.get(k).and_then(Value::as_str)
    }
    /// `sub`.
    pub fn sub(&self) -> &str {
        self.str("sub").unwrap_or_default()
    }
    /// `name`.
    pub fn name(&self) -> Option<&str> {
        self.str("name")
    }
    /// `email`.
    pub fn email(&self) -> Option<&str> {
        self.str("email")
    }
    /// `picture`.
    pub fn picture(&self) -> Option<&str> {
        self.str("picture")
    }
    /// Any claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }
    /// All claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
}

impl<C> Serialize for User<C> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.claims.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(User::from_claims)
    }
}

/// The tokens in a session (`tokenSet`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// The ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Requested scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_scope: Option<String>,
    /// Requested audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Access-token expiry, seconds since the epoch.
    pub expires_at: u64,
    /// Token type (`Bearer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// Bookkeeping (`internal`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Internal {
    /// The provider's session id (`sid` claim), used as `logout_hint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// When the session was created (absolute lifetime starts here).
    pub created_at: u64,
}

/// Everything in the session cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionData {
    /// The user profile.
    pub user: User,
    /// The tokens.
    pub token_set: TokenSet,
    /// Bookkeeping.
    pub internal: Internal,
    /// Other fields written by nextjs-auth0 or your code, preserved as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SessionData {
    pub(crate) fn to_claims(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut m)) => {
                m.remove("exp");
                m
            }
            _ => Map::new(),
        }
    }

    pub(crate) fn from_claims(mut claims: Map<String, Value>) -> Option<Self> {
        claims.remove("exp");
        claims.remove("iat");
        serde_json::from_value(Value::Object(claims)).ok()
    }
}

/// What the session layer tracks for one request.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    pub(crate) data: Option<SessionData>,
    /// The request carried a session cookie (valid or not).
    pub(crate) had_cookie: bool,
    /// When the request's session cookie expires (if it was valid).
    pub(crate) cookie_exp: Option<u64>,
    /// The session was set, cleared or its tokens refreshed during this request: the cookie
    /// must be rewritten. Otherwise it is left alone (unless its rolling expiry is due).
    pub(crate) changed: bool,
    /// The session's id in the store, when there is one and the session came from it.
    pub(crate) store_id: Option<String>,
}

/// Shared between the layer and the extractors of one request.
#[derive(Clone, Debug)]
pub(crate) struct SessionHandle(pub(crate) Arc<tokio::sync::Mutex<SessionState>>);
