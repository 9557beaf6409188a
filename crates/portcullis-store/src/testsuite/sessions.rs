//! `SessionStore`.

use super::sample::{self, T0};
use crate::*;

/// A session is found by id and by its secret hash; unknown ones are `None`.
pub async fn session_create_get_roundtrip(store: &dyn Store) {
    let s1 = sample::session("s-1", "secret-1", "u-1");
    let s2 = Session {
        auth_time: T0 - 100,
        ..sample::session("s-2", "secret-2", "u-1")
    };
    for session in [&s1, &s2] {
        store.create_session(session).await.expect("create_session");
    }
    for session in [&s1, &s2] {
        let by_id = store.get_session(&session.session_id).await;
        assert_eq!(by_id.expect("get_session").as_ref(), Some(session));
        let by_secret = store.get_session_by_secret_hash(&session.secret_hash).await;
        assert_eq!(
            by_secret.expect("get_session_by_secret_hash").as_ref(),
            Some(session)
        );
    }
    assert_eq!(store.get_session("nope").await.expect("get_session"), None);
    let none = store.get_session_by_secret_hash("s-1").await;
    assert_eq!(
        none.expect("get_session_by_secret_hash"),
        None,
        "a session id is not a secret hash"
    );
}

/// `touch_session` moves only the inactivity deadline; an unknown session is not an error.
pub async fn session_touch_moves_idle_deadline(store: &dyn Store) {
    let s1 = sample::session("s-1", "secret-1", "u");
    let s2 = sample::session("s-2", "secret-2", "u");
    store.create_session(&s1).await.expect("create_session");
    store.create_session(&s2).await.expect("create_session");
    store
        .touch_session("s-1", T0 + 7 * 86_400)
        .await
        .expect("touch_session");
    let got = store.get_session("s-1").await.expect("get_session");
    let expected = Session {
        idle_expires_at: T0 + 7 * 86_400,
        ..s1
    };
    assert_eq!(got, Some(expected));
    assert_eq!(
        store.get_session("s-2").await.expect("get_session"),
        Some(s2)
    );
    store
        .touch_session("nope", T0)
        .await
        .expect("touching an unknown session");
}

/// `delete_session` removes one session; deleting it again is not an error.
pub async fn session_delete(store: &dyn Store) {
    let s1 = sample::session("s-1", "secret-1", "u");
    let s2 = sample::session("s-2", "secret-2", "u");
    store.create_session(&s1).await.expect("create_session");
    store.create_session(&s2).await.expect("create_session");
    store.delete_session("s-1").await.expect("delete_session");
    assert_eq!(store.get_session("s-1").await.expect("get_session"), None);
    let by_secret = store.get_session_by_secret_hash("secret-1").await;
    assert_eq!(by_secret.expect("get_session_by_secret_hash"), None);
    assert_eq!(
        store.get_session("s-2").await.expect("get_session"),
        Some(s2)
    );
    store
        .delete_session("s-1")
        .await
        .expect("deleting a deleted session");
}

/// `delete_user_sessions` ends every session of one user and returns how many.
pub async fn session_delete_user_sessions(store: &dyn Store) {
    for (sid, user) in [("s-1", "u-1"), ("s-2", "u-1"), ("s-3", "u-2")] {
        let session = sample::session(sid, &format!("secret-{sid}"), user);
        store
            .create_session(&session)
            .await
            .expect("create_session");
    }
    let listed = store
        .list_user_sessions("u-1")
        .await
        .expect("list_user_sessions");
    let ids: Vec<&str> = listed.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(ids, ["s-1", "s-2"]);
    let ended = store.delete_user_sessions("u-1").await;
    assert_eq!(ended.expect("delete_user_sessions"), 2);
    for sid in ["s-1", "s-2"] {
        assert_eq!(store.get_session(sid).await.expect("get_session"), None);
    }
    assert!(
        store
            .get_session("s-3")
            .await
            .expect("get_session")
            .is_some()
    );
    let again = store.delete_user_sessions("u-1").await;
    assert_eq!(again.expect("delete_user_sessions"), 0);
}

/// `purge_expired_sessions` deletes sessions past either deadline and keeps live ones.
pub async fn session_purge_removes_only_expired(store: &dyn Store) {
    let live = sample::session("s-live", "secret-live", "u");
    let idle = Session {
        idle_expires_at: T0 + 10,
        ..sample::session("s-idle", "secret-idle", "u")
    };
    let old = Session {
        expires_at: T0 + 10,
        idle_expires_at: T0 + 10,
        ..sample::session("s-old", "secret-old", "u")
    };
    for session in [&live, &idle, &old] {
        store.create_session(session).await.expect("create_session");
    }
    let purged = store.purge_expired_sessions(T0 + 10).await;
    assert_eq!(purged.expect("purge_expired_sessions"), 2);
    assert_eq!(
        store.get_session("s-live").await.expect("get_session"),
        Some(live)
    );
    for sid in ["s-idle", "s-old"] {
        assert_eq!(store.get_session(sid).await.expect("get_session"), None);
    }
}
