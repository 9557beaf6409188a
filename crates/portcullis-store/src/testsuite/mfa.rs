//! `MfaStore`.

use super::sample::{self, T0};
use crate::*;

fn totp(factor_id: &str, user_id: &str, created_at: UnixTime) -> MfaFactor {
    MfaFactor {
        factor_id: factor_id.into(),
        user_id: user_id.into(),
        kind: FactorKind::Totp,
        name: "Authenticator app".into(),
        secret: format!("sealed-{factor_id}"),
        confirmed: false,
        last_used_step: None,
        created_at,
        last_used_at: None,
    }
}

async fn user(store: &dyn Store, user_id: &str) {
    let email = format!("{user_id}@example.com");
    store
        .create_user(&sample::user(user_id, &email, T0))
        .await
        .expect("create_user");
}

/// Factors round-trip, are listed per user oldest first, are confirmed once, renamed and
/// deleted only through their own user.
pub async fn mfa_factor_create_list_confirm_delete(store: &dyn Store) {
    user(store, "u-1").await;
    user(store, "u-2").await;
    let a = totp("mfa-a", "u-1", T0 + 2);
    let b = totp("mfa-b", "u-1", T0 + 1);
    let c = totp("mfa-c", "u-2", T0);
    for f in [&a, &b, &c] {
        store.create_mfa_factor(f).await.expect("create_mfa_factor");
    }
    let listed = store.list_mfa_factors("u-1").await.expect("list");
    assert_eq!(listed, vec![b.clone(), a.clone()]);
    assert_eq!(
        store.get_mfa_factor("mfa-c").await.expect("get"),
        Some(c.clone())
    );
    assert_eq!(store.get_mfa_factor("nope").await.expect("get"), None);
    assert!(
        !store
            .confirm_mfa_factor("u-2", "mfa-a", Some(5), T0)
            .await
            .expect("confirm"),
        "another user's factor"
    );
    assert!(
        store
            .confirm_mfa_factor("u-1", "mfa-a", Some(5), T0 + 9)
            .await
            .expect("confirm")
    );
    assert!(
        !store
            .confirm_mfa_factor("u-1", "mfa-a", Some(6), T0 + 9)
            .await
            .expect("confirm"),
        "confirmed once"
    );
    assert!(
        store
            .rename_mfa_factor("u-1", "mfa-a", "Phone")
            .await
            .expect("rename")
    );
    let got = store.list_mfa_factors("u-1").await.expect("list");
    let expected = MfaFactor {
        confirmed: true,
        last_used_step: Some(5),
        last_used_at: Some(T0 + 9),
        name: "Phone".into(),
        ..a
    };
    assert_eq!(got[1], expected);
    assert!(
        !store
            .delete_mfa_factor("u-2", "mfa-a")
            .await
            .expect("delete")
    );
    assert!(
        store
            .delete_mfa_factor("u-1", "mfa-a")
            .await
            .expect("delete")
    );
    assert_eq!(store.list_mfa_factors("u-1").await.expect("list"), vec![b]);
    assert_eq!(
        store.delete_user_mfa("u-1").await.expect("delete_user_mfa"),
        1
    );
    assert!(
        store
            .list_mfa_factors("u-1")
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(store.list_mfa_factors("u-2").await.expect("list"), vec![c]);
}

/// RFC 6238 §5.2: a time step is accepted once, and never one older than the last accepted;
/// an unconfirmed factor accepts none.
pub async fn mfa_totp_step_is_accepted_once(store: &dyn Store) {
    user(store, "u-1").await;
    store
        .create_mfa_factor(&totp("mfa-a", "u-1", T0))
        .await
        .expect("create");
    assert!(
        !store.use_totp_step("mfa-a", 10, T0).await.expect("use"),
        "unconfirmed"
    );
    store
        .confirm_mfa_factor("u-1", "mfa-a", Some(10), T0)
        .await
        .expect("confirm");
    assert!(
        !store.use_totp_step("mfa-a", 10, T0).await.expect("use"),
        "replay"
    );
    assert!(
        !store.use_totp_step("mfa-a", 9, T0).await.expect("use"),
        "older"
    );
    assert!(store.use_totp_step("mfa-a", 11, T0).await.expect("use"));
    assert!(
        !store.use_totp_step("mfa-a", 11, T0).await.expect("use"),
        "replay"
    );
    assert!(!store.use_totp_step("nope", 12, T0).await.expect("use"));
}

/// Recovery codes are single use, counted, and replaced as a set.
pub async fn mfa_recovery_codes_single_use_and_replaced(store: &dyn Store) {
    user(store, "u-1").await;
    user(store, "u-2").await;
    let codes = vec!["h1".to_owned(), "h2".to_owned()];
    store
        .replace_recovery_codes("u-1", &codes, T0)
        .await
        .expect("replace");
    assert_eq!(store.count_recovery_codes("u-1").await.expect("count"), 2);
    assert!(
        !store.use_recovery_code("u-2", "h1", T0).await.expect("use"),
        "other user"
    );
    assert!(store.use_recovery_code("u-1", "h1", T0).await.expect("use"));
    assert!(
        !store.use_recovery_code("u-1", "h1", T0).await.expect("use"),
        "single use"
    );
    assert_eq!(store.count_recovery_codes("u-1").await.expect("count"), 1);
    store
        .replace_recovery_codes("u-1", &["h3".to_owned()], T0)
        .await
        .expect("replace");
    assert!(
        !store.use_recovery_code("u-1", "h2", T0).await.expect("use"),
        "replaced"
    );
    assert_eq!(store.count_recovery_codes("u-1").await.expect("count"), 1);
    store.delete_user_mfa("u-1").await.expect("delete_user_mfa");
    assert_eq!(store.count_recovery_codes("u-1").await.expect("count"), 0);
}

/// A session's factors are listed in order and go with the session.
pub async fn mfa_session_factors_listed_and_deleted_with_session(store: &dyn Store) {
    user(store, "u-1").await;
    store
        .create_session(&sample::session("s-1", "secret-1", "u-1"))
        .await
        .expect("create_session");
    for (method, at) in [("otp", T0 + 5), ("pwd", T0)] {
        store
            .add_session_factor(
                "s-1",
                &SessionFactor {
                    method: method.into(),
                    at,
                },
            )
            .await
            .expect("add_session_factor");
    }
    let got = store.list_session_factors("s-1").await.expect("list");
    let methods: Vec<_> = got.iter().map(|f| (f.method.as_str(), f.at)).collect();
    assert_eq!(methods, vec![("pwd", T0), ("otp", T0 + 5)]);
    store.delete_session("s-1").await.expect("delete_session");
    assert!(
        store
            .list_session_factors("s-1")
            .await
            .expect("list")
            .is_empty()
    );
}

/// Ceremony state is taken once, and not after it expires.
pub async fn webauthn_state_taken_once_and_expires(store: &dyn Store) {
    store
        .put_webauthn_state("w-1", "{\"a\":1}", T0 + 60)
        .await
        .expect("put");
    store
        .put_webauthn_state("w-2", "{}", T0 + 60)
        .await
        .expect("put");
    let got = store.take_webauthn_state("w-1", T0).await.expect("take");
    assert_eq!(got.as_deref(), Some("{\"a\":1}"));
    assert_eq!(
        store.take_webauthn_state("w-1", T0).await.expect("take"),
        None
    );
    assert_eq!(
        store
            .take_webauthn_state("w-2", T0 + 60)
            .await
            .expect("take"),
        None,
        "expired"
    );
    // Maintenance removes what expired, and only that.
    for (id, expires_at) in [("w-3", T0 + 10), ("w-4", T0 + 20), ("w-5", T0 + 600)] {
        store
            .put_webauthn_state(id, "{}", expires_at)
            .await
            .expect("put");
    }
    assert_eq!(
        store
            .purge_expired_webauthn_states(T0 + 20)
            .await
            .expect("purge"),
        2
    );
    assert_eq!(
        store
            .take_webauthn_state("w-5", T0 + 20)
            .await
            .expect("take")
            .as_deref(),
        Some("{}")
    );
}
