//! Errors, and how each one is answered over HTTP (RFC 6750 §3).

#[cfg(feature = "axum")]
use axum::response::{IntoResponse, Response};
use http::StatusCode;
#[cfg(feature = "axum")]
use http::{HeaderValue, header};

/// Why a request was refused, or why the validator could not decide.
///
/// Every variant maps to exactly one HTTP answer ([`Error::status`], [`Error::www_authenticate`];
/// with the `axum` feature, through `IntoResponse`):
///
/// | variant | status | `WWW-Authenticate` |
/// |---|---|---|
/// | [`MissingToken`](Self::MissingToken) | 401 | `Bearer realm="…"` (no error code, RFC 6750 §3.1) |
/// | [`InvalidRequest`](Self::InvalidRequest) | 400 | `Bearer error="invalid_request"` |
/// | [`InvalidToken`](Self::InvalidToken) | 401 | `Bearer error="invalid_token", error_description="…"` |
/// | [`InsufficientScope`](Self::InsufficientScope) | 403 | `Bearer error="insufficient_scope", scope="…"` |
/// | [`InvalidDpopProof`](Self::InvalidDpopProof) | 401 | `DPoP error="invalid_dpop_proof", algs="…"` (RFC 9449 §7.1, via [`Validator::error_response`](crate::Validator::error_response)) |
/// | [`Discovery`](Self::Discovery), [`KeySet`](Self::KeySet) | 503 | none |
/// | [`Config`](Self::Config) | 500 | none |
///
/// The `error_description` never contains the token or key material.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request carried no `Authorization: Bearer` credentials.
    #[error("no bearer token in the request")]
    MissingToken,
    /// The `Authorization` header was malformed (e.g. `Bearer` with no token).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A token was sent but is not acceptable: bad signature, wrong `alg`, `iss`, `aud`, expired…
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token is valid but lacks a required scope, permission or claim value.
    #[error("insufficient scope: {description}")]
    InsufficientScope {
        /// The scopes the resource needs, space separated; `None` for non-scope claim guards.
        scope: Option<String>,
        /// Human-readable reason, sent as `error_description`.
        description: String,
    },
    /// The request's DPoP proof is missing or invalid (RFC 9449 §4.3).
    #[error("invalid DPoP proof: {0}")]
    InvalidDpopProof(String),
    /// The provider's discovery document could not be fetched or was unusable.
    #[error("OpenID discovery failed: {0}")]
    Discovery(String),
    /// The provider's JWKS could not be fetched or parsed.
    #[error("JWKS unavailable: {0}")]
    KeySet(String),
    /// The validator was misconfigured (e.g. the axum extractor used without the validator layer).
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidToken(reason.into())
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) | Self::InvalidDpopProof(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::Discovery(_) | Self::KeySet(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The RFC 6750 error code, if this error has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope { .. } => Some("insufficient_scope"),
            Self::InvalidDpopProof(_) => Some("invalid_dpop_proof"),
            _ => None,
        }
    }

    pub(crate) fn description(&self) -> String {
        match self {
            Self::MissingToken => "Bearer token required".into(),
            Self::InvalidRequest(d) | Self::InvalidToken(d) | Self::InvalidDpopProof(d) => {
                d.clone()
            }
            Self::InsufficientScope { description, .. } => description.clone(),
            Self::Discovery(_) | Self::KeySet(_) => "authorization server unavailable".into(),
            Self::Config(_) => "server misconfiguration".into(),
        }
    }

    /// The `WWW-Authenticate` challenge for this error (RFC 6750 §3), if any.
    pub fn www_authenticate(&self, realm: Option<&str>) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(realm) = realm {
            parts.push(format!("realm=\"{}\"", quote_safe(realm)));
        }
        match self {
            Self::MissingToken => {}
            Self::InvalidRequest(_)
            | Self::InvalidToken(_)
            | Self::InsufficientScope { .. }
            | Self::InvalidDpopProof(_) => {
                parts.push(format!("error=\"{}\"", self.code().unwrap_or_default()));
                parts.push(format!(
                    "error_description=\"{}\"",
                    quote_safe(&self.description())
                ));
                if let Self::InsufficientScope {
                    scope: Some(scope), ..
                } = self
                {
                    parts.push(format!("scope=\"{}\"", quote_safe(scope)));
                }
            }
            _ => return None,
        }
        if parts.is_empty() {
            Some("Bearer".to_owned())
        } else {
            Some(format!("Bearer {}", parts.join(", ")))
        }
    }

    /// Builds the HTTP response, with an optional `realm` in the challenge.
    #[cfg(feature = "axum")]
    pub fn to_response(&self, realm: Option<&str>) -> Response {
        if matches!(self, Self::Discovery(_) | Self::KeySet(_) | Self::Config(_)) {
            tracing::error!(error = %self, "bearer validation could not complete");
        } else {
            tracing::debug!(error = %self, "bearer token refused");
        }
        let body = serde_json::json!({
            "error": self.code().unwrap_or(match self {
                Self::MissingToken => "unauthorized",
                _ => "server_error",
            }),
            "error_description": self.description(),
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(challenge) = self.www_authenticate(realm)
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(feature = "axum")]
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.to_response(None)
    }
}

/// Keeps a challenge parameter inside its quotes: RFC 6750 forbids `"` and `\` there, and
/// header values must be visible ASCII.
fn quote_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_token_challenge_has_no_error_code() {
        assert_eq!(
            Error::MissingToken.www_authenticate(Some("api")).as_deref(),
            Some("Bearer realm=\"api\"")
        );
        assert_eq!(
            Error::MissingToken.www_authenticate(None).as_deref(),
            Some("Bearer")
        );
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let e = Error::InsufficientScope {
            scope: Some("read:shows write:shows".into()),
            description: "needs \"read\"".into(),
        };
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            e.www_authenticate(None).as_deref(),
            Some(
                "Bearer error=\"insufficient_scope\", error_description=\"needs 'read'\", scope=\"read:shows write:shows\""
            )
        );
    }
}
