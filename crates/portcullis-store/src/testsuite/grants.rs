//! `GrantStore`: grants, revocation, access-token records and purging.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found};
use crate::*;

/// Creates `grant_id` with refresh token `rt-{grant_id}` and access token `at-{grant_id}`.
async fn grant_with_tokens(store: &dyn Store, grant: &Grant) {
    store.create_grant(grant).await.expect("create_grant");
    let id = &grant.grant_id;
    store
        .insert_refresh_token(&sample::refresh(&format!("rt-{id}"), id, &grant.client_id))
        .await
        .expect("insert_refresh_token");
    let at = sample::access(
        &format!("at-{id}"),
        Some(id),
        &grant.client_id,
        &grant.user_id,
    );
    store
        .insert_access_token(&at)
        .await
        .expect("insert_access_token");
}

async fn is_revoked(store: &dyn Store, grant_id: &str) -> (bool, bool, bool) {
    let grant = store.get_grant(grant_id).await.expect("get_grant");
    let rt = store.get_refresh_token(&format!("rt-{grant_id}")).await;
    let at = store.get_access_token(&format!("at-{grant_id}")).await;
    (
        grant.expect("grant exists").revoked,
        rt.expect("get_refresh_token")
            .expect("refresh token exists")
            .revoked,
        at.expect("get_access_token")
            .expect("access token exists")
            .revoked,
    )
}

/// `create_grant` then `get_grant` returns the record unchanged; an unknown id is `None`.
pub async fn grant_create_get_roundtrip(store: &dyn Store) {
    let full = sample::grant("g-1", "app", "u", Some("s"), true);
    let bare = Grant {
        session_id: None,
        audience: None,
        nonce: None,
        offline: false,
        ..sample::grant("g-2", "app", "u", None, false)
    };
    for grant in [&full, &bare] {
        store.create_grant(grant).await.expect("create_grant");
        let got = store.get_grant(&grant.grant_id).await.expect("get_grant");
        assert_eq!(got.as_ref(), Some(grant));
    }
    assert_eq!(store.get_grant("nope").await.expect("get_grant"), None);
}

/// A second grant with the same id is a `Conflict`.
pub async fn grant_duplicate_id_conflicts(store: &dyn Store) {
    let first = sample::grant("g-1", "app", "u", Some("s"), false);
    store.create_grant(&first).await.expect("create_grant");
    let dup = sample::grant("g-1", "other", "u2", None, true);
    assert_conflict(store.create_grant(&dup).await, "duplicate grant id");
    assert_eq!(
        store.get_grant("g-1").await.expect("get_grant"),
        Some(first)
    );
}

/// `revoke_grant` marks the grant, all its refresh tokens and all its access-token records
/// revoked, and nothing else; a revoked refresh token no longer rotates.
pub async fn grant_revoke_revokes_its_tokens(store: &dyn Store) {
    let gone = sample::grant("g-gone", "app", "u", Some("s"), false);
    grant_with_tokens(store, &gone).await;
    store
        .insert_refresh_token(&sample::refresh("rt-g-gone-2", "g-gone", "app"))
        .await
        .expect("insert_refresh_token");
    grant_with_tokens(
        store,
        &sample::grant("g-kept", "app", "u", Some("s"), false),
    )
    .await;
    let m2m = sample::access("m2m", None, "app", "app");
    store
        .insert_access_token(&m2m)
        .await
        .expect("insert_access_token");

    store.revoke_grant("g-gone").await.expect("revoke_grant");

    assert_eq!(is_revoked(store, "g-gone").await, (true, true, true));
    let second = store.get_refresh_token("rt-g-gone-2").await;
    assert!(second.expect("get_refresh_token").expect("exists").revoked);
    assert_eq!(is_revoked(store, "g-kept").await, (false, false, false));
    let m2m = store
        .get_access_token("m2m")
        .await
        .expect("get_access_token");
    assert!(!m2m.expect("exists").revoked);
    assert_not_found(
        store
            .rotate_refresh_token(
                "rt-g-gone",
                &sample::refresh("next", "g-gone", "app"),
                T0 + 1,
            )
            .await,
        "rotating a revoked grant's refresh token",
    );
}

/// Revoking an unknown grant, or one already revoked, is not an error.
pub async fn grant_revoke_unknown_or_twice_is_ok(store: &dyn Store) {
    store
        .revoke_grant("nope")
        .await
        .expect("revoking an unknown grant");
    grant_with_tokens(store, &sample::grant("g-1", "app", "u", None, false)).await;
    store.revoke_grant("g-1").await.expect("revoke_grant");
    store.revoke_grant("g-1").await.expect("revoke_grant again");
    assert_eq!(is_revoked(store, "g-1").await, (true, true, true));
}

/// `revoke_session_grants(sid, false)` revokes the session's grants and their tokens but spares
/// those with `offline_access` and other sessions' grants; it returns how many it revoked.
pub async fn session_grants_revoke_spares_offline(store: &dyn Store) {
    grant_with_tokens(
        store,
        &sample::grant("online-1", "app", "u", Some("s1"), false),
    )
    .await;
    grant_with_tokens(
        store,
        &sample::grant("online-2", "app2", "u", Some("s1"), false),
    )
    .await;
    grant_with_tokens(
        store,
        &sample::grant("offline", "app", "u", Some("s1"), true),
    )
    .await;
    grant_with_tokens(
        store,
        &sample::grant("other", "app", "u", Some("s2"), false),
    )
    .await;
    grant_with_tokens(store, &sample::grant("no-session", "app", "u", None, false)).await;

    let revoked = store.revoke_session_grants("s1", false).await;
    assert_eq!(revoked.expect("revoke_session_grants"), 2);

    for g in ["online-1", "online-2"] {
        assert_eq!(is_revoked(store, g).await, (true, true, true), "{g}");
    }
    for g in ["offline", "other", "no-session"] {
        assert_eq!(is_revoked(store, g).await, (false, false, false), "{g}");
    }
    let unknown = store.revoke_session_grants("nope", false).await;
    assert_eq!(unknown.expect("revoke_session_grants"), 0);
}

/// `revoke_user_grants` revokes every grant of the user (offline ones too) with their tokens,
/// and nothing of other users.
pub async fn user_grants_revoke_includes_offline_and_spares_others(store: &dyn Store) {
    grant_with_tokens(
        store,
        &sample::grant("online", "app", "u1", Some("s1"), false),
    )
    .await;
    grant_with_tokens(store, &sample::grant("offline", "app", "u1", None, true)).await;
    grant_with_tokens(
        store,
        &sample::grant("theirs", "app", "u2", Some("s2"), true),
    )
    .await;
    let revoked = store
        .revoke_user_grants("u1")
        .await
        .expect("revoke_user_grants");
    assert_eq!(revoked, 2);
    for g in ["online", "offline"] {
        assert_eq!(is_revoked(store, g).await, (true, true, true), "{g}");
    }
    assert_eq!(is_revoked(store, "theirs").await, (false, false, false));
    let again = store
        .revoke_user_grants("u1")
        .await
        .expect("revoke_user_grants");
    assert_eq!(again, 0, "already revoked grants are not counted");
}

/// `revoke_user_client_grants` revokes one user's grants for one application, offline ones
/// included, and nothing else.
pub async fn user_client_grants_revoke_only_that_pair(store: &dyn Store) {
    grant_with_tokens(store, &sample::grant("mine", "app", "u1", Some("s1"), true)).await;
    grant_with_tokens(
        store,
        &sample::grant("other-app", "app-2", "u1", Some("s1"), true),
    )
    .await;
    grant_with_tokens(
        store,
        &sample::grant("other-user", "app", "u2", None, false),
    )
    .await;
    let revoked = store
        .revoke_user_client_grants("u1", "app")
        .await
        .expect("revoke_user_client_grants");
    assert_eq!(revoked, 1);
    assert_eq!(is_revoked(store, "mine").await, (true, true, true));
    for g in ["other-app", "other-user"] {
        assert_eq!(is_revoked(store, g).await, (false, false, false), "{g}");
    }
}

/// `session_client_ids` lists the applications with a grant in the session, each once, in order
/// of first grant, revoked grants included.
pub async fn session_client_ids_lists_each_application_once(store: &dyn Store) {
    let mut first = sample::grant("g1", "app-b", "u", Some("s1"), false);
    first.created_at = T0;
    let mut second = sample::grant("g2", "app-a", "u", Some("s1"), false);
    second.created_at = T0 + 1;
    let mut third = sample::grant("g3", "app-b", "u", Some("s1"), true);
    third.created_at = T0 + 2;
    for g in [&first, &second, &third] {
        grant_with_tokens(store, g).await;
    }
    grant_with_tokens(store, &sample::grant("g4", "app-c", "u", Some("s2"), false)).await;
    store.revoke_grant("g2").await.expect("revoke_grant");
    let ids = store
        .session_client_ids("s1")
        .await
        .expect("session_client_ids");
    assert_eq!(ids, ["app-b", "app-a"]);
    let none = store
        .session_client_ids("nope")
        .await
        .expect("session_client_ids");
    assert!(none.is_empty());
}

/// `revoke_session_grants(sid, true)` revokes the offline grants too; grants already revoked are
/// not counted again.
pub async fn session_grants_revoke_including_offline(store: &dyn Store) {
    grant_with_tokens(
        store,
        &sample::grant("online", "app", "u", Some("s1"), false),
    )
    .await;
    grant_with_tokens(
        store,
        &sample::grant("offline", "app", "u", Some("s1"), true),
    )
    .await;
    grant_with_tokens(store, &sample::grant("other", "app", "u", Some("s2"), true)).await;

    let first = store.revoke_session_grants("s1", false).await;
    assert_eq!(first.expect("revoke_session_grants"), 1);
    let second = store.revoke_session_grants("s1", true).await;
    assert_eq!(
        second.expect("revoke_session_grants"),
        1,
        "only the offline grant is new"
    );
    for g in ["online", "offline"] {
        assert_eq!(is_revoked(store, g).await, (true, true, true), "{g}");
    }
    assert_eq!(is_revoked(store, "other").await, (false, false, false));
    let third = store.revoke_session_grants("s1", true).await;
    assert_eq!(third.expect("revoke_session_grants"), 0);
}

/// Access-token records (written before migration 14) round-trip; an unknown `jti` is `None`.
pub async fn access_token_records_roundtrip(store: &dyn Store) {
    let user_token = sample::access("jti-1", Some("g-1"), "app", "u");
    let m2m_token = sample::access("jti-2", None, "m2m", "m2m");
    for token in [&user_token, &m2m_token] {
        store
            .insert_access_token(token)
            .await
            .expect("insert_access_token");
        let got = store.get_access_token(&token.jti).await;
        assert_eq!(got.expect("get_access_token").as_ref(), Some(token));
    }
    assert_eq!(
        store
            .get_access_token("nope")
            .await
            .expect("get_access_token"),
        None
    );
}

/// `access_token_live`: a token without a grant lives until its `jti` is revoked; a token of a
/// grant also needs the grant to exist unrevoked. Revoking is idempotent, touches only that
/// `jti`, and works for a `jti` never seen.
pub async fn access_token_live_follows_revocations(store: &dyn Store) {
    let live = |jti: &'static str, grant: Option<&'static str>| async move {
        store
            .access_token_live(jti, grant)
            .await
            .expect("access_token_live")
    };
    store
        .create_grant(&sample::grant("g-1", "app", "u", Some("s"), false))
        .await
        .expect("create_grant");
    assert!(live("m2m-1", None).await);
    assert!(live("user-1", Some("g-1")).await);
    assert!(!live("user-1", Some("g-unknown")).await, "unknown grant");

    for _ in 0..2 {
        store
            .revoke_access_token("m2m-1", T0 + 60)
            .await
            .expect("revoke_access_token");
    }
    assert!(!live("m2m-1", None).await);
    assert!(live("m2m-2", None).await, "another jti is untouched");
    assert!(live("user-1", Some("g-1")).await);

    store.revoke_grant("g-1").await.expect("revoke_grant");
    assert!(!live("user-1", Some("g-1")).await, "revoked grant");
    assert!(!live("m2m-1", Some("g-1")).await);

    // Revoked entries go once the token would have expired anyway (after `T0 + 60`).
    assert_eq!(store.purge_expired(T0 + 60).await.expect("purge"), 0);
    assert!(!live("m2m-1", None).await);
    assert_eq!(store.purge_expired(T0 + 61).await.expect("purge"), 1);
    assert!(live("m2m-1", None).await);
}

/// `live_token_user`: the user, current, when `access_token_live` would say yes; `None` when it
/// would say no, or when the user is gone.
pub async fn live_token_user_reads_the_user_of_a_live_token(store: &dyn Store) {
    let user_of = |jti: &'static str, grant: Option<&'static str>, user: &'static str| async move {
        store
            .live_token_user(jti, grant, user)
            .await
            .expect("live_token_user")
            .map(|u| (u.user_id, u.name))
    };
    let mut alice = sample::user("u-alice", "alice@example.com", T0);
    alice.name = Some("Alice".into());
    store.create_user(&alice).await.expect("create_user");
    store
        .create_grant(&sample::grant("g-1", "app", "u-alice", Some("s"), false))
        .await
        .expect("create_grant");
    let alice_now = Some(("u-alice".to_owned(), Some("Alice".to_owned())));
    assert_eq!(user_of("at-1", Some("g-1"), "u-alice").await, alice_now);
    assert_eq!(user_of("at-1", None, "u-alice").await, alice_now);
    assert_eq!(user_of("at-1", Some("g-1"), "u-nobody").await, None);
    assert_eq!(user_of("at-1", Some("g-unknown"), "u-alice").await, None);

    // The user as stored now, not as when the token was issued.
    alice.name = Some("Alice Liddell".into());
    store.update_user(&alice).await.expect("update_user");
    assert_eq!(
        user_of("at-1", Some("g-1"), "u-alice").await,
        Some(("u-alice".to_owned(), Some("Alice Liddell".to_owned())))
    );

    store
        .revoke_access_token("at-1", T0 + 60)
        .await
        .expect("revoke_access_token");
    assert_eq!(user_of("at-1", Some("g-1"), "u-alice").await, None);
    assert!(user_of("at-2", Some("g-1"), "u-alice").await.is_some());
    store.revoke_grant("g-1").await.expect("revoke_grant");
    assert_eq!(user_of("at-2", Some("g-1"), "u-alice").await, None);
}

/// `purge_expired(now)` deletes codes, refresh tokens and access-token records that expired
/// before `now` (not at `now`), and expired grants left with no tokens; it returns the count.
pub async fn purge_expired_removes_only_expired(store: &dyn Store) {
    let now = T0 + 10_000;
    for (hash, expires_at) in [("c-old", now - 1), ("c-now", now), ("c-new", now + 1)] {
        let mut code = sample::code(hash, "g-x", "app", "u", "s");
        code.expires_at = expires_at;
        store.insert_code(&code).await.expect("insert_code");
    }
    // An expired grant whose tokens all expired: goes, with its tokens.
    let mut dead = sample::grant("g-dead", "app", "u", None, false);
    dead.expires_at = now - 1;
    store.create_grant(&dead).await.expect("create_grant");
    let mut rt = sample::refresh("rt-dead", "g-dead", "app");
    rt.expires_at = now - 1;
    store
        .insert_refresh_token(&rt)
        .await
        .expect("insert_refresh_token");
    let mut at = sample::access("at-dead", Some("g-dead"), "app", "u");
    at.expires_at = now - 100;
    store
        .insert_access_token(&at)
        .await
        .expect("insert_access_token");
    // An expired grant that still has a live access token: stays.
    let mut busy = sample::grant("g-busy", "app", "u", None, false);
    busy.expires_at = now - 1;
    store.create_grant(&busy).await.expect("create_grant");
    let mut at = sample::access("at-busy", Some("g-busy"), "app", "u");
    at.expires_at = now + 1;
    store
        .insert_access_token(&at)
        .await
        .expect("insert_access_token");
    // A live grant with no tokens: stays.
    let mut live = sample::grant("g-live", "app", "u", None, false);
    live.expires_at = now + 1;
    store.create_grant(&live).await.expect("create_grant");
    // A refresh token expiring exactly now: stays.
    let mut rt = sample::refresh("rt-now", "g-live", "app");
    rt.expires_at = now;
    store
        .insert_refresh_token(&rt)
        .await
        .expect("insert_refresh_token");

    let purged = store.purge_expired(now).await.expect("purge_expired");
    // c-old, rt-dead, at-dead, g-dead
    assert_eq!(purged, 4);

    assert_not_found(store.consume_code("c-old", now).await, "purged code");
    for hash in ["c-now", "c-new"] {
        store
            .consume_code(hash, now)
            .await
            .expect("unexpired code kept");
    }
    assert_eq!(store.get_grant("g-dead").await.expect("get_grant"), None);
    let rt = store.get_refresh_token("rt-dead").await;
    assert_eq!(rt.expect("get_refresh_token"), None);
    let at = store.get_access_token("at-dead").await;
    assert_eq!(at.expect("get_access_token"), None);
    for g in ["g-busy", "g-live"] {
        assert!(
            store.get_grant(g).await.expect("get_grant").is_some(),
            "{g} kept"
        );
    }
    let at = store.get_access_token("at-busy").await;
    assert!(at.expect("get_access_token").is_some());
    let rt = store.get_refresh_token("rt-now").await;
    assert!(rt.expect("get_refresh_token").is_some());

    assert_eq!(store.purge_expired(now).await.expect("purge_expired"), 0);
}
