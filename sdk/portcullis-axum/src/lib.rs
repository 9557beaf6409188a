//! # portcullis-axum
//!
//! Sign-in for axum web apps with any OpenID provider (Portcullis, Auth0, Keycloak,
//! oidc-provider…): what `@auth0/nextjs-auth0` v4 is to Next.js, for axum.
//!
//! * One router: `/auth/login` (`returnTo`, and any other authorize parameter such as
//!   `audience` or `screen_hint` forwarded), `/auth/callback`, `/auth/logout` (the provider's
//!   `end_session_endpoint` when advertised, else Auth0's `/v2/logout`), `/auth/profile`,
//!   `/auth/access-token`.
//! * Authorization code flow with PKCE (S256), `state` and `nonce` in a per-attempt, single-use
//!   encrypted cookie `__txn_{state}`; the ID token validated (signature via the JWKS cache of
//!   `portcullis-bearer`, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`, `auth_time` with `max_age`).
//! * A stateless session in the nextjs-auth0 v4 cookie format — `__session`, compact JWE
//!   `dir`/`A256GCM`, key HKDF-SHA256(secret, "", "JWE CEK") — chunked above 3,500 characters,
//!   `HttpOnly`, `SameSite=Lax`, `Secure` on https, rolling (1 day of inactivity, 3 days at most).
//!   A cookie that does not decrypt is no session.
//! * Extractors [`Session`], [`User`] and `Option<User>`; a [`require_auth`](PortcullisAuth::require_auth)
//!   layer; [`Session::access_token`] refreshes an expired access token and rewrites the cookie.
//!
//! ## Quickstart
//!
//! Configure with the nextjs-auth0 environment (`AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`,
//! `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET`, `APP_BASE_URL`; or `PORTCULLIS_*`) or the builder:
//!
//! ```
//! use axum::{Router, response::Html, routing::get};
//! use portcullis_axum::{Config, PortcullisAuth, Session, User};
//!
//! async fn home(user: Option<User>) -> Html<String> {
//!     Html(match user {
//!         Some(u) => format!("Hello {}! <a href=\"/auth/logout\">Log out</a>", u.name().unwrap_or("you")),
//!         None => "<a href=\"/auth/login\">Log in</a>".into(),
//!     })
//! }
//!
//! async fn account(user: User, session: Session) -> String {
//!     // Refreshes the access token if it has expired.
//!     let token = session.access_token().await.map(|t| t.token).unwrap_or_default();
//!     format!("{} has a {}-character access token", user.sub(), token.len())
//! }
//!
//! # fn main() -> Result<(), portcullis_axum::Error> {
//! let auth = PortcullisAuth::new(
//!     Config::builder()
//!         .domain("tenant.example.com")
//!         .client_id("my-client")
//!         .client_secret("my-client-secret")
//!         .secret("a-random-secret-of-at-least-32-characters")
//!         .app_base_url("http://localhost:3000")
//!         .build()?,
//! )?;
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .route("/account", get(account))
//!     .merge(auth.router())
//!     .layer(auth.session_layer());
//! // axum::serve(listener, app).await?;
//! # let _ = app; Ok(()) }
//! ```
//!
//! With the `actix` feature, the same routes, session middleware and extractors work in
//! actix-web apps: see the `actix` module and `PortcullisAuth::actix_routes`.
//!
//! Routes that need a signed-in user can also sit behind `.route_layer(auth.require_auth())`:
//! pages are redirected to `/auth/login?returnTo=…`, API calls (under `/api`, or asking for
//! JSON) get `401` JSON.

#[cfg(feature = "actix")]
pub mod actix;
mod auth;
mod backchannel;
mod config;
mod cookies;
mod error;
mod extract;
mod hooks;
mod jwe;
mod layer;
mod options;
mod persist;
mod random;
mod routes;
mod session;
mod store;
mod token_for;
#[cfg(feature = "tower-sessions")]
mod tower_sessions;

pub use auth::PortcullisAuth;
pub use config::{Config, ConfigBuilder, Secret};
pub use error::Error;
pub use extract::{AccessTokenInfo, Session};
pub use hooks::CallbackOutcome;
pub use jwe::CookieKey;
pub use layer::{RequireAuth, RequireAuthLayer, SessionLayer, SessionService};
pub use options::{CookieSettings, Routes, SameSite};
pub use portcullis_bearer::clock;
pub use session::{Internal, SessionData, TokenSet, User};
pub use store::{MemoryStore, SessionStore, StoreError, StoreFuture};
#[cfg(feature = "tower-sessions")]
pub use tower_sessions::TowerSessionsStore;
