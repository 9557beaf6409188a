//! `JobStore`: background jobs of the Management API.

use crate::PostgresStore;
use crate::error::db;
use async_trait::async_trait;
use portcullis_store::{Job, JobStore, StoreError, StoreResult, UnixTime};
use sqlx::Row;
use sqlx::postgres::PgRow;

macro_rules! columns {
    () => {
        "job_id, job_type, status, connection_id, upsert, external_id, created_at, updated_at, \
         summary, errors"
    };
}

fn job(row: &PgRow) -> StoreResult<Job> {
    let get = |e: sqlx::Error| StoreError::backend(e);
    Ok(Job {
        job_id: row.try_get("job_id").map_err(get)?,
        job_type: row.try_get("job_type").map_err(get)?,
        status: row.try_get("status").map_err(get)?,
        connection_id: row.try_get("connection_id").map_err(get)?,
        upsert: row.try_get("upsert").map_err(get)?,
        external_id: row.try_get("external_id").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
        updated_at: row.try_get("updated_at").map_err(get)?,
        summary: row.try_get("summary").map_err(get)?,
        errors: row.try_get("errors").map_err(get)?,
    })
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn create_job(&self, j: &Job) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO jobs (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&j.job_id)
        .bind(&j.job_type)
        .bind(&j.status)
        .bind(&j.connection_id)
        .bind(j.upsert)
        .bind(&j.external_id)
        .bind(j.created_at)
        .bind(j.updated_at)
        .bind(&j.summary)
        .bind(&j.errors)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_job(&self, job_id: &str) -> StoreResult<Option<Job>> {
        if crate::unstorable(job_id) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM jobs WHERE job_id = $1"
        ))
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(job)
        .transpose()
    }

    async fn update_job(&self, j: &Job) -> StoreResult<()> {
        if crate::unstorable(&j.job_id) {
            return Err(StoreError::NotFound);
        }
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, updated_at = $2, summary = $3, errors = $4 WHERE job_id = $5",
        )
        .bind(&j.status)
        .bind(j.updated_at)
        .bind(&j.summary)
        .bind(&j.errors)
        .bind(&j.job_id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn purge_jobs(&self, before: UnixTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM jobs WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
