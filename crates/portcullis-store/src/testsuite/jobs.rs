//! `JobStore`.

use super::assert_conflict;
use super::sample::T0;
use crate::*;

fn job(id: &str, created_at: UnixTime) -> Job {
    Job {
        job_id: id.to_owned(),
        job_type: "users_import".to_owned(),
        status: "pending".to_owned(),
        connection_id: "con_db".to_owned(),
        upsert: true,
        external_id: Some("ext-1".to_owned()),
        created_at,
        updated_at: created_at,
        summary: None,
        errors: None,
    }
}

/// A job comes back unchanged; an update replaces its status, time, summary and errors (and
/// nothing else); a taken id conflicts; an unknown one is `NotFound`; purging removes only
/// older jobs; lookups by keys holding NUL find nothing.
pub async fn job_create_get_update_purge(store: &dyn Store) {
    let first = job("job_1", T0);
    store.create_job(&first).await.expect("create");
    assert_eq!(
        store.get_job("job_1").await.expect("get"),
        Some(first.clone())
    );
    assert_eq!(store.get_job("job_2").await.expect("get"), None);
    assert_eq!(store.get_job("job_1\0").await.expect("get"), None);
    assert_conflict(store.create_job(&first).await, "duplicate job id");

    let done = Job {
        status: "completed".to_owned(),
        updated_at: T0 + 5,
        summary: Some(r#"{"inserted":1}"#.to_owned()),
        errors: Some("[]".to_owned()),
        // Not changed by an update.
        connection_id: "con_other".to_owned(),
        upsert: false,
        ..first.clone()
    };
    store.update_job(&done).await.expect("update");
    let got = store.get_job("job_1").await.expect("get").expect("job");
    assert_eq!(got.status, "completed");
    assert_eq!(got.updated_at, T0 + 5);
    assert_eq!(got.summary.as_deref(), Some(r#"{"inserted":1}"#));
    assert_eq!(got.errors.as_deref(), Some("[]"));
    assert_eq!(got.connection_id, "con_db");
    assert!(got.upsert);
    assert_eq!(got.external_id.as_deref(), Some("ext-1"));
    match store.update_job(&job("job_9", T0)).await {
        Err(StoreError::NotFound) => {}
        other => panic!("update of an unknown job: expected NotFound, got {other:?}"),
    }

    store
        .create_job(&Job {
            external_id: None,
            ..job("job_2", T0 + 100)
        })
        .await
        .expect("create");
    assert_eq!(store.purge_jobs(T0 + 100).await.expect("purge"), 1);
    assert_eq!(store.get_job("job_1").await.expect("get"), None);
    let kept = store.get_job("job_2").await.expect("get").expect("job");
    assert_eq!(kept.external_id, None);
}
