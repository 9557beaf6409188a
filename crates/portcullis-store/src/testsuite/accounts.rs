//! `EmailTokenStore` and `MailStore`.

use super::race;
use super::sample::T0;
use crate::*;
use std::sync::Arc;

fn token(id: &str, purpose: EmailTokenPurpose, email: &str) -> EmailToken {
    EmailToken {
        token_id: id.to_owned(),
        purpose,
        email: email.to_owned(),
        user_id: Some("u-1".to_owned()),
        token_hash: format!("hash-{id}"),
        code_hash: Some(format!("code-{id}")),
        attempts: 0,
        payload: r#"{"name":"Ada"}"#.to_owned(),
        created_at: T0,
        expires_at: T0 + 3600,
    }
}

fn mail(id: &str, created_at: UnixTime) -> OutgoingMail {
    OutgoingMail {
        mail_id: id.to_owned(),
        to: "ada@example.com".to_owned(),
        subject: "Hello".to_owned(),
        text_body: "text".to_owned(),
        html_body: "<p>html</p>".to_owned(),
        created_at,
        attempts: 0,
        next_attempt_at: created_at,
        sent_at: None,
        last_error: None,
    }
}

/// A token is found by its hash and by (purpose, email), every field intact; other purposes
/// and unknown hashes find nothing.
pub async fn email_token_put_get_roundtrip(store: &dyn Store) {
    let t = token("t-1", EmailTokenPurpose::SignUp, "ada@example.com");
    let bare = EmailToken {
        user_id: None,
        code_hash: None,
        ..token("t-2", EmailTokenPurpose::ResetPassword, "ada@example.com")
    };
    for t in [&t, &bare] {
        store.put_email_token(t).await.expect("put_email_token");
        let by_hash = store
            .get_email_token_by_hash(t.purpose, &t.token_hash)
            .await;
        assert_eq!(by_hash.expect("by hash").as_ref(), Some(t));
        let by_email = store.get_email_token_for(t.purpose, &t.email).await;
        assert_eq!(by_email.expect("by email").as_ref(), Some(t));
    }
    let other = store
        .get_email_token_by_hash(EmailTokenPurpose::VerifyEmail, &t.token_hash)
        .await;
    assert_eq!(other.expect("other purpose"), None);
    let unknown = store
        .get_email_token_by_hash(EmailTokenPurpose::SignUp, "nope")
        .await;
    assert_eq!(unknown.expect("unknown"), None);
}

/// A new token for the same purpose and email replaces the old one.
pub async fn email_token_put_replaces_the_previous_one(store: &dyn Store) {
    let old = token("t-1", EmailTokenPurpose::SignUp, "ada@example.com");
    let new = token("t-2", EmailTokenPurpose::SignUp, "ada@example.com");
    let other = token("t-3", EmailTokenPurpose::SignUp, "bob@example.com");
    for t in [&old, &new, &other] {
        store.put_email_token(t).await.expect("put_email_token");
    }
    let gone = store
        .get_email_token_by_hash(EmailTokenPurpose::SignUp, &old.token_hash)
        .await;
    assert_eq!(gone.expect("old"), None, "the old link stops working");
    let current = store
        .get_email_token_for(EmailTokenPurpose::SignUp, "ada@example.com")
        .await;
    assert_eq!(current.expect("current"), Some(new));
    let bob = store
        .get_email_token_for(EmailTokenPurpose::SignUp, "bob@example.com")
        .await;
    assert_eq!(bob.expect("bob"), Some(other), "other emails keep theirs");
}

/// Wrong codes are counted; a taken token is gone and cannot be taken twice.
pub async fn email_token_attempts_and_single_use(store: &dyn Store) {
    let t = token("t-1", EmailTokenPurpose::SignUp, "ada@example.com");
    store.put_email_token(&t).await.expect("put_email_token");
    assert_eq!(store.count_email_token_attempt("t-1").await.expect("1"), 1);
    assert_eq!(store.count_email_token_attempt("t-1").await.expect("2"), 2);
    assert!(store.take_email_token("t-1").await.expect("take"));
    assert!(!store.take_email_token("t-1").await.expect("take again"));
    assert!(matches!(
        store.count_email_token_attempt("t-1").await,
        Err(StoreError::NotFound)
    ));
}

/// Sixteen concurrent takes of one token: exactly one succeeds.
pub async fn email_token_take_concurrently_exactly_one_wins(store: Arc<dyn Store>) {
    let t = token(
        "t-race",
        EmailTokenPurpose::ResetPassword,
        "ada@example.com",
    );
    store.put_email_token(&t).await.expect("put_email_token");
    let results = race(16, |_| {
        let store = Arc::clone(&store);
        async move { store.take_email_token("t-race").await }
    })
    .await;
    let winners = results
        .into_iter()
        .filter(|r| *r.as_ref().expect("take"))
        .count();
    assert_eq!(winners, 1);
}

/// Expired tokens are purged, live ones stay.
pub async fn email_token_purge_removes_only_expired(store: &dyn Store) {
    let old = EmailToken {
        expires_at: T0 + 10,
        ..token("t-1", EmailTokenPurpose::SignUp, "ada@example.com")
    };
    let live = token("t-2", EmailTokenPurpose::SignUp, "bob@example.com");
    store.put_email_token(&old).await.expect("put");
    store.put_email_token(&live).await.expect("put");
    assert_eq!(
        store
            .purge_expired_email_tokens(T0 + 10)
            .await
            .expect("purge"),
        1
    );
    let kept = store
        .get_email_token_for(EmailTokenPurpose::SignUp, "bob@example.com")
        .await;
    assert_eq!(kept.expect("kept"), Some(live));
}

/// Due mails are claimed oldest first, leased, then sent or failed; sent mails are never due.
pub async fn mail_queue_claim_send_fail(store: &dyn Store) {
    for m in [mail("m-1", T0), mail("m-2", T0 + 1), mail("m-3", T0 + 100)] {
        store.enqueue_mail(&m).await.expect("enqueue_mail");
    }
    let claimed = store
        .claim_due_mail(T0 + 5, T0 + 65, 10)
        .await
        .expect("claim");
    let ids: Vec<&str> = claimed.iter().map(|m| m.mail_id.as_str()).collect();
    assert_eq!(ids, ["m-1", "m-2"], "only the due ones, oldest first");
    assert!(claimed.iter().all(|m| m.next_attempt_at == T0 + 65));
    assert!(
        store
            .claim_due_mail(T0 + 6, T0 + 66, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased mails are not claimed again"
    );
    store.mark_mail_sent("m-1", T0 + 7).await.expect("sent");
    store
        .mark_mail_failed("m-2", "connection refused", Some(T0 + 120))
        .await
        .expect("failed");
    let sent = store.get_mail("m-1").await.expect("get").expect("m-1");
    assert_eq!((sent.sent_at, sent.attempts), (Some(T0 + 7), 1));
    let failed = store.get_mail("m-2").await.expect("get").expect("m-2");
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
    let due = store
        .claim_due_mail(T0 + 200, T0 + 260, 10)
        .await
        .expect("claim");
    let ids: Vec<&str> = due.iter().map(|m| m.mail_id.as_str()).collect();
    assert_eq!(
        ids,
        ["m-2", "m-3"],
        "the failed one again, and the later one; never m-1"
    );
    store
        .mark_mail_failed("m-2", "gave up", None)
        .await
        .expect("give up");
    assert!(
        store
            .claim_due_mail(T0 + 10_000, T0 + 10_060, 10)
            .await
            .expect("claim")
            .iter()
            .all(|m| m.mail_id != "m-2")
    );
    let listed = store.list_mail(10).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].mail_id, "m-3", "newest first");
    assert_eq!(
        store.purge_mail(T0 + 50).await.expect("purge"),
        2,
        "m-1 sent, m-2 given up"
    );
    assert_eq!(store.list_mail(10).await.expect("list").len(), 1);
}

/// Sixteen workers claim at once: each due mail goes to exactly one of them.
pub async fn mail_queue_concurrent_claims_never_share_a_mail(store: Arc<dyn Store>) {
    for i in 0..20 {
        store
            .enqueue_mail(&mail(&format!("m-{i:02}"), T0))
            .await
            .expect("enqueue_mail");
    }
    let results = race(16, |_| {
        let store = Arc::clone(&store);
        async move { store.claim_due_mail(T0, T0 + 60, 3).await }
    })
    .await;
    let mut ids: Vec<String> = results
        .into_iter()
        .flat_map(|r| r.expect("claim"))
        .map(|m| m.mail_id)
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no mail claimed twice");
    assert_eq!(total, 20, "every mail claimed once");
}

fn consent(user: &str, client: &str, scopes: &[&str], at: UnixTime) -> Consent {
    Consent {
        user_id: user.to_owned(),
        client_id: client.to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        created_at: at,
        updated_at: at,
    }
}

/// Consents are stored per (user, client), replaced, listed by client and deleted.
pub async fn consent_put_get_list_delete(store: &dyn Store) {
    assert_eq!(store.get_consent("u-1", "app").await.expect("get"), None);
    let first = consent("u-1", "app", &["openid", "profile"], T0);
    store.put_consent(&first).await.expect("put");
    assert_eq!(
        store.get_consent("u-1", "app").await.expect("get"),
        Some(first)
    );
    let wider = Consent {
        created_at: T0,
        ..consent("u-1", "app", &["openid", "profile", "email"], T0 + 5)
    };
    store.put_consent(&wider).await.expect("replace");
    assert_eq!(
        store.get_consent("u-1", "app").await.expect("get"),
        Some(wider.clone())
    );
    let other = consent("u-1", "another", &["openid"], T0);
    store.put_consent(&other).await.expect("put");
    store
        .put_consent(&consent("u-2", "app", &["openid"], T0))
        .await
        .expect("put");
    let listed = store.list_user_consents("u-1").await.expect("list");
    assert_eq!(listed, [other, wider]);
    assert!(store.delete_consent("u-1", "app").await.expect("delete"));
    assert!(
        !store
            .delete_consent("u-1", "app")
            .await
            .expect("delete again")
    );
    assert_eq!(store.get_consent("u-1", "app").await.expect("get"), None);
    assert!(
        store
            .get_consent("u-2", "app")
            .await
            .expect("get")
            .is_some()
    );
}

/// Settings are stored, replaced and removed by name.
pub async fn setting_put_get_delete(store: &dyn Store) {
    assert_eq!(store.get_setting("signup").await.expect("get"), None);
    store.put_setting("signup", "false", T0).await.expect("put");
    assert_eq!(
        store.get_setting("signup").await.expect("get").as_deref(),
        Some("false")
    );
    store
        .put_setting("signup", "true", T0 + 1)
        .await
        .expect("replace");
    assert_eq!(
        store.get_setting("signup").await.expect("get").as_deref(),
        Some("true")
    );
    assert_eq!(store.get_setting("other").await.expect("get"), None);
    assert!(store.delete_setting("signup").await.expect("delete"));
    assert!(!store.delete_setting("signup").await.expect("delete again"));
    assert_eq!(store.get_setting("signup").await.expect("get"), None);
}
