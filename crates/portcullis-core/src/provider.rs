//! The provider: everything a protocol operation needs, in one cheap-to-clone value.

use crate::audit::AuditLog;
use crate::backchannel::{LogoutNotifier, NoNotifier, SharedNotifier};
use crate::clock::Clock;
use crate::config::ProviderConfig;
use crate::crypto::{MasterKey, PasswordHasher, Sealer, TokenHasher};
use crate::keys::{KeyError, KeyManager};
use crate::upstream::Upstream;
use crate::upstream::http::{NoHttp, UpstreamHttp};
use portcullis_store::Store;
use std::sync::Arc;

/// The protocol engine's context. Clone it freely: every field is shared.
#[derive(Clone)]
pub struct Provider {
    pub store: Arc<dyn Store>,
    pub config: Arc<ProviderConfig>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<KeyManager>,
    /// Keyed hash for tokens, codes, session cookies and client secrets.
    pub hasher: TokenHasher,
    /// Authenticated encryption for short-lived state handed to the browser.
    pub sealer: Sealer,
    pub passwords: PasswordHasher,
    /// Delivers back-channel logout tokens (see [`crate::backchannel`]).
    pub notifier: SharedNotifier,
    /// The HTTP client towards upstream identity providers, and their cached metadata.
    pub upstream: Arc<Upstream>,
    /// The audit log's queue (see [`crate::audit`]).
    pub audit: AuditLog,
    /// Applications, APIs and client grants kept in memory (see [`crate::catalog`]).
    pub catalog: Arc<crate::catalog::Catalog>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer.as_str())
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Loads (or, on first start, creates) the signing keys, makes sure the built-in Management
    /// API exists ([`crate::management::ensure_management_api`]) and assembles the provider.
    /// Starts the audit log's writer on the current runtime.
    pub async fn new(
        store: Arc<dyn Store>,
        config: ProviderConfig,
        clock: Arc<dyn Clock>,
        master_key: &MasterKey,
    ) -> Result<Self, KeyError> {
        let keys =
            KeyManager::load(store.as_ref(), master_key.key_encryptor(), clock.now()).await?;
        crate::management::ensure_management_api(store.as_ref(), &config.issuer, clock.now())
            .await?;
        let audit = AuditLog::start(Arc::clone(&store), config.audit_log_stdout);
        Ok(Provider {
            audit,
            store,
            config: Arc::new(config),
            clock,
            keys: Arc::new(keys),
            hasher: master_key.token_hasher(),
            sealer: master_key.sealer(),
            passwords: PasswordHasher::default(),
            notifier: Arc::new(NoNotifier),
            upstream: Arc::new(Upstream::new(Arc::new(NoHttp))),
            catalog: Arc::default(),
        })
    }

    /// The same provider, delivering back-channel logout tokens with `notifier`.
    pub fn with_logout_notifier(mut self, notifier: Arc<dyn LogoutNotifier>) -> Self {
        self.notifier = notifier;
        self
    }

    /// The same provider, talking to upstream identity providers with `http`.
    pub fn with_upstream_http(mut self, http: Arc<dyn UpstreamHttp>) -> Self {
        self.upstream = Arc::new(Upstream::new(http));
        self
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
