use crate::client_ip::TrustedProxies;
use portcullis_core::Provider;
use std::sync::Arc;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub provider: Provider,
    pub origins: Arc<crate::cors::OriginCache>,
    pub trusted_proxies: Arc<TrustedProxies>,
}

impl AppState {
    pub fn new(provider: Provider, options: crate::WebOptions) -> Self {
        AppState {
            provider,
            origins: Arc::new(crate::cors::OriginCache::default()),
            trusted_proxies: Arc::new(TrustedProxies::new(options.trusted_proxies)),
        }
    }
}
