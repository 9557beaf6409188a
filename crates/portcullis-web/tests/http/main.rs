#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Integration tests: the real router served on 127.0.0.1:0 with a fresh SQLite database, driven
//! over HTTP. One binary, one module per feature.

mod support;

mod account;
mod accounts;
mod audit_log;
mod auth0_import;
mod authentication_api;
mod authorize;
mod backchannel;
mod client_credentials;
mod connections;
mod consent;
mod discovery;
mod hardening;
mod hostile_input;
mod implicit;
mod languages;
mod login;
mod logout;
mod management_api;
mod management_clients;
mod management_jobs;
mod management_keys;
mod management_logs;
mod management_resources;
mod management_roles;
mod management_support;
mod management_users;
mod mfa;
mod oidc_client;
mod operations;
mod pages;
mod passkeys;
mod refresh;
mod revoke_introspect;
mod token;
mod userinfo;
