//! Compact JWS: algorithms, JWK parsing (once, into ready-to-use verifiers) and signature checks.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037).
///
/// `none` is deliberately absent: it can never be parsed, so it can never be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// ECDSA P-521 with SHA-512.
    ES512,
    /// Ed25519.
    EdDSA,
    /// HMAC SHA-256 (only with an explicitly configured shared secret).
    HS256,
    /// HMAC SHA-384 (only with an explicitly configured shared secret).
    HS384,
    /// HMAC SHA-512 (only with an explicitly configured shared secret).
    HS512,
}

impl Algorithm {
    /// The asymmetric algorithms accepted by default.
    pub const ASYMMETRIC: &'static [Algorithm] = &[
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::EdDSA,
    ];

    /// The HMAC algorithms, accepted only with an explicit shared secret.
    pub const SYMMETRIC: &'static [Algorithm] = &[Self::HS256, Self::HS384, Self::HS512];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
        }
    }

    /// Whether this is an HMAC algorithm.
    pub fn is_symmetric(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    fn family(self) -> KeyFamily {
        match self {
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 => KeyFamily::Ec("P-256"),
            Self::ES384 => KeyFamily::Ec("P-384"),
            Self::ES512 => KeyFamily::Ec("P-521"),
            Self::EdDSA => KeyFamily::Okp("Ed25519"),
            Self::HS256 | Self::HS384 | Self::HS512 => KeyFamily::Oct,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            "ES512" => Self::ES512,
            "EdDSA" | "Ed25519" => Self::EdDSA,
            "HS256" => Self::HS256,
            "HS384" => Self::HS384,
            "HS512" => Self::HS512,
            other => {
                return Err(Error::invalid(format!(
                    "unsupported alg \"{}\"",
                    other.escape_debug()
                )));
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyFamily {
    Rsa,
    Ec(&'static str),
    Okp(&'static str),
    Oct,
}

fn asymmetric_params(alg: Algorithm) -> Option<&'static dyn signature::VerificationAlgorithm> {
    Some(match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
        Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
        Algorithm::EdDSA => &signature::ED25519,
        _ => return None,
    })
}

fn rsa_params(alg: Algorithm) -> Option<&'static signature::RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// One verification key from a JWKS, parsed once for each algorithm it may be used with.
pub(crate) struct VerifyingKey {
    kid: Option<String>,
    verifiers: Vec<(Algorithm, ParsedPublicKey)>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field(
                "algs",
                &self.verifiers.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl VerifyingKey {
    fn verifier(&self, alg: Algorithm) -> Option<&ParsedPublicKey> {
        self.verifiers
            .iter()
            .find_map(|(a, k)| (*a == alg).then_some(k))
    }
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<Value>,
}

/// The parsed content of a JWKS document.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    by_kid: HashMap<String, std::sync::Arc<VerifyingKey>>,
    all: Vec<std::sync::Arc<VerifyingKey>>,
}

impl KeySet {
    /// Parses a JWKS document. Keys that are not signature keys, use an unknown type, or are
    /// malformed are skipped (and logged), as RFC 7517 §5 asks.
    pub(crate) fn parse(json: &[u8], allowed: &[Algorithm]) -> Result<Self, Error> {
        let raw: RawJwks = serde_json::from_slice(json)
            .map_err(|e| Error::KeySet(format!("not a JWK Set: {e}")))?;
        let mut set = KeySet::default();
        for value in raw.keys {
            let Ok(jwk) = serde_json::from_value::<RawJwk>(value) else {
                tracing::warn!("skipping a malformed JWK");
                continue;
            };
            match parse_jwk(&jwk, allowed) {
                Ok(Some(key)) => {
                    let key = std::sync::Arc::new(key);
                    if let Some(kid) = &key.kid {
                        set.by_kid.insert(kid.clone(), key.clone());
                    }
                    set.all.push(key);
                }
                Ok(None) => {}
                Err(reason) => {
                    tracing::warn!(kid = ?jwk.kid, %reason, "skipping an unusable JWK");
                }
            }
        }
        Ok(set)
    }

    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }

    /// Finds the key for a token header: by `kid`, or, without a `kid`, the single key that can
    /// verify `alg` (RFC 7515 §4.1.4 leaves the choice to the application; we refuse ambiguity).
    pub(crate) fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Option<std::sync::Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self.by_kid.get(kid).cloned(),
            None => {
                let mut candidates = self.all.iter().filter(|k| k.verifier(alg).is_some());
                let first = candidates.next()?;
                candidates.next().is_none().then(|| first.clone())
            }
        }
    }
}

/// A verification key from a single JWK (e.g. DPoP's `jwk` header), for `alg` only.
pub(crate) fn key_from_jwk(jwk: &Value, alg: Algorithm) -> Result<VerifyingKey, String> {
    let raw: RawJwk = serde_json::from_value(jwk.clone()).map_err(|e| e.to_string())?;
    parse_jwk(&raw, &[alg])?.ok_or_else(|| format!("the key cannot verify {alg}"))
}

fn b64(field: &Option<String>, name: &str) -> Result<Vec<u8>, String> {
    let s = field
        .as_deref()
        .ok_or_else(|| format!("missing \"{name}\""))?;
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| format!("\"{name}\" is not base64url"))
}

fn parse_jwk(jwk: &RawJwk, allowed: &[Algorithm]) -> Result<Option<VerifyingKey>, String> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    if let Some(ops) = &jwk.key_ops
        && !ops.iter().any(|o| o == "verify")
    {
        return Ok(None);
    }
    let family = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => KeyFamily::Rsa,
        ("EC", Some("P-256")) => KeyFamily::Ec("P-256"),
        ("EC", Some("P-384")) => KeyFamily::Ec("P-384"),
        ("EC", Some("P-521")) => KeyFamily::Ec("P-521"),
        ("OKP", Some("Ed25519")) => KeyFamily::Okp("Ed25519"),
        // Symmetric keys are never taken from a JWKS: a shared secret must be configured.
        _ => return Ok(None),
    };
    let declared = match jwk.alg.as_deref() {
        Some(a) => match a.parse::<Algorithm>() {
            Ok(a) => Some(a),
            Err(_) => return Ok(None),
        },
        None => None,
    };
    let algs: Vec<Algorithm> = allowed
        .iter()
        .copied()
        .filter(|a| !a.is_symmetric() && a.family() == family)
        .filter(|a| declared.is_none_or(|d| d == *a))
        .collect();
    if algs.is_empty() {
        return Ok(None);
    }
    let mut verifiers = Vec::with_capacity(algs.len());
    match family {
        KeyFamily::Rsa => {
            let n = b64(&jwk.n, "n")?;
            let e = b64(&jwk.e, "e")?;
            let strip = |v: &[u8]| -> Vec<u8> {
                let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
                v[start..].to_vec()
            };
            let components = RsaPublicKeyComponents {
                n: strip(&n),
                e: strip(&e),
            };
            for alg in algs {
                let Some(params) = rsa_params(alg) else {
                    continue;
                };
                let key = components
                    .to_parsed_public_key(params)
                    .map_err(|e| format!("bad RSA key: {e}"))?;
                verifiers.push((alg, key));
            }
        }
        KeyFamily::Ec(crv) => {
            let size = match crv {
                "P-256" => 32,
                "P-384" => 48,
                _ => 66,
            };
            let x = b64(&jwk.x, "x")?;
            let y = b64(&jwk.y, "y")?;
            if x.len() != size || y.len() != size {
                return Err("EC coordinates have the wrong length".into());
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            for alg in algs {
                let Some(params) = asymmetric_params(alg) else {
                    continue;
                };
                let key =
                    ParsedPublicKey::new(params, &point).map_err(|e| format!("bad EC key: {e}"))?;
                verifiers.push((alg, key));
            }
        }
        KeyFamily::Okp(_) => {
            let x = b64(&jwk.x, "x")?;
            let key = ParsedPublicKey::new(&signature::ED25519, &x)
                .map_err(|e| format!("bad Ed25519 key: {e}"))?;
            verifiers.push((Algorithm::EdDSA, key));
        }
        KeyFamily::Oct => return Ok(None),
    }
    Ok(Some(VerifyingKey {
        kid: jwk.kid.clone(),
        verifiers,
    }))
}

/// The protected header of a JWS, as far as validation needs it.
#[derive(Debug, Clone)]
pub struct Header {
    /// The signature algorithm.
    pub alg: Algorithm,
    /// The key id, if any.
    pub kid: Option<String>,
    /// The `typ` header, if any (e.g. `at+jwt`).
    pub typ: Option<String>,
}

/// A compact JWS split into its parts and with a parsed header, not yet verified.
pub(crate) struct Compact<'a> {
    pub(crate) header: Header,
    header_b64: &'a str,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature: Vec<u8>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
    #[serde(default)]
    enc: Option<Value>,
}

impl<'a> Compact<'a> {
    /// Splits and parses `token`, refusing anything that is not a three-part JWS with a
    /// supported `alg` in `allowed`.
    pub(crate) fn parse(token: &'a str, allowed: &[Algorithm]) -> Result<Self, Error> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::invalid("not a JWS compact serialization"));
        };
        let header_json = URL_SAFE_NO_PAD
            .decode(h)
            .map_err(|_| Error::invalid("header is not base64url"))?;
        let raw: RawHeader = serde_json::from_slice(&header_json)
            .map_err(|_| Error::invalid("header is not a JSON object with \"alg\""))?;
        if raw.enc.is_some() {
            return Err(Error::invalid("encrypted tokens are not supported"));
        }
        if raw.crit.is_some() {
            return Err(Error::invalid("unsupported \"crit\" header"));
        }
        if raw.alg == "none" {
            return Err(Error::invalid("alg \"none\" is not allowed"));
        }
        let alg: Algorithm = raw.alg.parse()?;
        if !allowed.contains(&alg) {
            return Err(Error::invalid(format!("alg \"{alg}\" is not allowed")));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| Error::invalid("signature is not base64url"))?;
        Ok(Self {
            header: Header {
                alg,
                kid: raw.kid,
                typ: raw.typ,
            },
            header_b64: h,
            signing_input: &token[..h.len() + 1 + p.len()],
            payload_b64: p,
            signature,
        })
    }

    /// The whole protected header as JSON (for members validation does not model, such as
    /// DPoP's `jwk`).
    pub(crate) fn header_json(&self) -> Result<Map<String, Value>, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(self.header_b64)
            .map_err(|_| "header is not base64url".to_owned())?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err("header is not a JSON object".into()),
        }
    }

    /// Verifies the signature with a key from the JWKS.
    pub(crate) fn verify_with(&self, key: &VerifyingKey) -> Result<(), Error> {
        let verifier = key.verifier(self.header.alg).ok_or_else(|| {
            Error::invalid(format!("key does not match alg \"{}\"", self.header.alg))
        })?;
        verifier
            .verify_sig(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| Error::invalid("signature verification failed"))
    }

    /// Verifies an HMAC signature with the configured shared secret.
    pub(crate) fn verify_hmac(&self, secret: &[u8]) -> Result<(), Error> {
        let alg = match self.header.alg {
            Algorithm::HS256 => hmac::HMAC_SHA256,
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => return Err(Error::invalid("not an HMAC algorithm")),
        };
        let key = hmac::Key::new(alg, secret);
        hmac::verify(&key, self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| Error::invalid("signature verification failed"))
    }

    /// Decodes the (verified) payload as a JSON object.
    pub(crate) fn claims(&self) -> Result<Map<String, Value>, Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(self.payload_b64)
            .map_err(|_| Error::invalid("payload is not base64url"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(Error::invalid("payload is not a JSON object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_none_and_unknown_algs() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        let err = Compact::parse(&none, Algorithm::ASYMMETRIC).err().unwrap();
        assert!(err.to_string().contains("none"), "{err}");
        let hs = format!(
            "{}.{}.AAAA",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        let err = Compact::parse(&hs, Algorithm::ASYMMETRIC).err().unwrap();
        assert!(err.to_string().contains("HS256"), "{err}");
        assert!(Compact::parse("a.b", Algorithm::ASYMMETRIC).is_err());
        assert!(Compact::parse("a.b.c.d", Algorithm::ASYMMETRIC).is_err());
    }

    #[test]
    fn jwks_without_kid_needs_a_single_candidate() {
        // Two Ed25519 keys without kid: ambiguous, so no key is chosen.
        let jwks = br#"{"keys":[
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty":"oct","k":"c2VjcmV0","kid":"sym"},
            {"kty":"RSA","use":"enc","kid":"enc","n":"AQAB","e":"AQAB"}
        ]}"#;
        let set = KeySet::parse(jwks, Algorithm::ASYMMETRIC).unwrap();
        assert_eq!(set.len(), 2, "oct and enc keys are skipped");
        assert!(set.find(None, Algorithm::EdDSA).is_none());
        assert!(set.find(Some("sym"), Algorithm::HS256).is_none());
    }
}
