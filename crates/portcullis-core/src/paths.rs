//! The paths of the provider's endpoints and hosted pages, spelled once: the web layer routes
//! them, discovery advertises them, and token audiences name them.

/// OIDC Discovery §4.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// RFC 7517: the public keys.
pub const JWKS: &str = "/.well-known/jwks.json";
/// RFC 6749 §3.1.
pub const AUTHORIZE: &str = "/authorize";
/// RFC 6749 §3.2.
pub const TOKEN: &str = "/oauth/token";
/// RFC 7009.
pub const REVOKE: &str = "/oauth/revoke";
/// RFC 7662.
pub const INTROSPECT: &str = "/oauth/introspect";
/// OIDC Core §5.3.
pub const USERINFO: &str = "/userinfo";
/// OIDC RP-Initiated Logout 1.0 §2.
pub const END_SESSION: &str = "/oidc/logout";
/// The confirmation form of RP-initiated logout.
pub const END_SESSION_CONFIRM: &str = "/oidc/logout/confirm";
/// Auth0's logout endpoint.
pub const AUTH0_LOGOUT: &str = "/v2/logout";

/// Hosted sign-in page.
pub const LOGIN: &str = "/u/login";
/// Hosted sign-up page.
pub const SIGNUP: &str = "/u/signup";
/// Hosted passwordless sign-in page (asks for the email, then the code).
pub const PASSWORDLESS: &str = "/u/passwordless";
/// Hosted second-factor page (authenticator-app or recovery code).
pub const MFA: &str = "/u/mfa";
/// Hosted second-factor enrolment page.
pub const MFA_ENROLL: &str = "/u/mfa/enroll";
/// Hosted consent page.
pub const CONSENT: &str = "/u/consent";
/// Hosted password-reset page (also the link in reset mails).
pub const RESET: &str = "/u/reset";
