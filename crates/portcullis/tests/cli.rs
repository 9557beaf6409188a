//! Black-box tests of the `portcullis` binary: each runs the built binary in a fresh temporary
//! directory, as a person would.

// Test helpers outside `#[test]` functions may unwrap too.
#![allow(clippy::unwrap_used)]

mod cli {
    pub mod apps_apis_grants;
    pub mod audit_import;
    pub mod backup;
    pub mod config;
    pub mod connections;
    pub mod data_dir;
    pub mod faults;
    pub mod flows;
    pub mod hardening;
    pub mod keys;
    pub mod load;
    pub mod mail;
    pub mod metrics;
    pub mod mfa;
    pub mod outage;
    pub mod postgres;
    pub mod replicas;
    pub mod serve;
    pub mod sign_out;
    pub mod soak;
    pub mod sqlite_backup;
    pub mod support;
    pub mod tenant_file;
    pub mod users;
}
