//! The Portcullis HTTP layer: axum routes for the protocol endpoints and the hosted pages.
//! Thin by design: extract, call `portcullis-core`, map the result to HTTP.

use axum::Router;
use portcullis_core::Provider;

/// The whole provider as one router, ready for `axum::serve`.
pub fn router(provider: Provider) -> Router {
    let _ = provider;
    Router::new()
}
