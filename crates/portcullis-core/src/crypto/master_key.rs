//! The master key: one 256-bit secret kept outside the database, from which Portcullis derives
//! the key that hashes tokens and secrets and the key that encrypts signing keys at rest.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::fmt;

/// Why a master key could not be loaded or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MasterKeyError {
    #[error("the master key must be 32 bytes, base64-encoded (got {0} bytes)")]
    WrongLength(usize),
    #[error("the master key is not valid base64")]
    NotBase64,
    #[error("decryption failed: the data was encrypted with another master key, or is corrupt")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

/// The 32-byte root secret. `Debug` never prints it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

struct Len(usize);
impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        #[allow(clippy::expect_used)]
        SystemRandom::new()
            .fill(&mut key)
            .expect("the operating system's random number generator failed");
        MasterKey(key)
    }

    /// Parses standard or URL-safe base64 (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, MasterKeyError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| MasterKeyError::NotBase64)?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::WrongLength(bytes.len()))?;
        Ok(MasterKey(key))
    }

    /// Standard base64, for writing a newly generated key to a file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn derive(&self, info: &'static [u8]) -> [u8; 32] {
        let prk = Salt::new(HKDF_SHA256, b"portcullis").extract(&self.0);
        let mut out = [0u8; 32];
        // HKDF-Expand to 32 bytes cannot fail (the limit is 255 × 32).
        #[allow(clippy::expect_used)]
        prk.expand(&[info], Len(32))
            .and_then(|okm| okm.fill(&mut out))
            .expect("HKDF-SHA256 expand to 32 bytes");
        out
    }

    /// The keyed hash for tokens, codes, session cookies and client secrets.
    pub fn token_hasher(&self) -> TokenHasher {
        TokenHasher(hmac::Key::new(
            hmac::HMAC_SHA256,
            &self.derive(b"portcullis token hash v1"),
        ))
    }

    /// The authenticated encryption for state handed to the browser (login transactions).
    pub fn sealer(&self) -> Sealer {
        Sealer(KeyEncryptor(self.derive(b"portcullis sealed state v1")))
    }

    /// The encryption for private keys at rest.
    pub fn key_encryptor(&self) -> KeyEncryptor {
        KeyEncryptor(self.derive(b"portcullis key encryption v1"))
    }
}

/// HMAC-SHA256 under a key derived from the master key. High-entropy values (≥ 256-bit tokens and
/// client secrets) need a fast keyed hash, not a password hash: a stolen database reveals nothing
/// usable, and checking costs microseconds instead of argon2's ~20 ms.
#[derive(Clone)]
pub struct TokenHasher(hmac::Key);

impl fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHasher(<redacted>)")
    }
}

impl TokenHasher {
    /// The stored form of `value`: base64url of HMAC-SHA256.
    pub fn hash(&self, value: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.0, value.as_bytes()).as_ref())
    }

    /// The raw HMAC-SHA256 of `value` (fixed-size keys derived from caller-chosen text).
    pub fn digest(&self, value: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&self.0, value).as_ref());
        out
    }

    /// Whether `value` hashes to `stored`, compared in constant time.
    pub fn verify(&self, value: &str, stored: &str) -> bool {
        super::constant_time_eq(self.hash(value).as_bytes(), stored.as_bytes())
    }
}

/// AES-256-GCM under a key derived from the master key.
#[derive(Clone)]
pub struct KeyEncryptor([u8; 32]);

impl fmt::Debug for KeyEncryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptor(<redacted>)")
    }
}

impl KeyEncryptor {
    fn key(&self) -> Result<LessSafeKey, MasterKeyError> {
        UnboundKey::new(&AES_256_GCM, &self.0)
            .map(LessSafeKey::new)
            .map_err(|_| MasterKeyError::Encrypt)
    }

    /// nonce ‖ ciphertext ‖ tag, with `context` (e.g. the key id) as associated data.
    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, MasterKeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| MasterKeyError::Encrypt)?;
        let mut data = plaintext.to_vec();
        self.key()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| MasterKeyError::Encrypt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Reverses [`KeyEncryptor::encrypt`]; fails on another key, another context or tampering.
    pub fn decrypt(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, MasterKeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(MasterKeyError::Decrypt);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| MasterKeyError::Decrypt)?;
        let mut data = rest.to_vec();
        let plain = self
            .key()?
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| MasterKeyError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

/// Seals serialisable values into opaque, tamper-proof, URL-safe strings (AES-256-GCM), each
/// bound to a purpose so a value sealed for one use cannot be replayed in another.
#[derive(Clone)]
pub struct Sealer(KeyEncryptor);

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

impl Sealer {
    pub fn seal<T: serde::Serialize>(
        &self,
        value: &T,
        purpose: &str,
    ) -> Result<String, MasterKeyError> {
        let json = serde_json::to_vec(value).map_err(|_| MasterKeyError::Encrypt)?;
        Ok(URL_SAFE_NO_PAD.encode(self.0.encrypt(&json, purpose)?))
    }

    /// `None` for anything that was not sealed by us for this purpose.
    pub fn unseal<T: serde::de::DeserializeOwned>(&self, sealed: &str, purpose: &str) -> Option<T> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let json = self.0.decrypt(&bytes, purpose).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_is_stable_and_key_dependent() {
        let a = MasterKey::generate();
        let b = MasterKey::generate();
        let h = a.token_hasher().hash("secret");
        assert_eq!(h, a.token_hasher().hash("secret"));
        assert_ne!(h, b.token_hasher().hash("secret"));
        assert!(a.token_hasher().verify("secret", &h));
        assert!(!a.token_hasher().verify("secreT", &h));
    }

    #[test]
    fn encryption_round_trips_and_rejects_other_keys_contexts_and_tampering() {
        let key = MasterKey::generate();
        let enc = key.key_encryptor();
        let sealed = enc.encrypt(b"private key", "kid-1").unwrap();
        assert_eq!(enc.decrypt(&sealed, "kid-1").unwrap(), b"private key");
        assert!(enc.decrypt(&sealed, "kid-2").is_err());
        assert!(
            MasterKey::generate()
                .key_encryptor()
                .decrypt(&sealed, "kid-1")
                .is_err()
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(enc.decrypt(&tampered, "kid-1").is_err());
        assert!(enc.decrypt(&[1, 2], "kid-1").is_err());
    }

    #[test]
    fn sealed_values_round_trip_only_for_their_purpose() {
        let sealer = MasterKey::generate().sealer();
        let sealed = sealer.seal(&vec!["a", "b"], "login").unwrap();
        assert_eq!(
            sealer.unseal::<Vec<String>>(&sealed, "login").unwrap(),
            ["a", "b"]
        );
        assert!(sealer.unseal::<Vec<String>>(&sealed, "consent").is_none());
        assert!(sealer.unseal::<Vec<String>>("garbage", "login").is_none());
    }

    #[test]
    fn base64_round_trip_and_length_check() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(key.token_hasher().hash("x"), again.token_hasher().hash("x"));
        assert!(matches!(
            MasterKey::from_base64("c2hvcnQ="),
            Err(MasterKeyError::WrongLength(5))
        ));
        assert!(matches!(
            MasterKey::from_base64("!!"),
            Err(MasterKeyError::NotBase64)
        ));
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
