//! Auth0's list paging over HTTP. Two styles, as on Auth0:
//!
//! - offset: `page` (from 0), `per_page` (1–100, default 50), `include_totals`, which wraps
//!   the page as `{"start", "limit", "length", "total", "<items>": [...]}`;
//! - checkpoint (what Auth0's newer clients send for connections, client grants and sessions):
//!   `take` (1–100) and `from` (the `next` of the previous answer), answered as
//!   `{"<items>": [...], "next": "…"}` with `next` only while more remain.
//!
//! Take [`Paging`] as a second query extractor and answer with [`listed`] (or, when turning an
//! item into its body needs async work, [`select`] the page, convert its items, and
//! [`Selected::render`] it).

use super::error::ApiResult;
use axum::Json;
use axum::response::{IntoResponse, Response};
use portcullis_core::management::ManagementError;
use portcullis_core::management::paging::{MAX_PER_PAGE, PageRequest, page_of};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::IntoParams;

/// The paging parameters of a list endpoint. Take it as a second query extractor,
/// `ApiQuery(paging): ApiQuery<Paging>`, beside the endpoint's own filters (serde's `flatten`
/// would turn numbers into strings).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The page, from 0.
    pub page: Option<u32>,
    /// Items per page: 1 to 100, default 50.
    pub per_page: Option<u32>,
    /// Wrap the list as `{start, limit, length, total, <items>}`.
    pub include_totals: Option<bool>,
    /// Checkpoint paging: the `next` of the previous answer.
    pub from: Option<String>,
    /// Checkpoint paging: items per answer, 1 to 100.
    pub take: Option<u32>,
}

/// How a selected page is to be answered.
enum Shape {
    /// A plain array.
    Plain,
    /// `{start, limit, length, total, <items>}`.
    Totals {
        start: usize,
        limit: u32,
        total: usize,
    },
    /// `{<items>, next}`.
    Checkpoint { next: Option<String> },
}

/// The items of one page, before they are turned into bodies: what [`select`] cut out of a
/// list. Turn them into bodies (async work such as loading each user's identities is done on
/// the page only) and answer with [`Selected::render`].
pub struct Selected<T> {
    pub items: Vec<T>,
    shape: Shape,
}

impl<T> Selected<T> {
    /// The same page with its items replaced (by their bodies, say), in the same order.
    pub fn with_items<U>(self, items: Vec<U>) -> Selected<U> {
        Selected {
            items,
            shape: self.shape,
        }
    }

    /// The answer: the items as `key` in the shape `paging` asked for.
    pub fn render<B: Serialize>(self, key: &str, to_body: impl Fn(T) -> B) -> Response {
        let items: Vec<Value> = self
            .items
            .into_iter()
            .map(|item| serde_json::to_value(to_body(item)).unwrap_or(Value::Null))
            .collect();
        match self.shape {
            Shape::Plain => Json(items).into_response(),
            Shape::Totals {
                start,
                limit,
                total,
            } => {
                let mut wrapped = json!({
                    "start": start,
                    "limit": limit,
                    "length": items.len(),
                    "total": total,
                });
                wrapped[key] = Value::Array(items);
                Json(wrapped).into_response()
            }
            Shape::Checkpoint { next } => {
                let mut body = json!({});
                body[key] = Value::Array(items);
                if let Some(next) = next {
                    body["next"] = Value::String(next);
                }
                Json(body).into_response()
            }
        }
    }
}

/// The page of `all` (already filtered and ordered) that `paging` asks for.
pub fn select<T>(all: Vec<T>, paging: &Paging) -> ApiResult<Selected<T>> {
    if paging.from.is_some() || paging.take.is_some() {
        let start = match &paging.from {
            None => 0,
            Some(from) => from.parse::<usize>().map_err(|_| {
                ManagementError::invalid_query(
                    "Query validation error: 'from' is not a checkpoint this API gave",
                )
            })?,
        };
        let take = match paging.take {
            None => 50,
            Some(n) if (1..=MAX_PER_PAGE).contains(&n) => n as usize,
            Some(_) => {
                return Err(ManagementError::invalid_query(format!(
                    "Query validation error: 'take' must be 1 to {MAX_PER_PAGE}"
                ))
                .into());
            }
        };
        let total = all.len();
        let items: Vec<T> = all.into_iter().skip(start).take(take).collect();
        let next = (start.saturating_add(take) < total).then(|| (start + take).to_string());
        return Ok(Selected {
            items,
            shape: Shape::Checkpoint { next },
        });
    }
    let request = PageRequest::new(
        paging.page,
        paging.per_page,
        paging.include_totals.unwrap_or(false),
    )?;
    let page = page_of(all, &request);
    let shape = if request.include_totals {
        Shape::Totals {
            start: page.start,
            limit: page.limit,
            total: page.total,
        }
    } else {
        Shape::Plain
    };
    Ok(Selected {
        items: page.items,
        shape,
    })
}

/// The page of `all` (already filtered and ordered) that `paging` asks for, each item turned
/// into its JSON body; `key` names the list in wrapped answers (`users`, `clients`, …).
pub fn listed<T, B: Serialize>(
    all: Vec<T>,
    paging: &Paging,
    key: &str,
    to_body: impl Fn(T) -> B,
) -> ApiResult<Response> {
    Ok(select(all, paging)?.render(key, to_body))
}
