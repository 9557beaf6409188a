//! `GrantStore`: authorization codes.

use super::sample::{self, T0};
use super::{assert_already_consumed, assert_not_found, race};
use crate::*;
use std::sync::Arc;

/// `consume_code` returns the stored code unchanged, every field included.
pub async fn code_consume_returns_the_code(store: &dyn Store) {
    let full = sample::code("h-1", "g-1", "app", "u", "s");
    let bare = AuthorizationCode {
        code_hash: "h-2".to_owned(),
        audience: None,
        nonce: None,
        code_challenge: None,
        code_challenge_method: None,
        max_age_requested: false,
        ..sample::code("h-2", "g-2", "app", "u", "s")
    };
    for code in [&full, &bare] {
        store.insert_code(code).await.expect("insert_code");
        let got = store.consume_code(&code.code_hash, T0 + 1).await;
        let used = AuthorizationCode {
            used_at: Some(T0 + 1),
            ..code.clone()
        };
        assert_eq!(got.expect("consume_code"), used);
    }
}

/// `get_code` reads a code, used or not, without consuming it; an unknown hash is `None`.
pub async fn code_get_reads_without_consuming(store: &dyn Store) {
    let code = sample::code("h-1", "g-1", "app", "u", "s");
    store.insert_code(&code).await.expect("insert_code");
    assert_eq!(
        store.get_code("h-1").await.expect("get_code"),
        Some(code.clone())
    );
    assert_eq!(
        store.get_code("h-1").await.expect("get_code"),
        Some(code.clone()),
        "reading twice changes nothing"
    );
    store
        .consume_code("h-1", T0 + 3)
        .await
        .expect("consume_code");
    let used = store.get_code("h-1").await.expect("get_code");
    assert_eq!(used.and_then(|c| c.used_at), Some(T0 + 3));
    assert_eq!(store.get_code("nope").await.expect("get_code"), None);
}

/// A second `consume_code` is `AlreadyConsumed` carrying the code's grant id, even after expiry.
pub async fn code_consume_is_single_use(store: &dyn Store) {
    let code = sample::code("h-1", "g-1", "app", "u", "s");
    store.insert_code(&code).await.expect("insert_code");
    store
        .consume_code("h-1", T0 + 1)
        .await
        .expect("first consume_code");
    assert_already_consumed(store.consume_code("h-1", T0 + 2).await, "g-1", "second use");
    assert_already_consumed(
        store.consume_code("h-1", code.expires_at + 10).await,
        "g-1",
        "use after expiry",
    );
}

/// An unknown code hash is `NotFound`.
pub async fn code_consume_unknown_is_not_found(store: &dyn Store) {
    assert_not_found(store.consume_code("nope", T0).await, "unknown code");
    store
        .insert_code(&sample::code("h-1", "g-1", "app", "u", "s"))
        .await
        .expect("insert_code");
    assert_not_found(store.consume_code("h-2", T0).await, "another unknown code");
}

/// Sixteen tasks consume the same code at once: exactly one gets it, the others get
/// `AlreadyConsumed { grant_id }`.
pub async fn code_consume_concurrently_exactly_one_wins(store: Arc<dyn Store>) {
    let code = sample::code("h-race", "g-race", "app", "u", "s");
    store.insert_code(&code).await.expect("insert_code");
    let results = race(16, |_| {
        let store = Arc::clone(&store);
        async move { store.consume_code("h-race", T0 + 1).await }
    })
    .await;
    let mut winners = 0;
    for result in results {
        match result {
            Ok(got) => {
                assert_eq!(got.code_hash, code.code_hash);
                assert_eq!(got.used_at, Some(T0 + 1));
                winners += 1;
            }
            other => assert_already_consumed(other, "g-race", "losing consumer"),
        }
    }
    assert_eq!(winners, 1, "exactly one consumer wins");
}
