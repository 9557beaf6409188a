//! `LogStore`: the audit log.

use crate::SqliteStore;
use crate::rows::{self, log_columns};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{LogEvent, LogFilter, LogOrder, LogStore, StoreResult};
use rusqlite::params;
use rusqlite::types::Value;

/// Appends the `WHERE` clause `filter` asks for to `q`, and its binds to `binds`.
fn push_filter(q: &mut String, binds: &mut Vec<Value>, filter: &LogFilter) {
    q.push_str(" WHERE 1 = 1");
    if !filter.event_types.is_empty() {
        q.push_str(" AND event_type IN (");
        for (i, t) in filter.event_types.iter().enumerate() {
            if i > 0 {
                q.push_str(", ");
            }
            q.push('?');
            binds.push(Value::Text(t.clone()));
        }
        q.push(')');
    }
    if let Some(user_id) = &filter.user_id {
        q.push_str(" AND user_id = ?");
        binds.push(Value::Text(user_id.clone()));
    }
    if let Some(client_id) = &filter.client_id {
        q.push_str(" AND client_id = ?");
        binds.push(Value::Text(client_id.clone()));
    }
    if let Some(since) = filter.since_ms {
        q.push_str(" AND date_ms >= ?");
        binds.push(Value::Integer(since));
    }
    if let Some(after) = &filter.after_log_id {
        q.push_str(" AND log_id > ?");
        binds.push(Value::Text(after.clone()));
    }
}

#[async_trait]
impl LogStore for SqliteStore {
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()> {
        let events = events.to_vec();
        self.write(move |tx| {
            for e in &events {
                sql::execute(
                    tx,
                    concat!(
                        "INSERT INTO log_events (",
                        log_columns!(),
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                    params![
                        e.log_id,
                        e.date_ms,
                        e.event_type,
                        e.description,
                        e.client_id,
                        e.client_name,
                        e.user_id,
                        e.user_name,
                        e.ip,
                        e.user_agent,
                        e.details,
                    ],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn get_log_event(&self, log_id: &str) -> StoreResult<Option<LogEvent>> {
        let log_id = log_id.to_owned();
        self.read(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    log_columns!(),
                    " FROM log_events WHERE log_id = ?"
                ),
                params![log_id],
                rows::log_event,
            )?)
        })
        .await
    }

    async fn list_log_events(
        &self,
        filter: &LogFilter,
        order: LogOrder,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<LogEvent>> {
        let mut q = String::from(concat!("SELECT ", log_columns!(), " FROM log_events"));
        let mut binds = Vec::new();
        push_filter(&mut q, &mut binds, filter);
        q.push_str(match order {
            LogOrder::NewestFirst => " ORDER BY date_ms DESC, log_id DESC",
            LogOrder::OldestFirst => " ORDER BY date_ms, log_id",
        });
        q.push_str(" LIMIT ? OFFSET ?");
        binds.push(Value::Integer(i64::from(limit)));
        binds.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        self.read(move |c| {
            Ok(sql::all(
                c,
                &q,
                rusqlite::params_from_iter(binds),
                rows::log_event,
            )?)
        })
        .await
    }

    async fn count_log_events(&self, filter: &LogFilter) -> StoreResult<u64> {
        let mut q = String::from("SELECT COUNT(*) FROM log_events");
        let mut binds = Vec::new();
        push_filter(&mut q, &mut binds, filter);
        let count: i64 = self
            .read(move |c| {
                Ok(sql::one(c, &q, rusqlite::params_from_iter(binds), |r| {
                    r.get(0)
                })?)
            })
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn purge_log_events(&self, before_ms: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM log_events WHERE date_ms < ?",
                params![before_ms],
            )?)
        })
        .await
    }
}
