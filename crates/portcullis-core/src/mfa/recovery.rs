//! Recovery codes: ten single-use codes for when the authenticator is lost, shown once, stored
//! only as keyed hashes, regenerable (which voids the old set).

use super::MfaError;
use crate::Provider;
use crate::error::OAuthResult;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use portcullis_store::User;

/// How many codes a set has.
pub const COUNT: usize = 10;
/// Characters per code (shown as two groups of five): 10 × 5 bits = 50 bits each, with the
/// attempts throttled.
const LENGTH: usize = 10;
/// Lower-case letters and digits without look-alikes (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A code as people type it: lower case, without spaces or dashes.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_code() -> OAuthResult<String> {
    let mut out = String::with_capacity(LENGTH + 1);
    while out.len() < LENGTH + 1 {
        let mut byte = [0u8; 1];
        SystemRandom::new()
            .fill(&mut byte)
            .map_err(|_| crate::OAuthError::server_error("the random number generator failed"))?;
        // 31 symbols: reject 248..=255 to stay unbiased (248 = 8 × 31).
        if byte[0] < 248 {
            if out.len() == 5 {
                out.push('-');
            }
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    Ok(out)
}

/// Makes a new set for `user`, replacing the old one, and returns the codes (to show once).
pub async fn regenerate(p: &Provider, user: &User) -> OAuthResult<Vec<String>> {
    let mut codes = Vec::with_capacity(COUNT);
    while codes.len() < COUNT {
        let code = new_code()?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let hashes: Vec<String> = codes.iter().map(|c| p.hasher.hash(&normalize(c))).collect();
    p.store
        .replace_recovery_codes(&user.user_id, &hashes, p.now())
        .await?;
    tracing::info!(event = "recovery_codes_generated", user_id = %user.user_id, "recovery codes generated");
    Ok(codes)
}

/// Uses up one recovery code; returns how many remain.
pub async fn verify(p: &Provider, user: &User, code: &str, ip: &str) -> Result<u32, MfaError> {
    let attempt = super::attempt(p, user, ip).await?;
    let code = normalize(code);
    if code.len() != LENGTH || code.bytes().any(|b| !ALPHABET.contains(&b)) {
        return Err(super::failed(p, user, ip, attempt).await);
    }
    let hash = p.hasher.hash(&code);
    if !p
        .store
        .use_recovery_code(&user.user_id, &hash, p.now())
        .await?
    {
        return Err(super::failed(p, user, ip, attempt).await);
    }
    attempt.succeeded(p).await?;
    let remaining = p.store.count_recovery_codes(&user.user_id).await?;
    tracing::info!(event = "recovery_code_used", user_id = %user.user_id, remaining, "recovery code used");
    Ok(remaining)
}
