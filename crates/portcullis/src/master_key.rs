//! Loading the master key, or creating it (mode 0600) on first start.

use crate::config::{Config, MasterKeySource};
use anyhow::Context as _;
use portcullis_core::crypto::MasterKey;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The master key and, when this call created its file, where.
pub struct LoadedKey {
    pub key: MasterKey,
    pub created: Option<PathBuf>,
}

/// Reads the configured key, creating the key file (and its directory) when it does not exist.
pub fn load_or_create(config: &Config) -> anyhow::Result<LoadedKey> {
    match &config.master_key {
        MasterKeySource::Inline(text) => Ok(LoadedKey {
            key: MasterKey::from_base64(text.expose()).context("master_key")?,
            created: None,
        }),
        MasterKeySource::File(path) if path.exists() => Ok(LoadedKey {
            key: read(path)?,
            created: None,
        }),
        MasterKeySource::File(path) => Ok(LoadedKey {
            key: create(path)?,
            created: Some(path.clone()),
        }),
    }
}

fn read(path: &Path) -> anyhow::Result<MasterKey> {
    warn_if_readable_by_others(path);
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the master key file {}", path.display()))?;
    MasterKey::from_base64(&text).with_context(|| format!("master key file {}", path.display()))
}

fn create(path: &Path) -> anyhow::Result<MasterKey> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the directory {}", dir.display()))?;
    }
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the master key file {}", path.display()))?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the master key file {}", path.display()))?;
    Ok(key)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the master key file is readable by other users; run: chmod 600 {}",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}
