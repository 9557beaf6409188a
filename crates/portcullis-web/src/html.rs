//! Hosted pages: askama templates (auto-escaped) served with a strict Content-Security-Policy,
//! no framing, no referrer, and no caching.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use portcullis_core::crypto::random_token;

/// Renders a page with the default security headers.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    render_with(status, page, "'none'", None)
}

/// Renders with the given `frame-ancestors` and an optional script nonce.
pub fn render_with(
    status: StatusCode,
    page: &impl Template,
    frame_ancestors: &str,
    script_nonce: Option<&str>,
) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let script = script_nonce.map_or_else(|| "'none'".to_owned(), |n| format!("'nonce-{n}'"));
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src {script}; \
         frame-ancestors {frame_ancestors}; base-uri 'none'"
    );
    let mut response = (status, Html(body)).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if frame_ancestors == "'none'" {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A fresh nonce for an inline script.
pub fn nonce() -> String {
    random_token(16)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub code: &'a str,
    pub description: &'a str,
    /// For the script that shows the "Go back" button (only when there is history to go to).
    pub nonce: &'a str,
}

pub fn error_page(status: StatusCode, code: &str, description: &str) -> Response {
    let title = match status {
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        StatusCode::NOT_FOUND => "Page not found",
        s if s.is_server_error() => "Something went wrong",
        _ => "This request cannot be completed",
    };
    let nonce = nonce();
    let response = render_with(
        status,
        &ErrorPage {
            title,
            code,
            description,
            nonce: &nonce,
        },
        "'none'",
        Some(&nonce),
    );
    if status == StatusCode::NOT_FOUND {
        return response;
    }
    let error = if code == "invalid_request" {
        "invalid_request"
    } else {
        "access_denied"
    };
    crate::rejections::Rejection::new(error, description).attach(response)
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub app_name: &'a str,
    pub state: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub params: &'a [(String, String)],
    pub nonce: &'a str,
}

#[derive(Template)]
#[template(path = "web_message.html")]
pub struct WebMessagePage<'a> {
    /// JSON, already made safe for a `<script>` element.
    pub message_json: &'a str,
    pub target_origin_json: &'a str,
    pub nonce: &'a str,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage;

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub app_name: Option<&'a str>,
    /// Where "Stay signed in" leads: back to the application (its registered logout URL), or
    /// our start page when the request named none.
    pub back: &'a str,
    pub plan: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub issuer: &'a str,
    pub user: Option<&'a str>,
}

/// JSON that is safe inside `<script>`: `<`, `>`, `&` and the JS line separators escaped.
pub fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}
