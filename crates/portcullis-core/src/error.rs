//! The one protocol error type. Each error carries a public `description` (safe to show or send),
//! an optional private `detail` (logged, never sent) and whether it may be sent to the client's
//! redirect URI — errors about `client_id` or `redirect_uri` never are (RFC 6749 §4.1.2.1).

use std::borrow::Cow;
use std::fmt;

/// Error codes from RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 and OIDC Core
/// §3.1.2.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    InteractionRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
    InsufficientScope,
    UnsupportedTokenType,
    /// Too many attempts (not an RFC code; sent with HTTP 429).
    TooManyAttempts,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::TooManyAttempts => "too_many_attempts",
        }
    }
}

/// A protocol error.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: ErrorCode,
    /// Public, in the RFC 6749 Appendix A.7 character set.
    pub description: Cow<'static, str>,
    /// Private detail for logs.
    pub detail: Option<String>,
    /// Whether the error may be delivered to the client's redirect URI.
    pub redirectable: bool,
    /// Client authentication used HTTP Basic (RFC 6749 §5.2: answer 401 + WWW-Authenticate).
    pub basic_auth_failed: bool,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: sanitize(description.into()),
            detail: None,
            redirectable: true,
            basic_auth_failed: false,
        }
    }
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn unauthorized_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn invalid_token(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, d)
    }
    /// An internal failure; the detail is logged, the client sees a generic message.
    pub fn server_error(detail: impl fmt::Display) -> Self {
        let mut e = Self::new(
            ErrorCode::ServerError,
            "The server could not complete the request.",
        );
        e.detail = Some(detail.to_string());
        e
    }
    /// Marks the error as one that must not be sent to the redirect URI.
    pub fn not_redirectable(mut self) -> Self {
        self.redirectable = false;
        self
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

impl From<portcullis_store::StoreError> for OAuthError {
    /// A database out of reach is `temporarily_unavailable` (RFC 6749 §4.1.2.1; HTTP 503 at
    /// every endpoint), so clients retry rather than give up; any other storage failure is a
    /// `server_error`.
    fn from(err: portcullis_store::StoreError) -> Self {
        match err {
            portcullis_store::StoreError::Unavailable(_) => {
                let mut e = Self::new(
                    ErrorCode::TemporarilyUnavailable,
                    "The service is temporarily unavailable. Try again shortly.",
                );
                e.detail = Some(err.to_string());
                e
            }
            err => OAuthError::server_error(err),
        }
    }
}

impl From<crate::keys::KeyError> for OAuthError {
    fn from(err: crate::keys::KeyError) -> Self {
        OAuthError::server_error(err)
    }
}

/// RFC 6749 Appendix A.7: `error_description` is limited to %x20-21 / %x23-5B / %x5D-7E
/// (printable ASCII without `"` and `\`). Anything else is replaced.
fn sanitize(text: Cow<'static, str>) -> Cow<'static, str> {
    let ok = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e');
    if text.chars().all(ok) {
        text
    } else {
        Cow::Owned(text.chars().map(|c| if ok(c) { c } else { '?' }).collect())
    }
}

pub type OAuthResult<T> = Result<T, OAuthError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_stay_in_the_rfc_6749_character_set() {
        let e = OAuthError::invalid_request("bad \"value\" \\ é\n");
        assert_eq!(e.description, "bad ?value? ? ??");
    }
}
