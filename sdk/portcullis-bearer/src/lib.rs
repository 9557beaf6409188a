//! # portcullis-bearer
//!
//! Protect an API with JWT access tokens from any OpenID provider (Portcullis, Auth0, Keycloak,
//! panva's oidc-provider…): what `express-oauth2-jwt-bearer` is to Express, for axum and tower.
//!
//! * Keys come from the issuer's JWKS, found by discovery (`/.well-known/openid-configuration`)
//!   or given explicitly. The set is cached, each key parsed once into a ready verifier, and
//!   refetched on an unknown `kid` at most once per 30 s (after a failed fetch too), with one
//!   fetch shared by all concurrent requests. A stale set is refreshed by one background
//!   task while requests keep using it, so a slow or failing JWKS endpoint delays nobody.
//! * Only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted, unless a shared secret is
//!   configured explicitly (then HS* too, with that secret only). `none` never is.
//! * `iss` must equal the issuer exactly; `aud` (string or array) must contain a configured
//!   audience; `exp` is required and `nbf` honoured with a 5 s leeway; `typ: at+jwt` can be
//!   required (RFC 9068).
//! * Guards on `scope`, on Auth0 RBAC `permissions` ([`Guard::permissions_all`],
//!   [`Guard::permissions_any`]), on any claim, or your own closure ([`Guard::custom`]), as
//!   axum extractors ([`Authorized`]) and as a tower layer ([`Validator::require`]).
//! * Refusals follow RFC 6750: `401` with `WWW-Authenticate: Bearer` (plus
//!   `error="invalid_token"` when a token was sent); every guard refusal is `403` with
//!   `error="insufficient_scope"` (and `scope="…"` for scope guards).
//!
//! ## Features
//!
//! * `axum` (default): the extractors, the tower layer and `IntoResponse` for [`Error`].
//!   Without it the crate is the validator alone (`default-features = false`), usable from any
//!   framework: [`Validator::validate`], [`Validator::validate_request`] (Bearer and DPoP) and
//!   [`Error::status`] / [`Error::www_authenticate`] for the answer.
//!
//! ## Quickstart
//!
//! ```no_run
//! use axum::{Json, Router, routing::get};
//! use portcullis_bearer::{Authorized, Bearer, Guard, Validator, requirement};
//!
//! requirement!(ReadShows = Guard::all_scopes(["read:shows"]));
//!
//! async fn me(Bearer(token): Bearer) -> String {
//!     format!("hello {}", token.subject.unwrap_or_default())
//! }
//!
//! async fn shows(_: Authorized<ReadShows>) -> Json<Vec<&'static str>> {
//!     Json(vec!["The Expanse"])
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::builder()
//!     .issuer("https://tenant.example.com/")
//!     .audience("https://api.example.com")
//!     .build()?;
//!
//! let app = Router::new()
//!     .route("/api/me", get(me))
//!     .route("/api/shows", get(shows))
//!     // or, for a whole router: .layer(validator.require(Guard::all_scopes(["read:shows"])))
//!     .with_state(validator); // or your own state with `impl FromRef<AppState> for Validator`
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## Validating without axum
//!
//! [`Validator::validate`] and [`Validator::validate_as`] work on a token string; here with a
//! shared secret so the example runs without a provider:
//!
//! ```
//! # use base64::Engine as _;
//! # use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
//! use portcullis_bearer::{Error, Guard, Validator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let validator = Validator::builder()
//!     .issuer("https://issuer.example/")
//!     .audience("https://api.example")
//!     .shared_secret(b"a long shared secret, at least 32 bytes".to_vec())
//!     .build()?;
//!
//! # let sign = |claims: &str| {
//! #     let input = format!("{}.{}", B64.encode(r#"{"alg":"HS256","typ":"at+jwt"}"#), B64.encode(claims));
//! #     let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"a long shared secret, at least 32 bytes");
//! #     format!("{input}.{}", B64.encode(aws_lc_rs::hmac::sign(&key, input.as_bytes())))
//! # };
//! let token = sign(r#"{"iss":"https://issuer.example/","aud":"https://api.example",
//!                    "sub":"user-1","scope":"read:shows","exp":4102444800}"#);
//! let access = validator.validate(&token).await?;
//! assert_eq!(access.subject.as_deref(), Some("user-1"));
//! assert!(Guard::all_scopes(["read:shows"]).check(&access).is_ok());
//! assert!(matches!(
//!     Guard::all_scopes(["write:shows"]).check(&access),
//!     Err(Error::InsufficientScope { .. })
//! ));
//!
//! let wrong_aud = sign(r#"{"iss":"https://issuer.example/","aud":"other","exp":4102444800}"#);
//! assert!(matches!(validator.validate(&wrong_aud).await, Err(Error::InvalidToken(_))));
//! # Ok(()) }
//! ```
//!
//! The [`ProviderMetadata`]/[`fetch_metadata`] discovery helpers and the [`JwksCache`] are
//! public so that other crates (such as `portcullis-axum`, for ID tokens) can share them.

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod claims;
pub mod clock;
mod discovery;
pub mod dpop;
mod error;
mod guard;
mod issuer;
mod jwks;
mod jws;
mod request;
mod validator;

#[cfg(feature = "actix")]
pub use crate::actix::{ActixAuthorized, ActixBearer, ActixRejection};
#[cfg(feature = "axum")]
pub use crate::axum::{Authorized, Bearer, BearerLayer, BearerService};
pub use claims::{AccessToken, NoCustomClaims};
pub use discovery::{ProviderMetadata, fetch_metadata};
pub use error::Error;
pub use guard::{Guard, GuardFn, Requirement};
pub use jwks::JwksCache;
pub use jws::{Algorithm, Header};
pub use request::bearer_token;
pub use validator::{IssuerResolver, Validator, ValidatorBuilder};
