//! `LogStore`: the audit log.

use crate::PostgresStore;
use crate::error::db;
use crate::rows::{self, log_columns};
use async_trait::async_trait;
use portcullis_store::{LogEvent, LogFilter, LogOrder, LogStore, StoreResult};
use sqlx::{Postgres, QueryBuilder};

/// Appends the `WHERE` clause `filter` asks for.
fn push_filter(q: &mut QueryBuilder<Postgres>, filter: &LogFilter) {
    q.push(" WHERE 1 = 1");
    if !filter.event_types.is_empty() {
        q.push(" AND event_type IN (");
        let mut types = q.separated(", ");
        for t in &filter.event_types {
            types.push_bind(t);
        }
        q.push(")");
    }
    if let Some(user_id) = &filter.user_id {
        q.push(" AND user_id = ").push_bind(user_id);
    }
    if let Some(client_id) = &filter.client_id {
        q.push(" AND client_id = ").push_bind(client_id);
    }
    if let Some(since) = filter.since_ms {
        q.push(" AND date_ms >= ").push_bind(since);
    }
    if let Some(after) = &filter.after_log_id {
        q.push(" AND log_id > ").push_bind(after);
    }
}

/// Whether a filter names a value no row holds (PostgreSQL text cannot hold NUL): it selects
/// nothing, without asking the database.
fn selects_nothing(filter: &LogFilter) -> bool {
    filter
        .event_types
        .iter()
        .chain(&filter.user_id)
        .chain(&filter.client_id)
        .chain(&filter.after_log_id)
        .any(|v| crate::unstorable(v))
}

/// Rows of one multi-row INSERT (11 binds each, under PostgreSQL's 65,535).
const MAX_ROWS_PER_STATEMENT: usize = 5_000;

#[async_trait]
impl LogStore for PostgresStore {
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()> {
        // One multi-row INSERT is atomic without an explicit transaction, so a writer dropped
        // halfway (a runtime shutting down) never leaves a pooled connection idle in an open
        // transaction, holding locks. Past PostgreSQL's 65,535 binds, a transaction.
        if events.is_empty() {
            return Ok(());
        }
        if events.len() <= MAX_ROWS_PER_STATEMENT {
            let mut q = QueryBuilder::<Postgres>::new(concat!(
                "INSERT INTO log_events (",
                log_columns!(),
                ") "
            ));
            q.push_values(events, |mut row, e| {
                row.push_bind(&e.log_id)
                    .push_bind(e.date_ms)
                    .push_bind(&e.event_type)
                    .push_bind(&e.description)
                    .push_bind(&e.client_id)
                    .push_bind(&e.client_name)
                    .push_bind(&e.user_id)
                    .push_bind(&e.user_name)
                    .push_bind(&e.ip)
                    .push_bind(&e.user_agent)
                    .push_bind(&e.details);
            });
            q.build().execute(&self.pool).await.map_err(db)?;
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for e in events {
            sqlx::query(concat!(
                "INSERT INTO log_events (",
                log_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(&e.log_id)
            .bind(e.date_ms)
            .bind(&e.event_type)
            .bind(&e.description)
            .bind(&e.client_id)
            .bind(&e.client_name)
            .bind(&e.user_id)
            .bind(&e.user_name)
            .bind(&e.ip)
            .bind(&e.user_agent)
            .bind(&e.details)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn get_log_event(&self, log_id: &str) -> StoreResult<Option<LogEvent>> {
        if crate::unstorable(log_id) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            log_columns!(),
            " FROM log_events WHERE log_id = $1"
        ))
        .bind(log_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::log_event)
        .transpose()
    }

    async fn list_log_events(
        &self,
        filter: &LogFilter,
        order: LogOrder,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<LogEvent>> {
        if selects_nothing(filter) {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(concat!("SELECT ", log_columns!(), " FROM log_events"));
        push_filter(&mut q, filter);
        q.push(match order {
            LogOrder::NewestFirst => " ORDER BY date_ms DESC, log_id DESC",
            LogOrder::OldestFirst => " ORDER BY date_ms, log_id",
        });
        q.push(" LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let found = q.build().fetch_all(&self.pool).await.map_err(db)?;
        rows::all(found, rows::log_event)
    }

    async fn count_log_events(&self, filter: &LogFilter) -> StoreResult<u64> {
        if selects_nothing(filter) {
            return Ok(0);
        }
        let mut q = QueryBuilder::new("SELECT COUNT(*) FROM log_events");
        push_filter(&mut q, filter);
        let count: i64 = q
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn purge_log_events(&self, before_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM log_events WHERE date_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
