//! The logic behind the Auth0-shaped Management API (`/api/v2/`): no HTTP here, only the rules
//! (what a valid metadata object is, which scope an operation needs, how lists are paged).
//! The HTTP layer is `portcullis_web::management`.

pub mod auth;
pub mod builtin_api;
pub mod connections;
pub mod error;
pub mod jobs;
pub mod keys;
pub mod logs;
pub mod metadata;
pub mod paging;
pub mod rate_limit;
pub mod time;
pub mod user_query;
pub mod users;

pub use auth::Caller;
pub use builtin_api::{MANAGEMENT_API_ID, audience, ensure_management_api};
pub use error::{ErrorKind, ManagementError, ManagementResult};
