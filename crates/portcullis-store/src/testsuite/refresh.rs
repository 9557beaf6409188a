//! `GrantStore`: refresh tokens and their rotation.

use super::sample::{self, T0};
use super::{assert_already_consumed, assert_conflict, assert_not_found, race};
use crate::*;
use std::sync::Arc;

async fn get(store: &dyn Store, hash: &str) -> Option<RefreshTokenRecord> {
    store
        .get_refresh_token(hash)
        .await
        .expect("get_refresh_token")
}

/// `insert_refresh_token` then `get_refresh_token` returns the record unchanged.
pub async fn refresh_token_insert_get_roundtrip(store: &dyn Store) {
    let fresh = sample::refresh("rt-1", "g-1", "app");
    let used = RefreshTokenRecord {
        used_at: Some(T0 + 5),
        revoked: true,
        ..sample::refresh("rt-2", "g-1", "app")
    };
    for token in [&fresh, &used] {
        store
            .insert_refresh_token(token)
            .await
            .expect("insert_refresh_token");
        assert_eq!(get(store, &token.token_hash).await.as_ref(), Some(token));
    }
    assert_eq!(get(store, "nope").await, None);
}

/// `get_refresh_token_in_use` reads the token with its grant and user, each as stored now, and
/// says which of them is gone.
pub async fn refresh_token_in_use_reads_token_grant_and_user(store: &dyn Store) {
    let in_use = |hash: &'static str| async move {
        store
            .get_refresh_token_in_use(hash)
            .await
            .expect("get_refresh_token_in_use")
    };
    let mut user = sample::user("u-1", "one@example.com", T0);
    user.app_metadata.insert("plan".into(), "pro".into());
    store.create_user(&user).await.expect("create_user");
    store
        .create_session(&sample::session("s", "sh", "u-1"))
        .await
        .expect("create_session");
    let pwd = SessionFactor {
        method: "pwd".to_owned(),
        at: T0 + 1,
    };
    store
        .add_session_factor("s", &pwd)
        .await
        .expect("add_session_factor");
    let grant = sample::grant("g-1", "app", "u-1", Some("s"), true);
    store.create_grant(&grant).await.expect("create_grant");
    let orphan = sample::grant("g-orphan", "app", "u-gone", None, true);
    store.create_grant(&orphan).await.expect("create_grant");
    let used = RefreshTokenRecord {
        used_at: Some(T0 + 5),
        ..sample::refresh("rt-used", "g-1", "app")
    };
    for token in [
        &sample::refresh("rt-1", "g-1", "app"),
        &used,
        &sample::refresh("rt-orphan", "g-orphan", "app"),
        &sample::refresh("rt-no-grant", "g-unknown", "app"),
    ] {
        store
            .insert_refresh_token(token)
            .await
            .expect("insert_refresh_token");
    }

    let found = in_use("rt-1").await.expect("rt-1");
    assert_eq!(found.token, sample::refresh("rt-1", "g-1", "app"));
    assert_eq!(found.grant.as_ref(), Some(&grant));
    assert_eq!(found.user.as_ref(), Some(&user));
    assert_eq!(found.session_factors, [pwd]);
    assert_eq!(in_use("rt-used").await.map(|f| f.token), Some(used));

    let found = in_use("rt-orphan").await.expect("rt-orphan");
    assert_eq!(found.grant.as_ref(), Some(&orphan));
    assert_eq!(found.user, None, "the grant's user is gone");
    assert_eq!(found.session_factors, [], "a grant without a session");
    let found = in_use("rt-no-grant").await.expect("rt-no-grant");
    assert_eq!((found.grant, found.user), (None, None));
    assert_eq!(in_use("nope").await, None);

    // As stored now: a revoked grant, a blocked user.
    store.revoke_grant("g-1").await.expect("revoke_grant");
    user.blocked = true;
    store.update_user(&user).await.expect("update_user");
    let found = in_use("rt-1").await.expect("rt-1");
    assert!(found.token.revoked, "revoking the grant revokes its tokens");
    assert!(found.grant.is_some_and(|g| g.revoked));
    assert!(found.user.is_some_and(|u| u.blocked));
}

/// `rotate_refresh_token` marks the old token used at `now` and stores the new one.
pub async fn refresh_rotate_marks_old_used_and_stores_new(store: &dyn Store) {
    store
        .create_grant(&sample::grant("g-1", "app", "u", Some("s"), true))
        .await
        .expect("create_grant");
    let old = sample::refresh("rt-1", "g-1", "app");
    store
        .insert_refresh_token(&old)
        .await
        .expect("insert_refresh_token");
    let new = RefreshTokenRecord {
        created_at: T0 + 100,
        ..sample::refresh("rt-2", "g-1", "app")
    };
    store
        .rotate_refresh_token("rt-1", &new, T0 + 100)
        .await
        .expect("rotate_refresh_token");
    let old_after = RefreshTokenRecord {
        used_at: Some(T0 + 100),
        ..old
    };
    assert_eq!(get(store, "rt-1").await, Some(old_after));
    assert_eq!(get(store, "rt-2").await, Some(new.clone()));

    let newer = sample::refresh("rt-3", "g-1", "app");
    store
        .rotate_refresh_token("rt-2", &newer, T0 + 200)
        .await
        .expect("the successor rotates in turn");
    assert_eq!(
        get(store, "rt-2").await.and_then(|t| t.used_at),
        Some(T0 + 200)
    );
}

/// Rotating a used token again is `AlreadyConsumed { grant_id }` and changes nothing.
pub async fn refresh_rotate_reuse_is_already_consumed(store: &dyn Store) {
    store
        .create_grant(&sample::grant("g-1", "app", "u", Some("s"), true))
        .await
        .expect("create_grant");
    store
        .insert_refresh_token(&sample::refresh("rt-1", "g-1", "app"))
        .await
        .expect("insert_refresh_token");
    store
        .rotate_refresh_token("rt-1", &sample::refresh("rt-2", "g-1", "app"), T0 + 10)
        .await
        .expect("first rotation");
    let before = get(store, "rt-1").await;

    let replay = sample::refresh("rt-3", "g-1", "app");
    assert_already_consumed(
        store.rotate_refresh_token("rt-1", &replay, T0 + 20).await,
        "g-1",
        "reuse of a rotated token",
    );
    assert_eq!(get(store, "rt-3").await, None, "the replay stored nothing");
    assert_eq!(get(store, "rt-1").await, before, "used_at unchanged");
    assert_eq!(get(store, "rt-2").await.and_then(|t| t.used_at), None);
}

/// Rotating an unknown or a revoked token is `NotFound` and stores nothing. A revoked token is
/// `NotFound` even if it was also used (the family is already revoked).
pub async fn refresh_rotate_unknown_or_revoked_is_not_found(store: &dyn Store) {
    let next = sample::refresh("next", "g-1", "app");
    assert_not_found(
        store.rotate_refresh_token("nope", &next, T0).await,
        "unknown token",
    );
    let revoked = RefreshTokenRecord {
        revoked: true,
        ..sample::refresh("rt-revoked", "g-1", "app")
    };
    store
        .insert_refresh_token(&revoked)
        .await
        .expect("insert_refresh_token");
    assert_not_found(
        store.rotate_refresh_token("rt-revoked", &next, T0).await,
        "revoked token",
    );
    assert_eq!(get(store, "rt-revoked").await, Some(revoked));

    store
        .create_grant(&sample::grant("g-2", "app", "u", None, false))
        .await
        .expect("create_grant");
    store
        .insert_refresh_token(&sample::refresh("rt-a", "g-2", "app"))
        .await
        .expect("insert_refresh_token");
    store
        .rotate_refresh_token("rt-a", &sample::refresh("rt-b", "g-2", "app"), T0 + 1)
        .await
        .expect("rotate_refresh_token");
    store.revoke_grant("g-2").await.expect("revoke_grant");
    assert_not_found(
        store.rotate_refresh_token("rt-a", &next, T0 + 2).await,
        "used and revoked token",
    );
    assert_not_found(
        store.rotate_refresh_token("rt-b", &next, T0 + 2).await,
        "unused token of a revoked grant",
    );
    assert_eq!(get(store, "next").await, None);
}

/// Rotating into a hash that already exists is a `Conflict` and leaves the old token unused.
pub async fn refresh_rotate_to_taken_hash_conflicts_and_changes_nothing(store: &dyn Store) {
    let old = sample::refresh("rt-1", "g-1", "app");
    let taken = sample::refresh("rt-taken", "g-1", "app");
    for token in [&old, &taken] {
        store
            .insert_refresh_token(token)
            .await
            .expect("insert_refresh_token");
    }
    let colliding = RefreshTokenRecord {
        created_at: T0 + 50,
        ..sample::refresh("rt-taken", "g-1", "app")
    };
    assert_conflict(
        store
            .rotate_refresh_token("rt-1", &colliding, T0 + 50)
            .await,
        "rotation into an existing hash",
    );
    assert_eq!(
        get(store, "rt-1").await,
        Some(old),
        "old token still unused"
    );
    assert_eq!(get(store, "rt-taken").await, Some(taken));
    store
        .rotate_refresh_token("rt-1", &sample::refresh("rt-2", "g-1", "app"), T0 + 60)
        .await
        .expect("the old token still rotates");
}

/// Sixteen tasks rotate the same token at once, each to its own successor: exactly one wins,
/// the others get `AlreadyConsumed { grant_id }`, and only the winner's successor is stored.
pub async fn refresh_rotate_concurrently_exactly_one_wins(store: Arc<dyn Store>) {
    store
        .create_grant(&sample::grant("g-race", "app", "u", Some("s"), true))
        .await
        .expect("create_grant");
    store
        .insert_refresh_token(&sample::refresh("rt-race", "g-race", "app"))
        .await
        .expect("insert_refresh_token");
    let results = race(16, |i| {
        let store = Arc::clone(&store);
        async move {
            let new = sample::refresh(&format!("rt-next-{i}"), "g-race", "app");
            store.rotate_refresh_token("rt-race", &new, T0 + 1).await
        }
    })
    .await;

    let mut winners = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(()) => winners.push(i),
            other => assert_already_consumed(other, "g-race", "losing rotation"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one rotation wins: {winners:?}");
    for i in 0..16 {
        let stored = get(&*store, &format!("rt-next-{i}")).await.is_some();
        assert_eq!(
            stored,
            winners.contains(&i),
            "successor {i} stored iff it won"
        );
    }
    let old = get(&*store, "rt-race").await.expect("old token kept");
    assert_eq!(old.used_at, Some(T0 + 1));
}
