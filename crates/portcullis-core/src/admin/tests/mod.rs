//! Tests of tenant management against a real (in-memory SQLite) store.

mod apis_grants;
mod apps;
mod keys;
mod tenant;
mod users;

use crate::crypto::{MasterKey, PasswordHasher, TokenHasher};
use portcullis_store::Store;
use portcullis_store_sqlite::SqliteStore;

pub(super) const NOW: i64 = 1_700_000_000;

/// A fresh store and the hashers of one master key.
pub(super) struct Env {
    pub store: SqliteStore,
    pub key: MasterKey,
    pub hasher: TokenHasher,
    pub passwords: PasswordHasher,
}

impl Env {
    pub async fn new() -> Env {
        let key = MasterKey::generate();
        Env {
            store: SqliteStore::in_memory().await.unwrap(),
            hasher: key.token_hasher(),
            key,
            passwords: PasswordHasher::default(),
        }
    }

    pub fn s(&self) -> &dyn Store {
        &self.store
    }

    /// A provider on this store and master key, its clock at `now`.
    pub async fn provider(&self, now: i64) -> crate::Provider {
        crate::Provider::new(
            std::sync::Arc::new(self.store.clone()),
            crate::config::ProviderConfig::new(
                crate::config::Issuer::parse("https://id.example.com").unwrap(),
            ),
            std::sync::Arc::new(crate::clock::FixedClock::new(now)),
            &self.key,
        )
        .await
        .unwrap()
    }
}
