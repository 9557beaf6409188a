//! From sqlx errors to `StoreError`.

use portcullis_store::StoreError;

/// Maps a unique-constraint violation to `Conflict`, anything else to `Backend`.
pub(crate) fn db(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(e) = &err
        && e.is_unique_violation()
    {
        // PostgreSQL names the violated constraint (`users_email_key`, `refresh_tokens_pkey`).
        let what = e.constraint().unwrap_or("a unique column");
        return StoreError::Conflict(format!("duplicate value for {what}"));
    }
    StoreError::backend(err)
}
