//! Cryptographic building blocks: random values, keyed hashes, password hashing, encryption at
//! rest. Everything here uses aws-lc-rs or argon2; nothing is hand-rolled beyond gluing them.

mod master_key;
mod password;
mod random;

pub use master_key::{KeyEncryptor, MasterKey, MasterKeyError, Sealer, TokenHasher};
pub use password::{PasswordError, PasswordHasher};
pub use random::{new_id, random_token};

/// Compares two byte strings in constant time (for secrets, hashes, PKCE verifiers).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
