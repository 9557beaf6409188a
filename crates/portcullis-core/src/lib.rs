//! The Portcullis protocol engine: OAuth 2.0 and OpenID Connect rules as plain Rust.
//!
//! Requests come in parsed, responses and [`error::OAuthError`]s go out; there is no HTTP and
//! no SQL here. Storage is reached through the traits of `portcullis-store`, time through a
//! [`clock::Clock`].

pub mod admin;
pub mod audience;
pub mod audit;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod consent;
pub mod crypto;
pub mod email;
pub mod error;
pub mod i18n;
pub mod import;
pub mod jwt;
pub mod keys;
pub mod provider;

pub use config::{Issuer, ProviderConfig};
pub use error::{ErrorCode, OAuthError, OAuthResult};
pub use provider::Provider;
pub mod authorize;
pub mod backchannel;
pub mod params;
pub mod paths;
pub mod pkce;
pub mod redirect;
pub mod scope;
pub mod sessions;

pub use params::Params;
pub mod access_token;
pub mod accounts;
pub mod claims;
pub mod client_auth;
pub mod connections;
pub mod cross_origin;
pub mod discovery;
pub mod interaction;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod mail;
pub mod maintenance;
pub mod management;
pub mod mfa;
pub mod password_policy;
pub mod revoke;
pub mod throttle;
pub mod token;
pub mod upstream;
pub mod userinfo;

#[cfg(test)]
mod testing;
