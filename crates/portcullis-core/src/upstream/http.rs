//! The outgoing HTTP the upstream flow needs (discovery, JWKS, token exchange, GitHub's API),
//! as a trait: the core has no HTTP client; the web layer installs one with bounded timeouts and
//! response sizes.

use async_trait::async_trait;
use serde_json::Value;

/// Why an upstream request failed. Messages never hold secrets or tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider answered with status {status}")]
    Status { status: u16, body: Option<Value> },
    #[error("the identity provider's answer was not valid JSON or too large")]
    Body,
    #[error("no HTTP client is installed")]
    NoClient,
}

/// A JSON request to an upstream.
#[async_trait]
pub trait UpstreamHttp: Send + Sync {
    /// `GET url` (with `Authorization: Bearer` when given), expecting a JSON answer.
    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, HttpError>;
    /// `POST url` with a form body (and HTTP Basic client authentication when given),
    /// expecting a JSON answer (`Accept: application/json`).
    async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<Value, HttpError>;
}

/// The client until the web layer installs its own: every request fails.
#[derive(Debug, Default)]
pub struct NoHttp;

#[async_trait]
impl UpstreamHttp for NoHttp {
    async fn get_json(&self, _url: &str, _bearer: Option<&str>) -> Result<Value, HttpError> {
        Err(HttpError::NoClient)
    }
    async fn post_form(
        &self,
        _url: &str,
        _form: &[(&str, &str)],
        _basic: Option<(&str, &str)>,
    ) -> Result<Value, HttpError> {
        Err(HttpError::NoClient)
    }
}
