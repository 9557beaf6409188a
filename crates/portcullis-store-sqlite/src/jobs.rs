//! `JobStore`: background jobs of the Management API.

use crate::SqliteStore;
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{Job, JobStore, StoreError, StoreResult, UnixTime};
use rusqlite::params;

macro_rules! columns {
    () => {
        "job_id, job_type, status, connection_id, upsert, external_id, created_at, updated_at, \
         summary, errors"
    };
}

fn job(row: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        job_id: row.get("job_id")?,
        job_type: row.get("job_type")?,
        status: row.get("status")?,
        connection_id: row.get("connection_id")?,
        upsert: row.get("upsert")?,
        external_id: row.get("external_id")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        summary: row.get("summary")?,
        errors: row.get("errors")?,
    })
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn create_job(&self, j: &Job) -> StoreResult<()> {
        let j = j.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO jobs (",
                    columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                params![
                    j.job_id,
                    j.job_type,
                    j.status,
                    j.connection_id,
                    j.upsert,
                    j.external_id,
                    j.created_at,
                    j.updated_at,
                    j.summary,
                    j.errors,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_job(&self, job_id: &str) -> StoreResult<Option<Job>> {
        let job_id = job_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!("SELECT ", columns!(), " FROM jobs WHERE job_id = ?"),
                params![job_id],
                job,
            )?)
        })
        .await
    }

    async fn update_job(&self, j: &Job) -> StoreResult<()> {
        let j = j.clone();
        self.write(move |tx| {
            let done = sql::execute(
                tx,
                "UPDATE jobs SET status = ?, updated_at = ?, summary = ?, errors = ? WHERE job_id = ?",
                params![j.status, j.updated_at, j.summary, j.errors, j.job_id],
            )?;
            if done == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    async fn purge_jobs(&self, before: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(sql::execute(
                tx,
                "DELETE FROM jobs WHERE created_at < ?",
                params![before],
            )?)
        })
        .await
    }
}
