//! Token-signing keys: generation, encryption at rest, the in-memory key ring, the JWKS, and
//! rotation (OIDC Core §10.1.1: publish the new key before it signs, keep the old one while its
//! tokens live).

use crate::crypto::{KeyEncryptor, MasterKeyError};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis_store::{KeyState, SigningKeyRecord, Store, StoreError, UnixTime};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The only algorithm Portcullis signs with today. Auth0's SDKs require RS256 ID tokens.
pub const RS256: &str = "RS256";

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("stored key {kid} could not be decrypted or parsed: {reason}")]
    Corrupt { kid: String, reason: String },
    #[error("no current signing key")]
    NoCurrentKey,
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A parsed private key, held in memory so signing never re-parses DER.
pub struct SigningKey {
    pub kid: String,
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| KeyError::Generate)?;
        Ok(sig)
    }
}

/// A public key parsed once, for verifying our own tokens (id_token_hint, access tokens).
struct VerifyingKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

/// Generates a new RSA-2048 key and its storage record (private key encrypted, `kid` = RFC 7638
/// thumbprint of the public JWK).
pub fn generate_key(
    encryptor: &KeyEncryptor,
    state: KeyState,
    now: UnixTime,
) -> Result<SigningKeyRecord, KeyError> {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
    let pkcs8 = pair.as_der().map_err(|_| KeyError::Generate)?;
    let (n, e) = public_components(&pair);
    let kid = thumbprint(&n, &e);
    let jwk = json!({
        "kty": "RSA", "use": "sig", "alg": RS256, "kid": kid, "n": n, "e": e,
    });
    Ok(SigningKeyRecord {
        private_key_encrypted: encryptor.encrypt(pkcs8.as_ref(), &kid)?,
        kid,
        alg: RS256.to_owned(),
        public_jwk: jwk.to_string(),
        state,
        created_at: now,
        retire_at: None,
    })
}

fn public_components(pair: &RsaKeyPair) -> (String, String) {
    let public = pair.public_key();
    (
        URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
        URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
    )
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

/// The keys in force at one moment: the one that signs and the ones that verify.
pub struct KeyRing {
    current: Arc<SigningKey>,
    verifying: HashMap<String, VerifyingKey>,
    jwks: Value,
    /// `jwks` serialized once: the JWKS endpoint answers with these bytes.
    jwks_json: String,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current.kid)
            .field("published", &self.verifying.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Builds the ring from stored records: decrypts the `Current` key; publishes `Next`,
    /// `Current` and the `Previous` keys whose `retire_at` is still ahead.
    pub fn from_records(
        records: &[SigningKeyRecord],
        encryptor: &KeyEncryptor,
        now: UnixTime,
    ) -> Result<Self, KeyError> {
        let mut current = None;
        let mut verifying = HashMap::new();
        let mut published = Vec::new();
        for record in records {
            let live = match record.state {
                KeyState::Next | KeyState::Current => true,
                KeyState::Previous => record.retire_at.is_none_or(|t| t > now),
                KeyState::Retired => false,
            };
            if !live {
                continue;
            }
            let jwk: Value =
                serde_json::from_str(&record.public_jwk).map_err(|e| KeyError::Corrupt {
                    kid: record.kid.clone(),
                    reason: e.to_string(),
                })?;
            let component = |name: &str| {
                jwk.get(name)
                    .and_then(Value::as_str)
                    .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
                    .ok_or_else(|| KeyError::Corrupt {
                        kid: record.kid.clone(),
                        reason: format!("public JWK has no valid `{name}`"),
                    })
            };
            verifying.insert(
                record.kid.clone(),
                VerifyingKey {
                    n: component("n")?,
                    e: component("e")?,
                },
            );
            published.push(jwk);
            if record.state == KeyState::Current {
                let der = encryptor.decrypt(&record.private_key_encrypted, &record.kid)?;
                let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| KeyError::Corrupt {
                    kid: record.kid.clone(),
                    reason: e.to_string(),
                })?;
                current = Some(Arc::new(SigningKey {
                    kid: record.kid.clone(),
                    pair,
                }));
            }
        }
        let jwks = json!({ "keys": published });
        Ok(KeyRing {
            current: current.ok_or(KeyError::NoCurrentKey)?,
            verifying,
            jwks_json: jwks.to_string(),
            jwks,
        })
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> &Arc<SigningKey> {
        &self.current
    }

    /// The public JWK Set (RFC 7517 §5): public members only.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// [`KeyRing::jwks`] as JSON text.
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// Verifies an RS256 signature by a published key.
    pub fn verify(&self, kid: &str, message: &[u8], sig: &[u8]) -> bool {
        let Some(key) = self.verifying.get(kid) else {
            return false;
        };
        signature::RsaPublicKeyComponents {
            n: key.n.as_slice(),
            e: key.e.as_slice(),
        }
        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
        .is_ok()
    }
}

/// Holds the current [`KeyRing`] and reloads it from the store, so a rotation made by the CLI or
/// another replica is picked up without a restart.
#[derive(Debug)]
pub struct KeyManager {
    ring: RwLock<Arc<KeyRing>>,
    encryptor: KeyEncryptor,
}

impl KeyManager {
    /// Loads the keys, creating a current and a next key on first start.
    pub async fn load(
        store: &dyn Store,
        encryptor: KeyEncryptor,
        now: UnixTime,
    ) -> Result<Self, KeyError> {
        ensure_keys(store, &encryptor, now).await?;
        let ring = KeyRing::from_records(&store.list_keys().await?, &encryptor, now)?;
        Ok(KeyManager {
            ring: RwLock::new(Arc::new(ring)),
            encryptor,
        })
    }

    /// The ring in force.
    pub fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// What encrypts private keys at rest (to generate keys in a rotation).
    pub fn encryptor(&self) -> &KeyEncryptor {
        &self.encryptor
    }

    /// Re-reads the keys from the store.
    pub async fn reload(&self, store: &dyn Store, now: UnixTime) -> Result<(), KeyError> {
        let ring = KeyRing::from_records(&store.list_keys().await?, &self.encryptor, now)?;
        match self.ring.write() {
            Ok(mut guard) => *guard = Arc::new(ring),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(ring),
        }
        Ok(())
    }
}

/// Creates a `Current` and a `Next` key when the store has no current key. Replicas starting
/// together may race here: the store allows one `Current` and one `Next`, so a losing insert
/// fails with `Conflict`, which means another replica already did the work.
pub async fn ensure_keys(
    store: &dyn Store,
    encryptor: &KeyEncryptor,
    now: UnixTime,
) -> Result<(), KeyError> {
    let keys = store.list_keys().await?;
    if keys.iter().any(|k| k.state == KeyState::Current) {
        return Ok(());
    }
    let mut wanted = vec![KeyState::Current];
    if !keys.iter().any(|k| k.state == KeyState::Next) {
        wanted.push(KeyState::Next);
    }
    for state in wanted {
        match store
            .insert_key(&generate_key(encryptor, state, now)?)
            .await
        {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Rotates: `Next` starts signing, `Current` stays published until `now + keep_previous_for`
/// (the longest token lifetime), and a new `Next` is generated.
pub async fn rotate_keys(
    store: &dyn Store,
    encryptor: &KeyEncryptor,
    keep_previous_for: i64,
    now: UnixTime,
) -> Result<SigningKeyRecord, KeyError> {
    let next = generate_key(encryptor, KeyState::Next, now)?;
    store
        .rotate_keys(&next, now + keep_previous_for, now)
        .await?;
    Ok(next)
}
