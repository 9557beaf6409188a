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

/// `get_code_in_use` reads the code with its user and its session's factors, as stored now.
pub async fn code_in_use_reads_code_user_and_session_factors(store: &dyn Store) {
    let user = sample::user("u-1", "one@example.com", T0);
    store.create_user(&user).await.expect("create_user");
    store
        .create_session(&sample::session("s-1", "sh-1", "u-1"))
        .await
        .expect("create_session");
    store
        .create_session(&sample::session("s-bare", "sh-2", "u-1"))
        .await
        .expect("create_session");
    // Recorded out of order: read back oldest first.
    for (method, at) in [("otp", T0 + 2), ("pwd", T0 + 1)] {
        let factor = SessionFactor {
            method: method.to_owned(),
            at,
        };
        store
            .add_session_factor("s-1", &factor)
            .await
            .expect("add_session_factor");
    }
    let code = sample::code("h-1", "g-1", "app", "u-1", "s-1");
    let bare = sample::code("h-2", "g-2", "app", "u-1", "s-bare");
    let orphan = sample::code("h-3", "g-3", "app", "u-gone", "s-gone");
    for c in [&code, &bare, &orphan] {
        store.insert_code(c).await.expect("insert_code");
    }
    let in_use = |hash: &'static str| async move {
        store.get_code_in_use(hash).await.expect("get_code_in_use")
    };

    let found = in_use("h-1").await.expect("h-1");
    assert_eq!(found.code, code);
    assert_eq!(found.user.as_ref(), Some(&user));
    let factors: Vec<_> = found
        .session_factors
        .iter()
        .map(|f| (f.method.as_str(), f.at))
        .collect();
    assert_eq!(factors, [("pwd", T0 + 1), ("otp", T0 + 2)]);
    assert_eq!(
        found.session_factors,
        store.list_session_factors("s-1").await.expect("list")
    );

    let found = in_use("h-2").await.expect("h-2");
    assert_eq!(
        (found.user.is_some(), found.session_factors.len()),
        (true, 0)
    );
    let found = in_use("h-3").await.expect("h-3");
    assert_eq!(found.code, orphan);
    assert_eq!((found.user, found.session_factors.len()), (None, 0));
    assert_eq!(in_use("nope").await, None);

    store
        .consume_code("h-1", T0 + 9)
        .await
        .expect("consume_code");
    let found = in_use("h-1").await.expect("h-1");
    assert_eq!(found.code.used_at, Some(T0 + 9), "as stored now");
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

/// `redeem_code` claims the code and stores the grant and its refresh token together; a second
/// redemption is `AlreadyConsumed` with the code's grant id and stores nothing more.
pub async fn code_redeem_stores_grant_and_refresh_once(store: &dyn Store) {
    let code = sample::code("h-1", "g-1", "app", "u", "s");
    store.insert_code(&code).await.expect("insert_code");
    let grant = sample::grant("g-1", "app", "u", Some("s"), true);
    let refresh = sample::refresh("rt-1", "g-1", "app");
    store
        .redeem_code("h-1", T0 + 1, &grant, Some(&refresh))
        .await
        .expect("redeem_code");
    let used = store.get_code("h-1").await.expect("get_code");
    assert_eq!(used.and_then(|c| c.used_at), Some(T0 + 1));
    assert_eq!(
        store.get_grant("g-1").await.expect("get_grant"),
        Some(grant.clone())
    );
    assert_eq!(
        store
            .get_refresh_token("rt-1")
            .await
            .expect("get_refresh_token"),
        Some(refresh)
    );

    let again = sample::grant("g-other", "app", "u", Some("s"), false);
    assert_already_consumed(
        store.redeem_code("h-1", T0 + 2, &again, None).await,
        "g-1",
        "second redemption",
    );
    assert_eq!(store.get_grant("g-other").await.expect("get_grant"), None);
    assert_not_found(
        store.redeem_code("nope", T0, &again, None).await,
        "unknown code",
    );
    assert_eq!(store.get_grant("g-other").await.expect("get_grant"), None);
}

/// Without a refresh token, `redeem_code` stores the grant alone.
pub async fn code_redeem_without_refresh_stores_the_grant(store: &dyn Store) {
    store
        .insert_code(&sample::code("h-1", "g-1", "app", "u", "s"))
        .await
        .expect("insert_code");
    let grant = sample::grant("g-1", "app", "u", Some("s"), false);
    store
        .redeem_code("h-1", T0 + 1, &grant, None)
        .await
        .expect("redeem_code");
    assert_eq!(
        store.get_grant("g-1").await.expect("get_grant"),
        Some(grant)
    );
}

/// A grant id already taken (a replay's revoked tombstone) fails the redemption as `Conflict`,
/// and all of it: the code stays unclaimed and no refresh token is stored.
pub async fn code_redeem_conflict_stores_nothing(store: &dyn Store) {
    store
        .insert_code(&sample::code("h-1", "g-1", "app", "u", "s"))
        .await
        .expect("insert_code");
    let tombstone = Grant {
        revoked: true,
        ..sample::grant("g-1", "app", "u", None, false)
    };
    store.create_grant(&tombstone).await.expect("create_grant");
    let grant = sample::grant("g-1", "app", "u", Some("s"), true);
    let refresh = sample::refresh("rt-1", "g-1", "app");
    let got = store
        .redeem_code("h-1", T0 + 1, &grant, Some(&refresh))
        .await;
    assert!(matches!(got, Err(StoreError::Conflict(_))), "{got:?}");
    let code = store.get_code("h-1").await.expect("get_code");
    assert_eq!(
        code.and_then(|c| c.used_at),
        None,
        "the code is not claimed"
    );
    assert_eq!(
        store
            .get_refresh_token("rt-1")
            .await
            .expect("get_refresh_token"),
        None
    );
    assert_eq!(
        store.get_grant("g-1").await.expect("get_grant"),
        Some(tombstone)
    );
}

/// Sixteen tasks redeem the same code at once: exactly one stores its grant, the others get
/// `AlreadyConsumed { grant_id }` and store nothing.
pub async fn code_redeem_concurrently_exactly_one_wins(store: Arc<dyn Store>) {
    store
        .insert_code(&sample::code("h-race", "g-race", "app", "u", "s"))
        .await
        .expect("insert_code");
    let results = race(16, |i| {
        let store = Arc::clone(&store);
        async move {
            let grant = sample::grant(&format!("g-{i}"), "app", "u", Some("s"), true);
            let refresh = sample::refresh(&format!("rt-{i}"), &grant.grant_id, "app");
            store
                .redeem_code("h-race", T0 + 1, &grant, Some(&refresh))
                .await
        }
    })
    .await;
    let mut winners = 0;
    for result in results {
        match result {
            Ok(()) => winners += 1,
            other => assert_already_consumed(other, "g-race", "losing redemption"),
        }
    }
    assert_eq!(winners, 1, "exactly one redemption wins");
    let mut stored = 0;
    for i in 0..16 {
        if store
            .get_refresh_token(&format!("rt-{i}"))
            .await
            .expect("get_refresh_token")
            .is_some()
        {
            stored += 1;
        }
    }
    assert_eq!(stored, 1, "one refresh token, the winner's");
}
