//! `IdentityStore`, and how upstream users share emails with database users.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found};
use crate::*;

fn identity(connection: &str, subject: &str, user_id: &str, email: &str) -> Identity {
    Identity {
        connection: connection.to_owned(),
        strategy: "google-oauth2".to_owned(),
        subject: subject.to_owned(),
        user_id: user_id.to_owned(),
        email: Some(email.to_owned()),
        email_verified: true,
        name: Some("Ada".to_owned()),
        picture: None,
        created_at: T0,
        updated_at: T0,
    }
}

fn upstream_user(user_id: &str, email: &str) -> User {
    User {
        password_hash: None,
        ..sample::user(user_id, email, T0)
    }
}

/// An upstream user and its identity are created together and read back unchanged; a second
/// (connection, subject) or user id conflicts.
pub async fn identity_create_get_list(store: &dyn Store) {
    let user = upstream_user("google-oauth2|1", "ada@example.com");
    let id = identity("google-oauth2", "1", "google-oauth2|1", "ada@example.com");
    store
        .create_upstream_user(&user, &id)
        .await
        .expect("create_upstream_user");
    assert_eq!(
        store.get_user("google-oauth2|1").await.expect("get_user"),
        Some(user.clone())
    );
    assert_eq!(
        store.get_identity("google-oauth2", "1").await.expect("get"),
        Some(id.clone())
    );
    assert_eq!(
        store.get_identity("google-oauth2", "2").await.expect("get"),
        None
    );
    assert_eq!(store.get_identity("github", "1").await.expect("get"), None);
    let other = upstream_user("google-oauth2|other", "x@example.com");
    assert_conflict(
        store.create_upstream_user(&other, &id).await,
        "same (connection, subject)",
    );
    assert_eq!(
        store.get_user("google-oauth2|other").await.expect("get"),
        None,
        "nothing stored"
    );
    assert_conflict(
        store
            .create_upstream_user(
                &user,
                &identity("google-oauth2", "9", &user.user_id, "a@b.c"),
            )
            .await,
        "same user id",
    );
    assert_eq!(
        store.get_identity("google-oauth2", "9").await.expect("get"),
        None
    );

    let mut linked = identity("github", "77", "google-oauth2|1", "ada@example.org");
    linked.created_at = T0 + 5;
    store.link_identity(&linked).await.expect("link_identity");
    assert_conflict(store.link_identity(&linked).await, "linked twice");
    assert_eq!(
        store
            .list_user_identities("google-oauth2|1")
            .await
            .expect("list"),
        vec![id, linked]
    );
    assert!(
        store
            .list_user_identities("nobody")
            .await
            .expect("list")
            .is_empty()
    );
}

/// An upstream user may have the email of a database user (and of other upstream users), and is
/// never found by email; database users stay unique by email.
pub async fn identity_users_share_emails_without_taking_them(store: &dyn Store) {
    let password_user = sample::user("auth0|ada", "ada@example.com", T0);
    store
        .create_user(&password_user)
        .await
        .expect("create_user");
    for (n, connection) in ["google-oauth2", "github"].into_iter().enumerate() {
        let user_id = format!("{connection}|{n}");
        store
            .create_upstream_user(
                &upstream_user(&user_id, "Ada@Example.com"),
                &identity(connection, &n.to_string(), &user_id, "ada@example.com"),
            )
            .await
            .expect("same email as a password user");
        let got = store.get_user(&user_id).await.expect("get_user");
        assert_eq!(got.map(|u| u.email).as_deref(), Some("ada@example.com"));
    }
    assert_eq!(
        store
            .get_user_by_email("ada@example.com")
            .await
            .expect("by email"),
        Some(password_user.clone())
    );
    assert_conflict(
        store
            .create_user(&sample::user("auth0|dup", "ada@example.com", T0))
            .await,
        "a second database user with the email",
    );
    // An upstream user's email changes freely; a database user's still conflicts.
    let mut moved = store
        .get_user("github|1")
        .await
        .expect("get")
        .expect("exists");
    moved.email = "new@example.com".to_owned();
    store
        .update_user(&moved)
        .await
        .expect("upstream email change");
    assert_eq!(store.get_user("github|1").await.expect("get"), Some(moved));
    assert_eq!(
        store
            .get_user_by_email("new@example.com")
            .await
            .expect("by email"),
        None
    );
    let grace = sample::user("auth0|grace", "grace@example.com", T0);
    store.create_user(&grace).await.expect("create_user");
    let mut clash = grace.clone();
    clash.email = "ada@example.com".to_owned();
    assert_conflict(store.update_user(&clash).await, "database email taken");
    // A database user may take an address upstream users have.
    let mut free = grace;
    free.email = "new@example.com".to_owned();
    store
        .update_user(&free)
        .await
        .expect("database user takes an upstream user's email");
    assert_eq!(
        store
            .get_user_by_email("new@example.com")
            .await
            .expect("by email"),
        Some(free)
    );
}

/// `update_identity` replaces the profile; deleting the user deletes its identities.
pub async fn identity_update_and_delete_with_user(store: &dyn Store) {
    let user = upstream_user("oidc|corp|s1", "ada@example.com");
    let mut id = identity("corp", "s1", "oidc|corp|s1", "ada@example.com");
    id.strategy = "oidc".to_owned();
    store
        .create_upstream_user(&user, &id)
        .await
        .expect("create");
    id.email = None;
    id.email_verified = false;
    id.name = Some("Ada L.".to_owned());
    id.picture = Some("https://img.example/a.png".to_owned());
    id.updated_at = T0 + 9;
    store.update_identity(&id).await.expect("update_identity");
    assert_eq!(
        store.get_identity("corp", "s1").await.expect("get"),
        Some(id.clone())
    );
    let mut ghost = id.clone();
    ghost.subject = "s2".to_owned();
    assert_not_found(store.update_identity(&ghost).await, "unknown identity");
    store
        .delete_user("oidc|corp|s1")
        .await
        .expect("delete_user");
    assert_eq!(store.get_identity("corp", "s1").await.expect("get"), None);
    assert!(
        store
            .list_user_identities("oidc|corp|s1")
            .await
            .expect("list")
            .is_empty()
    );
}
