//! Reading a tenant file and applying it. Reading reports every malformed entry at once, each
//! with its place (`applications[2] (line 14)`), rather than stopping at the first.

use crate::config::Config;
use crate::context::Tenant;
use crate::data_dir;
use anyhow::{Context as _, anyhow};
use portcullis_core::admin::tenant::{
    Action, ApiEntry, AppEntry, ApplyReport, GrantEntry, RoleEntry, TENANT_FILE_VERSION,
    TenantFile, TenantSettings, UserEntry, apply, check,
};
use portcullis_core::claims::custom::CustomClaimRule;
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
    #[serde(default)]
    connections: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    roles: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    custom_claims: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    tenant: Option<Spanned<toml::Table>>,
}

/// Parses tenant-file TOML; `origin` names it in errors. Every malformed entry is listed.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<TenantFile> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e| anyhow!("{origin}: {}", e.to_string().trim_end()))?;
    let mut problems = Vec::new();
    let version = match raw.version {
        None => TENANT_FILE_VERSION,
        Some(v) => {
            let at = line_at(text, v.span().start);
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
        connections: entries::<portcullis_core::upstream::ConnectionDecl>(
            text,
            "connections",
            raw.connections,
            &mut problems,
        ),
        roles: entries::<RoleEntry>(text, "roles", raw.roles, &mut problems),
        custom_claims: entries::<CustomClaimRule>(
            text,
            "custom_claims",
            raw.custom_claims,
            &mut problems,
        ),
        tenant: match raw.tenant {
            None => TenantSettings::default(),
            Some(table) => {
                let at = line_at(text, table.span().start);
                match table.into_inner().try_into::<TenantSettings>() {
                    Ok(settings) => settings,
                    Err(e) => {
                        problems.push(format!("tenant (line {at}): {}", e.to_string().trim_end()));
                        TenantSettings::default()
                    }
                }
            }
        },
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
                let (at, message) = locate::<T>(text, start)
                    .unwrap_or_else(|| (line_at(text, start), e.message().trim_end().to_owned()));
                problems.push(format!("{table}[{i}] (line {at}): {message}"));
            }
        }
    }
    out
}

/// The 1-based line of byte offset `at`.
fn line_at(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |t| t.matches('\n').count() + 1)
}

/// Parses the entry starting at `entry_start` (its `[[…]]` line) from the text itself, so the
/// error has a position: returns the problem's line and its message, naming the key for a value
/// of the wrong type.
fn locate<T: DeserializeOwned>(text: &str, entry_start: usize) -> Option<(usize, String)> {
    let body_start = entry_start + text.get(entry_start..)?.find('\n')? + 1;
    let rest = text.get(body_start..)?;
    let mut body_len = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_start().starts_with('[') && !line.trim_start().starts_with("[ ") {
            break;
        }
        body_len += line.len();
    }
    let body = rest.get(..body_len)?;
    let err = toml::from_str::<T>(body).err()?;
    let message = err.message().trim_end().to_owned();
    let Some(offset) = err
        .span()
        .map(|s| s.start)
        .filter(|_| !message.starts_with("missing"))
    else {
        return Some((line_at(text, entry_start), message));
    };
    let line_in_body = body.get(..offset)?.matches('\n').count();
    let key = body
        .lines()
        .nth(line_in_body)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim());
    let message = match key {
        Some(k) if message.starts_with("invalid") && !message.contains(k) => {
            format!("{k}: {message}")
        }
        _ => message,
    };
    Some((line_at(text, body_start) + line_in_body, message))
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

/// Applies a parsed tenant file (all or nothing), reading `*_env` values from the process
/// environment; then signs out everywhere the users it blocked or gave a new password, their
/// applications told by back-channel logout.
pub async fn apply_file(tenant: &Tenant, file: &TenantFile) -> anyhow::Result<ApplyReport> {
    let env = |name: &str| std::env::var(name).ok();
    let report = apply(
        tenant.store(),
        &tenant.hasher,
        &tenant.passwords,
        &tenant.master_key.sealer(),
        file,
        &env,
        tenant.now(),
    )
    .await?;
    if !report.sign_out.is_empty() {
        let out = tenant.signer().await?;
        let mut ended = Ok(0);
        for user_id in &report.sign_out {
            ended = portcullis_core::admin::users::sign_out(&out.provider, user_id).await;
            if ended.is_err() {
                break;
            }
        }
        out.finish().await;
        ended.context("the tenant file was applied, but signing out its blocked users failed")?;
    }
    Ok(report)
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
