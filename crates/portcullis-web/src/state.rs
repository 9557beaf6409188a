use crate::client_ip::TrustedProxies;
use portcullis_core::Provider;
use std::sync::Arc;

/// Shared state of every handler: one pointer, so the copy axum hands each request is cheap
/// (the provider holds keys whose contexts are costly to copy).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] points to.
pub struct Shared {
    pub provider: Provider,
    pub origins: Arc<crate::cors::OriginCache>,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// What the pages show of the provider (from its configuration).
    pub brand: Arc<crate::ui::Brand>,
    /// The discovery document (OIDC Discovery §3), serialized once: it depends on the issuer
    /// alone.
    pub discovery_json: axum::body::Bytes,
}

impl AppState {
    pub fn new(provider: Provider, options: crate::WebOptions) -> Self {
        AppState(Arc::new(Shared {
            brand: Arc::new(crate::ui::Brand::of(&provider.config)),
            discovery_json: portcullis_core::discovery::metadata(&provider.config.issuer)
                .to_string()
                .into(),
            provider,
            origins: Arc::new(crate::cors::OriginCache::default()),
            trusted_proxies: Arc::new(TrustedProxies::new(options.trusted_proxies)),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
