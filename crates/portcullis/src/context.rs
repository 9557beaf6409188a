//! What every command needs: the configuration, the database and the master key's hashers.

use crate::config::Config;
use crate::database::{self, Database};
use crate::master_key;
use anyhow::Context as _;
use portcullis_core::clock::{Clock, SystemClock};
use portcullis_core::crypto::{MasterKey, PasswordHasher, TokenHasher};
use portcullis_store::Store;
use std::sync::Arc;

/// An opened tenant.
pub struct Tenant {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub database: Database,
    pub master_key: MasterKey,
    pub hasher: TokenHasher,
    pub passwords: PasswordHasher,
}

impl Tenant {
    /// Creates the data directory, loads (or creates) the master key and opens (creating and
    /// migrating) the database.
    pub async fn open(config: Config) -> anyhow::Result<Tenant> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let loaded = master_key::load_or_create(&config)?;
        if let Some(path) = &loaded.created {
            eprintln!(
                "Created a new master key in {} (mode 0600). Back it up: without it the signing keys and client secrets in the database are unusable.",
                path.display()
            );
        }
        let database = database::open_store(&config.database_url).await?;
        Ok(Tenant {
            hasher: loaded.key.token_hasher(),
            master_key: loaded.key,
            passwords: PasswordHasher::default(),
            store: database.store(),
            database,
            config,
        })
    }

    /// The store, as the admin functions take it.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Now, from the system clock.
    pub fn now(&self) -> i64 {
        SystemClock.now()
    }
}
