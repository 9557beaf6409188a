//! From sqlx errors to `StoreError`.

use portcullis_store::StoreError;

/// Maps a unique-constraint violation to `Conflict`, anything else to `Backend`.
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
    StoreError::backend(err)
}
