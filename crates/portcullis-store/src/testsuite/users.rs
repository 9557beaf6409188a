//! `UserStore`.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found};
use crate::*;

/// `create_user` then `get_user` returns the record unchanged; an unknown id is `None`.
pub async fn user_create_get_roundtrip(store: &dyn Store) {
    let full = sample::user("u-1", "ada@example.com", T0);
    let bare = User {
        user_id: "u-2".to_owned(),
        email: "grace@example.com".to_owned(),
        email_verified: false,
        name: None,
        given_name: None,
        family_name: None,
        nickname: None,
        picture: None,
        password_hash: None,
        blocked: true,
        app_metadata: Metadata::new(),
        user_metadata: Metadata::new(),
        created_at: T0 + 1,
        updated_at: T0 + 2,
        phone_number: None,
        phone_number_verified: false,
        address: None,
    };
    for user in [&full, &bare] {
        store.create_user(user).await.expect("create_user");
        let got = store.get_user(&user.user_id).await.expect("get_user");
        assert_eq!(got.as_ref(), Some(user));
    }
    assert_eq!(store.get_user("nope").await.expect("get_user"), None);
}

/// The email is stored lower-cased, whatever case the caller used.
pub async fn user_email_is_stored_lower_cased(store: &dyn Store) {
    let user = sample::user("u-1", "Ada.Lovelace@Example.COM", T0);
    store.create_user(&user).await.expect("create_user");
    let got = store.get_user("u-1").await.expect("get_user");
    assert_eq!(
        got.map(|u| u.email).as_deref(),
        Some("ada.lovelace@example.com")
    );

    let mut renamed = sample::user("u-1", "ADA@EXAMPLE.ORG", T0);
    renamed.updated_at = T0 + 1;
    store.update_user(&renamed).await.expect("update_user");
    let got = store.get_user("u-1").await.expect("get_user");
    assert_eq!(got.map(|u| u.email).as_deref(), Some("ada@example.org"));
}

/// `get_user_by_email` compares lower-cased; an unknown email is `None`.
pub async fn user_get_by_email_ignores_case(store: &dyn Store) {
    let user = sample::user("u-1", "ada@example.com", T0);
    store.create_user(&user).await.expect("create_user");
    for email in ["ada@example.com", "ADA@example.com", "Ada@Example.Com"] {
        let got = store
            .get_user_by_email(email)
            .await
            .expect("get_user_by_email");
        assert_eq!(got.as_ref(), Some(&user), "lookup by {email}");
    }
    let none = store.get_user_by_email("bob@example.com").await;
    assert_eq!(none.expect("get_user_by_email"), None);
}

/// A second user with the same id is a `Conflict`, and the first one is kept.
pub async fn user_duplicate_id_conflicts(store: &dyn Store) {
    let first = sample::user("u-1", "ada@example.com", T0);
    store.create_user(&first).await.expect("create_user");
    let second = sample::user("u-1", "other@example.com", T0 + 1);
    assert_conflict(store.create_user(&second).await, "duplicate user id");
    assert_eq!(store.get_user("u-1").await.expect("get_user"), Some(first));
    let other = store.get_user_by_email("other@example.com").await;
    assert_eq!(other.expect("get_user_by_email"), None);
}

/// A second user with the same email in another case is a `Conflict`.
pub async fn user_duplicate_email_conflicts_ignoring_case(store: &dyn Store) {
    let first = sample::user("u-1", "ada@example.com", T0);
    store.create_user(&first).await.expect("create_user");
    for (id, email) in [("u-2", "ada@example.com"), ("u-3", "ADA@Example.com")] {
        let dup = sample::user(id, email, T0 + 1);
        assert_conflict(store.create_user(&dup).await, email);
        assert_eq!(store.get_user(id).await.expect("get_user"), None);
    }
}

/// `list_users` is ordered by `created_at`, then `user_id`.
pub async fn user_list_ordered_by_creation_then_id(store: &dyn Store) {
    for (id, at) in [
        ("u-b", T0 + 10),
        ("u-a", T0 + 20),
        ("u-c", T0 + 10),
        ("u-d", T0),
    ] {
        let user = sample::user(id, &format!("{id}@example.com"), at);
        store.create_user(&user).await.expect("create_user");
    }
    let ids: Vec<_> = store
        .list_users()
        .await
        .expect("list_users")
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(ids, ["u-d", "u-b", "u-c", "u-a"]);
}

/// `update_user` replaces every field (metadata included) but `user_id` and `created_at`;
/// keeping one's own email
/// (in any case) is not a conflict.
pub async fn user_update_replaces_fields(store: &dyn Store) {
    store
        .create_user(&sample::user("u-1", "ada@example.com", T0))
        .await
        .expect("create_user");
    let updated = User {
        user_id: "u-1".to_owned(),
        email: "ada@example.com".to_owned(),
        email_verified: false,
        name: None,
        given_name: Some("Augusta".to_owned()),
        family_name: None,
        nickname: Some("countess".to_owned()),
        picture: None,
        password_hash: None,
        blocked: true,
        app_metadata: sample::metadata(serde_json::json!({"plan": "free", "ids": [1, 2, 3]})),
        user_metadata: Metadata::new(),
        created_at: T0 + 999,
        updated_at: T0 + 50,
        phone_number: Some("+442071838750".to_owned()),
        phone_number_verified: false,
        address: Some(Address {
            country: Some("GB".to_owned()),
            ..Address::default()
        }),
    };
    store.update_user(&updated).await.expect("update_user");
    let got = store.get_user("u-1").await.expect("get_user");
    let expected = User {
        created_at: T0,
        ..updated.clone()
    };
    assert_eq!(got.as_ref(), Some(&expected));

    let same_email_upper = User {
        email: "ADA@EXAMPLE.COM".to_owned(),
        ..updated
    };
    store
        .update_user(&same_email_upper)
        .await
        .expect("keeping one's own email is not a conflict");
    let got = store.get_user_by_email("ada@example.com").await;
    assert_eq!(got.expect("get_user_by_email"), Some(expected));
}

/// Updating an absent user is `NotFound` and creates nothing.
pub async fn user_update_absent_is_not_found(store: &dyn Store) {
    assert_not_found(
        store
            .update_user(&sample::user("ghost", "ghost@example.com", T0))
            .await,
        "update_user of an absent user",
    );
    assert_eq!(store.get_user("ghost").await.expect("get_user"), None);
}

/// Changing a user's email to another user's (in any case) is a `Conflict` and changes nothing.
pub async fn user_update_to_taken_email_conflicts(store: &dyn Store) {
    let ada = sample::user("u-1", "ada@example.com", T0);
    let bob = sample::user("u-2", "bob@example.com", T0);
    store.create_user(&ada).await.expect("create_user");
    store.create_user(&bob).await.expect("create_user");
    let mut stolen = bob.clone();
    stolen.email = "Ada@Example.com".to_owned();
    stolen.name = Some("changed".to_owned());
    assert_conflict(store.update_user(&stolen).await, "update to a taken email");
    assert_eq!(store.get_user("u-2").await.expect("get_user"), Some(bob));
}

/// Deleting an absent user is `NotFound`.
pub async fn user_delete_absent_is_not_found(store: &dyn Store) {
    assert_not_found(
        store.delete_user("ghost").await,
        "delete_user of an absent user",
    );
}

/// `delete_user` also deletes the user's sessions, grants, codes and tokens, and nothing of
/// other users; the email becomes free again.
pub async fn user_delete_cascades(store: &dyn Store) {
    store
        .create_client(&sample::client("app", T0))
        .await
        .expect("create_client");
    for u in ["gone", "kept"] {
        store
            .create_user(&sample::user(u, &format!("{u}@example.com"), T0))
            .await
            .expect("create_user");
        let (sid, gid) = (format!("s-{u}"), format!("g-{u}"));
        store
            .create_session(&sample::session(&sid, &format!("secret-{u}"), u))
            .await
            .expect("create_session");
        store
            .insert_code(&sample::code(&format!("code-{u}"), &gid, "app", u, &sid))
            .await
            .expect("insert_code");
        store
            .create_grant(&sample::grant(&gid, "app", u, Some(&sid), true))
            .await
            .expect("create_grant");
        store
            .insert_refresh_token(&sample::refresh(&format!("rt-{u}"), &gid, "app"))
            .await
            .expect("insert_refresh_token");
        store
            .insert_access_token(&sample::access(&format!("at-{u}"), Some(&gid), "app", u))
            .await
            .expect("insert_access_token");
    }

    store.delete_user("gone").await.expect("delete_user");

    assert_eq!(store.get_user("gone").await.expect("get_user"), None);
    assert_eq!(
        store.get_session("s-gone").await.expect("get_session"),
        None
    );
    let by_secret = store.get_session_by_secret_hash("secret-gone").await;
    assert_eq!(by_secret.expect("get_session_by_secret_hash"), None);
    assert_not_found(
        store.consume_code("code-gone", T0 + 1).await,
        "code of a deleted user",
    );
    assert_eq!(store.get_grant("g-gone").await.expect("get_grant"), None);
    let rt = store.get_refresh_token("rt-gone").await;
    assert_eq!(rt.expect("get_refresh_token"), None);
    let at = store.get_access_token("at-gone").await;
    assert_eq!(at.expect("get_access_token"), None);

    assert!(store.get_user("kept").await.expect("get_user").is_some());
    assert!(
        store
            .get_session("s-kept")
            .await
            .expect("get_session")
            .is_some()
    );
    store
        .consume_code("code-kept", T0 + 1)
        .await
        .expect("other user's code still there");
    assert!(
        store
            .get_grant("g-kept")
            .await
            .expect("get_grant")
            .is_some()
    );
    let rt = store.get_refresh_token("rt-kept").await;
    assert!(rt.expect("get_refresh_token").is_some());
    let at = store.get_access_token("at-kept").await;
    assert!(at.expect("get_access_token").is_some());
    assert!(store.get_client("app").await.expect("get_client").is_some());

    store
        .create_user(&sample::user("again", "GONE@example.com", T0 + 5))
        .await
        .expect("a deleted user's email is free again");
}
