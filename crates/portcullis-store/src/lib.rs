//! Storage for Portcullis: the records the provider keeps and the traits a backend implements.
//!
//! The traits are grouped by aggregate (clients, users, APIs, grants, sessions, keys, rate limits)
//! and say nothing about SQL: every backend (SQLite today, PostgreSQL next) implements them and
//! runs the same conformance suite, the `testsuite` module (feature `testsuite`).
//!
//! Conventions every backend follows:
//! - Times are Unix seconds (`i64`), passed in by the caller: no backend reads the wall clock.
//! - Tokens, codes, session cookies and client secrets are stored only as hashes
//!   (`*_hash` fields); a backend never sees the raw value.
//! - Single-use operations ([`GrantStore::consume_code`], [`GrantStore::rotate_refresh_token`])
//!   are atomic: with many concurrent callers exactly one wins.

mod error;
mod model;
mod traits;

#[cfg(feature = "testsuite")]
pub mod testsuite;

pub use error::{DatabaseTooNew, StoreError, StoreResult};
pub use model::*;
pub use traits::*;
