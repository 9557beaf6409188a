//! Authenticator-app codes (RFC 6238 TOTP with HMAC-SHA-1, 6 digits, 30-second steps, the
//! parameters every authenticator app supports). The seed is 160 random bits (RFC 4226 §4
//! recommends 160), sealed with the master key at rest. A code is accepted for the current step
//! and one step either side (RFC 6238 §5.2, clock skew), and never twice: the store accepts a
//! step only if it is later than the last one accepted for that factor.

use super::MfaError;
use crate::Provider;
use crate::crypto::new_id;
use crate::error::OAuthError;
use portcullis_store::{FactorKind, MfaFactor, User};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Digits per code (RFC 4226 §5.3).
pub const DIGITS: u8 = 6;
/// Seconds per step (RFC 6238 §5.2).
pub const STEP: u64 = 30;
/// Steps accepted either side of the current one (RFC 6238 §5.2).
pub const SKEW: u16 = 1;
/// How long an enrolment waits for its first code before a new secret is shown.
pub const ENROLMENT_LIFETIME: i64 = 15 * 60;

/// What the enrolment page shows: the secret for people and tools that cannot scan, and the
/// `otpauth://` URI the QR code encodes.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub factor_id: String,
    /// The seed in base32 (RFC 4648 §6), as authenticator apps accept it typed in.
    pub secret: String,
    /// `otpauth://totp/Product:email?secret=…&issuer=Product` (the Key Uri Format).
    pub uri: String,
}

fn seal_purpose(factor_id: &str) -> String {
    format!("totp-seed:{factor_id}")
}

fn totp(secret: Vec<u8>, product: &str, account: &str) -> Result<Totp, OAuthError> {
    // The Key Uri Format forbids ':' in the issuer and account name.
    let issuer = product.replace(':', " ");
    let account = account.replace(':', " ");
    let short = secret.len() < 16;
    let builder = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW)
        .with_step_duration(STEP)
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account);
    if short {
        // An imported seed of 80 to 127 bits (Auth0 issues 80-bit ones): below RFC 4226 §4's
        // 128, which the builder enforces, but what the user's app holds. Digits, step and
        // names are the fixed values above, so nothing else is unchecked.
        return Ok(builder.build_noncompliant());
    }
    builder
        .build()
        .map_err(|e| OAuthError::server_error(format!("TOTP: {e}")))
}

/// The shortest imported seed, in bytes: 80 bits (16 base32 characters, what Auth0 issues).
pub const MIN_IMPORTED_SEED_BYTES: usize = 10;
/// The longest imported seed, in bytes.
pub const MAX_IMPORTED_SEED_BYTES: usize = 128;

/// Checks a seed from an import (Auth0's bulk-import `mfa_factors: [{"totp": {"secret":
/// "BASE32"}}]`) and returns it in canonical base32 (RFC 4648 §6, upper case, no padding).
pub fn normalize_imported_seed(base32: &str) -> Result<String, String> {
    let cleaned: String = base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let secret = Secret::try_from_base32(&cleaned)
        .map_err(|_| "is not base32 (RFC 4648: A-Z and 2-7)".to_owned())?;
    if !(MIN_IMPORTED_SEED_BYTES..=MAX_IMPORTED_SEED_BYTES).contains(&secret.as_bytes().len()) {
        return Err(format!(
            "must be {} to {} bits",
            MIN_IMPORTED_SEED_BYTES * 8,
            MAX_IMPORTED_SEED_BYTES * 8
        ));
    }
    Ok(secret.to_base32())
}

/// A confirmed authenticator-app factor holding an imported seed (checked with
/// [`normalize_imported_seed`]), sealed with the master key like an enrolled one.
pub fn imported_factor(
    sealer: &crate::crypto::Sealer,
    user_id: &str,
    base32: &str,
    now: portcullis_store::UnixTime,
) -> Result<MfaFactor, OAuthError> {
    let factor_id = new_id("mfa");
    let sealed = sealer
        .seal(&base32.to_owned(), &seal_purpose(&factor_id))
        .map_err(OAuthError::server_error)?;
    Ok(MfaFactor {
        factor_id,
        user_id: user_id.to_owned(),
        kind: FactorKind::Totp,
        name: "Authenticator app".to_owned(),
        secret: sealed,
        confirmed: true,
        last_used_step: None,
        created_at: now,
        last_used_at: None,
    })
}

/// The factor's TOTP, from its sealed seed.
fn open(p: &Provider, factor: &MfaFactor, account: &str) -> Result<Totp, OAuthError> {
    let base32: String = p
        .sealer
        .unseal(&factor.secret, &seal_purpose(&factor.factor_id))
        .ok_or_else(|| OAuthError::server_error("a TOTP seed could not be unsealed"))?;
    let secret = Secret::try_from_base32(&base32)
        .map_err(|e| OAuthError::server_error(format!("TOTP seed: {e}")))?;
    totp(secret.as_ref().to_vec(), &p.config.product_name, account)
}

/// Starts (or resumes, while it is fresh) enrolling an authenticator app for `user`: an
/// unconfirmed factor with a new seed. Older unconfirmed ones are dropped.
pub async fn begin(p: &Provider, user: &User) -> Result<Enrolment, OAuthError> {
    let now = p.now();
    let mut resumable = None;
    for f in p.store.list_mfa_factors(&user.user_id).await? {
        if f.kind != FactorKind::Totp || f.confirmed {
            continue;
        }
        if resumable.is_none() && f.created_at + ENROLMENT_LIFETIME > now {
            resumable = Some(f);
        } else {
            p.store
                .delete_mfa_factor(&user.user_id, &f.factor_id)
                .await?;
        }
    }
    let factor = match resumable {
        Some(f) => f,
        None => {
            let factor_id = new_id("mfa");
            let seed = Secret::generate();
            let sealed = p
                .sealer
                .seal(&seed.to_base32(), &seal_purpose(&factor_id))
                .map_err(OAuthError::server_error)?;
            let factor = MfaFactor {
                factor_id,
                user_id: user.user_id.clone(),
                kind: FactorKind::Totp,
                name: "Authenticator app".to_owned(),
                secret: sealed,
                confirmed: false,
                last_used_step: None,
                created_at: now,
                last_used_at: None,
            };
            p.store.create_mfa_factor(&factor).await?;
            factor
        }
    };
    let t = open(p, &factor, &user.email)?;
    let uri = t
        .to_url()
        .map_err(|e| OAuthError::server_error(format!("TOTP URI: {e}")))?;
    Ok(Enrolment {
        factor_id: factor.factor_id,
        secret: t.secret().to_base32(),
        uri,
    })
}

/// The step a code matches now (±[`SKEW`]), if any. Anything but 6 digits (spaces allowed) is
/// no match.
fn matching_step(p: &Provider, t: &Totp, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(p.now()).ok()?;
    t.check(&code, now)
        .and_then(|step| i64::try_from(step).ok())
}

/// Confirms an enrolment with its first code. Other authenticator apps of the user are
/// replaced (one at a time). Returns the confirmed factor's id.
pub async fn confirm(
    p: &Provider,
    user: &User,
    factor_id: &str,
    code: &str,
    ip: &str,
) -> Result<(), MfaError> {
    let factors = p.store.list_mfa_factors(&user.user_id).await?;
    let Some(factor) = factors
        .iter()
        .find(|f| f.factor_id == factor_id && f.kind == FactorKind::Totp && !f.confirmed)
    else {
        return Err(MfaError::Expired);
    };
    let attempt = super::attempt(p, user, ip).await?;
    let t = open(p, factor, &user.email)?;
    let Some(step) = matching_step(p, &t, code) else {
        return Err(super::failed(p, user, ip, attempt).await);
    };
    if !p
        .store
        .confirm_mfa_factor(&user.user_id, factor_id, Some(step), p.now())
        .await?
    {
        return Err(MfaError::Expired);
    }
    attempt.succeeded(p).await?;
    for old in factors
        .iter()
        .filter(|f| f.kind == FactorKind::Totp && f.confirmed && f.factor_id != factor_id)
    {
        p.store
            .delete_mfa_factor(&user.user_id, &old.factor_id)
            .await?;
    }
    Ok(())
}

/// Checks a code against the user's authenticator app, accepting each step once.
pub async fn verify(p: &Provider, user: &User, code: &str, ip: &str) -> Result<(), MfaError> {
    let factors: Vec<MfaFactor> = super::confirmed_factors(p, &user.user_id)
        .await?
        .into_iter()
        .filter(|f| f.kind == FactorKind::Totp)
        .collect();
    if factors.is_empty() {
        return Err(MfaError::NotEnrolled);
    }
    let attempt = super::attempt(p, user, ip).await?;
    for factor in &factors {
        let t = open(p, factor, &user.email)?;
        if let Some(step) = matching_step(p, &t, code) {
            if p.store
                .use_totp_step(&factor.factor_id, step, p.now())
                .await?
            {
                attempt.succeeded(p).await?;
                return Ok(());
            }
            // Right code, already used (RFC 6238 §5.2): refused, and counted as a failure.
            super::failed(p, user, ip, attempt).await;
            return Err(MfaError::Reused);
        }
    }
    Err(super::failed(p, user, ip, attempt).await)
}

/// The code of `base32` at `time` (for tests and the CLI's diagnostics).
pub fn code_at(base32: &str, time: i64) -> Option<String> {
    let secret = Secret::try_from_base32(base32).ok()?;
    let t = totp(secret.as_ref().to_vec(), "x", "y").ok()?;
    Some(t.generate(u64::try_from(time).ok()?).to_string())
}
