//! What every command needs: the configuration, the database and the master key's hashers.

use crate::config::Config;
use crate::database::{self, Database};
use crate::{data_dir, master_key};
use anyhow::Context as _;
use portcullis_core::clock::{Clock, SystemClock};
use portcullis_core::crypto::{MasterKey, PasswordHasher, TokenHasher};
use portcullis_store::Store;
use std::sync::Arc;

/// What a command may do to the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only read: fail when there is no data rather than create any.
    ReadOnly,
    /// Create the data directory, master key and database when missing (never inside a git
    /// work tree that does not ignore them).
    ReadWrite,
}

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
    /// Opens the tenant. With [`Access::ReadWrite`], creates the data directory, the master key
    /// and the database (migrated) when missing; with [`Access::ReadOnly`], creates nothing and
    /// fails when there is no database.
    pub async fn open(config: Config, access: Access) -> anyhow::Result<Tenant> {
        match access {
            Access::ReadOnly => {
                data_dir::refuse_missing(&config)?;
                if let crate::config::MasterKeySource::File(key) = &config.master_key
                    && !key.exists()
                {
                    anyhow::bail!(
                        "the master key file {} is missing: without it the data in {} cannot be used (restore it, or set PORTCULLIS_MASTER_KEY / PORTCULLIS_MASTER_KEY_FILE)",
                        key.display(),
                        config.data_dir.display()
                    );
                }
            }
            Access::ReadWrite => {
                data_dir::check_creatable(&config)?;
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!("creating the data directory {}", config.data_dir.display())
                })?;
            }
        }
        let loaded = master_key::load_or_create(&config)?;
        if let Some(path) = &loaded.created {
            eprintln!(
                "Created a new master key in {} (mode 0600). Back it up: without it the signing keys and client secrets in the database are unusable.",
                path.display()
            );
        }
        let database = database::open_store(&config.database_url).await?;
        if access == Access::ReadWrite {
            // The built-in Management API, so it can be granted before the server first ran.
            portcullis_core::management::builtin_api::create_management_api_if_missing(
                database.store().as_ref(),
                &config.provider.issuer,
                SystemClock.now(),
            )
            .await
            .context("creating the built-in Management API")?;
        }
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

    /// A provider on this tenant, for the commands that sign users out: its back-channel
    /// logouts go out over HTTP; wait for them with [`SignOut::finish`] before exiting.
    /// Loading it creates the first signing keys when there are none.
    pub async fn signer(&self) -> anyhow::Result<SignOut> {
        let notifier = portcullis_web::HttpLogoutNotifier::new();
        let provider = crate::server::provider(self)
            .await?
            .with_logout_notifier(Arc::new(notifier.clone()));
        Ok(SignOut { provider, notifier })
    }

    /// Now, from the system clock.
    pub fn now(&self) -> i64 {
        SystemClock.now()
    }
}

/// A provider that signs users out from the CLI, and the back-channel deliveries it started.
pub struct SignOut {
    pub provider: portcullis_core::Provider,
    notifier: portcullis_web::HttpLogoutNotifier,
}

impl SignOut {
    /// Waits for the back-channel logouts sent so far (each ends within seconds).
    pub async fn finish(&self) {
        self.notifier.flush().await;
    }
}
