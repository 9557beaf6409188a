//! Compact JWS (RFC 7515) signed with RS256 by our own keys, and verification of our own tokens.
//! Verification accepts only RS256 and only keys from our key ring, looked up by `kid`
//! (no `alg: none`, no HMAC confusion, no `jku`/`jwk` header keys).

use crate::keys::{KeyError, KeyRing, RS256, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// `typ` of access tokens (RFC 9068 §2.1).
pub const TYP_ACCESS_TOKEN: &str = "at+jwt";
/// `typ` of ID tokens.
pub const TYP_JWT: &str = "JWT";

/// Signs `claims` with `key`.
pub fn sign(key: &SigningKey, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
    let header = json!({ "alg": RS256, "typ": typ, "kid": key.kid });
    let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Generate)?;
    let mut token = String::with_capacity(1024);
    token.push_str(&URL_SAFE_NO_PAD.encode(header.to_string()));
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(token)
}

/// Why a token failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("unknown key")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
}

/// A verified token: header and claims.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

/// Verifies a token signed by one of our published keys. Claims (exp, iss, aud) are the caller's
/// to check.
pub fn verify(ring: &KeyRing, token: &str) -> Result<Verified, VerifyError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let header: Map<String, Value> = decode_json(h)?;
    if header.get("alg").and_then(Value::as_str) != Some(RS256) {
        return Err(VerifyError::Algorithm);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(VerifyError::UnknownKey)?;
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| VerifyError::Malformed)?;
    let signed_len = h.len() + 1 + p.len();
    let message = token.get(..signed_len).ok_or(VerifyError::Malformed)?;
    if !ring.verify(kid, message.as_bytes(), &sig) {
        return Err(
            if ring.jwks()["keys"]
                .as_array()
                .is_some_and(|keys| keys.iter().any(|k| k["kid"] == kid))
            {
                VerifyError::Signature
            } else {
                VerifyError::UnknownKey
            },
        );
    }
    Ok(Verified {
        header,
        claims: decode_json(p)?,
    })
}

fn decode_json(part: &str) -> Result<Map<String, Value>, VerifyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| VerifyError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)
}
