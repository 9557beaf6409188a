//! Validation of an upstream's ID token (OpenID Connect Core §3.1.3.7): signature by a key of
//! the upstream's JWKS (RS256 or ES256 only: no `none`, no HMAC with a public key, no keys from
//! the token's own header), `iss`, `aud` (and `azp` with several audiences), `exp`, `iat` and the
//! `nonce` this sign-in sent.

use aws_lc_rs::signature;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// How far clocks may disagree, in seconds.
pub const LEEWAY: i64 = 60;

/// Why an ID token was refused. Shown to the user (no token content in the messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is not a signed JWT")]
    Malformed,
    #[error("the ID token is signed with an algorithm Portcullis does not accept")]
    Algorithm,
    #[error("the ID token is signed by a key the identity provider does not publish")]
    UnknownKey,
    #[error("the ID token's signature is not valid")]
    Signature,
    #[error("the ID token was issued by another issuer")]
    Issuer,
    #[error("the ID token was issued to another application")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token does not answer this sign-in (nonce)")]
    Nonce,
    #[error("the ID token has no subject")]
    Subject,
}

/// The header's `kid` (to pick or refresh the JWKS), if the token is well-formed.
pub fn kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header = decode(header).ok()?;
    header.get("kid").and_then(Value::as_str).map(str::to_owned)
}

/// What the caller expects of the token.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
}

/// Verifies `token` against `jwks` and `expected`; returns its claims.
pub fn verify(
    token: &str,
    jwks: &Value,
    expected: &Expected,
) -> Result<Map<String, Value>, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    let header = decode(h)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let kid = header.get("kid").and_then(Value::as_str);
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| IdTokenError::Malformed)?;
    let message = format!("{h}.{p}");
    let keys = jwks["keys"].as_array().ok_or(IdTokenError::UnknownKey)?;
    let candidates: Vec<&Value> = keys
        .iter()
        .filter(|k| kid.is_none_or(|kid| k["kid"] == kid))
        .filter(|k| k["use"].as_str().is_none_or(|u| u == "sig"))
        .collect();
    if candidates.is_empty() {
        return Err(IdTokenError::UnknownKey);
    }
    let mut verified = false;
    for key in candidates {
        verified |= match alg {
            "RS256" if key["kty"] == "RSA" => verify_rsa(key, message.as_bytes(), &sig),
            "ES256" if key["kty"] == "EC" && key["crv"] == "P-256" => {
                verify_es256(key, message.as_bytes(), &sig)
            }
            "RS256" | "ES256" => false,
            _ => return Err(IdTokenError::Algorithm),
        };
    }
    if !verified {
        return Err(IdTokenError::Signature);
    }
    let claims = decode(p)?;
    check_claims(&claims, expected)?;
    Ok(claims)
}

/// The claim checks of OIDC Core §3.1.3.7, steps 2–4 and 9–11.
fn check_claims(claims: &Map<String, Value>, e: &Expected) -> Result<(), IdTokenError> {
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss.trim_end_matches('/') != e.issuer.trim_end_matches('/') {
        return Err(IdTokenError::Issuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == e.client_id,
        Some(Value::Array(list)) => {
            list.iter().any(|a| a == e.client_id)
                && (list.len() == 1
                    || claims.get("azp").and_then(Value::as_str) == Some(e.client_id))
        }
        _ => false,
    };
    if !audience_ok {
        return Err(IdTokenError::Audience);
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(IdTokenError::Expired)?;
    if exp + LEEWAY <= e.now {
        return Err(IdTokenError::Expired);
    }
    if claims
        .get("iat")
        .and_then(Value::as_i64)
        .is_some_and(|iat| iat > e.now + LEEWAY)
    {
        return Err(IdTokenError::Expired);
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
    if !crate::crypto::constant_time_eq(nonce.as_bytes(), e.nonce.as_bytes()) {
        return Err(IdTokenError::Nonce);
    }
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if !sub.is_empty() && sub.len() <= 255 => Ok(()),
        _ => Err(IdTokenError::Subject),
    }
}

fn verify_rsa(jwk: &Value, message: &[u8], sig: &[u8]) -> bool {
    let (Some(n), Some(e)) = (b64(&jwk["n"]), b64(&jwk["e"])) else {
        return false;
    };
    signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
        .is_ok()
}

fn verify_es256(jwk: &Value, message: &[u8], sig: &[u8]) -> bool {
    let (Some(x), Some(y)) = (b64(&jwk["x"]), b64(&jwk["y"])) else {
        return false;
    };
    if x.len() != 32 || y.len() != 32 {
        return false;
    }
    let mut point = Vec::with_capacity(65);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(message, sig)
        .is_ok()
}

fn b64(v: &Value) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(v.as_str()?).ok()
}

fn decode(part: &str) -> Result<Map<String, Value>, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            issuer: "https://up.example",
            client_id: "cid",
            nonce: "n1",
            now,
        }
    }

    #[test]
    fn claims_are_checked_one_by_one() {
        let good = json!({"iss": "https://up.example/", "aud": "cid", "exp": 2000, "iat": 1000,
                          "nonce": "n1", "sub": "s"});
        let ok = |c: &Value| check_claims(c.as_object().unwrap(), &expected(1500));
        assert_eq!(ok(&good), Ok(()));
        let with = |k: &str, v: Value| {
            let mut c = good.clone();
            c[k] = v;
            ok(&c)
        };
        assert_eq!(
            with("iss", json!("https://evil.example")),
            Err(IdTokenError::Issuer)
        );
        assert_eq!(with("aud", json!("other")), Err(IdTokenError::Audience));
        assert_eq!(
            with("aud", json!(["cid", "other"])),
            Err(IdTokenError::Audience)
        );
        assert_eq!(with("exp", json!(1400)), Err(IdTokenError::Expired));
        assert_eq!(with("nonce", json!("n2")), Err(IdTokenError::Nonce));
        assert_eq!(with("sub", json!("")), Err(IdTokenError::Subject));
    }

    #[test]
    fn unsigned_or_hmac_tokens_are_refused() {
        let jwks = json!({"keys": [{"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB"}]});
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        for alg in ["none", "HS256"] {
            let token = format!(
                "{}.{}.",
                part(json!({"alg": alg, "kid": "k"})),
                part(json!({}))
            );
            assert_eq!(
                verify(&token, &jwks, &expected(0)),
                Err(IdTokenError::Algorithm)
            );
        }
        assert_eq!(
            verify("a.b", &jwks, &expected(0)),
            Err(IdTokenError::Malformed)
        );
    }
}
