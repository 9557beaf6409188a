//! The records the provider keeps. Plain data: no behaviour beyond parsing enum names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Unix time in seconds.
pub type UnixTime = i64;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire / storage name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { kind: stringify!($name), value: s.to_owned() }),
                }
            }
        }
    };
}

/// A string that names no variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

string_enum!(
    /// The kind of application, as Auth0 names them.
    ApplicationType {
        RegularWeb => "regular_web",
        Spa => "spa",
        Native => "native",
        M2m => "non_interactive",
    }
);

string_enum!(
    /// How a client authenticates at the token endpoint (RFC 6749 §2.3, OIDC Core §9).
    TokenEndpointAuthMethod {
        ClientSecretBasic => "client_secret_basic",
        ClientSecretPost => "client_secret_post",
        None => "none",
    }
);

string_enum!(
    /// Grant types an application may use (RFC 6749 §4).
    GrantType {
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
        ClientCredentials => "client_credentials",
        /// OpenID Connect's implicit flow, limited to `response_type=id_token`: sign-in only,
        /// no access token in the front channel (express-openid-connect's default).
        Implicit => "implicit",
        /// The legacy resource owner password credentials grant (RFC 6749 §4.3), with Auth0's
        /// `password-realm` variant: off unless an application opts in (RFC 9700 §2.4).
        Password => "password",
        /// Auth0's passwordless one-time-code grant (`realm: "email"`).
        PasswordlessOtp => "http://auth0.com/oauth/grant-type/passwordless/otp",
    }
);

string_enum!(
    /// Where a signing key is in its life. Exactly one key is `Current`.
    KeyState {
        /// Published in the JWKS, not yet signing (so verifiers can cache it before it is used).
        Next => "next",
        /// Signs every new token.
        Current => "current",
        /// Published until `retire_at`, so tokens it signed still verify.
        Previous => "previous",
        /// No longer published.
        Retired => "retired",
    }
);

/// An application (OAuth client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub app_type: ApplicationType,
    /// Keyed hash of the client secret; `None` for public clients.
    pub secret_hash: Option<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Allowed callback URLs, matched exactly (RFC 9700 §4.1.3).
    pub redirect_uris: Vec<String>,
    /// Allowed logout URLs (`post_logout_redirect_uri`, `returnTo`).
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed web origins: CORS on the token endpoints and `web_message` targets.
    pub web_origins: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// Where the provider POSTs a logout token when a session the application took part in
    /// ends (OpenID Connect Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
    /// A first-party application (Auth0's `is_first_party`) is trusted with the user's consent;
    /// a third-party one must ask for it on the consent page.
    pub first_party: bool,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// An end user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// The stable subject identifier (`sub`).
    pub user_id: String,
    /// Lower-cased; unique.
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    /// argon2id PHC string; `None` when the user has no password.
    pub password_hash: Option<String>,
    pub blocked: bool,
    /// Data about the user that the user cannot change (Auth0's `app_metadata`): roles, plans,
    /// external ids. The core checks Auth0's limits before it is stored.
    pub app_metadata: Metadata,
    /// Data about the user that the user may change (Auth0's `user_metadata`): preferences.
    pub user_metadata: Metadata,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    /// E.164 phone number (OIDC Core §5.1 `phone_number`), released with the `phone` scope.
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    /// Postal address (OIDC Core §5.1.1), released with the `address` scope.
    pub address: Option<Address>,
}

/// A user's account at an upstream identity provider (a social or enterprise connection),
/// keyed by (connection, subject). The profile is the upstream's, as of the last sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The connection's name.
    pub connection: String,
    /// `oidc`, `google-oauth2` or `github`.
    pub strategy: String,
    /// The upstream's stable user id (`sub`, GitHub's numeric id).
    pub subject: String,
    /// The Portcullis user it signs in.
    pub user_id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub picture: Option<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A postal address: OpenID Connect's structured `address` claim (OIDC Core §5.1.1). Every
/// member is optional; absent ones are left out of the claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// Whether no member is set (stored as no address).
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

/// A user's `app_metadata` or `user_metadata`: a JSON object.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A permission an API defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiScope {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

/// An API (resource server). Its `identifier` is the `audience` clients ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub api_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Access-token lifetime in seconds.
    pub token_lifetime: i64,
    /// Whether refresh tokens may be issued for this audience.
    pub allow_offline_access: bool,
    /// Applications (client ids) allowed to introspect this API's access tokens, besides the
    /// application each token was issued to (RFC 7662 §4).
    pub introspection_clients: Vec<String>,
    /// Auth0's "Enable RBAC": a user's access token for this API is granted only the asked
    /// scopes the user holds as permissions (through roles).
    pub enforce_policies: bool,
    /// What access tokens for this API carry; `access_token_authz` adds `permissions`.
    pub token_dialect: TokenDialect,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

string_enum!(
    /// The shape of an API's access tokens (Auth0's `token_dialect`).
    #[derive(Default)]
    TokenDialect {
        /// The scopes granted, in `scope`.
        #[default]
        AccessToken => "access_token",
        /// Also `permissions`: every permission the subject holds for the API (Auth0's "Add
        /// Permissions in the Access Token").
        AccessTokenAuthz => "access_token_authz",
    }
);

/// A role: a named group of permissions, assigned to users (Auth0's RBAC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `rol_…`.
    pub role_id: String,
    /// Unique in the tenant.
    pub name: String,
    pub description: String,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A permission: one scope value of one API (Auth0's `resource_server_identifier` and
/// `permission_name`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    /// The API identifier (audience).
    pub resource_server_identifier: String,
    /// A scope value the API defines.
    pub permission_name: String,
}

impl Permission {
    pub fn new(api: &str, name: &str) -> Self {
        Permission {
            resource_server_identifier: api.to_owned(),
            permission_name: name.to_owned(),
        }
    }
}

/// A permission a user holds, with the role it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPermission {
    pub permission: Permission,
    pub role_id: String,
}

/// Permission for an M2M application to get tokens for an API (client_credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGrant {
    pub grant_id: String,
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    pub scopes: Vec<String>,
    pub created_at: UnixTime,
}

/// An issued authorization code, bound to everything the token request must repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub code_hash: String,
    /// The grant the redemption creates; a replay revokes it.
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    /// The IdP session (`sid`) the code was issued in.
    pub session_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: UnixTime,
    /// Whether `max_age` was requested (then `auth_time` is a required claim).
    pub max_age_requested: bool,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// When the code was redeemed (set once, by [`crate::GrantStore::consume_code`]).
    pub used_at: Option<UnixTime>,
}

/// A grant: what one authorization (or one code redemption) issued. Refresh tokens and access
/// tokens belong to it; revoking it revokes them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    /// IdP session it came from; logout revokes the non-offline grants of a session.
    pub session_id: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: UnixTime,
    /// Whether `offline_access` was granted (survives logout).
    pub offline: bool,
    pub revoked: bool,
    pub created_at: UnixTime,
    /// Absolute expiry of the grant's refresh tokens.
    pub expires_at: UnixTime,
}

/// A refresh token (stored as a hash) in the rotation chain of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// Set when it was exchanged for its successor.
    pub used_at: Option<UnixTime>,
    pub revoked: bool,
}

/// A refresh token with what its use needs, as stored now
/// ([`crate::GrantStore::get_refresh_token_in_use`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenInUse {
    pub token: RefreshTokenRecord,
    /// The token's grant; `None` when it is gone.
    pub grant: Option<Grant>,
    /// The grant's user; `None` when the grant or the user is gone.
    pub user: Option<User>,
    /// What the user of the grant's sign-in session authenticated with, as
    /// `list_session_factors` lists them; empty without a grant, session or factor.
    pub session_factors: Vec<SessionFactor>,
}

/// An authorization code with what its redemption needs, as stored now
/// ([`crate::GrantStore::get_code_in_use`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCodeInUse {
    pub code: AuthorizationCode,
    /// The code's user; `None` when the user is gone.
    pub user: Option<User>,
    /// What the user of the code's sign-in session authenticated with, as
    /// `list_session_factors` lists them.
    pub session_factors: Vec<SessionFactor>,
}

/// An issued JWT access token, remembered by `jti` so it can be revoked and introspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    pub jti: String,
    /// `None` for client_credentials tokens.
    pub grant_id: Option<String>,
    pub client_id: String,
    pub subject: String,
    pub expires_at: UnixTime,
    pub revoked: bool,
}

/// A signed-in browser at the provider (the IdP session behind SSO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Public identifier, used as the `sid` claim.
    pub session_id: String,
    /// Keyed hash of the cookie value.
    pub secret_hash: String,
    pub user_id: String,
    pub auth_time: UnixTime,
    pub created_at: UnixTime,
    /// Slides forward while the session is used (inactivity timeout).
    pub idle_expires_at: UnixTime,
    /// Absolute end of the session.
    pub expires_at: UnixTime,
}

/// A token-signing key. The private key is encrypted at rest by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    /// JWS algorithm, e.g. `RS256`.
    pub alg: String,
    /// Encrypted PKCS#8 private key (nonce ‖ ciphertext ‖ tag).
    pub private_key_encrypted: Vec<u8>,
    /// The public JWK, as JSON.
    pub public_jwk: String,
    pub state: KeyState,
    pub created_at: UnixTime,
    /// When a `Previous` key leaves the JWKS.
    pub retire_at: Option<UnixTime>,
}

/// The key of a throttle counter: a SHA-256-sized digest, hex-encoded. Built only from a digest,
/// so its size is fixed whatever the request that caused it (the core derives it from a typed
/// throttle key with a keyed hash).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey(String);

impl RateKey {
    /// The key for a 32-byte digest.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        use std::fmt::Write as _;
        let mut hex = String::with_capacity(64);
        for byte in digest {
            let _ = write!(hex, "{byte:02x}");
        }
        RateKey(hex)
    }

    /// The 64 hex characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_enum!(
    /// What an emailed token or code is for.
    EmailTokenPurpose {
        /// Confirms a sign-up: the account is created only when this is used.
        SignUp => "signup",
        /// Confirms the email address of an existing account.
        VerifyEmail => "verify_email",
        /// Lets the owner of the address choose a new password.
        ResetPassword => "reset_password",
        /// Lifts a sign-in lockout (too many failed sign-ins from one address).
        Unblock => "unblock",
        /// Proves the address of a user without a password who asked to add one (its payload
        /// holds the new password's hash).
        AddPassword => "add_password",
        /// Signs in with Auth0's passwordless `email` connection (a code or a magic link).
        Passwordless => "passwordless",
        /// A cross-origin authentication login ticket (`/co/authenticate`), redeemed once at
        /// `/authorize` by the browser holding its verifier cookie.
        LoginTicket => "login_ticket",
    }
);

/// A single-use, expiring secret sent by email: a link token and, for sign-ups, a 6-digit code.
/// Both are stored only as keyed hashes. At most one exists per (purpose, email): issuing a new
/// one replaces the old.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailToken {
    pub token_id: String,
    pub purpose: EmailTokenPurpose,
    /// Canonical email address it was sent to.
    pub email: String,
    /// The account it concerns, when it exists (verification, reset).
    pub user_id: Option<String>,
    /// Keyed hash of the link token.
    pub token_hash: String,
    /// Keyed hash of the code typed by hand, if any.
    pub code_hash: Option<String>,
    /// Wrong codes tried so far.
    pub attempts: u32,
    /// What completing it needs (for a sign-up: the password hash, the name and the pending
    /// authorization request), as JSON.
    pub payload: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// What a user approved for a third-party application: remembered so that the consent page is
/// shown again only for new scopes (or with `prompt=consent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub user_id: String,
    pub client_id: String,
    /// Every scope approved so far (OpenID Connect and API scopes, with the API's identifier as
    /// `audience:scope` for API scopes).
    pub scopes: Vec<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A mail waiting to be delivered (or delivered), in the queue every replica shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub mail_id: String,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: UnixTime,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// When the next delivery may be tried (also the end of a claim's lease).
    pub next_attempt_at: UnixTime,
    pub sent_at: Option<UnixTime>,
    /// Why the last attempt failed (never the body).
    pub last_error: Option<String>,
}

/// One write of a tenant-file apply. [`TenantStore::apply_tenant_changes`] runs a whole list
/// in one transaction: all of them or none.
///
/// [`TenantStore::apply_tenant_changes`]: crate::TenantStore::apply_tenant_changes
#[derive(Debug, Clone, PartialEq)]
pub enum TenantChange {
    /// As `ApiStore::create_api`.
    CreateApi(Api),
    /// As `ApiStore::update_api`.
    UpdateApi(Api),
    /// As `ClientStore::create_client`.
    CreateClient(Client),
    /// As `ClientStore::update_client`.
    UpdateClient(Client),
    /// As `ApiStore::create_client_grant`.
    CreateClientGrant(ClientGrant),
    /// As `ApiStore::update_client_grant`.
    UpdateClientGrant(ClientGrant),
    /// As `UserStore::create_user`.
    CreateUser(User),
    /// As `UserStore::update_user`.
    UpdateUser(User),
    /// As `SettingStore::put_setting`.
    PutSetting {
        name: String,
        value: String,
        now: UnixTime,
    },
    /// As `SettingStore::delete_setting`.
    DeleteSetting(String),
    /// As `RoleStore::create_role`.
    CreateRole(Role),
    /// As `RoleStore::update_role`.
    UpdateRole(Role),
    /// As `RoleStore::add_role_permissions`.
    AddRolePermissions {
        role_id: String,
        permissions: Vec<Permission>,
    },
    /// As `RoleStore::remove_role_permissions`.
    RemoveRolePermissions {
        role_id: String,
        permissions: Vec<Permission>,
    },
    /// As `RoleStore::assign_user_roles`.
    AssignUserRoles {
        user_id: String,
        role_ids: Vec<String>,
    },
    /// As `RoleStore::remove_user_roles`.
    RemoveUserRoles {
        user_id: String,
        role_ids: Vec<String>,
    },
}

/// How busy a backend's connection pool is (for the metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections open, idle or in use.
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

string_enum! {
    /// The kind of a second factor.
    FactorKind {
        /// An authenticator app (RFC 6238 TOTP).
        Totp => "totp",
        /// A WebAuthn credential.
        Passkey => "passkey",
    }
}

/// A user's second factor (multi-factor authentication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaFactor {
    /// `mfa_…`
    pub factor_id: String,
    pub user_id: String,
    pub kind: FactorKind,
    /// A name the user chose (passkeys) or a default.
    pub name: String,
    /// The factor's secret, as the caller stored it: a TOTP seed sealed with the master key, a
    /// serialised passkey. Never stored in clear.
    pub secret: String,
    /// Whether enrolment was completed (a first valid code).
    pub confirmed: bool,
    /// The last accepted TOTP time step (RFC 6238 §5.2: a code is accepted once).
    pub last_used_step: Option<i64>,
    pub created_at: UnixTime,
    pub last_used_at: Option<UnixTime>,
}

/// A method a session's user authenticated with, and when (RFC 8176 `amr` values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFactor {
    pub method: String,
    pub at: UnixTime,
}

/// One entry of the audit log: a security event, named with Auth0's log event type code
/// (`s`, `f`, `fp`, `seccft`, `slo`, `limit_wc`…) so that log tooling written for Auth0's tenant
/// logs reads it unchanged. Never holds a secret (password, token, code, client secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    /// Unique and sortable in the order events were recorded (time first).
    pub log_id: String,
    /// When it happened, in Unix milliseconds.
    pub date_ms: i64,
    /// Auth0's event type code.
    pub event_type: String,
    pub description: Option<String>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub user_id: Option<String>,
    /// The user's email (Auth0's `user_name` for database connections).
    pub user_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Further facts as a JSON object (grant type, scope, reason…), never a secret.
    pub details: Option<String>,
}

/// Which audit log entries to list. Every field narrows; the default lists everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only these event type codes (any of them); empty: every type.
    pub event_types: Vec<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// Only events at or after this time (Unix milliseconds).
    pub since_ms: Option<i64>,
    /// Only events recorded after this log id (a checkpoint, for following the log).
    pub after_log_id: Option<String>,
}

/// Newest first or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// The prefix of a `password_hash` that holds a hash imported from another system (Auth0's
/// `custom_password_hash` or `password_hash`), not yet replaced by an argon2id hash: the text
/// after it is the import's JSON description. The first successful sign-in replaces it.
pub const IMPORTED_PASSWORD_PREFIX: &str = "import:";

/// What importing one user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    /// An existing user with the same email was updated (upsert).
    Updated,
    /// A user with this email or id exists and upsert was not asked for.
    Duplicate,
    /// The record could not be stored (its id belongs to another email…).
    Refused(String),
}

/// A background job of the Management API (Auth0's `users-imports` job), kept in the database
/// so that any replica answers `GET /api/v2/jobs/{id}` whichever one runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `job_…`.
    pub job_id: String,
    /// Auth0's job type: `users_import`.
    pub job_type: String,
    /// `pending`, `processing`, `completed` or `failed`.
    pub status: String,
    /// The connection the job works on (its `con_…` id).
    pub connection_id: String,
    pub upsert: bool,
    /// The caller's own reference for the job (Auth0's `external_id`).
    pub external_id: Option<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    /// What the job did, as JSON text (Auth0's `summary`), once it ends.
    pub summary: Option<String>,
    /// The records it could not process, as JSON text (Auth0's job errors), once it ends.
    pub errors: Option<String>,
}
