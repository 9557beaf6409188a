//! From sqlx errors to `StoreError`.

use portcullis_store::StoreError;

/// Maps a unique-constraint violation to `Conflict`, a database out of reach to `Unavailable`,
/// anything else to `Backend`.
pub(crate) fn db(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(e) = &err
        && e.is_unique_violation()
    {
        // SQLite says "UNIQUE constraint failed: users.email"; keep the part naming the column.
        let message = e.message();
        let what = message
            .strip_prefix("UNIQUE constraint failed: ")
            .unwrap_or(message);
        return StoreError::Conflict(format!("duplicate value for {what}"));
    }
    if unreachable(&err) {
        return StoreError::Unavailable(Box::new(err));
    }
    StoreError::backend(err)
}

/// Errors that say the database could not be reached, rather than that it refused a statement.
fn unreachable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}
