//! `KeyStore`.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found, race};
use crate::*;
use std::sync::Arc;

/// `(kid, state, retire_at)` of every key, in `list_keys` order.
async fn states(store: &dyn Store) -> Vec<(String, KeyState, Option<UnixTime>)> {
    store
        .list_keys()
        .await
        .expect("list_keys")
        .into_iter()
        .map(|k| (k.kid, k.state, k.retire_at))
        .collect()
}

fn row(
    kid: &str,
    state: KeyState,
    retire_at: Option<UnixTime>,
) -> (String, KeyState, Option<UnixTime>) {
    (kid.to_owned(), state, retire_at)
}

fn count(keys: &[(String, KeyState, Option<UnixTime>)], state: KeyState) -> usize {
    keys.iter().filter(|k| k.1 == state).count()
}

/// `list_keys` returns every key, retired ones included, unchanged and ordered by creation
/// time (then kid).
pub async fn key_insert_list_in_creation_order(store: &dyn Store) {
    let retired = SigningKeyRecord {
        retire_at: Some(T0 - 10),
        ..sample::key("k-retired", KeyState::Retired, T0 - 300)
    };
    let previous = SigningKeyRecord {
        retire_at: Some(T0 + 10),
        alg: "ES256".to_owned(),
        ..sample::key("k-previous", KeyState::Previous, T0 - 200)
    };
    let current = sample::key("k-current", KeyState::Current, T0 - 100);
    let next = sample::key("k-next", KeyState::Next, T0 - 100);
    for key in [&next, &retired, &current, &previous] {
        store.insert_key(key).await.expect("insert_key");
    }
    let keys = store.list_keys().await.expect("list_keys");
    assert_eq!(keys, [retired, previous, current, next]);
}

/// A second key with the same kid is a `Conflict`.
pub async fn key_duplicate_kid_conflicts(store: &dyn Store) {
    let first = sample::key("k-1", KeyState::Previous, T0);
    store.insert_key(&first).await.expect("insert_key");
    let dup = sample::key("k-1", KeyState::Retired, T0 + 1);
    assert_conflict(store.insert_key(&dup).await, "duplicate kid");
    assert_eq!(store.list_keys().await.expect("list_keys"), [first]);
}

/// At most one key is `Current` and at most one is `Next`: inserting a second is a `Conflict`
/// (so replicas bootstrapping at once cannot both install a signing key). Any number of
/// `Previous` and `Retired` keys may exist.
pub async fn key_second_current_or_next_conflicts(store: &dyn Store) {
    for (kid, state) in [
        ("k-cur", KeyState::Current),
        ("k-next", KeyState::Next),
        ("k-p1", KeyState::Previous),
        ("k-p2", KeyState::Previous),
        ("k-r1", KeyState::Retired),
        ("k-r2", KeyState::Retired),
    ] {
        store
            .insert_key(&sample::key(kid, state, T0))
            .await
            .expect("insert_key");
    }
    let second_current = sample::key("k-cur-2", KeyState::Current, T0 + 1);
    assert_conflict(store.insert_key(&second_current).await, "second Current");
    let second_next = sample::key("k-next-2", KeyState::Next, T0 + 1);
    assert_conflict(store.insert_key(&second_next).await, "second Next");
    assert_eq!(store.list_keys().await.expect("list_keys").len(), 6);
}

/// With a `Next` key, rotation makes `Current` → `Previous` (with `retire_at`), `Next` →
/// `Current`, and inserts the new key as `Next`.
pub async fn key_rotate_promotes_next(store: &dyn Store) {
    store
        .insert_key(&sample::key("k-1", KeyState::Current, T0))
        .await
        .expect("insert_key");
    store
        .insert_key(&sample::key("k-2", KeyState::Next, T0 + 1))
        .await
        .expect("insert_key");
    let new = sample::key("k-3", KeyState::Next, T0 + 100);
    store
        .rotate_keys(&new, T0 + 500, T0 + 100)
        .await
        .expect("rotate_keys");
    assert_eq!(
        states(store).await,
        [
            row("k-1", KeyState::Previous, Some(T0 + 500)),
            row("k-2", KeyState::Current, None),
            row("k-3", KeyState::Next, None),
        ]
    );
    let keys = store.list_keys().await.expect("list_keys");
    assert_eq!(keys.last(), Some(&new), "the new key is stored as given");
}

/// Without a `Next` key, the new key becomes `Current` and no `Next` remains.
pub async fn key_rotate_without_next_makes_new_current(store: &dyn Store) {
    store
        .insert_key(&sample::key("k-1", KeyState::Current, T0))
        .await
        .expect("insert_key");
    let new = sample::key("k-2", KeyState::Next, T0 + 100);
    store
        .rotate_keys(&new, T0 + 500, T0 + 100)
        .await
        .expect("rotate_keys");
    assert_eq!(
        states(store).await,
        [
            row("k-1", KeyState::Previous, Some(T0 + 500)),
            row("k-2", KeyState::Current, None),
        ]
    );
    let keys = store.list_keys().await.expect("list_keys");
    let stored = SigningKeyRecord {
        state: KeyState::Current,
        ..new
    };
    assert_eq!(keys.last(), Some(&stored));
}

/// Rotating an empty key set installs the new key as `Current`.
pub async fn key_rotate_on_empty_store_makes_new_current(store: &dyn Store) {
    let new = sample::key("k-1", KeyState::Next, T0);
    store
        .rotate_keys(&new, T0 + 500, T0)
        .await
        .expect("rotate_keys");
    assert_eq!(states(store).await, [row("k-1", KeyState::Current, None)]);
}

/// Rotation retires the `Previous` keys whose `retire_at` is before `now` (not at `now`).
pub async fn key_rotate_retires_expired_previous_keys(store: &dyn Store) {
    let with_retire = |kid: &str, state, created_at, retire_at| SigningKeyRecord {
        retire_at: Some(retire_at),
        ..sample::key(kid, state, created_at)
    };
    for key in [
        with_retire("k-gone", KeyState::Retired, T0 - 400, T0 - 300),
        with_retire("k-old", KeyState::Previous, T0 - 300, T0 + 99),
        with_retire("k-edge", KeyState::Previous, T0 - 200, T0 + 100),
        sample::key("k-cur", KeyState::Current, T0 - 100),
        sample::key("k-next", KeyState::Next, T0 - 50),
    ] {
        store.insert_key(&key).await.expect("insert_key");
    }
    store
        .rotate_keys(
            &sample::key("k-new", KeyState::Next, T0),
            T0 + 500,
            T0 + 100,
        )
        .await
        .expect("rotate_keys");
    assert_eq!(
        states(store).await,
        [
            row("k-gone", KeyState::Retired, Some(T0 - 300)),
            row("k-old", KeyState::Retired, Some(T0 + 99)),
            row("k-edge", KeyState::Previous, Some(T0 + 100)),
            row("k-cur", KeyState::Previous, Some(T0 + 500)),
            row("k-next", KeyState::Current, None),
            row("k-new", KeyState::Next, None),
        ]
    );
}

/// Over many rotations exactly one key is `Current` (the former `Next`), and previous keys
/// retire as their time passes.
pub async fn key_rotate_keeps_exactly_one_current(store: &dyn Store) {
    store
        .insert_key(&sample::key("k-0", KeyState::Current, T0))
        .await
        .expect("insert_key");
    store
        .insert_key(&sample::key("k-1", KeyState::Next, T0))
        .await
        .expect("insert_key");
    for i in 2..8 {
        let now = T0 + i * 1000;
        let new = sample::key(&format!("k-{i}"), KeyState::Next, now);
        store
            .rotate_keys(&new, now + 1500, now)
            .await
            .expect("rotate_keys");
        let keys = states(store).await;
        assert_eq!(
            count(&keys, KeyState::Current),
            1,
            "after rotation {i}: {keys:?}"
        );
        assert_eq!(
            count(&keys, KeyState::Next),
            1,
            "after rotation {i}: {keys:?}"
        );
        let current = keys.iter().find(|k| k.1 == KeyState::Current);
        assert_eq!(current.map(|k| k.0.clone()), Some(format!("k-{}", i - 1)));
        // retire_at is 1.5 rotations away: a demoted key stays Previous for one more rotation.
        assert_eq!(count(&keys, KeyState::Previous), if i == 2 { 1 } else { 2 });
        assert_eq!(count(&keys, KeyState::Retired), (i - 3).max(0) as usize);
    }
}

/// Rotating to a kid that exists is a `Conflict` and changes nothing.
pub async fn key_rotate_to_taken_kid_conflicts_and_changes_nothing(store: &dyn Store) {
    let old = SigningKeyRecord {
        retire_at: Some(T0 + 1),
        ..sample::key("k-old", KeyState::Previous, T0 - 100)
    };
    for key in [
        old,
        sample::key("k-cur", KeyState::Current, T0),
        sample::key("k-next", KeyState::Next, T0),
    ] {
        store.insert_key(&key).await.expect("insert_key");
    }
    let before = store.list_keys().await.expect("list_keys");
    let taken = sample::key("k-old", KeyState::Next, T0 + 10);
    assert_conflict(
        store.rotate_keys(&taken, T0 + 500, T0 + 10).await,
        "rotation to a taken kid",
    );
    assert_eq!(store.list_keys().await.expect("list_keys"), before);
}

/// Four rotations at once all happen, one after the other: one `Current`, one `Next`, and the
/// four demoted keys `Previous`.
pub async fn key_rotate_concurrently_keeps_one_current(store: Arc<dyn Store>) {
    store
        .insert_key(&sample::key("k-a", KeyState::Current, T0))
        .await
        .expect("insert_key");
    store
        .insert_key(&sample::key("k-b", KeyState::Next, T0))
        .await
        .expect("insert_key");
    let results = race(4, |i| {
        let store = Arc::clone(&store);
        async move {
            let new = sample::key(&format!("k-new-{i}"), KeyState::Next, T0 + 10);
            store.rotate_keys(&new, T0 + 500, T0 + 10).await
        }
    })
    .await;
    for result in results {
        result.expect("concurrent rotate_keys");
    }
    let keys = states(&*store).await;
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert_eq!(count(&keys, KeyState::Current), 1, "{keys:?}");
    assert_eq!(count(&keys, KeyState::Next), 1, "{keys:?}");
    assert_eq!(count(&keys, KeyState::Previous), 4, "{keys:?}");
}

/// `revoke_key` retires a `Previous` key at once and leaves a `Retired` one; it refuses the
/// `Current` and `Next` keys (`Conflict`, nothing changes) and an unknown kid (`NotFound`).
pub async fn key_revoke_retires_previous_only(store: &dyn Store) {
    for (kid, state, at) in [
        ("k-1", KeyState::Previous, T0),
        ("k-2", KeyState::Current, T0 + 1),
        ("k-3", KeyState::Next, T0 + 2),
        ("k-4", KeyState::Retired, T0 + 3),
    ] {
        let mut key = sample::key(kid, state, at);
        if state == KeyState::Previous {
            key.retire_at = Some(T0 + 1000);
        }
        store.insert_key(&key).await.expect("insert_key");
    }
    store.revoke_key("k-1").await.expect("revoke previous");
    store.revoke_key("k-4").await.expect("revoke retired");
    assert_conflict(store.revoke_key("k-2").await, "revoke current");
    assert_conflict(store.revoke_key("k-3").await, "revoke next");
    assert_not_found(store.revoke_key("nope").await, "revoke unknown");
    assert_eq!(
        states(store).await,
        [
            row("k-1", KeyState::Retired, Some(T0 + 1000)),
            row("k-2", KeyState::Current, None),
            row("k-3", KeyState::Next, None),
            row("k-4", KeyState::Retired, None),
        ]
    );
}
