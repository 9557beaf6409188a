//! The nextjs-auth0 v4 cookie encryption: compact JWE, `alg: dir`, `enc: A256GCM`, with the
//! content-encryption key HKDF-SHA256(secret, salt "", info "JWE CEK", 32 bytes), and the JWT
//! `exp` claim checked with 15 s of tolerance on read.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value};

/// The protected header nextjs-auth0 (jose's `EncryptJWT`) writes.
const HEADER: &str = r#"{"enc":"A256GCM","alg":"dir"}"#;
const CLOCK_TOLERANCE: u64 = 15;

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

/// A cookie-encryption key derived from the application secret.
pub struct CookieKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey(<redacted>)")
    }
}

impl CookieKey {
    /// Derives the key from `AUTH0_SECRET`.
    pub fn derive(secret: &str) -> Self {
        let mut cek = [0u8; 32];
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(secret.as_bytes());
        // Both calls only fail for output lengths over 255 * 32 bytes.
        if let Ok(okm) = prk.expand(&[b"JWE CEK"], Len32) {
            let _ = okm.fill(&mut cek);
        }
        let key = match UnboundKey::new(&AES_256_GCM, &cek) {
            Ok(k) => k,
            Err(_) => unreachable!("a 32-byte key is valid for AES-256-GCM"),
        };
        Self {
            key: LessSafeKey::new(key),
        }
    }

    /// Encrypts `claims` (a JSON object) with `exp` set, as jose's `EncryptJWT` would.
    pub fn encrypt(&self, claims: &Map<String, Value>, exp: u64) -> String {
        let mut claims = claims.clone();
        claims.insert("exp".into(), Value::from(exp));
        let mut data = serde_json::to_vec(&Value::Object(claims)).unwrap_or_default();
        let protected = B64.encode(HEADER);
        let mut iv = [0u8; NONCE_LEN];
        crate::random::fill(&mut iv);
        let tag = match self.key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(protected.as_bytes()),
            &mut data,
        ) {
            Ok(tag) => tag,
            Err(_) => unreachable!("AES-GCM sealing of a cookie-sized message cannot fail"),
        };
        format!(
            "{protected}..{}.{}.{}",
            B64.encode(iv),
            B64.encode(&data),
            B64.encode(tag.as_ref())
        )
    }

    /// Decrypts a cookie. Returns `None` for anything that is not a valid, unexpired JWE made
    /// with this key: a bad cookie is simply no cookie.
    pub fn decrypt(&self, jwe: &str, now: u64) -> Option<Map<String, Value>> {
        let mut parts = jwe.split('.');
        let (Some(h), Some(ek), Some(iv), Some(ct), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if !ek.is_empty() {
            return None;
        }
        let header: Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "dir" || header.get("enc")?.as_str()? != "A256GCM" {
            return None;
        }
        if header.get("zip").is_some() || header.get("crit").is_some() {
            return None;
        }
        let iv: [u8; NONCE_LEN] = B64.decode(iv).ok()?.try_into().ok()?;
        let mut data = B64.decode(ct).ok()?;
        data.extend_from_slice(&B64.decode(tag).ok()?);
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(iv),
                Aad::from(h.as_bytes()),
                &mut data,
            )
            .ok()?;
        let Value::Object(claims) = serde_json::from_slice(plain).ok()? else {
            return None;
        };
        match claims.get("exp") {
            Some(exp) => {
                let exp = exp.as_u64().or_else(|| exp.as_f64().map(|f| f as u64))?;
                if now >= exp.saturating_add(CLOCK_TOLERANCE) {
                    return None;
                }
            }
            None => return None,
        }
        Some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let key = CookieKey::derive("a-very-long-secret-of-at-least-32-characters");
        let mut claims = Map::new();
        claims.insert("user".into(), serde_json::json!({"sub": "u1"}));
        let jwe = key.encrypt(&claims, 1000);
        assert_eq!(jwe.split('.').count(), 5);
        let back = key.decrypt(&jwe, 900).unwrap();
        assert_eq!(back["user"]["sub"], "u1");
        assert_eq!(back["exp"], 1000);
        // 15 s tolerance, then expired.
        assert!(key.decrypt(&jwe, 1014).is_some());
        assert!(key.decrypt(&jwe, 1015).is_none());
        // Another secret cannot read it.
        let other = CookieKey::derive("another-very-long-secret-of-at-least-32-chars");
        assert!(other.decrypt(&jwe, 900).is_none());
        // A flipped ciphertext bit is refused.
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        let mut ct = B64.decode(&parts[3]).unwrap();
        ct[0] ^= 1;
        parts[3] = B64.encode(ct);
        assert!(key.decrypt(&parts.join("."), 900).is_none());
        assert!(key.decrypt("garbage", 900).is_none());
    }
}
