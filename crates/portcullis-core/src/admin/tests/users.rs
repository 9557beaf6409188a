use super::{Env, NOW};
use crate::admin::users::*;
use crate::admin::{AdminError, Secret};
use portcullis_store::Session;

fn new_user(email: &str, password: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password: Some(Secret::new(password)),
        ..NewUser::default()
    }
}

#[tokio::test]
async fn create_normalises_email_hashes_password_and_finds_by_id_or_email() {
    let env = Env::new().await;
    let user = create_user(
        env.s(),
        &env.passwords,
        new_user(" Ana@Example.com", "long enough"),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(user.email, "ana@example.com");
    assert!(user.user_id.starts_with("usr_"));
    let hash = user.password_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(
        env.passwords
            .verify("long enough", Some(&hash))
            .await
            .unwrap()
    );
    assert_eq!(
        find_user(env.s(), "ANA@example.com").await.unwrap().user_id,
        user.user_id
    );
    assert_eq!(
        find_user(env.s(), &user.user_id).await.unwrap().email,
        user.email
    );
    assert_eq!(list_users(env.s()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn create_refuses_bad_email_short_password_and_duplicates() {
    let env = Env::new().await;
    let err = create_user(
        env.s(),
        &env.passwords,
        new_user("nope", "long enough"),
        NOW,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("email:"), "{err}");
    let err = create_user(
        env.s(),
        &env.passwords,
        new_user("a@example.com", "short"),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(err.to_string(), "password: Use at least 8 characters.");
    let err = create_user(
        env.s(),
        &env.passwords,
        new_user("a@example.com", "qwerty123"),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "password: This password is too common: it appears in lists of leaked passwords. \
         Choose another."
    );
    let err = create_user(
        env.s(),
        &env.passwords,
        new_user("ana.lopez@example.com", "Ana.Lopez!"),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "password: Don't use your email address in your password."
    );
    create_user(
        env.s(),
        &env.passwords,
        new_user("a@example.com", "long enough"),
        NOW,
    )
    .await
    .unwrap();
    let err = create_user(
        env.s(),
        &env.passwords,
        new_user("A@example.com", "long enough"),
        NOW,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AdminError::AlreadyExists { .. }), "{err}");
    let mut with_id = new_user("b@example.com", "long enough");
    with_id.user_id = Some("auth0|42".into());
    assert_eq!(
        create_user(env.s(), &env.passwords, with_id, NOW)
            .await
            .unwrap()
            .user_id,
        "auth0|42"
    );
}

async fn add_session(env: &Env, user_id: &str, id: &str) {
    env.s()
        .create_session(&Session {
            session_id: id.into(),
            secret_hash: format!("hash-{id}"),
            user_id: user_id.into(),
            auth_time: NOW,
            created_at: NOW,
            idle_expires_at: NOW + 100,
            expires_at: NOW + 1000,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn set_password_and_block_end_sessions() {
    let env = Env::new().await;
    let user = create_user(
        env.s(),
        &env.passwords,
        new_user("a@example.com", "long enough"),
        NOW,
    )
    .await
    .unwrap();
    add_session(&env, &user.user_id, "s1").await;
    add_session(&env, &user.user_id, "s2").await;
    let p = env.provider(NOW).await;
    let ended = set_password(&p, "a@example.com", &Secret::new("another one"))
        .await
        .unwrap();
    assert_eq!(ended, 2);
    let stored = find_user(env.s(), "a@example.com").await.unwrap();
    assert!(
        env.passwords
            .verify("another one", stored.password_hash.as_deref())
            .await
            .unwrap()
    );
    assert!(
        set_password(&p, "a@example.com", &Secret::new("short"))
            .await
            .is_err()
    );
    // The policy knows the user's email when the password is changed too.
    let err = set_password(&p, &user.user_id, &Secret::new("A@Example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "password: Don't use your email address in your password."
    );

    add_session(&env, &user.user_id, "s3").await;
    assert!(set_blocked(&p, &user.user_id, true).await.unwrap().blocked);
    assert!(env.s().get_session("s3").await.unwrap().is_none());
    assert!(find_user(env.s(), &user.user_id).await.unwrap().blocked);
    assert!(!set_blocked(&p, &user.user_id, false).await.unwrap().blocked);
}

#[tokio::test]
async fn delete_and_missing_users_have_readable_errors() {
    let env = Env::new().await;
    create_user(
        env.s(),
        &env.passwords,
        new_user("a@example.com", "long enough"),
        NOW,
    )
    .await
    .unwrap();
    let p = env.provider(NOW).await;
    delete_user(&p, "a@example.com").await.unwrap();
    let err = delete_user(&p, "a@example.com").await.unwrap_err();
    assert_eq!(err.to_string(), "no user \"a@example.com\"");
}
