//! Tenant as code: a TOML file declaring applications, APIs, client grants, roles, users and
//! custom claims, applied idempotently by `portcullis apply` and at start-up. See
//! `docs/tenant-file.md`.

mod apply;
mod file;
mod plan;
mod report;

pub use apply::{apply, check};
pub use file::{
    ApiEntry, AppEntry, GrantEntry, PermissionEntry, RoleEntry, TENANT_FILE_VERSION, TenantFile,
    TenantSettings, UserEntry,
};
pub use plan::EnvLookup;
pub use report::{Action, ApplyReport, Change, EntryKind};
