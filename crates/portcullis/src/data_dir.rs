//! Where Portcullis keeps its state, and the two rules for creating it: never by a command that
//! only reads, and never inside a git work tree unless git ignores the place (a master key
//! committed by `git add -A` would be public).

use crate::config::{Config, DEFAULT_DATA_DIR, DEV_DATA_DIR, MasterKeySource};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The SQLite database file a `sqlite:` URL names, or `None` for an in-memory database.
pub fn database_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Whether the configured database already exists (an in-memory one always does).
pub fn database_exists(config: &Config) -> bool {
    database_file(&config.database_url).is_none_or(|path| path.is_file())
}

/// The error of a read-only command run where there is no data: it names where it looked and,
/// when the development tenant's data is next door, how to reach it.
pub fn refuse_missing(config: &Config) -> anyhow::Result<()> {
    if database_exists(config) {
        return Ok(());
    }
    let place = match database_file(&config.database_url) {
        Some(file) if file.parent() == Some(config.data_dir.as_path()) => {
            config.data_dir.display().to_string()
        }
        Some(file) => file.display().to_string(),
        None => config.database_url.clone(),
    };
    let dev = Path::new(DEV_DATA_DIR);
    let hint = if config.data_dir != dev && dev.join("portcullis.db").is_file() {
        format!(
            "did you mean {DEV_DATA_DIR}, the data of `portcullis dev`? add --dev, or set PORTCULLIS_DATA_DIR={DEV_DATA_DIR}"
        )
    } else if config.data_dir == Path::new(DEFAULT_DATA_DIR) {
        "start the provider with `portcullis serve` or `portcullis apply FILE`, or set PORTCULLIS_DATA_DIR".to_owned()
    } else {
        "check PORTCULLIS_DATA_DIR / data_dir, or create the tenant with `portcullis apply FILE`"
            .to_owned()
    };
    bail!("no Portcullis data in {place} ({hint})")
}

/// Refuses to create `path` (a directory when `is_dir`) inside a git work tree unless git
/// ignores it. Without a usable `git`, warns instead.
pub fn check_not_in_git(path: &Path, is_dir: bool, setting: &str) -> anyhow::Result<()> {
    let Ok(absolute) = std::path::absolute(path) else {
        return Ok(());
    };
    let absolute: PathBuf = absolute
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let Some(root) = absolute
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
    else {
        return Ok(());
    };
    let mut relative = absolute
        .strip_prefix(root)
        .unwrap_or(&absolute)
        .display()
        .to_string();
    if is_dir {
        // `dir/` patterns match only directories, and this one does not exist yet.
        relative.push('/');
    }
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["check-ignore", "-q", "--", &relative])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status.map(|s| s.code()) {
        Ok(Some(0)) => Ok(()),
        Ok(Some(1)) => bail!(
            "refusing to create {} inside the git work tree {}: it would hold the master key and \
             the database, and git does not ignore it. Add `{}` to {}/.gitignore, or choose a \
             place outside the work tree ({setting}).",
            path.display(),
            root.display(),
            relative.trim_end_matches('/'),
            root.display(),
        ),
        _ => {
            eprintln!(
                "warning: {} is inside the git work tree {} and git could not tell whether it is ignored: make sure the master key and database are never committed.",
                path.display(),
                root.display()
            );
            Ok(())
        }
    }
}

/// Checks every place a read-write command would create: the data directory and the master key
/// file (when they do not exist yet).
pub fn check_creatable(config: &Config) -> anyhow::Result<()> {
    if !config.data_dir.exists() {
        check_not_in_git(&config.data_dir, true, "PORTCULLIS_DATA_DIR or --data-dir")?;
    }
    if let MasterKeySource::File(key) = &config.master_key
        && !key.exists()
    {
        check_not_in_git(key, false, "PORTCULLIS_MASTER_KEY_FILE")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::database_file;
    use std::path::PathBuf;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            database_file("sqlite://./data/p.db"),
            Some(PathBuf::from("./data/p.db"))
        );
        assert_eq!(
            database_file("sqlite:/var/p.db?mode=rwc"),
            Some(PathBuf::from("/var/p.db"))
        );
        assert_eq!(database_file("sqlite::memory:"), None);
        assert_eq!(database_file("sqlite://p.db?mode=memory"), None);
    }
}
