//! `portcullis backup FILE`: an online backup of the SQLite database.
//!
//! SQLite writes the copy (`VACUUM INTO`) to a temporary file beside FILE, which then takes
//! FILE's name in one step: a backup interrupted midway leaves no half-written FILE, and an
//! existing FILE is replaced only with `--force`.

use crate::config::Config;
use crate::database::{self, Kind};
use crate::{data_dir, output};
use anyhow::{Context as _, bail};
use portcullis_core::crypto::random_token;
use std::path::{Path, PathBuf};

pub async fn run(config: &Config, file: &Path, force: bool, as_json: bool) -> anyhow::Result<()> {
    if Kind::of(&config.database_url) == Kind::Postgres {
        bail!(
            "`portcullis backup` copies SQLite databases; back up PostgreSQL with pg_dump (docs/replicas.md, \"Backups\")"
        );
    }
    data_dir::refuse_missing(config)?;
    if !force && file.exists() {
        bail!(
            "{} exists; choose another file, or add --force to replace it",
            file.display()
        );
    }
    let partial = partial_path(file)?;
    let db = database::open_store(&config.database_url).await?;
    let written = match db.sqlite() {
        Some(sqlite) => sqlite
            .backup_into(&partial)
            .await
            .with_context(|| format!("writing the backup to {}", partial.display())),
        None => Err(anyhow::anyhow!("not a SQLite database")),
    };
    db.close().await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let placed = if force {
        std::fs::rename(&partial, file)
    } else {
        // A hard link fails when FILE appeared meanwhile: never replace it without --force.
        std::fs::hard_link(&partial, file).and_then(|()| std::fs::remove_file(&partial))
    };
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&partial);
        return Err(e).with_context(|| format!("saving the backup as {}", file.display()));
    }
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if as_json {
        output::json(&serde_json::json!({ "file": file.display().to_string(), "bytes": bytes }));
    } else {
        println!(
            "backed up {} to {} ({bytes} bytes); keep the master key separately",
            database::redacted(&config.database_url),
            file.display()
        );
    }
    Ok(())
}

/// A fresh name beside `file`, so the final rename stays on one file system.
fn partial_path(file: &Path) -> anyhow::Result<PathBuf> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file name", file.display()))?;
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("the directory {} does not exist", dir.display());
    }
    Ok(dir.join(format!(".{name}.partial-{}", random_token(6))))
}
