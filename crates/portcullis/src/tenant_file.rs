//! Reading a tenant file and applying it. Reading reports every malformed entry at once, each
//! with its place (`applications[2] (line 14)`), rather than stopping at the first.

use crate::config::Config;
use crate::context::Tenant;
use crate::data_dir;
use anyhow::{Context as _, anyhow};
use portcullis_core::admin::tenant::{
    Action, ApiEntry, AppEntry, ApplyReport, GrantEntry, TENANT_FILE_VERSION, TenantFile,
    UserEntry, apply, check,
};
use portcullis_core::clock::{Clock as _, SystemClock};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use toml::Spanned;

/// The file's shape with each entry still raw, so each entry is checked on its own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    version: Option<Spanned<toml::Value>>,
    #[serde(default)]
    applications: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    apis: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    client_grants: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    users: Vec<Spanned<toml::Table>>,
}

/// Parses tenant-file TOML; `origin` names it in errors. Every malformed entry is listed.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<TenantFile> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e| anyhow!("{origin}: {}", e.to_string().trim_end()))?;
    let mut problems = Vec::new();
    let line = |at: usize| text.get(..at).map_or(1, |t| t.matches('\n').count() + 1);
    let version = match raw.version {
        None => TENANT_FILE_VERSION,
        Some(v) => {
            let at = line(v.span().start);
            match v.into_inner().try_into::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    problems.push(format!("version (line {at}): must be a whole number (1)"));
                    TENANT_FILE_VERSION
                }
            }
        }
    };
    let file = TenantFile {
        version,
        applications: entries::<AppEntry>(text, "applications", raw.applications, &mut problems),
        apis: entries::<ApiEntry>(text, "apis", raw.apis, &mut problems),
        client_grants: entries::<GrantEntry>(
            text,
            "client_grants",
            raw.client_grants,
            &mut problems,
        ),
        users: entries::<UserEntry>(text, "users", raw.users, &mut problems),
    };
    match problems.len() {
        0 => Ok(file),
        1 => Err(anyhow!("{origin}: {}", problems.join(""))),
        n => Err(anyhow!(
            "{origin}: {n} problems:\n  {}",
            problems.join("\n  ")
        )),
    }
}

/// Deserializes each entry of one table array, collecting a problem per malformed entry.
fn entries<T: DeserializeOwned>(
    text: &str,
    table: &str,
    raw: Vec<Spanned<toml::Table>>,
    problems: &mut Vec<String>,
) -> Vec<T> {
    let mut out = Vec::new();
    for (i, entry) in raw.into_iter().enumerate() {
        let start = entry.span().start;
        match T::deserialize(toml::Value::Table(entry.into_inner())) {
            Ok(e) => out.push(e),
            Err(e) => {
                let message = e.message().trim_end().to_owned();
                let at = line_of(text, start, &message);
                problems.push(format!("{table}[{i}] (line {at}): {message}"));
            }
        }
    }
    out
}

/// The line an entry's problem is on: the line of the key an "unknown field `key`" or
/// "invalid type … for key `key`" message names when it can be found in the entry, else the
/// entry's first line.
fn line_of(text: &str, entry_start: usize, message: &str) -> usize {
    let line_at = |at: usize| text.get(..at).map_or(1, |t| t.matches('\n').count() + 1);
    let first = line_at(entry_start);
    let key = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("unknown field") || message.contains("for key"));
    let Some(key) = key else { return first };
    let body = text.get(entry_start..).unwrap_or_default();
    body.lines()
        .enumerate()
        .skip(1)
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(first, |(n, _)| first + n)
}

/// Reads and parses a tenant file.
pub fn read(path: &Path) -> anyhow::Result<TenantFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the tenant file {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Before a database exists, checks the file against an empty in-memory one, so that a bad
/// file creates no data directory, key or database. (Once the database exists, `apply` checks
/// against it before writing.)
pub async fn check_before_creating(config: &Config, file: &TenantFile) -> anyhow::Result<()> {
    if data_dir::database_exists(config) {
        return Ok(());
    }
    let empty = portcullis_store_sqlite::SqliteStore::in_memory()
        .await
        .context("opening an in-memory database to check the tenant file")?;
    let env = |name: &str| std::env::var(name).ok();
    let result = check(&empty, file, &env, SystemClock.now()).await;
    empty.close().await;
    Ok(result?)
}

/// Applies a parsed tenant file, reading `*_env` values from the process environment.
pub async fn apply_file(tenant: &Tenant, file: &TenantFile) -> anyhow::Result<ApplyReport> {
    let env = |name: &str| std::env::var(name).ok();
    Ok(apply(
        tenant.store(),
        &tenant.hasher,
        &tenant.passwords,
        file,
        &env,
        tenant.now(),
    )
    .await?)
}

/// Prints secrets generated by an apply, once, with a warning.
pub fn print_generated_secrets(report: &ApplyReport) {
    for (client_id, secret) in &report.generated_secrets {
        println!(
            "generated client secret for {client_id}: {}",
            secret.expose()
        );
    }
    if !report.generated_secrets.is_empty() {
        println!(
            "These secrets are shown only once and stored only as hashes: copy them now, or pin them with client_secret_env in the tenant file."
        );
    }
}

/// Logs a summary, and each created or updated record at debug level (`RUST_LOG=debug`).
pub fn log_report(report: &ApplyReport, source: &str) {
    for c in &report.changes {
        match &c.action {
            Action::Created => tracing::debug!(kind = %c.kind, key = %c.key, "created"),
            Action::Updated(fields) => {
                tracing::debug!(kind = %c.kind, key = %c.key, fields = %fields.join(", "), "updated")
            }
            Action::Unchanged => {}
        }
    }
    let (created, updated, unchanged) = report.counts();
    tracing::info!(created, updated, unchanged, "applied {source}");
}
