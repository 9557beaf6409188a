//! Errors, and the clean HTML page an end user sees for them.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

/// What can go wrong while signing in, refreshing, or reading a session.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid or missing configuration.
    #[error("configuration error: {0}")]
    Config(String),
    /// The provider's discovery document or JWKS could not be used.
    #[error("the identity provider could not be reached: {0}")]
    Provider(String),
    /// The callback's `state` has no matching (unexpired) transaction cookie.
    #[error("the sign-in attempt expired or was started in another browser; please sign in again")]
    InvalidState,
    /// The callback request was malformed (no `code`, wrong `iss`, …).
    #[error("invalid callback: {0}")]
    InvalidCallback(String),
    /// The provider answered the authorization request with an error.
    #[error("the identity provider refused the sign-in: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Authorization {
        /// OAuth error code, e.g. `access_denied`.
        error: String,
        /// The provider's description.
        description: Option<String>,
    },
    /// The token endpoint refused the request or answered something unusable.
    #[error("token request failed: {0}")]
    Token(String),
    /// At the callback, exchanging the authorization code failed (refused, or no usable ID
    /// token in the answer).
    #[error("exchanging the authorization code failed: {0}")]
    CodeExchange(String),
    /// The ID token failed validation.
    #[error("invalid ID token: {0}")]
    IdToken(String),
    /// The provider refused the session's grant (`invalid_grant`, RFC 6749 §5.2: the refresh
    /// token expired or was revoked). The user must sign in again: `401` for APIs, a redirect
    /// to the login for pages. The session is cleared.
    #[error("the session has expired at the identity provider; please sign in again")]
    ReauthenticationRequired(String),
    /// There is no session.
    #[error("not signed in")]
    NotAuthenticated,
    /// The access token has expired and there is no refresh token.
    #[error("the access token has expired and there is no refresh token")]
    MissingRefreshToken,
    /// The signed-in user does not satisfy the route's rule ([`PortcullisAuth::require`](crate::PortcullisAuth::require)).
    #[error("you are not allowed to see this page")]
    Forbidden,
    /// The session layer is not installed.
    #[error("portcullis-axum session layer missing: add `.layer(auth.session_layer())`")]
    LayerMissing,
}

impl Error {
    /// The HTTP status used for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Config(_) | Self::LayerMissing => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Provider(_) | Self::Token(_) | Self::CodeExchange(_) => StatusCode::BAD_GATEWAY,
            Self::InvalidState
            | Self::InvalidCallback(_)
            | Self::Authorization { .. }
            | Self::IdToken(_) => StatusCode::BAD_REQUEST,
            Self::NotAuthenticated
            | Self::MissingRefreshToken
            | Self::ReauthenticationRequired(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
        }
    }

    /// A stable machine-readable code (used in JSON answers such as `/auth/access-token`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Config(_) => "configuration_error",
            Self::Provider(_) => "discovery_error",
            Self::InvalidState => "invalid_state",
            Self::InvalidCallback(_) => "invalid_callback",
            Self::Authorization { .. } => "authorization_error",
            Self::Token(_) => "failed_to_refresh_token",
            Self::CodeExchange(_) => "failed_to_exchange_code",
            Self::IdToken(_) => "invalid_id_token",
            Self::NotAuthenticated => "missing_session",
            Self::ReauthenticationRequired(_) => "login_required",
            Self::MissingRefreshToken => "missing_refresh_token",
            Self::Forbidden => "forbidden",
            Self::LayerMissing => "configuration_error",
        }
    }

    /// Whether only signing in again can help (no session, no refresh token, or a refused one).
    pub fn requires_login(&self) -> bool {
        matches!(
            self,
            Self::NotAuthenticated | Self::MissingRefreshToken | Self::ReauthenticationRequired(_)
        )
    }

    /// The JSON answer: `{"error": {"message", "code"}}` (nextjs-auth0 v4's shape).
    pub fn json_response(&self) -> Response {
        let body = serde_json::json!({"error": {"message": self.to_string(), "code": self.code()}});
        let mut r = (self.status(), axum::Json(body)).into_response();
        r.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        r
    }
}

pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl IntoResponse for Error {
    /// A small, self-contained HTML page. Internal details (provider URLs, token errors) go to
    /// the log, not the page.
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "authentication error");
        } else {
            tracing::info!(error = %self, "authentication refused");
        }
        let message = match &self {
            Self::Config(_) | Self::LayerMissing => {
                "The application's sign-in is misconfigured.".to_owned()
            }
            Self::Provider(_) | Self::Token(_) | Self::CodeExchange(_) => {
                "The identity provider could not complete the sign-in. Please try again.".to_owned()
            }
            other => other.to_string(),
        };
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in problem</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}\
             a{{color:#0b57d0}}</style></head><body><h1>Sign-in problem</h1><p>{}</p>\
             <p><a href=\"/auth/login\">Sign in again</a> · <a href=\"/\">Home</a></p>\
             <p><small>Error code: {}</small></p></body></html>",
            escape_html(&message),
            self.code()
        );
        let mut r = (status, Html(page)).into_response();
        r.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        r
    }
}
