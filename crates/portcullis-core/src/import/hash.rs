//! Password hashes imported from Auth0: the `custom_password_hash` object of Auth0's bulk-import
//! schema (and bcrypt `password_hash`), checked when the file is read and verified at sign-in
//! with the algorithm's own crate. After the first successful sign-in the login replaces the
//! hash with an argon2id one, so these algorithms only ever run once per user.
//!
//! The rules per algorithm are Auth0's ("Bulk User Import Schema", custom password hash):
//! argon2, bcrypt, ldap and pbkdf2 take a self-describing `hash.value` (`utf8`); md4, md5, sha1,
//! sha256, sha512, hmac and scrypt a raw digest as `hex` or `base64`, with an optional salt
//! (prefix or suffix) and the password's encoding.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

/// Auth0's `custom_password_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomPasswordHash {
    pub algorithm: String,
    pub hash: HashValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<Salt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordEncoding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keylen: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<u64>,
    #[serde(rename = "blockSize", default, skip_serializing_if = "Option::is_none")]
    pub block_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelization: Option<u64>,
}

/// `hash`: the value, its encoding, and for `hmac` the digest and key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashValue {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<EncodedValue>,
}

/// A value with its encoding (`utf8` by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodedValue {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// `salt`: value, encoding (`utf8` by default), position (`prefix` by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Salt {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

/// `password.encoding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordEncoding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// Upper bounds on the work one verification may cost (a hostile file must not make one
/// sign-in burn minutes or gigabytes): scrypt N·r ≤ 2^24 (16 MiB·128), PBKDF2 ≤ 10 million
/// iterations, outputs ≤ 1 KiB.
const MAX_SCRYPT_N_TIMES_R: u64 = 1 << 24;
const MAX_SCRYPT_P: u64 = 16;
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
const MAX_KEY_LEN: u64 = 1024;

/// The algorithm a `custom_password_hash` names, with everything needed to verify, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scheme {
    Argon2(String),
    Bcrypt(String),
    Digest {
        digest: Digest,
        expected: Vec<u8>,
    },
    Hmac {
        digest: Digest,
        key: Vec<u8>,
        expected: Vec<u8>,
    },
    Ldap {
        digest: Digest,
        salted: bool,
        decoded: Vec<u8>,
    },
    Pbkdf2 {
        digest: Digest,
        iterations: u32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        expected: Vec<u8>,
    },
}

/// The digests the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Digest {
    Md4,
    Md5,
    Ripemd160,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Whirlpool,
}

impl Digest {
    /// A digest name as Auth0 (OpenSSL, Node) spells them, `RSA-` and `WithRSAEncryption`
    /// aliases included.
    fn parse(name: &str) -> Option<Digest> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_prefix("rsa-").unwrap_or(&name);
        let name = name
            .strip_suffix("withrsaencryption")
            .or_else(|| name.strip_suffix("withrsa"))
            .unwrap_or(name);
        Some(match name {
            "md4" => Digest::Md4,
            "md5" | "ssl3-md5" => Digest::Md5,
            "ripemd" | "ripemd160" | "rmd160" => Digest::Ripemd160,
            "sha1" | "sha1-2" | "ssl3-sha1" | "sha" => Digest::Sha1,
            "sha224" => Digest::Sha224,
            "sha256" => Digest::Sha256,
            "sha384" => Digest::Sha384,
            "sha512" => Digest::Sha512,
            "whirlpool" => Digest::Whirlpool,
            _ => return None,
        })
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Digest::Md4 => md4::Md4::digest(data).to_vec(),
            Digest::Md5 => md5::Md5::digest(data).to_vec(),
            Digest::Ripemd160 => ripemd::Ripemd160::digest(data).to_vec(),
            Digest::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Digest::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Digest::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Digest::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Digest::Sha512 => sha2::Sha512::digest(data).to_vec(),
            Digest::Whirlpool => whirlpool::Whirlpool::digest(data).to_vec(),
        }
    }

    fn output_len(self) -> usize {
        match self {
            Digest::Md4 | Digest::Md5 => 16,
            Digest::Ripemd160 | Digest::Sha1 => 20,
            Digest::Sha224 => 28,
            Digest::Sha256 => 32,
            Digest::Sha384 => 48,
            Digest::Sha512 | Digest::Whirlpool => 64,
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        use hmac::{KeyInit as _, Mac as _};
        macro_rules! mac {
            ($d:ty) => {{
                let mut mac = <hmac::Hmac<$d>>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }};
        }
        match self {
            Digest::Md4 => mac!(md4::Md4),
            Digest::Md5 => mac!(md5::Md5),
            Digest::Ripemd160 => mac!(ripemd::Ripemd160),
            Digest::Sha1 => mac!(sha1::Sha1),
            Digest::Sha224 => mac!(sha2::Sha224),
            Digest::Sha256 => mac!(sha2::Sha256),
            Digest::Sha384 => mac!(sha2::Sha384),
            Digest::Sha512 => mac!(sha2::Sha512),
            Digest::Whirlpool => mac!(whirlpool::Whirlpool),
        }
    }

    fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        use pbkdf2::pbkdf2_hmac;
        match self {
            Digest::Md4 => pbkdf2_hmac::<md4::Md4>(password, salt, rounds, out),
            Digest::Md5 => pbkdf2_hmac::<md5::Md5>(password, salt, rounds, out),
            Digest::Ripemd160 => pbkdf2_hmac::<ripemd::Ripemd160>(password, salt, rounds, out),
            Digest::Sha1 => pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, out),
            Digest::Sha224 => pbkdf2_hmac::<sha2::Sha224>(password, salt, rounds, out),
            Digest::Sha256 => pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, out),
            Digest::Sha384 => pbkdf2_hmac::<sha2::Sha384>(password, salt, rounds, out),
            Digest::Sha512 => pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, out),
            Digest::Whirlpool => pbkdf2_hmac::<whirlpool::Whirlpool>(password, salt, rounds, out),
        }
    }
}

/// Base64 as Auth0 accepts it: standard or URL-safe alphabet, padded or not.
fn base64_any(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    let text = text.trim();
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

/// Decodes a value in `encoding` (`utf8` when absent).
fn decode(value: &str, encoding: Option<&str>, what: &str) -> Result<Vec<u8>, String> {
    match encoding.unwrap_or("utf8") {
        "utf8" => Ok(value.as_bytes().to_vec()),
        "hex" => hex::decode(value.trim()).map_err(|_| format!("{what} is not valid hex")),
        "base64" => base64_any(value).ok_or_else(|| format!("{what} is not valid base64")),
        other => Err(format!(
            "{what}: unknown encoding {other:?} (use base64, hex or utf8)"
        )),
    }
}

/// The `hash.encoding` of a self-describing hash must be `utf8` (or absent).
fn require_utf8(h: &CustomPasswordHash) -> Result<(), String> {
    match h.hash.encoding.as_deref() {
        None | Some("utf8") => Ok(()),
        Some(other) => Err(format!(
            "hash.encoding must be utf8 for {}, not {other:?}",
            h.algorithm
        )),
    }
}

/// The raw digest of a `hex`/`base64` hash (required for these algorithms).
fn raw_digest(h: &CustomPasswordHash) -> Result<Vec<u8>, String> {
    match h.hash.encoding.as_deref() {
        Some(encoding @ ("hex" | "base64")) => decode(&h.hash.value, Some(encoding), "hash.value"),
        _ => Err(format!(
            "hash.encoding must be hex or base64 for {}",
            h.algorithm
        )),
    }
}

fn no_salt(h: &CustomPasswordHash) -> Result<(), String> {
    match h.salt {
        Some(_) => Err(format!("salt is not allowed for {}", h.algorithm)),
        None => Ok(()),
    }
}

impl CustomPasswordHash {
    /// A bcrypt `password_hash` as a custom hash.
    pub fn bcrypt(value: &str) -> Self {
        CustomPasswordHash {
            algorithm: "bcrypt".to_owned(),
            hash: HashValue {
                value: value.to_owned(),
                encoding: None,
                digest: None,
                key: None,
            },
            salt: None,
            password: None,
            keylen: None,
            cost: None,
            block_size: None,
            parallelization: None,
        }
    }

    /// Checks the object against Auth0's rules; the error says which rule, for the import report.
    pub fn validate(&self) -> Result<(), String> {
        self.scheme().map(|_| ())?;
        self.salt_bytes()?;
        self.password_encoding()?;
        Ok(())
    }

    fn scheme(&self) -> Result<Scheme, String> {
        let value = &self.hash.value;
        match self.algorithm.as_str() {
            "argon2" => {
                require_utf8(self)?;
                no_salt(self)?;
                let parsed = argon2::password_hash::phc::PasswordHash::new(value)
                    .map_err(|_| "hash.value is not an argon2 PHC string".to_owned())?;
                if !parsed.algorithm.as_str().starts_with("argon2") {
                    return Err("hash.value is not an argon2 PHC string".to_owned());
                }
                Ok(Scheme::Argon2(value.clone()))
            }
            "bcrypt" => {
                require_utf8(self)?;
                if !["$2a$", "$2b$", "$2y$"]
                    .iter()
                    .any(|p| value.starts_with(p))
                    || value.len() != 60
                {
                    return Err(
                        "hash.value must be a bcrypt hash starting $2a$, $2b$ or $2y$".to_owned(),
                    );
                }
                Ok(Scheme::Bcrypt(value.clone()))
            }
            "md4" | "md5" | "sha1" | "sha256" | "sha512" => {
                let digest = Digest::parse(&self.algorithm)
                    .unwrap_or_else(|| unreachable!("listed algorithms parse"));
                let expected = raw_digest(self)?;
                if expected.len() != digest.output_len() {
                    return Err(format!(
                        "hash.value is {} bytes, a {} digest is {}",
                        expected.len(),
                        self.algorithm,
                        digest.output_len()
                    ));
                }
                Ok(Scheme::Digest { digest, expected })
            }
            "hmac" => {
                let expected = raw_digest(self)?;
                let digest = self
                    .hash
                    .digest
                    .as_deref()
                    .ok_or("hash.digest is required for hmac")?;
                let digest = Digest::parse(digest)
                    .ok_or_else(|| format!("hash.digest {digest:?} is not supported"))?;
                let key = self
                    .hash
                    .key
                    .as_ref()
                    .ok_or("hash.key is required for hmac")?;
                let key = decode(&key.value, key.encoding.as_deref(), "hash.key.value")?;
                Ok(Scheme::Hmac {
                    digest,
                    key,
                    expected,
                })
            }
            "ldap" => {
                require_utf8(self)?;
                no_salt(self)?;
                parse_ldap(value)
            }
            "pbkdf2" => {
                require_utf8(self)?;
                no_salt(self)?;
                parse_pbkdf2(value)
            }
            "scrypt" => {
                let expected = raw_digest(self)?;
                let keylen = self.keylen.ok_or("keylen is required for scrypt")?;
                if keylen == 0 || keylen > MAX_KEY_LEN || keylen != expected.len() as u64 {
                    return Err(format!(
                        "keylen must be the hash's length in bytes ({})",
                        expected.len()
                    ));
                }
                let cost = self.cost.unwrap_or(16_384);
                let r = self.block_size.unwrap_or(8);
                let p = self.parallelization.unwrap_or(1);
                if cost < 2 || !cost.is_power_of_two() {
                    return Err("cost must be a power of two greater than one".to_owned());
                }
                if r == 0
                    || p == 0
                    || p > MAX_SCRYPT_P
                    || cost.saturating_mul(r) > MAX_SCRYPT_N_TIMES_R
                {
                    return Err("scrypt cost, blockSize or parallelization out of range".to_owned());
                }
                Ok(Scheme::Scrypt {
                    log_n: cost.trailing_zeros() as u8,
                    r: r as u32,
                    p: p as u32,
                    expected,
                })
            }
            other => Err(format!(
                "algorithm {other:?} is not supported (argon2, bcrypt, hmac, ldap, md4, md5, \
                 sha1, sha256, sha512, pbkdf2, scrypt)"
            )),
        }
    }

    /// The salt's bytes and whether it goes after the password.
    fn salt_bytes(&self) -> Result<(Vec<u8>, bool), String> {
        let Some(salt) = &self.salt else {
            return Ok((Vec::new(), false));
        };
        let bytes = decode(&salt.value, salt.encoding.as_deref(), "salt.value")?;
        let suffix = match salt.position.as_deref() {
            None | Some("prefix") => false,
            Some("suffix") => true,
            Some(other) => return Err(format!("salt.position {other:?}: use prefix or suffix")),
        };
        Ok((bytes, suffix))
    }

    /// The password's bytes in `password.encoding`, transcoded from the UTF-8 that was typed
    /// (as Node's `Buffer.from(password, encoding)` does, which is how Auth0 computes them).
    fn password_encoding(&self) -> Result<fn(&str) -> Vec<u8>, String> {
        let encoding = self.password.as_ref().and_then(|p| p.encoding.as_deref());
        Ok(match encoding.unwrap_or("utf8") {
            "utf8" => |s: &str| s.as_bytes().to_vec(),
            // Node: one byte per UTF-16 code unit, its low 8 bits.
            "ascii" | "latin1" | "binary" => |s: &str| s.encode_utf16().map(|u| u as u8).collect(),
            "utf16le" | "ucs2" => |s: &str| s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            other => return Err(format!("password.encoding {other:?} is not supported")),
        })
    }

    /// Whether `password` matches. A hash that does not validate never matches. CPU-bound: run it
    /// off the async executor.
    pub fn verify(&self, password: &str) -> bool {
        let (Ok(scheme), Ok((salt, suffix)), Ok(encode)) =
            (self.scheme(), self.salt_bytes(), self.password_encoding())
        else {
            return false;
        };
        let password = encode(password);
        let salted = if suffix {
            [password.as_slice(), &salt].concat()
        } else {
            [salt.as_slice(), &password].concat()
        };
        match scheme {
            Scheme::Argon2(phc) => {
                use argon2::password_hash::PasswordVerifier as _;
                argon2::password_hash::phc::PasswordHash::new(&phc)
                    .map(|parsed| {
                        argon2::Argon2::default()
                            .verify_password(&password, &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false)
            }
            Scheme::Bcrypt(hash) => bcrypt::verify(&salted, &hash).unwrap_or(false),
            Scheme::Digest { digest, expected } => equal(&digest.hash(&salted), &expected),
            Scheme::Hmac {
                digest,
                key,
                expected,
            } => equal(&digest.hmac(&key, &salted), &expected),
            Scheme::Ldap {
                digest,
                salted: has_salt,
                decoded,
            } => {
                let n = digest.output_len();
                if has_salt {
                    let (hash, ldap_salt) = decoded.split_at(n);
                    let input = [password.as_slice(), ldap_salt].concat();
                    equal(&digest.hash(&input), hash)
                } else {
                    equal(&digest.hash(&password), &decoded)
                }
            }
            Scheme::Pbkdf2 {
                digest,
                iterations,
                salt,
                expected,
            } => {
                let mut out = vec![0u8; expected.len()];
                digest.pbkdf2(&password, &salt, iterations, &mut out);
                equal(&out, &expected)
            }
            Scheme::Scrypt {
                log_n,
                r,
                p,
                expected,
            } => {
                let Ok(params) = scrypt::Params::new(log_n, r, p) else {
                    return false;
                };
                let mut out = vec![0u8; expected.len()];
                scrypt::scrypt(&password, &salt, &params, &mut out).is_ok()
                    && equal(&out, &expected)
            }
        }
    }
}

/// Constant-time comparison of two digests.
fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// RFC 2307 §5.3 `{SCHEME}base64`: MD5, SMD5, SHA, SSHA, and the SHA-2 forms OpenLDAP's
/// contrib module writes (SHA256, SSHA256, SHA384, SSHA384, SHA512, SSHA512). `{CRYPT}` is
/// refused, as Auth0 does (its result depends on the system that made it).
fn parse_ldap(value: &str) -> Result<Scheme, String> {
    let rest = value
        .strip_prefix('{')
        .ok_or("hash.value must start {SCHEME}")?;
    let (scheme, encoded) = rest
        .split_once('}')
        .ok_or("hash.value must start {SCHEME}")?;
    let scheme = scheme.to_ascii_lowercase();
    let (digest, salted) = match scheme.as_str() {
        "md5" => (Digest::Md5, false),
        "smd5" => (Digest::Md5, true),
        "sha" | "sha1" => (Digest::Sha1, false),
        "ssha" | "ssha1" => (Digest::Sha1, true),
        "sha256" => (Digest::Sha256, false),
        "ssha256" => (Digest::Sha256, true),
        "sha384" => (Digest::Sha384, false),
        "ssha384" => (Digest::Sha384, true),
        "sha512" => (Digest::Sha512, false),
        "ssha512" => (Digest::Sha512, true),
        _ => return Err(format!("LDAP scheme {{{scheme}}} is not supported")),
    };
    let decoded = base64_any(encoded).ok_or("the LDAP hash is not valid base64")?;
    let n = digest.output_len();
    if (salted && decoded.len() <= n) || (!salted && decoded.len() != n) {
        return Err(format!("the {{{scheme}}} hash has the wrong length"));
    }
    Ok(Scheme::Ldap {
        digest,
        salted,
        decoded,
    })
}

/// PHC `$pbkdf2-<digest>$i=<iterations>,l=<keylen>$<salt>$<hash>` (B64 without padding);
/// `i` defaults to 100000 and `l` to 64, as Auth0 says.
fn parse_pbkdf2(value: &str) -> Result<Scheme, String> {
    let bad = || "hash.value must be $pbkdf2-<digest>$i=…,l=…$<salt>$<hash>".to_owned();
    let mut parts = value.split('$');
    if parts.next() != Some("") {
        return Err(bad());
    }
    let id = parts.next().ok_or_else(bad)?;
    let digest_name = id.strip_prefix("pbkdf2-").ok_or_else(bad)?;
    let digest = Digest::parse(digest_name)
        .ok_or_else(|| format!("PBKDF2 digest {digest_name:?} is not supported"))?;
    let remaining: Vec<&str> = parts.collect();
    let (params, salt, hash) = match remaining.as_slice() {
        [params, salt, hash] if params.contains('=') => (*params, *salt, *hash),
        [salt, hash] => ("", *salt, *hash),
        _ => return Err(bad()),
    };
    let mut iterations: u32 = 100_000;
    let mut keylen: u64 = 64;
    for param in params.split(',').filter(|p| !p.is_empty()) {
        match param.split_once('=') {
            Some(("i", v)) => iterations = v.parse().map_err(|_| bad())?,
            Some(("l", v)) => keylen = v.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        }
    }
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return Err("PBKDF2 iterations out of range".to_owned());
    }
    let salt = base64_any(salt).ok_or_else(bad)?;
    let expected = base64_any(hash).ok_or_else(bad)?;
    if expected.is_empty() || expected.len() as u64 != keylen || keylen > MAX_KEY_LEN {
        return Err(format!(
            "PBKDF2 l={keylen} does not match the hash's {} bytes",
            expected.len()
        ));
    }
    Ok(Scheme::Pbkdf2 {
        digest,
        iterations,
        salt,
        expected,
    })
}
