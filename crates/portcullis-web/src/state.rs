use portcullis_core::Provider;
use std::sync::Arc;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub provider: Provider,
    pub origins: Arc<crate::cors::OriginCache>,
}

impl AppState {
    pub fn new(provider: Provider) -> Self {
        AppState {
            provider,
            origins: Arc::new(crate::cors::OriginCache::default()),
        }
    }
}
