//! The HTTP client towards upstream identity providers (discovery, JWKS, token exchange,
//! GitHub's API): short timeouts, no redirects followed, answers of at most
//! [`MAX_RESPONSE_BYTES`], JSON only. Request and response bodies are never logged (they carry
//! codes, secrets and tokens).

use async_trait::async_trait;
use portcullis_core::upstream::http::{HttpError, UpstreamHttp};
use serde_json::Value;
use std::time::Duration;

/// The largest answer read from an upstream.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// [`UpstreamHttp`] with reqwest.
#[derive(Debug, Clone)]
pub struct HttpUpstream {
    client: reqwest::Client,
}

impl HttpUpstream {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Portcullis/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        HttpUpstream { client }
    }
}

impl Default for HttpUpstream {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl UpstreamHttp for HttpUpstream {
    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, HttpError> {
        let mut request = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        read(request.send().await).await
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<Value, HttpError> {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form);
        if let Some((id, secret)) = basic {
            // RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(enc(id), Some(enc(secret)));
        }
        read(request.send().await).await
    }
}

async fn read(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Value, HttpError> {
    let mut response = sent.map_err(|e| {
        HttpError::Unreachable(if e.is_timeout() {
            "timed out".to_owned()
        } else {
            "connection failed".to_owned()
        })
    })?;
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(HttpError::Body);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| HttpError::Body)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError::Body);
        }
        body.extend_from_slice(&chunk);
    }
    let json = serde_json::from_slice::<Value>(&body).ok();
    if !(200..300).contains(&status) {
        return Err(HttpError::Status { status, body: json });
    }
    json.ok_or(HttpError::Body)
}
