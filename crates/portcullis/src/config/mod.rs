//! Configuration: defaults → `portcullis.toml` → `PORTCULLIS_*` environment variables, merged
//! with figment into a [`FileConfig`] and validated once into a [`Config`].

mod file;
mod runtime;

pub use file::{FileConfig, KEYS, SecretString};
pub use runtime::{Config, LogFormat, MasterKeySource};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use std::path::Path;

/// The file read when `--config` is not given (only if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "portcullis.toml";

/// Loads and validates the configuration. `path` is `--config`: that file must exist; without it
/// `./portcullis.toml` is read if present.
pub fn load(path: Option<&Path>) -> Result<Config, String> {
    Config::from_file(load_file(path)?)
}

/// Merges the file and the environment without validating (for `dev`, which overrides some
/// settings first).
pub fn load_file(path: Option<&Path>) -> Result<FileConfig, String> {
    let mut figment = Figment::new();
    match path {
        Some(p) if !p.is_file() => {
            return Err(format!("configuration file {} does not exist", p.display()));
        }
        Some(p) => figment = figment.merge(Toml::file_exact(p)),
        None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
            figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
        }
        None => {}
    }
    figment = figment.merge(Env::prefixed("PORTCULLIS_").only(KEYS));
    let file: FileConfig = figment.extract().map_err(|e| {
        let lines: Vec<String> = e
            .into_iter()
            .map(|e| format!("  {}", describe(&e)))
            .collect();
        format!("invalid configuration:\n{}", lines.join("\n"))
    })?;
    Ok(file)
}

/// One figment error as `key: problem (in source)`.
fn describe(e: &figment::Error) -> String {
    let key = e.path.join(".");
    let source = match &e.metadata {
        Some(m) => match &m.source {
            Some(figment::Source::File(p)) => format!(" (in {})", p.display()),
            _ if m.name.contains("environment") => {
                format!(" (from PORTCULLIS_{})", key.to_uppercase())
            }
            _ => String::new(),
        },
        None => String::new(),
    };
    if key.is_empty() {
        format!("{}{source}", e.kind)
    } else {
        format!("{key}: {}{source}", e.kind)
    }
}
