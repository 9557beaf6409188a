//! The Portcullis HTTP layer: axum routes for the protocol endpoints and the hosted pages.
//! Thin by design: extract, call `portcullis-core`, map the result to HTTP. Status codes,
//! `WWW-Authenticate`, `Cache-Control` and security headers are decided here and nowhere else.

mod audit_context;
mod backchannel;
mod body;
mod client_ip;
mod cookies;
mod cors;
mod csrf;
mod errors;
mod html;
pub mod management;
pub mod metrics;
mod qr;
mod rejections;
mod routes;
mod state;
mod transport_errors;
mod ui;
mod upstream_http;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use portcullis_core::{Provider, paths};
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use backchannel::HttpLogoutNotifier;
pub use state::AppState;

/// The largest request body accepted anywhere (forms and JSON are small).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Deployment settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Proxies (load balancers) whose `X-Forwarded-For` says who the client is. Empty: the
    /// socket peer is the client, and the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether to count requests, tokens and sign-ins through the `metrics` facade (the
    /// binary sets it with `metrics_listen`, and installs the Prometheus recorder).
    pub metrics: bool,
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
    let with_metrics = options.metrics;
    let state = AppState::new(provider, options);
    let cors_endpoints = Router::new()
        .route(
            paths::TOKEN,
            post(routes::token::token).options(cors::preflight_refused),
        )
        .route(
            paths::REVOKE,
            post(routes::token::revoke).options(cors::preflight_refused),
        )
        .route(
            paths::USERINFO,
            get(routes::userinfo::userinfo_get)
                .post(routes::userinfo::userinfo_post)
                .options(cors::preflight_refused),
        )
        .route(
            "/dbconnections/signup",
            post(routes::authentication_api::dbconnections::signup)
                .options(cors::preflight_refused),
        )
        .route(
            "/dbconnections/change_password",
            post(routes::authentication_api::dbconnections::change_password)
                .options(cors::preflight_refused),
        )
        .route(
            "/passwordless/start",
            post(routes::authentication_api::passwordless::start).options(cors::preflight_refused),
        )
        .route(
            "/co/authenticate",
            post(routes::authentication_api::cross_origin::authenticate)
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
        .route("/assets/passkeys.js", get(routes::home::passkeys_script))
        .route("/favicon.ico", get(routes::home::favicon))
        .route(
            paths::DISCOVERY,
            get(routes::discovery::openid_configuration),
        )
        .route(paths::JWKS, get(routes::discovery::jwks))
        .route(
            paths::AUTHORIZE,
            get(routes::authorize::authorize_get).post(routes::authorize::authorize_post),
        )
        .route(
            paths::LOGIN,
            get(routes::login::login_page).post(routes::login::login_submit),
        )
        .route(
            paths::SIGNUP,
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
        .route(
            "/u/mfa",
            get(routes::mfa::challenge_page).post(routes::mfa::challenge_submit),
        )
        .route(
            "/u/mfa/enroll",
            get(routes::mfa::enrol_page).post(routes::mfa::enrol_submit),
        )
        .route("/u/mfa/continue", get(routes::mfa::continue_page))
        .route(
            "/u/mfa/passkey",
            get(routes::passkeys::enrol_page).post(routes::passkeys::enrol_submit),
        )
        .route("/u/login/passkey", post(routes::passkeys::sign_in_submit))
        .route(
            "/u/account/mfa/rename",
            post(routes::passkeys::rename_submit),
        )
        .route("/u/account/mfa/remove", post(routes::mfa::remove_factor))
        .route(
            "/u/account/mfa/recovery-codes",
            post(routes::mfa::regenerate_codes),
        )
        .route("/u/account", get(routes::account::account_page))
        .route("/u/account/profile", post(routes::account::update_profile))
        .route(
            "/u/account/password",
            post(routes::account::change_password),
        )
        .route(
            "/u/account/password/add",
            post(routes::account::add_password_request),
        )
        .route(
            "/u/account/password/confirm",
            get(routes::account::add_password_page).post(routes::account::add_password_confirm),
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
            "/u/unblock",
            get(routes::unblock::unblock_page).post(routes::unblock::unblock_submit),
        )
        .route(
            paths::CONSENT,
            get(routes::consent::consent_page).post(routes::consent::consent_submit),
        )
        .route(
            paths::RESET,
            get(routes::reset::request_page).post(routes::reset::request_submit),
        )
        .route(
            "/u/reset/confirm",
            get(routes::reset::password_page).post(routes::reset::password_submit),
        )
        .route(
            paths::PASSWORDLESS,
            get(routes::passwordless_pages::email_page)
                .post(routes::passwordless_pages::email_submit),
        )
        .route(
            "/u/passwordless/code",
            post(routes::passwordless_pages::code_submit),
        )
        .route(
            "/passwordless/verify_redirect",
            get(routes::passwordless_pages::link_page)
                .post(routes::passwordless_pages::link_submit),
        )
        .route(paths::INTROSPECT, post(routes::token::introspect))
        .route(
            paths::END_SESSION,
            get(routes::logout::oidc_logout_get).post(routes::logout::oidc_logout_post),
        )
        .route(paths::END_SESSION_CONFIRM, post(routes::logout::confirm))
        .route(paths::AUTH0_LOGOUT, get(routes::logout::v2_logout))
        .merge(cors_endpoints)
        .fallback(routes::home::not_found)
        .method_not_allowed_fallback(routes::home::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ui::scope,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit_context::scope,
        ))
        // Inside the body limit: the rejection log reads bodies already limited.
        .layer(axum::middleware::from_fn(rejections::log))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(transport_errors::oauth_bodies))
        // The Management API has its own body limit, error shape and authentication, so it
        // is nested after the layers of the protocol endpoints and hosted pages.
        .nest("/api/v2", management::router(state.clone()))
        .with_state(state);
    let router = if with_metrics {
        router.layer(axum::middleware::from_fn(metrics::record))
    } else {
        router
    };
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
