//! Auth0's users-imports job (`POST /api/v2/jobs/users-imports`): the file is checked when it
//! arrives (a file that cannot be read at all is refused at once), the job is stored as
//! `pending`, and a background task imports the users with [`crate::import::auth0`] (the code
//! `portcullis import auth0` runs), moving the job to `processing`, then `completed` with
//! Auth0's `summary` (`{failed, updated, inserted, total}`) and the bad records as Auth0's job
//! errors (`[{user, errors: [{code, message, path}]}]`), or `failed` when the database fails.
//!
//! The job's state lives in the database ([`portcullis_store::JobStore`]), so every replica
//! answers `GET /api/v2/jobs/{id}`; the import runs on the replica that took the upload.

use super::connections::{DATABASE_CONNECTION, DATABASE_CONNECTION_ID};
use super::error::{ManagementError, ManagementResult};
use crate::Provider;
use crate::crypto::new_id;
use crate::import::{self, ImportIssue, ImportOptions, ImportReport};
use portcullis_store::Job;
use serde_json::{Value, json};

/// Auth0's job type for imports.
pub const USERS_IMPORT: &str = "users_import";

/// The largest users file (Auth0: 500 KB per file).
pub const MAX_USERS_FILE_BYTES: usize = 500 * 1024;

/// How long a job (its state, summary and errors) is kept: a week, then maintenance deletes
/// it.
pub const RETENTION: i64 = 7 * 86_400;

/// What a failed job's `status_details` says (the cause is in the server log).
pub const FAILED_DETAILS: &str = "The import stopped before it ended (the database failed, or \
                                  the server running it stopped); see the server log";

/// A job still `pending` or `processing` this long after its last change is shown as `failed`:
/// the replica that ran it stopped (an import of 500 KB takes about a second).
pub const STALE_AFTER: i64 = 3600;

/// Longest `external_id`.
const MAX_EXTERNAL_ID: usize = 255;

/// Job states, as Auth0 names them.
pub const PENDING: &str = "pending";
pub const PROCESSING: &str = "processing";
pub const COMPLETED: &str = "completed";
pub const FAILED: &str = "failed";

/// An upload of `POST /jobs/users-imports`.
#[derive(Debug, Clone)]
pub struct UsersImport {
    /// The id of the database connection (`/api/v2/connections`).
    pub connection_id: String,
    pub upsert: bool,
    pub external_id: Option<String>,
    /// The file's text: a JSON array of users or Auth0's NDJSON export.
    pub users: String,
}

/// Checks the upload, stores the job as `pending` and starts the import in the background.
/// Returns the stored job.
pub async fn start_users_import(p: &Provider, upload: UsersImport) -> ManagementResult<Job> {
    if upload.connection_id != DATABASE_CONNECTION_ID {
        return Err(ManagementError::invalid_body(format!(
            "Payload validation error: 'connection_id': no database connection has this id \
             (the database connection {DATABASE_CONNECTION} is {DATABASE_CONNECTION_ID})"
        )));
    }
    let external_id = match upload.external_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) if id.chars().count() > MAX_EXTERNAL_ID || id.chars().any(char::is_control) => {
            return Err(ManagementError::invalid_body(format!(
                "Payload validation error: 'external_id' must be at most {MAX_EXTERNAL_ID} \
                 characters, without control characters"
            )));
        }
        Some(id) => Some(id.to_owned()),
    };
    if upload.users.len() > MAX_USERS_FILE_BYTES {
        return Err(too_large());
    }
    match import::records::read(&upload.users) {
        Ok(records) if records.is_empty() => {
            return Err(ManagementError::invalid_body(
                "Users file must not be empty",
            ));
        }
        Ok(_) => {}
        Err(e) => {
            return Err(ManagementError::invalid_body(format!(
                "Users file cannot be read: {e}"
            )));
        }
    }
    let now = p.now();
    let job = Job {
        job_id: new_id("job"),
        job_type: USERS_IMPORT.to_owned(),
        status: PENDING.to_owned(),
        connection_id: upload.connection_id,
        upsert: upload.upsert,
        external_id,
        created_at: now,
        updated_at: now,
        summary: None,
        errors: None,
    };
    p.store.create_job(&job).await?;
    tokio::spawn(run(p.clone(), job.clone(), upload.users));
    Ok(job)
}

/// 413 in Auth0's shape: the users file is over [`MAX_USERS_FILE_BYTES`].
pub fn too_large() -> ManagementError {
    ManagementError::new(
        super::ErrorKind::PayloadTooLarge,
        "payload_too_large",
        format!(
            "Users file is too large: at most {} KB",
            MAX_USERS_FILE_BYTES / 1024
        ),
    )
}

/// Imports running at once on one replica, at most; later jobs stay `pending` until one ends,
/// so a burst of uploads cannot take every core and database connection from sign-ins.
const CONCURRENT_IMPORTS: usize = 2;

static IMPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_IMPORTS);

/// The import itself, in the background.
async fn run(p: Provider, mut job: Job, text: String) {
    // The semaphore is never closed; without a permit the job is imported anyway.
    let _permit = IMPORTS.acquire().await.ok();
    job.status = PROCESSING.to_owned();
    job.updated_at = p.now();
    if let Err(e) = p.store.update_job(&job).await {
        tracing::error!(job_id = %job.job_id, error = %e, "users import job: storing its state");
    }
    let options = ImportOptions {
        upsert: job.upsert,
        mfa_sealer: Some(p.sealer.clone()),
    };
    let mut progress = |_: usize, _: usize| {};
    let outcome = import::auth0(p.store.as_ref(), p.now(), &text, options, &mut progress).await;
    match outcome {
        Ok(report) => {
            job.status = COMPLETED.to_owned();
            job.summary = Some(summary(&report).to_string());
            job.errors =
                Some(Value::Array(report.failed.iter().map(job_error).collect()).to_string());
        }
        Err(e) => {
            tracing::error!(job_id = %job.job_id, error = %e, "users import job failed");
            job.status = FAILED.to_owned();
        }
    }
    job.updated_at = p.now();
    if let Err(e) = p.store.update_job(&job).await {
        tracing::error!(job_id = %job.job_id, error = %e, "users import job: storing its result");
    }
}

/// Auth0's `summary`: `{failed, updated, inserted, total}`.
pub fn summary(report: &ImportReport) -> Value {
    json!({
        "failed": report.failed.len(),
        "updated": report.updated,
        "inserted": report.created,
        "total": report.total,
    })
}

/// One bad record as Auth0's job error: `{user, errors: [{code, message, path}]}`. The user is
/// named by email only (and its position in the file): the record may hold a password hash.
pub fn job_error(issue: &ImportIssue) -> Value {
    let (code, message) = match issue.reason.split_once(": ") {
        Some((code, rest)) if code.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
            (code.to_owned(), rest.to_owned())
        }
        _ => ("INVALID_FORMAT".to_owned(), issue.reason.clone()),
    };
    // A reason naming a field (`password_hash: …`) gives the error's path.
    let path = message
        .split_once(':')
        .map(|(field, _)| field)
        .filter(|f| {
            !f.is_empty()
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
        })
        .unwrap_or_default()
        .to_owned();
    let mut user = json!({ "index": issue.index, "line": issue.line });
    if let Some(email) = &issue.email {
        user["email"] = Value::from(email.clone());
    }
    json!({
        "user": user,
        "errors": [{
            "code": code,
            "message": format!("line {}: {message}", issue.line),
            "path": path,
        }],
    })
}

/// A job by id, or Auth0's 404. A job left running by a replica that stopped shows as
/// `failed` ([`STALE_AFTER`]).
pub async fn get(p: &Provider, job_id: &str) -> ManagementResult<Job> {
    if job_id.len() > 128 {
        return Err(inexistent_job());
    }
    let mut job = p.store.get_job(job_id).await?.ok_or_else(inexistent_job)?;
    let running = job.status == PENDING || job.status == PROCESSING;
    if running && job.updated_at + STALE_AFTER < p.now() {
        job.status = FAILED.to_owned();
    }
    Ok(job)
}

fn inexistent_job() -> ManagementError {
    ManagementError::not_found("inexistent_job", "The job does not exist.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_errors_carry_code_path_and_no_record() {
        let duplicate = job_error(&ImportIssue {
            index: 2,
            line: 7,
            email: Some("a@example.com".to_owned()),
            reason: "DUPLICATED_USER: a user with this email exists".to_owned(),
        });
        assert_eq!(duplicate["errors"][0]["code"], "DUPLICATED_USER");
        assert_eq!(duplicate["user"]["email"], "a@example.com");
        assert_eq!(duplicate["user"]["index"], 2);
        assert!(
            duplicate["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("line 7: ")
        );
        let invalid = job_error(&ImportIssue {
            index: 0,
            line: 1,
            email: None,
            reason: "password_hash: not a bcrypt hash".to_owned(),
        });
        assert_eq!(invalid["errors"][0]["code"], "INVALID_FORMAT");
        assert_eq!(invalid["errors"][0]["path"], "password_hash");
        assert!(invalid["user"].get("email").is_none());
    }

    #[test]
    fn summary_has_auth0_names() {
        let report = ImportReport {
            total: 3,
            created: 1,
            updated: 1,
            failed: vec![ImportIssue {
                index: 0,
                line: 1,
                email: None,
                reason: "x".to_owned(),
            }],
            ..ImportReport::default()
        };
        assert_eq!(
            summary(&report),
            json!({"failed": 1, "updated": 1, "inserted": 1, "total": 3})
        );
    }
}
