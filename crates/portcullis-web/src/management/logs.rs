//! `/api/v2/logs`: the audit log in Auth0's log event shape (`log_id`, `date`, `type`,
//! `description`, `client_id`, `client_name`, `ip`, `user_agent`, `user_id`, `user_name`,
//! `details`). Lists are paged in the database: `page`/`per_page`/`include_totals` (wrapped
//! as `{start, limit, length, total, logs}`), or checkpoints (`from` a `log_id`, `take`),
//! which list the events recorded after it, oldest first, as Auth0 does for log streaming.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::audit::auth0_json;
use portcullis_core::management::logs::{parse_query, parse_sort};
use portcullis_core::management::paging::{MAX_PER_PAGE, PageRequest};
use portcullis_core::management::{Caller, ManagementError};
use portcullis_store::{LogEvent, LogFilter, LogOrder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The scopes that read the log.
const READ: &[&str] = &["read:logs", "read:logs_users"];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_logs))
        .routes(routes!(get_log))
}

/// A log event as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogBody {
    pub log_id: String,
    /// ISO 8601, milliseconds.
    pub date: String,
    /// Auth0's event type code (`s`, `fp`, `seccft`, `sapi`, …).
    #[serde(rename = "type")]
    pub event_type: String,
    pub description: Option<String>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// Further facts (grant type, scope, reason…), never a secret.
    #[schema(value_type = Object)]
    pub details: Option<Value>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListLogsQuery {
    /// Auth0's log search: `type:s`, `type:(s OR fp)`, `user_id:"auth0|…"`, `client_id:…`.
    /// Ignored with `from`/`take`, as on Auth0.
    pub q: Option<String>,
    /// The same as `q` (what Auth0's newer clients send).
    pub search: Option<String>,
    /// `date:-1` (newest first, the default) or `date:1`.
    pub sort: Option<String>,
    /// The page, from 0.
    pub page: Option<u32>,
    /// Events per page: 1 to 100, default 50.
    pub per_page: Option<u32>,
    /// Wrap the list as `{start, limit, length, total, logs}`.
    pub include_totals: Option<bool>,
    /// Checkpoint: list the events recorded after this `log_id`, oldest first.
    pub from: Option<String>,
    /// Checkpoint: events per answer, 1 to 100 (default 50).
    pub take: Option<u32>,
    /// Comma-separated properties to include (or, with `include_fields=false`, exclude).
    pub fields: Option<String>,
    pub include_fields: Option<bool>,
}

impl ListLogsQuery {
    fn project(&self, event: &LogEvent) -> Value {
        let mut value = auth0_json(event);
        if let (Some(fields), Value::Object(map)) = (&self.fields, &mut value) {
            let named: Vec<&str> = fields.split(',').map(str::trim).collect();
            let include = self.include_fields.unwrap_or(true);
            map.retain(|k, _| named.contains(&k.as_str()) == include);
        }
        value
    }
}

/// List or search the log.
#[utoipa::path(get, path = "/logs", tag = "logs",
    params(ListLogsQuery),
    responses(
        (status = 200, description = "Log events (wrapped as {start, limit, length, total, logs} with include_totals)", body = Vec<LogBody>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("bearer" = ["read:logs", "read:logs_users"])))]
async fn list_logs(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListLogsQuery>,
) -> ApiResult<Response> {
    caller.require(READ)?;
    let store = s.provider.store.as_ref();
    if query.from.is_some() || query.take.is_some() {
        // Auth0: "If you use from at the same time as q, from takes precedence and q is
        // ignored"; so are the other parameters.
        let mut filter = LogFilter::default();
        let take = match query.take {
            None => 50,
            Some(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
            Some(_) => {
                return Err(ManagementError::invalid_query(format!(
                    "Query validation error: 'take' must be 1 to {MAX_PER_PAGE}"
                ))
                .into());
            }
        };
        if let Some(from) = query.from.as_deref().filter(|f| !f.is_empty()) {
            if from.len() > 128 {
                return Err(ManagementError::invalid_query(
                    "Query validation error: 'from' is not a log_id",
                )
                .into());
            }
            filter.after_log_id = Some(from.to_owned());
        }
        let events = store
            .list_log_events(&filter, LogOrder::OldestFirst, 0, take)
            .await?;
        let items: Vec<Value> = events.iter().map(|e| query.project(e)).collect();
        return Ok(Json(items).into_response());
    }
    let text = query.q.as_deref().or(query.search.as_deref());
    let filter = match text.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => parse_query(q)?,
        None => LogFilter::default(),
    };
    let order = parse_sort(query.sort.as_deref())?;
    let request = PageRequest::new(
        query.page,
        query.per_page,
        query.include_totals.unwrap_or(false),
    )?;
    let events = store
        .list_log_events(&filter, order, request.start() as u64, request.per_page)
        .await?;
    let items: Vec<Value> = events.iter().map(|e| query.project(e)).collect();
    if !request.include_totals {
        return Ok(Json(items).into_response());
    }
    let total = store.count_log_events(&filter).await?;
    Ok(Json(json!({
        "start": request.start(),
        "limit": request.per_page,
        "length": items.len(),
        "total": total,
        "logs": items,
    }))
    .into_response())
}

/// One log event.
#[utoipa::path(get, path = "/logs/{id}", tag = "logs",
    params(("id" = String, Path, description = "The log_id")),
    responses((status = 200, body = LogBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:logs", "read:logs_users"])))]
async fn get_log(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    caller.require(READ)?;
    let found = if id.len() > 128 {
        None
    } else {
        s.provider.store.get_log_event(&id).await?
    };
    match found {
        Some(event) => Ok(Json(auth0_json(&event))),
        None => Err(ManagementError::not_found("inexistent_log", "log not found").into()),
    }
}
