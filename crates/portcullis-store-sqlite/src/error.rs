//! From SQLite errors to `StoreError`.

use portcullis_store::StoreError;
use rusqlite::ErrorCode;

/// What a closure run on a connection fails with: a statement's error, or a store error it
/// decided on itself (`NotFound`, `AlreadyConsumed`, …). `?` converts both.
#[derive(Debug)]
pub(crate) enum Failure {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sql(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Store(e) => e,
            Failure::Sql(e) => db(e),
        }
    }
}

/// Maps a unique-constraint violation to `Conflict`, a database out of reach (a file that
/// cannot be opened or read, a lock held past the busy timeout) to `Unavailable`, anything else
/// to `Backend`.
pub(crate) fn db(err: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(e, message) = &err {
        if is_unique_violation(&err) {
            // SQLite says "UNIQUE constraint failed: users.email"; keep the part naming the
            // column.
            let message = message.as_deref().unwrap_or("a unique column");
            let what = message
                .strip_prefix("UNIQUE constraint failed: ")
                .unwrap_or(message);
            return StoreError::Conflict(format!("duplicate value for {what}"));
        }
        if matches!(
            e.code,
            ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::DiskFull
                | ErrorCode::OutOfMemory
        ) {
            return StoreError::Unavailable(Box::new(err));
        }
    }
    StoreError::backend(err)
}

/// Whether a statement was refused for a value a unique column already holds
/// (`SQLITE_CONSTRAINT_UNIQUE` or `SQLITE_CONSTRAINT_PRIMARYKEY`).
pub(crate) fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if matches!(e.extended_code, 2067 | 1555))
}
