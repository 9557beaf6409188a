//! Configuration: defaults → `portcullis.toml` → `PORTCULLIS_*` environment variables, merged
//! with figment into a [`FileConfig`] and validated once into a [`Config`]. Every problem is
//! collected, so one run lists them all.

mod env;
mod file;
mod runtime;

pub use env::unknown_variables;
pub use file::{FileConfig, KEYS, SecretString};
pub use runtime::{Config, DEFAULT_DATA_DIR, DEV_DATA_DIR, LogFormat, MasterKeySource};

use crate::suggest::closest;
use figment::Figment;
use figment::providers::{Env, Serialized};
use figment::value::{Dict, Value};
use std::path::Path;

/// The file read when `--config` is not given (only if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "portcullis.toml";

/// Loads and validates the configuration. `path` is `--config`: that file must exist; without it
/// `./portcullis.toml` is read if present.
pub fn load(path: Option<&Path>) -> Result<Config, String> {
    let (file, problems) = load_file(path)?;
    Config::from_file(file, problems)
}

/// Loads the configuration for the CLI's `--dev`: the settings as configured, but the data of
/// `portcullis dev` (its data directory, database and master key file).
pub fn load_dev(path: Option<&Path>) -> Result<Config, String> {
    let (mut file, problems) = load_file(path)?;
    file.data_dir = Some(DEV_DATA_DIR.to_owned());
    file.database_url = None;
    file.master_key = None;
    file.master_key_file = None;
    Config::from_file(file, problems)
}

/// Merges the file and the environment without validating the values (for `dev`, which
/// overrides some settings first). Returns the settings that have the right type, and one
/// problem per setting that does not (or that does not exist). Only an unreadable or
/// syntactically broken file is an error here.
pub fn load_file(path: Option<&Path>) -> Result<(FileConfig, Vec<String>), String> {
    let file = match path {
        Some(p) if !p.is_file() => {
            return Err(format!("configuration file {} does not exist", p.display()));
        }
        Some(p) => Some(p),
        None if Path::new(DEFAULT_CONFIG_FILE).is_file() => Some(Path::new(DEFAULT_CONFIG_FILE)),
        None => None,
    };
    let mut figment = Figment::new();
    let mut in_file = Vec::new();
    if let Some(p) = file {
        let table = read_toml(p)?;
        in_file = table.keys().cloned().collect();
        figment = figment.merge(Serialized::defaults(table));
    }
    figment = figment.merge(Env::prefixed("PORTCULLIS_").only(KEYS));
    let file_source = file.map(|p| format!(" (in {})", p.display()));
    let merged: Dict = figment.extract().map_err(|e| {
        let lines: Vec<String> = e.into_iter().map(|e| indent(&e.to_string())).collect();
        format!("invalid configuration:\n{}", lines.join("\n"))
    })?;
    let mut problems = Vec::new();
    let mut good = Dict::new();
    for (key, value) in merged {
        let source = match file_source.as_deref() {
            _ if from_environment(&figment, &key) => {
                format!(" (from PORTCULLIS_{})", key.to_uppercase())
            }
            Some(file) if in_file.contains(&key) => file.to_owned(),
            _ => String::new(),
        };
        if !KEYS.contains(&key.as_str()) {
            let hint = closest(&key, KEYS)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            problems.push(format!("{key}: unknown setting{source}{hint}"));
            continue;
        }
        match check_type(&key, &value) {
            Ok(()) => {
                good.insert(key, value);
            }
            Err(message) => problems.push(format!("{key}: {message}{source}")),
        }
    }
    let file = Figment::from(Serialized::defaults(good))
        .extract::<FileConfig>()
        .map_err(|e| format!("invalid configuration:\n  {e}"))?;
    Ok((file, problems))
}

/// Deserializes one setting alone, so a type error names it and hides nothing else.
fn check_type(key: &str, value: &Value) -> Result<(), String> {
    let mut one = Dict::new();
    one.insert(key.to_owned(), value.clone());
    let Err(e) = Figment::from(Serialized::defaults(one)).extract::<FileConfig>() else {
        return Ok(());
    };
    let expected = match key {
        "version" | "max_failed_logins" | "max_failed_client_auth" => "a whole number",
        k if k.ends_with("_lifetime") || k.ends_with("_window") => "a whole number of seconds",
        _ => "a string",
    };
    Err(match (&e.kind, key) {
        (_, "master_key") => format!("expected {expected}"),
        (figment::error::Kind::InvalidType(actual, _), _) => {
            format!("expected {expected}, found {actual}")
        }
        (kind, _) => format!("expected {expected} ({kind})"),
    })
}

/// Reads a configuration file as a TOML table.
fn read_toml(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading the configuration file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        format!(
            "invalid configuration:\n  {}: {}",
            path.display(),
            indent(&e.to_string()).trim_start()
        )
    })
}

/// Whether the value of `key` came from the environment (which overrides the file).
fn from_environment(figment: &Figment, key: &str) -> bool {
    figment
        .find_metadata(key)
        .is_some_and(|m| m.name.contains("environment"))
}

/// Indents every line of a (possibly multi-line) message by two spaces, without a trailing
/// newline.
fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}").trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}
