//! The schema migrations (`migrations/`), applied on open and recorded in sqlx's
//! `_sqlx_migrations` table, in its format: databases created by releases that ran sqlx's
//! migrator open unchanged, and the migrations are the same files PostgreSQL's store mirrors.

use crate::error::Failure;
use portcullis_store::{DatabaseTooNew, StoreError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sqlx::migrate::Migrator;

/// The schema migrations, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The bookkeeping table, as sqlx creates it for SQLite.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// Applies the migrations the database lacks, each in its own transaction with its
/// bookkeeping row. Refuses a database that holds a migration this build does not know
/// ([`DatabaseTooNew`]), one whose migration failed half-way, or one whose applied migration
/// differs from this build's file of the same number.
pub(crate) fn run(conn: &mut Connection) -> Result<(), Failure> {
    conn.execute_batch(CREATE_TABLE)?;
    let dirty: Option<i64> = conn
        .query_row(
            "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(version) = dirty {
        return Err(refused(format!(
            "migration {version} was partially applied; restore a backup"
        )));
    }
    let applied: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    for (version, checksum) in &applied {
        match MIGRATOR.iter().find(|m| m.version == *version) {
            None => {
                return Err(Failure::Store(StoreError::backend(DatabaseTooNew {
                    found: *version,
                    known,
                })));
            }
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                return Err(refused(format!(
                    "migration {version} was applied from a different file than this build's"
                )));
            }
            Some(_) => {}
        }
    }
    for migration in MIGRATOR.iter() {
        if applied.iter().any(|(v, _)| *v == migration.version) {
            continue;
        }
        let started = std::time::Instant::now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(migration.sql.as_str())?;
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, ?4)",
            params![
                migration.version,
                &*migration.description,
                &*migration.checksum,
                i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX),
            ],
        )?;
        tx.commit()?;
    }
    Ok(())
}

fn refused(why: String) -> Failure {
    Failure::Store(StoreError::backend(std::io::Error::other(why)))
}
