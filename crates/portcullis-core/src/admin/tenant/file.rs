//! The tenant file schema ("tenant as code"): applications, APIs, client grants and users,
//! declared in TOML and applied idempotently. The binary parses the TOML; this module only
//! describes its shape (serde). The format is documented in `docs/tenant-file.md`.

use crate::claims::custom::CustomClaimRule;
use portcullis_store::{Address, ApiScope, GrantType, TokenDialect, TokenEndpointAuthMethod};
use serde::{Deserialize, Serialize};

/// The only version of the format so far.
pub const TENANT_FILE_VERSION: u32 = 1;

/// A whole tenant file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    /// Format version; `1` (the default).
    #[serde(default = "default_version")]
    pub version: u32,
    #[serde(default)]
    pub applications: Vec<AppEntry>,
    #[serde(default)]
    pub apis: Vec<ApiEntry>,
    #[serde(default)]
    pub client_grants: Vec<GrantEntry>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
    /// Upstream connections (social and enterprise sign-in), matched by `name`; their client
    /// secrets are stored encrypted with the master key.
    #[serde(default)]
    pub connections: Vec<crate::upstream::ConnectionDecl>,
    /// Roles (RBAC), matched by name.
    #[serde(default)]
    pub roles: Vec<RoleEntry>,
    /// Namespaced claims added to tokens. The file holds the whole list: applying a file without
    /// it removes the rules.
    #[serde(default)]
    pub custom_claims: Vec<CustomClaimRule>,
    /// Tenant-wide settings.
    #[serde(default)]
    pub tenant: TenantSettings,
}

/// The `[tenant]` table: settings of the whole tenant. A setting left out falls back to the
/// configuration (the file enforces only what it says).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// `false` turns the hosted sign-up page off (Auth0: "Disable Sign Ups" on the database
    /// connection); left out, the configuration's `signup` decides.
    #[serde(default)]
    pub signup: Option<bool>,
    /// `true` refuses an authorization request naming a scope that cannot be granted
    /// (`invalid_scope`); left out or `false`, such scopes are ignored and the granted `scope`
    /// returned, as Auth0 does and RFC 6749 §3.3 permits.
    #[serde(default)]
    pub strict_scopes: Option<bool>,
    /// Another name the database connection answers to (besides Auth0's built-in
    /// `Username-Password-Authentication`), as in `connection` and `realm` parameters.
    #[serde(default)]
    pub database_connection: Option<String>,
    /// Multi-factor authentication: `off`, `optional` or `required`; left out, the
    /// configuration's `mfa` decides.
    #[serde(default)]
    pub mfa: Option<crate::mfa::MfaPolicy>,
}

fn default_version() -> u32 {
    TENANT_FILE_VERSION
}

/// An application. The entry describes the whole application: a field left out takes its
/// default, so removing a callback from the file removes it from the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    /// The application's id; matches the entry with the stored application.
    pub client_id: String,
    pub name: String,
    /// `regular_web`, `spa`, `native` or `non_interactive` (also `regular-web`, `m2m`).
    pub app_type: String,
    #[serde(default)]
    pub callbacks: Vec<String>,
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// Where logout tokens are POSTed when a session the application took part in ends
    /// (OpenID Connect Back-Channel Logout).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Default `true` (Auth0's `is_first_party`). Third-party applications ask for consent.
    #[serde(default)]
    pub first_party: Option<bool>,
    /// This application's multi-factor policy (`off`, `optional`, `required`), overriding the
    /// tenant's; left out, the tenant's applies.
    #[serde(default)]
    pub mfa: Option<crate::mfa::MfaPolicy>,
    /// Defaults per type (Auth0's).
    #[serde(default)]
    pub grant_types: Option<Vec<GrantType>>,
    /// Defaults per type: `none` for SPA and native, `client_secret_post` otherwise.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// The secret itself (for development tenants; prefer `client_secret_env`).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The name of an environment variable holding the secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
}

/// An API (resource server), matched by `identifier`. Like applications, the entry describes
/// the whole API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiEntry {
    /// The audience.
    pub identifier: String,
    /// Defaults to the identifier.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub scopes: Vec<ApiScope>,
    /// Seconds; default 86400, at most 2592000 (30 days).
    #[serde(default)]
    pub token_lifetime: Option<i64>,
    /// Default `true`.
    #[serde(default)]
    pub allow_offline_access: Option<bool>,
    /// Applications (client ids) allowed to introspect this API's access tokens (RFC 7662 §4).
    #[serde(default)]
    pub introspection_clients: Vec<String>,
    /// Auth0's "Enable RBAC": users get only the asked scopes their roles hold. Default `false`.
    #[serde(default)]
    pub enforce_policies: Option<bool>,
    /// `access_token` (default) or `access_token_authz` (adds `permissions`).
    #[serde(default)]
    pub token_dialect: Option<TokenDialect>,
}

/// An M2M grant, matched by `(client_id, audience)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantEntry {
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    #[serde(default, alias = "scope")]
    pub scopes: Vec<String>,
}

/// A user, matched by `email`. Unlike applications, a field left out leaves the stored value
/// alone (users change at run time); a field given is enforced on every apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub email: String,
    /// Used only when the user is created; defaults to a fresh `usr_…` id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The password itself (for development tenants; prefer `password_env`).
    #[serde(default)]
    pub password: Option<String>,
    /// The name of an environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub blocked: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
    /// E.164, e.g. `+14155550100` (OIDC Core §5.1 `phone_number`).
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_verified: Option<bool>,
    /// The structured address claim (OIDC Core §5.1.1), as a table.
    #[serde(default)]
    pub address: Option<Address>,
    /// The names of the user's roles; given, they replace the user's roles on every apply.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// A role, matched by `name`. The entry describes the whole role: permissions left out of it
/// are taken away. Shaped as Auth0's Deploy CLI writes roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<PermissionEntry>,
}

/// One permission of a role: a scope the API defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionEntry {
    /// The API identifier.
    pub resource_server_identifier: String,
    /// A scope value of that API.
    pub permission_name: String,
}
