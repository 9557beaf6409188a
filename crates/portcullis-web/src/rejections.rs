//! One log line per rejected request, so integrators can see why: the functions that map errors
//! to responses attach a [`Rejection`] to the response, and the [`log`] middleware writes it
//! at `info` (`error` for our own failures) with the OAuth error, the client and the reason.
//! Secrets never reach the line: the reason is the error's public description or private detail
//! (neither carries a secret), and the client is only an id.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use portcullis_core::{ErrorCode, OAuthError};

/// Why a request was refused, attached to its response.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The OAuth error code (`invalid_client`, …) or, for the sign-in page, `login_failed`.
    pub error: &'static str,
    /// What went wrong, for the operator.
    pub reason: String,
    /// The client, when the handler knows it better than the request shows it (the sign-in
    /// form carries only a sealed transaction).
    pub client_id: Option<String>,
    /// Our own failure (logged at `error`).
    pub internal: bool,
}

impl Rejection {
    /// The rejection an OAuth error stands for: its private detail when it has one, else its
    /// public description.
    pub fn from_error(err: &OAuthError) -> Self {
        Rejection {
            error: err.code.as_str(),
            reason: err
                .detail
                .clone()
                .unwrap_or_else(|| err.description.to_string()),
            client_id: None,
            internal: err.code == ErrorCode::ServerError,
        }
    }

    /// A rejection with a code and a reason.
    pub fn new(error: &'static str, reason: impl Into<String>) -> Self {
        Rejection {
            error,
            reason: reason.into(),
            client_id: None,
            internal: false,
        }
    }

    /// Names the client.
    pub fn for_client(mut self, client_id: Option<&str>) -> Self {
        self.client_id = client_id.map(str::to_owned);
        self
    }

    /// Attaches the rejection to a response (replacing a less precise one).
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// The middleware: notes who the client is, runs the request, and logs the rejection the
/// response carries, if any. Form and JSON bodies are read here (they are small: the body
/// limit applies first) to find a `client_id` the query and `Authorization` header lack.
pub async fn log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut client_id = request
        .uri()
        .query()
        .and_then(|q| form_value(q.as_bytes(), "client_id"))
        .or_else(|| basic_user(request.headers()));
    let request = if client_id.is_none() && method == Method::POST {
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(_) => {
                let response = (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Failed to buffer the request body: length limit exceeded",
                )
                    .into_response();
                tracing::info!(
                    error = "invalid_request",
                    client_id = "-",
                    reason = "the request body is too large or was cut off",
                    status = 413,
                    %method,
                    path,
                    "request rejected"
                );
                return response;
            }
        };
        client_id = body_client_id(&parts.headers, &bytes);
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    let response = next.run(request).await;
    if let Some(r) = response.extensions().get::<Rejection>() {
        let client_id = r
            .client_id
            .as_deref()
            .or(client_id.as_deref())
            .unwrap_or("-");
        let status = response.status().as_u16();
        if r.internal || response.status().is_server_error() {
            tracing::error!(error = r.error, client_id, reason = r.reason.as_str(), status, %method, path, "request failed");
        } else {
            tracing::info!(error = r.error, client_id, reason = r.reason.as_str(), status, %method, path, "request rejected");
        }
    }
    response
}

/// The user name of HTTP Basic credentials (RFC 6749 §2.3.1: form-encoded). The password is
/// never looked at.
fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let user = decoded.split(|b| *b == b':').next()?;
    let mut query = b"u=".to_vec();
    query.extend_from_slice(user);
    form_value(&query, "u")
}

/// `client_id` from a form or JSON body.
fn body_client_id(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("application/json"));
    if json {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        return value.get("client_id")?.as_str().map(printable);
    }
    form_value(body, "client_id")
}

/// The first value of `name` in form-encoded bytes.
fn form_value(bytes: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(bytes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| printable(&v))
}

/// A client id as it may appear in a log line: at most 128 characters, control characters
/// replaced (a log line is one line).
fn printable(value: &str) -> String {
    value
        .chars()
        .take(128)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_client_is_found_without_reading_secrets() {
        let mut h = HeaderMap::new();
        let creds = base64::engine::general_purpose::STANDARD.encode("my%3Aapp:s3cret");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {creds}")).unwrap(),
        );
        assert_eq!(basic_user(&h).as_deref(), Some("my:app"));

        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert_eq!(
            body_client_id(&h, br#"{"client_id":"web\n1","client_secret":"x"}"#).as_deref(),
            Some("web?1")
        );
        assert_eq!(
            body_client_id(&HeaderMap::new(), b"grant_type=x&client_id=a+b").as_deref(),
            Some("a b")
        );
    }
}
