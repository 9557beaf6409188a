use crate::cookies;
use crate::html::{self, HomePage};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::sessions;
use portcullis_store::KeyState;

const STYLESHEET: &str = include_str!("../../assets/portcullis.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");
const PASSKEYS_SCRIPT: &str = include_str!("../../assets/passkeys.js");

/// A landing page: what this server is, and who is signed in.
pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let p = &s.provider;
    let cookie = cookies::get(&headers, cookies::session_name(&p.config.issuer));
    let session = sessions::find(p, cookie).await.ok().flatten();
    let email = session.as_ref().map(|(_, u)| u.email.as_str());
    html::render(
        StatusCode::OK,
        &HomePage {
            issuer: p.config.issuer.as_str(),
            user: email,
        },
    )
}

/// Liveness (`/healthz`): the process answers HTTP. It does not touch the database, so an
/// orchestrator does not restart every replica while the database is down (they recover by
/// themselves when it is back); readiness is `/readyz`.
pub async fn healthz() -> Response {
    (StatusCode::OK, "ok").into_response()
}

/// Readiness (`/readyz`): the database answers and holds a current signing key (the one this
/// replica loaded at start, or a rotation it picks up). 503 otherwise, so a load balancer sends
/// requests only to replicas that can serve them.
pub async fn readyz(State(s): State<AppState>) -> Response {
    match s.provider.store.list_keys().await {
        Ok(keys) if keys.iter().any(|k| k.state == KeyState::Current) => {
            (StatusCode::OK, "ready").into_response()
        }
        Ok(_) => {
            tracing::error!("readiness check: no current signing key in the database");
            (StatusCode::SERVICE_UNAVAILABLE, "no signing key").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn stylesheet() -> Response {
    asset(STYLESHEET, "text/css; charset=utf-8")
}

/// The configured accent colour as CSS variables (empty without one). A file rather than an
/// inline style, so the pages keep `style-src 'self'`.
pub async fn brand_stylesheet(State(s): State<AppState>) -> Response {
    let css = match s.brand.primary_color.as_deref() {
        Some(color) => format!(
            ":root {{ --accent: {color}; --accent-dark: {}; }}\n",
            darker(color)
        ),
        None => String::new(),
    };
    let mut r = css.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `#rrggbb` darkened by a quarter, for hover states.
fn darker(color: &str) -> String {
    let channel = |i: usize| {
        u8::from_str_radix(color.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as u16 * 3 / 4
    };
    format!("#{:02x}{:02x}{:02x}", channel(1), channel(3), channel(5))
}

/// The passkey ceremonies of the hosted pages: a static file, loaded with the page's CSP nonce.
pub async fn passkeys_script() -> Response {
    asset(PASSKEYS_SCRIPT, "text/javascript; charset=utf-8")
}

/// The icon browsers ask for on every page (`/favicon.ico`), as SVG.
pub async fn favicon() -> Response {
    asset(FAVICON, "image/svg+xml")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

pub async fn not_found() -> Response {
    html::error_page(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is nothing at this address.",
    )
}

pub async fn method_not_allowed() -> Response {
    let response = crate::errors::no_store(
        (
            StatusCode::METHOD_NOT_ALLOWED,
            axum::Json(serde_json::json!({
                "error": "invalid_request",
                "error_description": "This HTTP method is not allowed here."
            })),
        )
            .into_response(),
    );
    crate::rejections::Rejection::new("invalid_request", "HTTP method not allowed here")
        .attach(response)
}
