//! The store's connection pool: sqlx's [`PgPool`] with a fast path that skips its round trips.
//!
//! sqlx's pool checks a connection with a round trip to the server (a `Sync` message, answered
//! by `ReadyForQuery`) when it hands the connection out (`test_before_acquire`) and again when
//! it takes it back: every statement sent through `&PgPool` costs three round trips, and on a
//! token endpoint those checks were a tenth of the server's CPU. The check on return exists for
//! connections left in an unknown state: a query future dropped mid-flight (its request was
//! cancelled) or a transaction dropped without commit.
//!
//! [`Pool`] keeps its own list of connections it knows are clean: a connection goes back on that
//! list, unchecked, only when the statement or transaction that used it ran to completion.
//! Anything else (an error, a cancelled future, a dropped transaction, which queues its
//! `ROLLBACK` first) drops the connection into sqlx's pool, which checks it as before. A
//! connection that sat on the list longer than [`STALE_AFTER`] is handed back to sqlx too, so a
//! connection the server closed while it was idle (a restart) is found by sqlx's check, not by a
//! request.
//!
//! Every connection, on the list or in use, belongs to sqlx's pool, so its limit holds; a
//! semaphore with the same number of permits decides who may hold one, so a request never waits
//! in sqlx's queue while a clean connection sits on the list.

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgTransactionManager;
use sqlx::postgres::{PgConnection, PgPool, PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Error, Execute, Executor, Postgres, SqlStr};
use sqlx_core::transaction::TransactionManager;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a connection may sit on the clean list before it is checked again (by sqlx) on its
/// next use.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// sqlx's pool plus the list of clean connections (see the module documentation). Cheap to
/// clone: clones share both.
#[derive(Debug, Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    inner: PgPool,
    clean: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    permits: Semaphore,
    acquire_timeout: Duration,
}

impl Pool {
    /// Wraps `inner`; at most as many connections are in use as `inner` allows.
    pub fn new(inner: PgPool) -> Pool {
        let options = inner.options();
        let permits = Semaphore::new(options.get_max_connections() as usize);
        let acquire_timeout = options.get_acquire_timeout();
        Pool {
            shared: Arc::new(Shared {
                inner,
                clean: Mutex::new(Vec::new()),
                permits,
                acquire_timeout,
            }),
        }
    }

    /// A connection: a clean one from the list when there is one, else one from sqlx's pool.
    /// Fails with [`Error::PoolTimedOut`] after the pool's acquire timeout.
    pub async fn acquire(&self) -> Result<Conn<'_>, Error> {
        self.shared.acquire().await
    }

    /// Starts a transaction (READ COMMITTED, PostgreSQL's default).
    pub async fn begin(&self) -> Result<Tx<'_>, Error> {
        let mut conn = self.acquire().await?;
        PgTransactionManager::begin(&mut conn, None).await?;
        Ok(Tx { conn: Some(conn) })
    }

    /// Open connections (in use, clean or idle in sqlx's pool).
    pub fn size(&self) -> u32 {
        self.shared.inner.size()
    }

    /// Connections not in use: on the clean list or idle in sqlx's pool.
    pub fn num_idle(&self) -> usize {
        let clean = self
            .shared
            .clean
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        self.shared.inner.num_idle() + clean
    }

    /// The most connections open at once.
    pub fn max_connections(&self) -> u32 {
        self.shared.inner.options().get_max_connections()
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.shared.permits.close();
        let clean: Vec<_> = self
            .shared
            .clean
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        drop(clean);
        self.shared.inner.close().await;
    }
}

impl Shared {
    async fn acquire(&self) -> Result<Conn<'_>, Error> {
        let deadline = tokio::time::Instant::now() + self.acquire_timeout;
        let permit = tokio::time::timeout_at(deadline, self.permits.acquire())
            .await
            .map_err(|_| Error::PoolTimedOut)?
            .map_err(|_| Error::PoolClosed)?;
        let conn = match self.take_clean() {
            Some(conn) => conn,
            None => tokio::time::timeout_at(deadline, self.inner.acquire())
                .await
                .map_err(|_| Error::PoolTimedOut)??,
        };
        Ok(Conn {
            conn: Some(conn),
            pool: self,
            _permit: permit,
        })
    }

    /// The most recently returned clean connection, unless it went stale; stale ones go back to
    /// sqlx (dropped: its check on return runs in the background).
    fn take_clean(&self) -> Option<PoolConnection<Postgres>> {
        let mut clean = self.clean.lock().unwrap_or_else(|e| e.into_inner());
        let (conn, since) = clean.pop()?;
        if since.elapsed() <= STALE_AFTER {
            return Some(conn);
        }
        // The rest of the list is older still.
        let stale: Vec<_> = clean.drain(..).collect();
        drop(clean);
        drop(stale);
        drop(conn);
        None
    }
}

/// A connection in use. [`Conn::release`] puts it on the clean list; dropping it instead hands
/// it to sqlx's pool, which checks it first.
#[derive(Debug)]
pub struct Conn<'p> {
    conn: Option<PoolConnection<Postgres>>,
    pool: &'p Shared,
    _permit: SemaphorePermit<'p>,
}

impl Conn<'_> {
    /// Only for a connection whose last statement or transaction completed: nothing of it is
    /// left on the wire or open on the server.
    pub fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            if self.pool.permits.is_closed() {
                return;
            }
            self.pool
                .clean
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((conn, Instant::now()));
        }
    }
}

impl Deref for Conn<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn
            .as_ref()
            .expect("a Conn holds its connection until released")
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
            .as_mut()
            .expect("a Conn holds its connection until released")
    }
}

/// A transaction on one connection. Dropped without [`Tx::commit`], it queues a `ROLLBACK`
/// (sent by sqlx's check when the connection goes back to its pool), as sqlx's own
/// transactions do.
#[derive(Debug)]
pub struct Tx<'p> {
    conn: Option<Conn<'p>>,
}

impl Tx<'_> {
    /// Commits; the connection goes back on the clean list.
    pub async fn commit(mut self) -> Result<(), Error> {
        // Taken only once the commit went through: a failed or cancelled commit leaves the
        // connection to `drop`, which queues a `ROLLBACK` (harmless after a `COMMIT`).
        PgTransactionManager::commit(&mut self).await?;
        if let Some(conn) = self.conn.take() {
            conn.release();
        }
        Ok(())
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            PgTransactionManager::start_rollback(conn);
        }
    }
}

impl Deref for Tx<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn
            .as_ref()
            .expect("a Tx holds its connection until it ends")
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
            .as_mut()
            .expect("a Tx holds its connection until it ends")
    }
}

/// Statements sent through `&Pool`, as through `&PgPool`: each on a connection of its own,
/// released clean when it completes.
impl<'p> Executor<'p> for &'p Pool {
    type Database = Postgres;

    /// Collects the results before yielding them, so the connection is released as soon as the
    /// statement completes (the store reads whole result sets anyway).
    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        stream::once(async move {
            let mut conn = self.acquire().await?;
            let results: Vec<_> = conn.fetch_many(query).try_collect().await?;
            conn.release();
            Ok::<_, Error>(stream::iter(results.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<PgRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        Box::pin(async move {
            let mut conn = self.acquire().await?;
            let row = conn.fetch_optional(query).await?;
            conn.release();
            Ok(row)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement, Error>>
    where
        'p: 'e,
    {
        Box::pin(async move {
            let mut conn = self.acquire().await?;
            let statement = conn.prepare_with(sql, parameters).await?;
            conn.release();
            Ok(statement)
        })
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Postgres>, Error>>
    where
        'p: 'e,
    {
        Box::pin(async move {
            let mut conn = self.acquire().await?;
            let description = conn.describe(sql).await?;
            conn.release();
            Ok(description)
        })
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;
    use sqlx::Connection as _;
    use sqlx::postgres::PgPoolOptions;

    async fn pool(db: &TestDatabase, max: u32) -> Pool {
        let inner = PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(db.options())
            .await
            .expect("connect");
        let pool = Pool::new(inner);
        sqlx::query("CREATE TABLE t (n INT PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        pool
    }

    /// The backend process serving the statement: which connection it ran on.
    async fn backend_pid(pool: &Pool) -> i32 {
        sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    fn clean_len(pool: &Pool) -> usize {
        pool.shared.clean.lock().unwrap().len()
    }

    #[tokio::test]
    async fn a_completed_statement_puts_its_connection_on_the_clean_list() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 4).await;
        let first = backend_pid(&pool).await;
        assert_eq!(clean_len(&pool), 1);
        for _ in 0..20 {
            assert_eq!(backend_pid(&pool).await, first);
        }
        let rows: Vec<i32> = sqlx::query_scalar("SELECT generate_series(1, 3)")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(pool.size(), 1, "sequential statements share one connection");
        assert_eq!(clean_len(&pool), 1);
    }

    #[tokio::test]
    async fn a_failed_statement_hands_its_connection_back_to_sqlx() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 4).await;
        backend_pid(&pool).await;
        let error = sqlx::query("SELECT * FROM no_such_table")
            .execute(&pool)
            .await
            .expect_err("no such table");
        assert!(error.to_string().contains("no_such_table"), "{error}");
        assert_eq!(clean_len(&pool), 0);
        assert!(backend_pid(&pool).await > 0, "the pool still serves");
    }

    #[tokio::test]
    async fn a_cancelled_statement_does_not_leave_its_answer_for_the_next_one() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 1).await;
        let slow = sqlx::query_scalar::<_, i32>("SELECT 7 FROM pg_sleep(0.3)").fetch_one(&pool);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), slow)
                .await
                .is_err(),
            "the sleep outlasts the timeout"
        );
        assert_eq!(clean_len(&pool), 0);
        // One connection: the next statement gets it back from sqlx, after its check has read
        // what the cancelled statement left on the wire.
        let n: i32 = sqlx::query_scalar("SELECT 42")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 42);
    }

    #[tokio::test]
    async fn a_transaction_dropped_without_commit_is_rolled_back() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 1).await;
        {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        // The same (only) connection: were it still in the dropped transaction, this insert
        // would be part of it and invisible to another connection.
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&pool)
            .await
            .unwrap();
        let mut other = sqlx::PgConnection::connect_with(&db.options())
            .await
            .unwrap();
        let rows: Vec<i32> = sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(&mut other)
            .await
            .unwrap();
        assert_eq!(rows, [2]);
    }

    #[tokio::test]
    async fn a_committed_transaction_leaves_its_connection_clean() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 1).await;
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (3)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(clean_len(&pool), 1);
        // The same connection, unchecked: outside any transaction, so another connection sees
        // this insert at once.
        sqlx::query("INSERT INTO t VALUES (4)")
            .execute(&pool)
            .await
            .unwrap();
        let mut other = sqlx::PgConnection::connect_with(&db.options())
            .await
            .unwrap();
        let rows: Vec<i32> = sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(&mut other)
            .await
            .unwrap();
        assert_eq!(rows, [3, 4]);
    }

    #[tokio::test]
    async fn no_more_connections_than_the_limit_under_concurrency() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 3).await;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    sqlx::query_scalar::<_, i32>("SELECT $1 FROM pg_sleep(0.05)")
                        .bind(i)
                        .fetch_one(&pool)
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap(), i as i32);
        }
        assert!(pool.size() <= 3, "{} connections", pool.size());
        assert_eq!(pool.num_idle(), pool.size() as usize);
    }

    #[tokio::test]
    async fn a_connection_idle_past_the_limit_goes_back_to_sqlx() {
        let db = TestDatabase::create().await;
        let pool = pool(&db, 2).await;
        backend_pid(&pool).await;
        assert_eq!(clean_len(&pool), 1);
        // Age the clean connection instead of waiting.
        pool.shared.clean.lock().unwrap()[0].1 -= STALE_AFTER + Duration::from_secs(1);
        assert!(pool.shared.take_clean().is_none());
        assert_eq!(clean_len(&pool), 0);
        assert!(backend_pid(&pool).await > 0, "sqlx serves it again");
        assert_eq!(clean_len(&pool), 1);
    }
}
