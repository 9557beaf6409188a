//! Importing users from Auth0: the bulk-import JSON array (`POST /api/v2/jobs/users-imports`'s
//! file) and the NDJSON export Auth0 support hands out with password hashes.
//!
//! Records are read and checked one by one (a bad record is reported with its index and line
//! and skipped), then stored in batches, one transaction per batch, with Auth0's `upsert`
//! semantics ([`portcullis_store::UserImportStore::import_users`]). Password hashes are kept as
//! they are (no hashing at import time, so 100,000 users take seconds); the first successful
//! sign-in verifies with the original algorithm ([`hash`]) and replaces the hash with argon2id.

pub mod hash;
pub mod records;

use crate::admin::validate;
use crate::crypto::Sealer;
use hash::CustomPasswordHash;
use portcullis_store::{IMPORTED_PASSWORD_PREFIX, ImportOutcome, Store, StoreError, User};
use records::{Auth0User, Location};
use serde_json::{Map, Value};

pub use records::FileError;

/// Users stored per transaction.
pub const BATCH: usize = 1000;

/// `app_metadata` keys Auth0 refuses (they are root attributes of a user or reserved).
const RESERVED_APP_METADATA: &[&str] = &[
    "__tenant",
    "_id",
    "blocked",
    "clientID",
    "created_at",
    "email_verified",
    "email",
    "globalClientID",
    "global_client_id",
    "identities",
    "lastIP",
    "lastLogin",
    "loginsCount",
    "metadata",
    "multifactor_last_modified",
    "multifactor",
    "updated_at",
    "user_id",
];

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Auth0's `upsert`: update the users that exist (by email) instead of reporting them.
    pub upsert: bool,
    /// The master key's sealer, to import `mfa_factors` with a `totp` secret as confirmed
    /// authenticator apps (sealed like enrolled ones). Without it they are counted in
    /// [`ImportReport::mfa_factors_skipped`].
    pub mfa_sealer: Option<Sealer>,
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportIssue {
    /// 0-based position among the file's records.
    pub index: usize,
    /// 1-based line the record starts on.
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Records in the file.
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub failed: Vec<ImportIssue>,
    /// Users created with an authenticator app from their `mfa_factors` (`totp` secret).
    pub mfa_factors_imported: usize,
    /// Users imported with `mfa_factors` that were left out: factors other than `totp`
    /// (phone, email), a second `totp`, any factor of a user updated by upsert, or every
    /// factor when no sealer was given. They enroll again.
    pub mfa_factors_skipped: usize,
    /// Users imported whose `app_metadata`/`user_metadata` were left out (no metadata store in
    /// this build).
    pub metadata_skipped: usize,
}

/// Imports an Auth0 user file, stamping new users with `now`. `progress(done, total)` is called after each batch. Fails as a
/// whole only when the file cannot be read at all ([`FileError`]) or the store fails.
pub async fn auth0(
    store: &dyn Store,
    now: i64,
    text: &str,
    options: ImportOptions,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ImportReport, ImportError> {
    let records = records::read(text)?;
    let mut report = ImportReport {
        total: records.len(),
        ..ImportReport::default()
    };
    let mut done = 0;
    for chunk in records.chunks(BATCH) {
        let mut users = Vec::with_capacity(chunk.len());
        let mut located = Vec::with_capacity(chunk.len());
        let mut seeds = Vec::with_capacity(chunk.len());
        for (location, parsed) in chunk {
            let converted = parsed
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|record| to_user(record, now));
            match converted {
                Ok(converted) => {
                    report.mfa_factors_skipped += usize::from(converted.mfa_skipped);
                    report.metadata_skipped += usize::from(converted.metadata_skipped);
                    located.push(*location);
                    seeds.push(converted.totp_seed);
                    users.push(converted.user);
                }
                Err(reason) => report.failed.push(issue(*location, parsed, reason)),
            }
        }
        let outcomes = store.import_users(&users, options.upsert).await?;
        for (((outcome, user), location), seed) in
            outcomes.into_iter().zip(&users).zip(&located).zip(&seeds)
        {
            match outcome {
                ImportOutcome::Created => {
                    report.created += 1;
                    match (seed, &options.mfa_sealer) {
                        (Some(seed), Some(sealer)) => {
                            let factor =
                                crate::mfa::totp::imported_factor(sealer, &user.user_id, seed, now)
                                    .map_err(|_| ImportError::Seal)?;
                            store.create_mfa_factor(&factor).await?;
                            report.mfa_factors_imported += 1;
                        }
                        (Some(_), None) => report.mfa_factors_skipped += 1,
                        (None, _) => {}
                    }
                }
                ImportOutcome::Updated => {
                    report.updated += 1;
                    report.mfa_factors_skipped += usize::from(seed.is_some());
                }
                ImportOutcome::Duplicate => report.failed.push(ImportIssue {
                    index: location.index,
                    line: location.line,
                    email: Some(user.email.clone()),
                    reason: "DUPLICATED_USER: a user with this email or user_id already exists \
                             (import with upsert to update it)"
                        .to_owned(),
                }),
                ImportOutcome::Refused(why) => report.failed.push(ImportIssue {
                    index: location.index,
                    line: location.line,
                    email: Some(user.email.clone()),
                    reason: why,
                }),
            }
        }
        done += chunk.len();
        progress(done, report.total);
    }
    report.failed.sort_by_key(|i| i.index);
    Ok(report)
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("storing users failed: {0}")]
    Store(#[from] StoreError),
    #[error("sealing an imported MFA secret with the master key failed")]
    Seal,
}

fn issue(location: Location, parsed: &Result<Auth0User, String>, reason: String) -> ImportIssue {
    ImportIssue {
        index: location.index,
        line: location.line,
        email: parsed.as_ref().ok().and_then(|u| u.email.clone()),
        reason,
    }
}

struct Converted {
    user: User,
    /// The `totp` secret of `mfa_factors`, checked and in canonical base32.
    totp_seed: Option<String>,
    /// Whether `mfa_factors` held factors that are not imported (phone, email, a second app).
    mfa_skipped: bool,
    metadata_skipped: bool,
}

/// Auth0's id rule: an id without a provider prefix gets `auth0|`; one with a prefix stays.
pub fn auth0_user_id(id: &str) -> String {
    if id.contains('|') {
        id.to_owned()
    } else {
        format!("auth0|{id}")
    }
}

fn optional_name(field: &'static str, value: &Option<String>) -> Result<Option<String>, String> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => validate::check_name(field, v)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

fn check_app_metadata(metadata: &Option<Map<String, Value>>) -> Result<(), String> {
    if let Some(reserved) = metadata
        .iter()
        .flat_map(|m| m.keys())
        .find(|k| RESERVED_APP_METADATA.contains(&k.as_str()))
    {
        return Err(format!(
            "app_metadata must not contain the key {reserved:?}"
        ));
    }
    Ok(())
}

fn to_user(record: &Auth0User, now: i64) -> Result<Converted, String> {
    let email = record.email.as_deref().ok_or("email is required")?;
    let email = validate::normalize_email(email).map_err(|e| e.to_string())?;
    let user_id = match record.user_id.as_deref().map(str::trim) {
        Some("") => return Err("user_id must not be empty".to_owned()),
        Some(id) => auth0_user_id(id),
        None => auth0_user_id(&crate::crypto::random_token(12)),
    };
    validate::check_identifier("user_id", &user_id, &['|', ':']).map_err(|e| e.to_string())?;
    let picture = match record
        .picture
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(url) => {
            let ok = url.len() <= 2048
                && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !ok {
                return Err("picture must be an http(s) URL of at most 2048 characters".to_owned());
            }
            Some(url.to_owned())
        }
    };
    let hash = match (&record.password_hash, &record.custom_password_hash) {
        (Some(_), Some(_)) => {
            return Err("password_hash and custom_password_hash are mutually exclusive".to_owned());
        }
        (Some(bcrypt), None) => {
            let custom = CustomPasswordHash::bcrypt(bcrypt);
            custom
                .validate()
                .map_err(|e| format!("password_hash: {e}"))?;
            Some(custom)
        }
        (None, Some(custom)) => {
            custom
                .validate()
                .map_err(|e| format!("custom_password_hash: {e}"))?;
            Some(custom.clone())
        }
        (None, None) => None,
    };
    let password_hash = hash
        .map(|h| serde_json::to_string(&h).map(|json| format!("{IMPORTED_PASSWORD_PREFIX}{json}")))
        .transpose()
        .map_err(|e| e.to_string())?;
    check_app_metadata(&record.app_metadata)?;
    let (totp_seed, mfa_skipped) = mfa_factors(record.mfa_factors.as_deref().unwrap_or_default())?;
    Ok(Converted {
        user: User {
            user_id,
            email,
            email_verified: record.email_verified,
            name: optional_name("name", &record.name)?,
            given_name: optional_name("given_name", &record.given_name)?,
            family_name: optional_name("family_name", &record.family_name)?,
            nickname: optional_name("nickname", &record.nickname)?,
            picture,
            password_hash,
            blocked: record.blocked,
            app_metadata: record.app_metadata.clone().unwrap_or_default(),
            user_metadata: record.user_metadata.clone().unwrap_or_default(),
            created_at: now,
            updated_at: now,
            ..User::default()
        },
        totp_seed,
        mfa_skipped,
        // Metadata is stored when a user is created (an upsert keeps the stored metadata).
        metadata_skipped: false,
    })
}

/// Reads Auth0's `mfa_factors` (`[{"totp": {"secret": "BASE32"}}, {"phone": …}, …]`): the
/// first `totp` secret (checked), and whether other factors were left out. A malformed `totp`
/// refuses the record rather than importing the user without their second factor.
fn mfa_factors(factors: &[Value]) -> Result<(Option<String>, bool), String> {
    let mut seed = None;
    let mut skipped = false;
    for (i, factor) in factors.iter().enumerate() {
        let Some(totp) = factor.get("totp") else {
            skipped = true;
            continue;
        };
        let Some(secret) = totp.get("secret").and_then(Value::as_str) else {
            return Err(format!(
                "mfa_factors[{i}].totp.secret: a base32 string is required"
            ));
        };
        let normalized = crate::mfa::totp::normalize_imported_seed(secret)
            .map_err(|e| format!("mfa_factors[{i}].totp.secret: {e}"))?;
        if seed.is_none() {
            seed = Some(normalized);
        } else {
            skipped = true;
        }
    }
    Ok((seed, skipped))
}

/// Whether `password` matches an imported hash (the text after [`IMPORTED_PASSWORD_PREFIX`]).
/// CPU-bound.
pub fn verify_imported(password: &str, imported: &str) -> bool {
    serde_json::from_str::<CustomPasswordHash>(imported)
        .map(|h| h.verify(password))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests;
