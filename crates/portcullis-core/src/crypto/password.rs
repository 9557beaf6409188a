//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1), off the async
//! executor and bounded by a semaphore so a flood of logins cannot exhaust memory or starve other
//! requests.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// Why hashing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Task,
}

/// Hashes and verifies passwords.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::with_concurrency(cores)
    }
}

impl PasswordHasher {
    /// At most `concurrency` hashes run at once; the rest wait their turn.
    pub fn with_concurrency(concurrency: usize) -> Self {
        PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| PasswordError::Hash(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `stored`. With `stored = None` (unknown user, or a user without
    /// a password) a dummy hash is checked anyway so the answer takes as long either way
    /// (no user enumeration by timing), and the result is `false`.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let password = password.to_owned();
        let (stored, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (dummy_hash().to_owned(), false),
        };
        self.run(move || {
            let ok = PasswordHash::new(&stored)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            ok && real
        })
        .await
    }

    /// Whether `password` matches a hash imported from another system (the JSON after
    /// `portcullis_store::IMPORTED_PASSWORD_PREFIX`, see [`crate::import::hash`]), off the
    /// executor and under the same concurrency limit as argon2.
    pub async fn verify_imported(
        &self,
        password: &str,
        imported: &str,
    ) -> Result<bool, PasswordError> {
        let (password, imported) = (password.to_owned(), imported.to_owned());
        self.run(move || crate::import::verify_imported(&password, &imported))
            .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Task)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| PasswordError::Task)
    }
}

/// A real argon2id hash of a random password, computed once.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(super::random_token(16).as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_owasp_parameters_and_verifies() {
        let hasher = PasswordHasher::default();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong horse", Some(&hash)).await.unwrap());
        assert!(
            !hasher
                .verify("correct horse", Some("not a phc string"))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let hasher = PasswordHasher::default();
        assert!(!hasher.verify("anything", None).await.unwrap());
    }
}
