//! Shorthands for the statements store methods run, each through the connection's cache of
//! prepared statements (a statement is parsed once per connection, not once per call).

use rusqlite::{Connection, OptionalExtension, Params, Row};

/// The one row `sql` returns, or `None`.
pub(crate) fn optional<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    conn.prepare_cached(sql)?.query_row(params, map).optional()
}

/// The one row `sql` must return (an aggregate, say).
pub(crate) fn one<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, map)
}

/// Every row `sql` returns, in order.
pub(crate) fn all<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?.query_map(params, map)?.collect()
}

/// Runs a statement that returns no rows; the number of rows it changed.
pub(crate) fn execute<P: Params>(conn: &Connection, sql: &str, params: P) -> rusqlite::Result<u64> {
    let changed = conn.prepare_cached(sql)?.execute(params)?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}
