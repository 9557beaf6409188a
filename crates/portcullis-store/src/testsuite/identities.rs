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

/// An upstream-only user given a password becomes a database user with the proven address
/// (keeping its id and identities); a taken address or a user who has a password is refused.
pub async fn identity_user_gets_a_database_password(store: &dyn Store) {
    let taken = sample::user("auth0|ada", "ada@example.com", T0);
    store.create_user(&taken).await.expect("create_user");
    store
        .create_upstream_user(
            &upstream_user("google-oauth2|1", "ada@example.com"),
            &identity("google-oauth2", "1", "google-oauth2|1", "ada@example.com"),
        )
        .await
        .expect("create_upstream_user");
    assert_conflict(
        store
            .add_database_password("google-oauth2|1", "Ada@Example.com", "$argon2id$x", T0 + 1)
            .await,
        "an address another database user has",
    );
    store
        .add_database_password(
            "google-oauth2|1",
            "Ada.Two@Example.com",
            "$argon2id$x",
            T0 + 1,
        )
        .await
        .expect("add_database_password");
    let user = store
        .get_user_by_email("ada.two@example.com")
        .await
        .expect("by email")
        .expect("now a database user");
    assert_eq!(user.user_id, "google-oauth2|1");
    assert_eq!(user.password_hash.as_deref(), Some("$argon2id$x"));
    assert!(user.email_verified);
    assert_eq!(user.updated_at, T0 + 1);
    assert_eq!(
        store
            .list_user_identities("google-oauth2|1")
            .await
            .expect("identities")
            .len(),
        1
    );
    assert_not_found(
        store
            .add_database_password("google-oauth2|1", "other@example.com", "$argon2id$y", T0)
            .await,
        "a user who has a password",
    );
    assert_not_found(
        store
            .add_database_password("nobody", "nobody@example.com", "$argon2id$y", T0)
            .await,
        "an absent user",
    );
}

/// Merging moves an upstream-only user's identities to another user and deletes it with its
/// sessions; a user with a password is never merged away.
pub async fn identity_merge_moves_identities_and_deletes_the_upstream_user(store: &dyn Store) {
    let ada = sample::user("auth0|ada", "ada@example.com", T0);
    store.create_user(&ada).await.expect("create_user");
    store
        .create_upstream_user(
            &upstream_user("github|7", "ada@github.example"),
            &identity("github", "7", "github|7", "ada@github.example"),
        )
        .await
        .expect("create_upstream_user");
    store
        .create_session(&sample::session("s-gh", "h-gh", "github|7"))
        .await
        .expect("create_session");
    assert_conflict(
        store.merge_upstream_user("auth0|ada", "github|7").await,
        "merging away a password user",
    );
    assert_not_found(
        store.merge_upstream_user("github|7", "nobody").await,
        "an absent target",
    );
    assert_not_found(
        store.merge_upstream_user("nobody", "auth0|ada").await,
        "an absent source",
    );
    store
        .merge_upstream_user("github|7", "auth0|ada")
        .await
        .expect("merge_upstream_user");
    assert_eq!(store.get_user("github|7").await.expect("get_user"), None);
    let moved = store
        .get_identity("github", "7")
        .await
        .expect("get_identity")
        .expect("kept");
    assert_eq!(moved.user_id, "auth0|ada");
    assert!(
        store
            .list_user_sessions("github|7")
            .await
            .expect("sessions")
            .is_empty()
    );
    assert_eq!(
        store.get_user("auth0|ada").await.expect("get_user"),
        Some(ada)
    );
}
