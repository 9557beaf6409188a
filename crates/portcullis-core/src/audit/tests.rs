#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::testing::{T0, fixture};
use portcullis_store::{LogFilter, LogOrder};

#[test]
fn dates_are_rfc_3339_in_utc_with_milliseconds() {
    assert_eq!(iso_date(0), "1970-01-01T00:00:00.000Z");
    // 2000-02-29 (a leap day of a century leap year), 12:34:56.789.
    let days = 10_957 + 31 + 28;
    let ms = (days * 86_400 + 12 * 3600 + 34 * 60 + 56) * 1000 + 789;
    assert_eq!(iso_date(ms), "2000-02-29T12:34:56.789Z");
}

#[test]
fn details_that_name_secrets_are_redacted() {
    let event = Event::new(EventType::SUCCESS_LOGIN)
        .detail("password", "hunter2")
        .detail("client_secret", "s3cret")
        .detail("refresh_token", "rt")
        .detail("scope", "openid")
        .into_log_event("id".into(), 0, RequestContext::default());
    let details = event.details.unwrap();
    assert!(!details.contains("hunter2"), "{details}");
    assert!(!details.contains("s3cret"), "{details}");
    assert!(!details.contains("\"rt\""), "{details}");
    assert!(details.contains("\"scope\":\"openid\""), "{details}");
}

#[tokio::test]
async fn recorded_events_are_written_with_context_and_client_name() {
    let f = fixture().await;
    let context = RequestContext::new(Some("198.51.100.7".into()), Some("agent\u{0}/1"))
        .with_client_id(Some("web"));
    context
        .scope(async {
            record(
                &f.p,
                Event::new(EventType::SUCCESS_LOGIN)
                    .user(&f.user)
                    .description("Successful login"),
            );
            record(
                &f.p,
                Event::new(EventType::SUCCESS_LOGOUT).client_id("other"),
            );
        })
        .await;
    record(&f.p, Event::new(EventType::code("gd_auth_succeed")));
    f.p.audit.flush().await;
    let events =
        f.p.store
            .list_log_events(&LogFilter::default(), LogOrder::OldestFirst, 0, 10)
            .await
            .unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["s", "slo", "gd_auth_succeed"]);
    let login = &events[0];
    assert_eq!(login.date_ms, T0 * 1000);
    assert_eq!(login.user_id.as_deref(), Some(f.user.user_id.as_str()));
    assert_eq!(login.user_name.as_deref(), Some(f.user.email.as_str()));
    assert_eq!(login.client_id.as_deref(), Some("web"));
    assert_eq!(login.client_name.as_deref(), Some("web"));
    assert_eq!(login.ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(login.user_agent.as_deref(), Some("agent/1"));
    assert_eq!(events[1].client_id.as_deref(), Some("other"));
    assert_eq!(events[2].ip, None, "outside a request there is no address");
    assert!(events[0].log_id < events[1].log_id && events[1].log_id < events[2].log_id);
}

#[tokio::test]
async fn maintenance_purges_events_past_their_retention() {
    let f = fixture().await;
    record(&f.p, Event::new(EventType::SUCCESS_LOGIN));
    f.p.audit.flush().await;
    f.clock
        .advance(f.p.config.audit_log_retention_days * 86_400);
    record(&f.p, Event::new(EventType::FAILED_LOGIN));
    f.p.audit.flush().await;
    crate::maintenance::purge_expired(&f.p).await;
    let left =
        f.p.store
            .list_log_events(&LogFilter::default(), LogOrder::OldestFirst, 0, 10)
            .await
            .unwrap();
    assert_eq!(left.len(), 2, "exactly the retention old is kept");
    f.clock.advance(1);
    crate::maintenance::purge_expired(&f.p).await;
    let left =
        f.p.store
            .list_log_events(&LogFilter::default(), LogOrder::OldestFirst, 0, 10)
            .await
            .unwrap();
    let types: Vec<_> = left.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["f"]);
}
