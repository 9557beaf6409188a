//! OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Error;

/// The fields of a provider's discovery document that the SDKs use. Everything else is kept in
/// [`extra`](Self::extra).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The issuer identifier; tokens' `iss` must equal it exactly.
    pub issuer: String,
    /// Where the signing keys are published.
    pub jwks_uri: String,
    /// The authorization endpoint.
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    /// The token endpoint.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// The userinfo endpoint.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), if supported.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// Token revocation (RFC 7009), if supported.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// ID-token signing algorithms.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// All other metadata.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Trims one trailing `/` so `https://idp/` and `https://idp` name the same configured issuer.
fn trim_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

/// Fetches `{issuer}/.well-known/openid-configuration` and checks that the document names
/// `issuer` (ignoring one trailing slash, since users configure both spellings). Redirects are not
/// followed.
pub async fn fetch_metadata(
    client: &reqwest::Client,
    issuer: &str,
) -> Result<ProviderMetadata, Error> {
    let url = format!("{}/.well-known/openid-configuration", trim_slash(issuer));
    let response = client
        .get(&url)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| Error::Discovery(format!("GET {url}: {e}")))?;
    if response.status() != http::StatusCode::OK {
        return Err(Error::Discovery(format!(
            "GET {url}: status {}",
            response.status()
        )));
    }
    let metadata: ProviderMetadata = response
        .json()
        .await
        .map_err(|e| Error::Discovery(format!("GET {url}: {e}")))?;
    if trim_slash(&metadata.issuer) != trim_slash(issuer) {
        return Err(Error::Discovery(format!(
            "discovery document names issuer {:?}, expected {:?}",
            metadata.issuer, issuer
        )));
    }
    Ok(metadata)
}
