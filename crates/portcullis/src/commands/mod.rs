//! The tenant-management commands: each works on the configured database directly, so a running
//! tenant is managed without a database client (SQLite's WAL lets the server keep running).

pub mod apis;
pub mod apply;
pub mod apps;
pub mod backup;
pub mod connections;
pub mod grants;
pub mod import;
pub mod keys;
pub mod logs;
pub mod mail;
pub mod roles;
pub mod users;

use crate::cli::PasswordSource;
use anyhow::{Context as _, bail};
use portcullis_core::admin::Secret;
use std::io::Read as _;

/// Reads a password from stdin or an environment variable, never from an argument.
pub fn read_password(source: &PasswordSource) -> anyhow::Result<Option<Secret>> {
    if source.password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the password from standard input")?;
        let line = text.lines().next().unwrap_or_default().to_owned();
        if line.is_empty() {
            bail!("--password-stdin: standard input is empty");
        }
        return Ok(Some(Secret::new(line)));
    }
    if let Some(var) = &source.password_env {
        return match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
            _ => bail!("--password-env: environment variable {var} is not set"),
        };
    }
    Ok(None)
}

/// Prints a generated secret once, with the warning that goes with it.
pub fn print_secret_once(client_id: &str, secret: &Secret) {
    println!("client_secret: {}", secret.expose());
    eprintln!(
        "Copy the secret of {client_id} now: it is shown only once and stored only as a hash (get a new one with `portcullis apps rotate-secret {client_id}`)."
    );
}
