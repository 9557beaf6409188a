//! `LogStore` and `UserImportStore`.

use super::assert_conflict;
use super::sample::{self, T0};
use crate::*;

const MS0: i64 = T0 * 1000;

fn event(log_id: &str, date_ms: i64, event_type: &str, user: Option<&str>) -> LogEvent {
    LogEvent {
        log_id: log_id.to_owned(),
        date_ms,
        event_type: event_type.to_owned(),
        description: Some(format!("event {log_id}")),
        client_id: Some("app".to_owned()),
        client_name: Some("App".to_owned()),
        user_id: user.map(str::to_owned),
        user_name: user.map(|u| format!("{u}@example.com")),
        ip: Some("203.0.113.9".to_owned()),
        user_agent: Some("agent/1.0".to_owned()),
        details: Some(r#"{"grant_type":"client_credentials"}"#.to_owned()),
    }
}

fn ids(events: &[LogEvent]) -> Vec<&str> {
    events.iter().map(|e| e.log_id.as_str()).collect()
}

/// Events come back unchanged, newest or oldest first, filtered by type, user, client, time
/// and checkpoint; a batch with a taken id stores nothing.
pub async fn log_insert_get_list_filter(store: &dyn Store) {
    let batch = [
        event("l1", MS0, "s", Some("u-1")),
        event("l2", MS0 + 5, "fp", Some("u-1")),
        event("l3", MS0 + 5, "seccft", None),
        LogEvent {
            description: None,
            client_id: None,
            client_name: None,
            user_id: None,
            user_name: None,
            ip: None,
            user_agent: None,
            details: None,
            ..event("l4", MS0 + 9, "limit_wc", None)
        },
    ];
    store.insert_log_events(&batch).await.expect("insert");
    for e in &batch {
        let got = store.get_log_event(&e.log_id).await.expect("get");
        assert_eq!(got.as_ref(), Some(e));
    }
    assert_eq!(store.get_log_event("nope").await.expect("get"), None);

    let all = LogFilter::default();
    let newest = store
        .list_log_events(&all, LogOrder::NewestFirst, 0, 100)
        .await
        .expect("list");
    assert_eq!(ids(&newest), ["l4", "l3", "l2", "l1"]);
    let oldest = store
        .list_log_events(&all, LogOrder::OldestFirst, 1, 2)
        .await
        .expect("list");
    assert_eq!(ids(&oldest), ["l2", "l3"]);

    let cases: [(LogFilter, &[&str]); 5] = [
        (
            LogFilter {
                event_types: vec!["fp".into(), "limit_wc".into()],
                ..LogFilter::default()
            },
            &["l2", "l4"],
        ),
        (
            LogFilter {
                user_id: Some("u-1".into()),
                ..LogFilter::default()
            },
            &["l1", "l2"],
        ),
        (
            LogFilter {
                client_id: Some("app".into()),
                since_ms: Some(MS0 + 1),
                ..LogFilter::default()
            },
            &["l2", "l3"],
        ),
        (
            LogFilter {
                after_log_id: Some("l2".into()),
                ..LogFilter::default()
            },
            &["l3", "l4"],
        ),
        (
            LogFilter {
                user_id: Some("nobody".into()),
                ..LogFilter::default()
            },
            &[],
        ),
    ];
    for (filter, expected) in cases {
        let got = store
            .list_log_events(&filter, LogOrder::OldestFirst, 0, 100)
            .await
            .expect("list");
        assert_eq!(ids(&got), expected, "{filter:?}");
        let count = store.count_log_events(&filter).await.expect("count");
        assert_eq!(count, expected.len() as u64, "{filter:?}");
    }

    let taken = [event("l5", MS0, "s", None), event("l1", MS0, "s", None)];
    assert_conflict(store.insert_log_events(&taken).await, "taken log id");
    assert_eq!(store.get_log_event("l5").await.expect("get"), None);
}

/// `purge_log_events` deletes exactly the events older than the cut-off.
pub async fn log_purge_removes_only_older(store: &dyn Store) {
    let batch = [
        event("old", MS0 - 1, "s", None),
        event("edge", MS0, "s", None),
        event("new", MS0 + 1, "s", None),
    ];
    store.insert_log_events(&batch).await.expect("insert");
    assert_eq!(store.purge_log_events(MS0).await.expect("purge"), 1);
    let left = store
        .list_log_events(&LogFilter::default(), LogOrder::OldestFirst, 0, 10)
        .await
        .expect("list");
    assert_eq!(ids(&left), ["edge", "new"]);
    assert_eq!(store.purge_log_events(MS0).await.expect("purge"), 0);
}

fn imported(user_id: &str, email: &str, hash: &str) -> User {
    User {
        password_hash: Some(format!("{IMPORTED_PASSWORD_PREFIX}{hash}")),
        email_verified: false,
        ..sample::user(user_id, email, T0)
    }
}

/// New users are created; a taken id or email is a duplicate without upsert; with upsert the
/// user with that email gets the upsertable fields, and a new imported hash only while the old
/// one is still imported; an id owned by another email is refused. One batch, one outcome each.
pub async fn import_users_create_duplicate_upsert(store: &dyn Store) {
    let native = sample::user("native", "native@example.com", T0);
    store.create_user(&native).await.expect("create_user");

    let first = [
        imported("auth0|1", "One@Example.com", "h1"),
        imported("auth0|2", "two@example.com", "h2"),
        imported("auth0|1", "other@example.com", "h3"),
        imported("auth0|9", "native@example.com", "h4"),
    ];
    let outcomes = store.import_users(&first, false).await.expect("import");
    assert_eq!(
        outcomes,
        [
            ImportOutcome::Created,
            ImportOutcome::Created,
            ImportOutcome::Duplicate,
            ImportOutcome::Duplicate,
        ]
    );
    let one = store.get_user("auth0|1").await.expect("get").expect("one");
    assert_eq!(one.email, "one@example.com");
    assert_eq!(one.password_hash.as_deref(), Some("import:h1"));
    assert_eq!(store.get_user("auth0|9").await.expect("get"), None);

    // auth0|2 signs in: its hash is no longer an imported one.
    assert!(
        store
            .replace_password_hash("auth0|2", "import:h2", "$argon2id$new", T0 + 1)
            .await
            .expect("replace")
    );
    assert!(
        !store
            .replace_password_hash("auth0|2", "import:h2", "$argon2id$other", T0 + 2)
            .await
            .expect("replace again"),
        "compare and swap: the expected hash is gone"
    );

    let mut renamed = imported("auth0|1", "one@example.com", "h1b");
    renamed.name = Some("Renamed".to_owned());
    renamed.email_verified = true;
    renamed.blocked = true;
    renamed.updated_at = T0 + 10;
    let second = [
        renamed,
        imported("auth0|2", "two@example.com", "h2b"),
        imported("auth0|1", "free@example.com", "h5"),
        imported("auth0|3", "three@example.com", "h6"),
        imported("auth0|9", "native@example.com", "h7"),
    ];
    let outcomes = store.import_users(&second, true).await.expect("upsert");
    assert_eq!(outcomes[0], ImportOutcome::Updated);
    assert_eq!(outcomes[1], ImportOutcome::Updated);
    assert!(
        matches!(outcomes[2], ImportOutcome::Refused(_)),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[3], ImportOutcome::Created);
    assert_eq!(outcomes[4], ImportOutcome::Updated);

    let one = store.get_user("auth0|1").await.expect("get").expect("one");
    assert_eq!(one.name.as_deref(), Some("Renamed"));
    assert!(one.email_verified);
    assert!(!one.blocked, "blocked is not upserted");
    assert_eq!(one.password_hash.as_deref(), Some("import:h1b"));
    assert_eq!((one.created_at, one.updated_at), (T0, T0 + 10));
    let two = store.get_user("auth0|2").await.expect("get").expect("two");
    assert_eq!(two.password_hash.as_deref(), Some("$argon2id$new"));
    let kept = store
        .get_user("native")
        .await
        .expect("get")
        .expect("native");
    assert_eq!(kept.password_hash, native.password_hash);
    assert_eq!(
        store
            .get_user_by_email("free@example.com")
            .await
            .expect("get"),
        None
    );
    assert!(store.get_user("auth0|3").await.expect("get").is_some());
}
