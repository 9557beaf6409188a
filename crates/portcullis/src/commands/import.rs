//! `portcullis import auth0 FILE`: users from an Auth0 export, with their password hashes.

use crate::cli::ImportCommand;
use crate::context::Tenant;
use crate::output::json;
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use portcullis_core::import::{self, ImportOptions, ImportReport};

/// Bad records listed in the text output, at most (all of them are in `--json`).
const LISTED: usize = 50;

pub async fn run(t: &Tenant, cmd: ImportCommand, as_json: bool) -> anyhow::Result<()> {
    let ImportCommand::Auth0 { file, upsert } = cmd;
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let bar = if as_json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} users ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = import::auth0(
        t.store(),
        t.now(),
        &text,
        ImportOptions {
            upsert,
            mfa_sealer: Some(t.master_key.sealer()),
        },
        &mut progress,
    )
    .await
    .with_context(|| format!("importing {}", file.display()))?;
    bar.finish_and_clear();
    if as_json {
        json(&serde_json::to_value(&report)?);
    } else {
        print_report(&report, &file.display().to_string());
    }
    if !report.failed.is_empty() {
        // Some users were not imported: a script must notice (the others are stored).
        anyhow::bail!(
            "{} of {} records were not imported (see above)",
            report.failed.len(),
            report.total
        );
    }
    Ok(())
}

fn print_report(r: &ImportReport, file: &str) {
    println!(
        "{file}: {} users read, {} created, {} updated, {} not imported",
        r.total,
        r.created,
        r.updated,
        r.failed.len()
    );
    for issue in r.failed.iter().take(LISTED) {
        let email = issue
            .email
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        println!(
            "  line {}, record {}{email}: {}",
            issue.line, issue.index, issue.reason
        );
    }
    if r.failed.len() > LISTED {
        println!(
            "  … and {} more (use --json for the full list)",
            r.failed.len() - LISTED
        );
    }
    if r.mfa_factors_imported > 0 {
        eprintln!(
            "{} users were imported with their authenticator app (mfa_factors totp)",
            r.mfa_factors_imported
        );
    }
    if r.mfa_factors_skipped > 0 {
        eprintln!(
            "note: {} users had mfa_factors that were not imported (phone, email, a second \
             authenticator app, or a user updated by upsert): they enroll again",
            r.mfa_factors_skipped
        );
    }
    if r.metadata_skipped > 0 {
        eprintln!(
            "note: {} users had app_metadata or user_metadata, which this version does not store",
            r.metadata_skipped
        );
    }
    if r.created + r.updated > 0 {
        eprintln!(
            "Imported users sign in with their old password; on their first sign-in it is re-hashed with argon2id."
        );
    }
}
