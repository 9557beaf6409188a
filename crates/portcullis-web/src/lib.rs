//! The Portcullis HTTP layer: axum routes for the protocol endpoints and the hosted pages.
//! Thin by design: extract, call `portcullis-core`, map the result to HTTP. Status codes,
//! `WWW-Authenticate`, `Cache-Control` and security headers are decided here and nowhere else.

mod backchannel;
mod body;
mod client_ip;
mod cookies;
mod cors;
mod csrf;
mod errors;
mod html;
mod rejections;
mod routes;
mod state;
mod transport_errors;
mod ui;
mod upstream_http;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use portcullis_core::Provider;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use state::AppState;

/// The largest request body accepted anywhere (forms and JSON are small).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Deployment settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Proxies (load balancers) whose `X-Forwarded-For` says who the client is. Empty: the
    /// socket peer is the client, and the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The whole provider as one router, with default [`WebOptions`]. Serve it with connect info so
/// throttling can key on the client address:
/// `axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())`.
pub fn router(provider: Provider) -> Router {
    router_with(provider, WebOptions::default())
}

/// The whole provider as one router.
pub fn router_with(provider: Provider, options: WebOptions) -> Router {
    let provider = provider
        .with_logout_notifier(std::sync::Arc::new(backchannel::HttpLogoutNotifier::new()))
        .with_upstream_http(std::sync::Arc::new(upstream_http::HttpUpstream::new()));
    let https = provider.config.issuer.is_https();
    let state = AppState::new(provider, options);
    let cors_endpoints = Router::new()
        .route(
            "/oauth/token",
            post(routes::token::token).options(cors::preflight_refused),
        )
        .route(
            "/oauth/revoke",
            post(routes::token::revoke).options(cors::preflight_refused),
        )
        .route(
            "/userinfo",
            get(routes::userinfo::userinfo_get)
                .post(routes::userinfo::userinfo_post)
                .options(cors::preflight_refused),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::cors,
        ));
    let router = Router::new()
        .route("/", get(routes::home::home))
        .route("/healthz", get(routes::home::healthz))
        .route("/readyz", get(routes::home::readyz))
        .route("/assets/portcullis.css", get(routes::home::stylesheet))
        .route("/assets/brand.css", get(routes::home::brand_stylesheet))
        .route("/favicon.ico", get(routes::home::favicon))
        .route(
            "/.well-known/openid-configuration",
            get(routes::discovery::openid_configuration),
        )
        .route("/.well-known/jwks.json", get(routes::discovery::jwks))
        .route(
            "/authorize",
            get(routes::authorize::authorize_get).post(routes::authorize::authorize_post),
        )
        .route(
            "/u/login",
            get(routes::login::login_page).post(routes::login::login_submit),
        )
        .route(
            "/u/signup",
            get(routes::signup::signup_page).post(routes::signup::signup_submit),
        )
        .route(
            "/u/signup/check",
            get(routes::signup::check_page).post(routes::signup::check_submit),
        )
        .route(
            "/u/signup/confirm",
            get(routes::signup::confirm_page).post(routes::signup::confirm_submit),
        )
        .route("/u/login/connection", get(routes::upstream::button))
        .route("/login/callback", get(routes::upstream::callback))
        .route("/u/account", get(routes::account::account_page))
        .route("/u/account/profile", post(routes::account::update_profile))
        .route(
            "/u/account/password",
            post(routes::account::change_password),
        )
        .route(
            "/u/account/verify",
            post(routes::account::send_verification),
        )
        .route(
            "/u/account/sessions/end",
            post(routes::account::end_session),
        )
        .route("/u/account/apps/revoke", post(routes::account::revoke_app))
        .route("/u/account/connections", post(routes::account::connect))
        .route(
            "/u/verify",
            get(routes::account::verify_page).post(routes::account::verify_submit),
        )
        .route(
            "/u/consent",
            get(routes::consent::consent_page).post(routes::consent::consent_submit),
        )
        .route(
            "/u/reset",
            get(routes::reset::request_page).post(routes::reset::request_submit),
        )
        .route(
            "/u/reset/confirm",
            get(routes::reset::password_page).post(routes::reset::password_submit),
        )
        .route("/oauth/introspect", post(routes::token::introspect))
        .route(
            "/oidc/logout",
            get(routes::logout::oidc_logout_get).post(routes::logout::oidc_logout_post),
        )
        .route("/oidc/logout/confirm", post(routes::logout::confirm))
        .route("/v2/logout", get(routes::logout::v2_logout))
        .merge(cors_endpoints)
        .fallback(routes::home::not_found)
        .method_not_allowed_fallback(routes::home::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ui::scope,
        ))
        // Inside the body limit: the rejection log reads bodies already limited.
        .layer(axum::middleware::from_fn(rejections::log))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(transport_errors::oauth_bodies))
        .with_state(state);
    if https {
        // RFC 6797: browsers remember to use https only; sent on every response of an https
        // issuer (behind a TLS-terminating proxy too, since the issuer is the public URL).
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000"),
        ))
    } else {
        router
    }
}
