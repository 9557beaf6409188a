//! The audit log: every security event, recorded with Auth0's log event type codes (see
//! [`EventType`]) so tooling written for Auth0's tenant logs reads it unchanged.
//!
//! # Recording an event
//!
//! One call, from anywhere in the core (or a module built on it: MFA, passwordless, social
//! connections, the Management API):
//!
//! ```ignore
//! use portcullis_core::audit::{self, Event, EventType};
//!
//! audit::record(p, Event::new(EventType::SuccessLogin)
//!     .user(&user)                      // user_id and user_name (email)
//!     .client_id(client_id)             // the application's name is looked up for you
//!     .description("Successful login")
//!     .detail("connection", "Username-Password-Authentication"));
//! ```
//!
//! [`record`] never waits for the database: it hands the event to a bounded queue that a
//! background task writes in batches (one transaction per batch), so a request pays one channel
//! send. When the queue is full (the database is down or far behind) the event is dropped and a
//! warning is logged, rather than slowing sign-ins. The caller's IP address and user agent come
//! from the request scope the HTTP layer opens ([`RequestContext::scope`]); outside a request
//! (CLI, maintenance) they are empty.
//!
//! Never put a secret in an event: no password, token, code, client secret or cookie — not in
//! the description, not in the details. Ids (user, client, grant, session), scopes, grant
//! types, reasons are fine. [`Event::detail`] refuses keys that name secrets as a safety net.
//!
//! With `audit_log_stdout` set, every event is also printed to standard output as one JSON
//! object per line in Auth0's log shape (`log_id`, `date`, `type`, `description`, `client_id`,
//! `client_name`, `user_id`, `user_name`, `ip`, `user_agent`, `details`), for a log shipper.
//! Events older than `audit_log_retention_days` are deleted by [`crate::maintenance`].

mod context;
mod event;
mod writer;

pub use context::RequestContext;
pub use event::{Event, EventType};
pub use writer::AuditLog;

use crate::Provider;
use portcullis_store::LogEvent;

/// Records one event: fills in the time, a fresh log id, the request's IP and user agent, and
/// the client's name, then queues it for the background writer. Never blocks, never fails.
pub fn record(p: &Provider, event: Event) {
    let context = RequestContext::current();
    let date_ms = p.now().saturating_mul(1000);
    let log_id = writer::next_log_id(date_ms);
    let entry = event.into_log_event(log_id, date_ms, context);
    p.audit.submit(entry);
}

/// The event's JSON line in Auth0's log shape (`date` as RFC 3339).
pub fn auth0_json(e: &LogEvent) -> serde_json::Value {
    let details = e
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok());
    serde_json::json!({
        "log_id": e.log_id,
        "date": iso_date(e.date_ms),
        "type": e.event_type,
        "description": e.description,
        "client_id": e.client_id,
        "client_name": e.client_name,
        "user_id": e.user_id,
        "user_name": e.user_name,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "details": details,
    })
}

/// `2024-05-01T12:00:00.000Z` for Unix milliseconds.
pub fn iso_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests;
