//! The logic behind the Auth0-shaped Management API (`/api/v2/`): no HTTP here, only the rules
//! (what a valid metadata object is, which scope an operation needs, how lists are paged).
//! The HTTP layer is `portcullis_web::management`.

pub mod metadata;
