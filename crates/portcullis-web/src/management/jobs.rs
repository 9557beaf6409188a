//! `/api/v2/jobs`: Auth0's users-imports job. `POST /jobs/users-imports` takes a multipart
//! form (`users` file, `connection_id`, `upsert`, `external_id`, `send_completion_email`,
//! which is ignored: no mail is sent), answers with the `pending` job at once and imports in
//! the background; `GET /jobs/{id}` shows its state and `summary`, `GET /jobs/{id}/errors`
//! the records that were not imported. The rules are in
//! `portcullis_core::management::jobs`.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiPath;
use crate::state::AppState;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::management::connections::{DATABASE_CONNECTION, DATABASE_CONNECTION_ID};
use portcullis_core::management::jobs::{self, MAX_USERS_FILE_BYTES, UsersImport};
use portcullis_core::management::time::iso8601;
use portcullis_core::management::{Caller, ManagementError};
use portcullis_store::Job;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest text field of the form.
const MAX_TEXT_FIELD: usize = 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_users))
        .routes(routes!(get_job))
        .routes(routes!(job_errors))
}

/// A job as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobBody {
    /// `job_…`.
    pub id: String,
    /// `users_import`.
    #[serde(rename = "type")]
    pub job_type: String,
    /// `pending`, `processing`, `completed` or `failed`.
    pub status: String,
    /// ISO 8601.
    pub created_at: String,
    pub connection_id: String,
    /// The connection's name.
    pub connection: String,
    pub upsert: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Once the job ended: `{failed, updated, inserted, total}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub summary: Option<Value>,
}

fn job_body(job: Job) -> JobBody {
    JobBody {
        connection: if job.connection_id == DATABASE_CONNECTION_ID {
            DATABASE_CONNECTION.to_owned()
        } else {
            String::new()
        },
        id: job.job_id,
        job_type: job.job_type,
        status: job.status,
        created_at: iso8601(job.created_at),
        connection_id: job.connection_id,
        upsert: job.upsert,
        external_id: job.external_id,
        summary: job
            .summary
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
    }
}

/// The multipart form of `POST /jobs/users-imports` (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UsersImportForm {
    /// The users file: a JSON array in Auth0's bulk-import format (or Auth0's NDJSON export),
    /// at most 500 KB.
    #[schema(value_type = String, format = Binary)]
    pub users: Vec<u8>,
    /// The database connection's id (`/api/v2/connections`).
    pub connection_id: String,
    /// Update the users that exist (by email) instead of reporting them. Default `false`.
    pub upsert: Option<bool>,
    /// Your own reference for the job.
    pub external_id: Option<String>,
    /// Accepted and ignored: no mail is sent.
    pub send_completion_email: Option<bool>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ManagementError::invalid_body(message).into()
}

/// Reads a field, refusing it past `limit` bytes with `too_large`.
async fn read_field(
    field: &mut Field<'_>,
    limit: usize,
    too_large: impl Fn() -> ApiError,
) -> ApiResult<Vec<u8>> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large());
            }
            Err(_) => return Err(invalid("The multipart body is malformed or was cut off")),
        }
    }
}

async fn text_field(field: &mut Field<'_>, name: &str) -> ApiResult<String> {
    let bytes = read_field(field, MAX_TEXT_FIELD, || {
        invalid(format!(
            "Payload validation error: '{name}' is longer than {MAX_TEXT_FIELD} bytes"
        ))
    })
    .await?;
    String::from_utf8(bytes)
        .map_err(|_| invalid(format!("Payload validation error: '{name}' is not UTF-8")))
}

fn boolean(name: &str, value: &str) -> ApiResult<bool> {
    match value.trim() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        _ => Err(invalid(format!(
            "Payload validation error: '{name}' must be true or false"
        ))),
    }
}

/// Import users from a file into the database connection, in the background.
#[utoipa::path(post, path = "/jobs/users-imports", tag = "jobs",
    request_body(content = UsersImportForm, content_type = "multipart/form-data"),
    responses((status = 201, body = JobBody), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:users"])))]
async fn import_users(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> ApiResult<Response> {
    caller.require(&["create:users"])?;
    let mut form = match Multipart::from_request(request, &s).await {
        Ok(form) => form,
        Err(MultipartRejection::InvalidBoundary(_)) => {
            return Err(invalid(
                "Payload validation error: 'Content-Type must be multipart/form-data'",
            ));
        }
        Err(_) => return Err(invalid("The multipart body cannot be read")),
    };
    let mut users: Option<String> = None;
    let mut connection_id: Option<String> = None;
    let mut upsert = false;
    let mut external_id: Option<String> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(jobs::too_large().into());
            }
            Err(_) => return Err(invalid("The multipart body is malformed or was cut off")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "users" => {
                let bytes = read_field(&mut field, MAX_USERS_FILE_BYTES, || {
                    jobs::too_large().into()
                })
                .await?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    invalid("Payload validation error: 'users' must be a UTF-8 JSON file")
                })?;
                users = Some(text);
            }
            "connection_id" => connection_id = Some(text_field(&mut field, &name).await?),
            "upsert" => upsert = boolean(&name, &text_field(&mut field, &name).await?)?,
            "external_id" => external_id = Some(text_field(&mut field, &name).await?),
            "send_completion_email" => {
                boolean(&name, &text_field(&mut field, &name).await?)?;
            }
            other => {
                let shown: String = other.chars().filter(|c| !c.is_control()).take(64).collect();
                return Err(invalid(format!(
                    "Payload validation error: 'Additional properties not allowed: {shown}'"
                )));
            }
        }
    }
    let Some(users) = users else {
        return Err(invalid(
            "Payload validation error: 'Missing required property: users'",
        ));
    };
    let Some(connection_id) = connection_id else {
        return Err(invalid(
            "Payload validation error: 'Missing required property: connection_id'",
        ));
    };
    let job = jobs::start_users_import(
        &s.provider,
        UsersImport {
            connection_id: connection_id.trim().to_owned(),
            upsert,
            external_id,
            users,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(job_body(job))).into_response())
}

/// A job's state, and its `summary` once it ended.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job id (job_…)")),
    responses((status = 200, body = JobBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:users", "read:users"])))]
async fn get_job(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<JobBody>> {
    caller.require(&["create:users", "read:users"])?;
    Ok(Json(job_body(jobs::get(&s.provider, &id).await?)))
}

/// The records a job could not import, as Auth0 answers: `[{user, errors: [{code, message,
/// path}]}]`; 204 when there are none (or the job still runs); for a job that failed as a
/// whole, the job with `status_details`.
#[utoipa::path(get, path = "/jobs/{id}/errors", tag = "jobs",
    params(("id" = String, Path, description = "The job id (job_…)")),
    responses((status = 200, description = "Each record not imported, with why (or, for a failed job, the job with status_details)", body = Vec<Object>),
        (status = 204, description = "No errors"),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:users", "read:users"])))]
async fn job_errors(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require(&["create:users", "read:users"])?;
    let job = jobs::get(&s.provider, &id).await?;
    if job.status == jobs::FAILED {
        let mut body = serde_json::to_value(job_body(job)).unwrap_or(Value::Null);
        body["status_details"] = Value::from(jobs::FAILED_DETAILS);
        return Ok(Json(body).into_response());
    }
    let errors = job
        .errors
        .as_deref()
        .and_then(|e| serde_json::from_str::<Value>(e).ok())
        .filter(|e| e.as_array().is_some_and(|list| !list.is_empty()));
    Ok(match errors {
        Some(errors) => Json(errors).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
