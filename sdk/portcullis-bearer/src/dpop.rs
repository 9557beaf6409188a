//! DPoP: sender-constrained access tokens (RFC 9449). A DPoP-bound token carries the SHA-256
//! thumbprint of the client's public key in `cnf.jkt` (§6.1); each request comes with a proof,
//! a JWT signed by that key, naming the request's method and URI (§4.2), checked here as §4.3
//! lists, with a replay cache for its `jti` (§11.1).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::Error;
use crate::claims::AccessToken;
use crate::jws::{Algorithm, Compact, key_from_jwk};

/// Whether the API accepts DPoP-bound tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DpopMode {
    /// Bearer tokens only; `Authorization: DPoP` is not understood.
    Disabled,
    /// Both (default, as express-oauth2-jwt-bearer): Bearer tokens that are not DPoP-bound,
    /// and DPoP-bound tokens with a valid proof.
    #[default]
    Allowed,
    /// DPoP-bound tokens with a valid proof only.
    Required,
}

/// Remembers the `jti` of proofs until they expire, so a captured proof cannot be replayed
/// (RFC 9449 §11.1). Implement it on a shared store (e.g. Redis `SET NX EX`) when the API runs
/// on several instances.
pub trait ReplayCache: Send + Sync {
    /// Records `key` until `expires_at`; returns `false` if it was already recorded.
    fn insert_new(&self, key: &str, expires_at: u64, now: u64) -> bool;
}

/// An in-process [`ReplayCache`].
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    seen: Mutex<HashMap<String, u64>>,
}

impl ReplayCache for MemoryReplayCache {
    fn insert_new(&self, key: &str, expires_at: u64, now: u64) -> bool {
        let mut seen = match self.seen.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if seen.len() > 1024 {
            seen.retain(|_, exp| *exp > now);
        }
        match seen.get(key) {
            Some(exp) if *exp > now => false,
            _ => {
                seen.insert(key.to_owned(), expires_at);
                true
            }
        }
    }
}

/// DPoP settings of a validator.
#[derive(Clone)]
pub(crate) struct DpopSettings {
    pub(crate) mode: DpopMode,
    /// How old a proof's `iat` may be (default 300 s).
    pub(crate) max_age: u64,
    pub(crate) replay: Arc<dyn ReplayCache>,
    /// The API's external base URL, to compare `htu` with (behind proxies).
    pub(crate) base_url: Option<url::Url>,
}

impl Default for DpopSettings {
    fn default() -> Self {
        Self {
            mode: DpopMode::Allowed,
            max_age: 300,
            replay: Arc::new(MemoryReplayCache::default()),
            base_url: None,
        }
    }
}

/// The request a proof must name.
#[derive(Debug, Clone, Copy)]
pub struct DpopRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The request URI as received (origin-form or absolute-form).
    pub uri: &'a http::Uri,
    /// Its headers (`Host`, `DPoP`).
    pub headers: &'a http::HeaderMap,
}

fn proof_error(reason: impl Into<String>) -> Error {
    Error::InvalidDpopProof(reason.into())
}

fn b64_sha256(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, data).as_ref())
}

/// The JWK SHA-256 thumbprint of RFC 7638 §3: the required members, in lexicographic order,
/// without whitespace.
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> Result<String, Error> {
    let members: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("RSA") => &["e", "kty", "n"],
        Some("OKP") => &["crv", "kty", "x"],
        _ => return Err(proof_error("unsupported jwk kty")),
    };
    let mut out = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = jwk
            .get(*name)
            .and_then(Value::as_str)
            .ok_or_else(|| proof_error(format!("jwk lacks \"{name}\"")))?;
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{name}\":{}", Value::from(value)));
    }
    out.push('}');
    Ok(b64_sha256(out.as_bytes()))
}

/// The `htu` values this request matches: scheme, authority and path, without query and
/// fragment (RFC 9449 §4.3 item 9).
fn request_urls(settings: &DpopSettings, request: &DpopRequest<'_>) -> Vec<url::Url> {
    let path = request.uri.path();
    if let (Some(scheme), Some(authority)) = (request.uri.scheme_str(), request.uri.authority()) {
        return url::Url::parse(&format!("{scheme}://{authority}{path}"))
            .into_iter()
            .collect();
    }
    if let Some(base) = &settings.base_url {
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        url.set_query(None);
        return vec![url];
    }
    // Without a configured base URL the scheme is unknown (TLS may end at a proxy): the
    // `Host` header and path must match, with either scheme.
    let Some(host) = request
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return Vec::new();
    };
    ["https", "http"]
        .iter()
        .filter_map(|scheme| url::Url::parse(&format!("{scheme}://{host}{path}")).ok())
        .collect()
}

/// Checks the request's DPoP proof for `token` (RFC 9449 §4.3 and §7.1) and that the token is
/// bound to the proof's key (§6.1).
pub(crate) fn check_proof<C>(
    settings: &DpopSettings,
    request: &DpopRequest<'_>,
    access_token: &str,
    token: &AccessToken<C>,
    now: u64,
    leeway: u64,
) -> Result<(), Error> {
    // §4.3 items 1–2: exactly one DPoP header, a well-formed JWT.
    let mut values = request.headers.get_all("dpop").iter();
    let (Some(proof), None) = (values.next(), values.next()) else {
        return Err(proof_error("exactly one DPoP header is required"));
    };
    let proof = proof
        .to_str()
        .map_err(|_| proof_error("DPoP header is not ASCII"))?;
    // Items 3–5: `typ`, an asymmetric `alg`, a public `jwk`.
    let compact = Compact::parse(proof, Algorithm::ASYMMETRIC)
        .map_err(|e| proof_error(format!("malformed proof: {e}")))?;
    if !compact
        .header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"))
    {
        return Err(proof_error("typ must be \"dpop+jwt\""));
    }
    let header = compact
        .header_json()
        .map_err(|e| proof_error(format!("malformed proof header: {e}")))?;
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(proof_error("proof has no \"jwk\" header"));
    };
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| jwk.contains_key(*m))
    {
        return Err(proof_error("the proof's jwk must be a public key"));
    }
    // Item 6: the signature, with that key.
    let key = key_from_jwk(&Value::Object(jwk.clone()), compact.header.alg)
        .map_err(|e| proof_error(format!("unusable jwk: {e}")))?;
    compact
        .verify_with(&key)
        .map_err(|_| proof_error("proof signature verification failed"))?;
    let claims = compact
        .claims()
        .map_err(|_| proof_error("proof payload is not a JSON object"))?;
    let s = |k: &str| claims.get(k).and_then(Value::as_str);
    // Item 8: `htm`.
    if s("htm") != Some(request.method) {
        return Err(proof_error("htm does not match the request method"));
    }
    // Item 9: `htu`, without query and fragment.
    let htu = s("htu")
        .and_then(|h| url::Url::parse(h).ok())
        .map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u
        })
        .ok_or_else(|| proof_error("htu is missing or not a URL"))?;
    if !request_urls(settings, request).contains(&htu) {
        return Err(proof_error("htu does not match the request URI"));
    }
    // Item 11: `iat` within the acceptable window.
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| proof_error("iat is missing"))?;
    if iat > now.saturating_add(leeway) || now > iat.saturating_add(settings.max_age) {
        return Err(proof_error("iat is outside the acceptable window"));
    }
    // Item 12: `ath`, the hash of the access token.
    if s("ath") != Some(b64_sha256(access_token.as_bytes()).as_str()) {
        return Err(proof_error("ath does not match the access token"));
    }
    // §6.1: the token is bound to this key.
    let jkt = jwk_thumbprint(jwk)?;
    let bound = token
        .claim("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    if bound != Some(jkt.as_str()) {
        return Err(Error::invalid(
            "the token is not bound to the DPoP proof's key (cnf.jkt)",
        ));
    }
    // §11.1: a `jti` is used once. Checked last, so only otherwise valid proofs are recorded.
    let jti = s("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| proof_error("jti is missing"))?;
    let expires = iat.saturating_add(settings.max_age).saturating_add(leeway);
    if !settings
        .replay
        .insert_new(&format!("{jkt}:{jti}"), expires, now)
    {
        return Err(proof_error("the DPoP proof was already used (jti replay)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_3_1_thumbprint_example() {
        let jwk: Map<String, Value> = serde_json::from_str(
            r#"{"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29",
            "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#,
        )
        .unwrap();
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn replay_cache_refuses_a_jti_until_it_expires() {
        let cache = MemoryReplayCache::default();
        assert!(cache.insert_new("k:1", 100, 10));
        assert!(!cache.insert_new("k:1", 100, 50));
        assert!(cache.insert_new("k:2", 100, 50));
        assert!(
            cache.insert_new("k:1", 200, 100),
            "expired entries may be reused"
        );
    }
}
