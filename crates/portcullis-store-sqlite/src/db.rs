//! The connections behind a store, and the ways to use them: [`Db::write`], [`Db::read_now`]
//! and [`Db::read`].
//!
//! SQLite is a library, not a server: a statement runs on the calling thread, in microseconds
//! for the lookups and small writes of a token request. A store method therefore runs its
//! whole closure — every statement it needs — on one connection in one step, and where that
//! step cannot wait on anything it runs right on the calling (worker) thread: a hand-off to
//! another thread and back costs more than the statements themselves (that is what an
//! asynchronous driver with a worker thread per connection pays on every statement).
//!
//! - **Writes** go to the one writer connection, in a `BEGIN IMMEDIATE` transaction that commits
//!   when the closure returns `Ok` and rolls back otherwise. SQLite allows one writer at a time
//!   anyway; this process's writers queue on an asynchronous lock (not on SQLite's busy
//!   handler, which sleeps and retries), so the write lock is free when a transaction begins
//!   and it runs on the calling thread — unless another process (a CLI command) holds it, and
//!   then it waits on the blocking pool, up to the busy timeout. The slow part of a WAL commit,
//!   the checkpoint, is queued to the blocking pool every [`CHECKPOINT_EVERY`] commits.
//! - **Lookups by key** ([`Db::read_now`]) run on the calling thread on one of a few reader
//!   connections (opened read-only, so a write sent down the wrong path fails loudly); in WAL
//!   mode a reader never waits for the writer.
//! - **Reads that may scan** ([`Db::read`]: lists, counts, exports) run on the blocking pool,
//!   so a long one never holds a worker thread.
//!
//! A semaphore bounds the reads in flight to the reader connections there are. An in-memory
//! database lives in exactly one connection, which then serves reads too.

use crate::error::{Failure, db};
use portcullis_store::{StoreError, StoreResult};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reads that run at once (each on its own reader connection, opened on first need and kept).
/// More would only queue on the machine's cores: a read takes microseconds.
const MAX_READERS: usize = 4;
/// Commits between two checkpoints: a few pages each, so the WAL stays within a few MB.
const CHECKPOINT_EVERY: u64 = 300;
/// Prepared statements each connection keeps (the store has about 150 distinct statements; the
/// hot paths use a few dozen).
const STATEMENT_CACHE: usize = 128;

/// Where the database lives.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    File(PathBuf),
    Memory,
}

/// The connections of one database. Shared by every clone of the store.
#[derive(Debug)]
pub(crate) struct Db {
    location: Location,
    /// `None` once the store is closed.
    writer: Arc<tokio::sync::Mutex<Option<Connection>>>,
    /// Idle reader connections (files only; an in-memory database reads through the writer).
    readers: Mutex<Vec<Connection>>,
    /// One permit per reader connection.
    read_permits: Arc<tokio::sync::Semaphore>,
    /// Reader connections open, idle or in use.
    open_readers: AtomicU32,
    closed: AtomicBool,
    /// Commits through the writer (see [`Db::after_commit`]).
    commits: AtomicU64,
    /// A read-write connection of its own for the first pass of each checkpoint (files only;
    /// opened on first need).
    checkpointer: Mutex<Option<Connection>>,
}

impl Db {
    /// Opens the writer connection (creating the file) with the pragmas every connection gets.
    pub(crate) fn open(location: Location) -> StoreResult<Db> {
        let writer = match &location {
            Location::Memory => Connection::open_in_memory(),
            Location::File(path) => Connection::open(path),
        }
        .map_err(db)?;
        configure(&writer, &location)
            .and_then(|()| writer.busy_timeout(Duration::ZERO))
            .map_err(db)?;
        Ok(Db {
            location,
            writer: Arc::new(tokio::sync::Mutex::new(Some(writer))),
            readers: Mutex::new(Vec::new()),
            read_permits: Arc::new(tokio::sync::Semaphore::new(MAX_READERS)),
            open_readers: AtomicU32::new(0),
            closed: Default::default(),
            commits: AtomicU64::new(0),
            checkpointer: Default::default(),
        })
    }

    /// Runs `f` on the writer connection without a transaction (migrations manage their own).
    pub(crate) async fn with_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, Failure> + Send + 'static,
    ) -> StoreResult<T> {
        let mut guard = Arc::clone(&self.writer).lock_owned().await;
        let run = move || match guard.as_mut() {
            Some(conn) => waiting(conn, f).map_err(StoreError::from),
            None => Err(closed()),
        };
        match self.location {
            // An in-memory database is never slow to write and often used by tests on a
            // single-threaded runtime: run in place.
            Location::Memory => run(),
            Location::File(_) => blocking(run).await,
        }
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer connection: committed when
    /// `f` returns `Ok`, rolled back when it fails.
    ///
    /// The transaction runs on the calling thread when the write lock is free at once — this
    /// process's writers already queued on the writer's asynchronous lock, so it is unless
    /// another process (a CLI command) is writing — and on the blocking pool, waiting up to the
    /// busy timeout, when it is not. Either way it runs to its end once started, even if the
    /// caller stops waiting. Checkpoints, the one slow part of a WAL commit (they sync the
    /// file), run off this path (see [`Db::after_commit`]).
    pub(crate) async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Failure> + Send + 'static,
    ) -> StoreResult<T> {
        let mut guard = Arc::clone(&self.writer).lock_owned().await;
        let mut job = Some(f);
        // `None`: the write lock is taken (never, in memory); `job` is still to run.
        let inline = {
            let Some(conn) = guard.as_mut() else {
                return Err(closed());
            };
            match try_begin_immediate(conn) {
                Ok(Some(tx)) => job.take().map(|f| run_transaction(tx, f)),
                Ok(None) => None,
                Err(e) => Some(Err(Failure::from(e))),
            }
        };
        let out = match (inline, job) {
            (Some(result), _) => result.map_err(StoreError::from),
            // Another process holds the write lock: wait for it off the worker threads.
            (None, Some(f)) => {
                blocking(move || match guard.as_mut() {
                    Some(conn) => waiting(conn, |conn| {
                        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                        run_transaction(tx, f)
                    })
                    .map_err(StoreError::from),
                    None => Err(closed()),
                })
                .await
            }
            (None, None) => Err(closed()),
        };
        if matches!(self.location, Location::File(_)) && out.is_ok() {
            self.after_commit();
        }
        out
    }

    /// Counts a commit and, every [`CHECKPOINT_EVERY`] commits, checkpoints the WAL in two
    /// passes on the blocking pool. The writer connection never checkpoints inside a commit
    /// (`wal_autocheckpoint = 0`), where the file syncs of a checkpoint would stall a worker
    /// thread.
    ///
    /// 1. On a connection of its own, while writes go on: copies the WAL's frames into the
    ///    database and syncs both files, the bulk of the work (about 300 commits' pages; on
    ///    this project's test machine the WAL's sync alone took 12 ms).
    /// 2. Holding the writer's lock, as SQLite's own automatic checkpoint does: copies the few
    ///    frames committed during the first pass. A checkpoint racing new commits could never
    ///    catch up and the WAL would only grow; after this one the next write starts the WAL
    ///    over. Writes wait for this short pass only.
    fn after_commit(self: &Arc<Self>) {
        let commits = self.commits.fetch_add(1, Ordering::AcqRel) + 1;
        if !commits.is_multiple_of(CHECKPOINT_EVERY) {
            return;
        }
        let db = Arc::clone(self);
        tokio::spawn(async move {
            let beside = Arc::clone(&db);
            if let Err(e) = blocking(move || beside.checkpoint_beside_the_writer()).await {
                tracing::warn!(error = %e, "SQLite checkpoint failed; the next one retries");
            }
            let guard = Arc::clone(&db.writer).lock_owned().await;
            let done = blocking(move || match guard.as_ref() {
                Some(conn) => checkpoint(conn),
                None => Ok(()),
            })
            .await;
            if let Err(e) = done {
                tracing::warn!(error = %e, "SQLite checkpoint failed; the next one retries");
            }
        });
    }

    /// Runs `f` on a reader connection (the writer, for an in-memory database). Statements in
    /// `f` that must see one snapshot belong in a transaction `f` opens itself.
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T, Failure> + Send + 'static,
    ) -> StoreResult<T> {
        if let Location::Memory = self.location {
            return self.read_now(f).await;
        }
        let permit = Arc::clone(&self.read_permits)
            .acquire_owned()
            .await
            .map_err(|_| closed())?;
        let db = Arc::clone(self);
        blocking(move || {
            let _permit = permit;
            db.on_reader(f)
        })
        .await
    }

    /// Runs a lookup by key on a reader connection on the calling thread, without a hand-off to
    /// the blocking pool: for statements that read a row or two (microseconds, and in WAL mode
    /// a reader never waits for a writer). Anything that may read many rows uses [`Db::read`].
    pub(crate) async fn read_now<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T, Failure>,
    ) -> StoreResult<T> {
        if let Location::Memory = self.location {
            let guard = self.writer.lock().await;
            return match guard.as_ref() {
                Some(conn) => f(conn).map_err(StoreError::from),
                None => Err(closed()),
            };
        }
        let _permit = self.read_permits.acquire().await.map_err(|_| closed())?;
        self.on_reader(f)
    }

    /// Runs `f` on an idle reader connection (or a new one), then puts it back. The caller
    /// holds a read permit.
    fn on_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Failure>) -> StoreResult<T> {
        let conn = self.take_reader()?;
        let out = f(&conn).map_err(StoreError::from);
        self.return_reader(conn);
        out
    }

    fn take_reader(&self) -> StoreResult<Connection> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        if let Some(conn) = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        let Location::File(path) = &self.location else {
            return Err(closed());
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .and_then(|conn| configure(&conn, &self.location).map(|()| conn))
            .map_err(db)?;
        self.open_readers.fetch_add(1, Ordering::AcqRel);
        Ok(conn)
    }

    fn return_reader(&self, conn: Connection) {
        let mut idle = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if !self.closed.load(Ordering::Acquire) {
            idle.push(conn);
        } else {
            drop(idle);
            drop(conn);
            self.open_readers.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Connections open (the writer included), idle, and the most kept idle.
    pub(crate) fn stats(&self) -> portcullis_store::PoolStats {
        let idle_readers = self.readers.lock().map(|r| r.len()).unwrap_or(0);
        let writer_idle = u32::from(self.writer.try_lock().is_ok_and(|w| w.is_some()));
        let writer_open = u32::from(!self.closed.load(Ordering::Acquire));
        let open = self.open_readers.load(Ordering::Acquire) + writer_open;
        let idle = u32::try_from(idle_readers).unwrap_or(u32::MAX) + writer_idle;
        portcullis_store::PoolStats {
            open,
            idle: idle.min(open),
            max: u32::try_from(MAX_READERS).unwrap_or(u32::MAX) + 1,
        }
    }

    /// [`checkpoint`] on the checkpointer connection, opened (read-write) on first use and kept;
    /// nothing for an in-memory database or once the store is closed.
    fn checkpoint_beside_the_writer(&self) -> StoreResult<()> {
        let Location::File(path) = &self.location else {
            return Ok(());
        };
        let mut slot = self.checkpointer.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        if slot.is_none() {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(path, flags)
                .and_then(|conn| configure(&conn, &self.location).map(|()| conn))
                .map_err(db)?;
            *slot = Some(conn);
        }
        match slot.as_ref() {
            Some(conn) => checkpoint(conn),
            None => Ok(()),
        }
    }

    /// Closes every connection, waiting for the writer to finish what it is doing; readers in
    /// use close when returned.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.read_permits.close();
        let idle: Vec<Connection> =
            std::mem::take(&mut *self.readers.lock().unwrap_or_else(|e| e.into_inner()));
        self.open_readers
            .fetch_sub(u32::try_from(idle.len()).unwrap_or(0), Ordering::AcqRel);
        drop(idle);
        self.checkpointer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.writer.lock().await.take();
    }
}

/// A passive checkpoint: copies what it can of the WAL into the database without waiting for
/// readers or writers.
fn checkpoint(conn: &Connection) -> StoreResult<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(db)
}

/// The pragmas of every connection: foreign keys enforced, the busy timeout, a bigger
/// statement cache; for a file, WAL journaling with `synchronous = NORMAL` (durable at every
/// checkpoint, never corrupt; a power cut may lose the last commits).
fn configure(conn: &Connection, location: &Location) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", true)?;
    if let Location::File(_) = location {
        if !conn.is_readonly(rusqlite::MAIN_DB)? {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // Checkpoints are queued behind the writers (`Db::after_commit`); closing the
            // last connection checkpoints too.
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    Ok(())
}

/// `BEGIN IMMEDIATE` without waiting (the writer connection's busy timeout is zero): `None`
/// when another process holds the write lock.
fn try_begin_immediate(
    conn: &mut Connection,
) -> rusqlite::Result<Option<rusqlite::Transaction<'_>>> {
    match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => Ok(Some(tx)),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Runs `f` on `conn` with the busy timeout, then sets it back to zero (the writer
/// connection's setting: it never waits on the worker threads).
fn waiting<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T, Failure>,
) -> Result<T, Failure> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let out = f(conn);
    conn.busy_timeout(Duration::ZERO)?;
    out
}

/// Runs `f` in `tx` and commits; an error (or a panic) drops `tx`, which rolls it back.
fn run_transaction<T>(
    tx: rusqlite::Transaction<'_>,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// Runs `f` on tokio's blocking pool; a panic in it becomes an error, not a crash.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(StoreError::backend(e)))
}

fn closed() -> StoreError {
    StoreError::Unavailable(Box::new(std::io::Error::other("the database is closed")))
}
