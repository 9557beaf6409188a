//! The password policy: the one check run everywhere a password is set (sign-up, reset, change,
//! the CLI, the tenant file).
//!
//! A password is accepted when all of these hold, checked in this order (the first failure is
//! the answer):
//!
//! 1. **Length.** At least [`MIN_CHARS`] characters (Unicode scalar values, not bytes: `ééééééé`
//!    is 7) and at most [`MAX_BYTES`] bytes, which bounds the work of hashing (NIST SP 800-63B
//!    §5.1.1.2 asks for at least 8 characters and for allowing at least 64).
//! 2. **Not the email.** Emails and passwords are compared after trimming and lower-casing. The
//!    password must not be the email, nor its local part (the part before the last `@`), nor
//!    contain the whole email. When the local part has at least [`MIN_LOCAL_PART_CHARS`]
//!    characters, it also does not count toward the minimum length: removing it from the
//!    password must leave at least [`MIN_CHARS`] characters. So for `john.doe@example.com`,
//!    `John.Doe2024!` is refused (5 characters left) while a passphrase that merely mentions the
//!    name is not. This is NIST's "context-specific words … the username, and derivatives
//!    thereof" (SP 800-63B §5.1.1.2), without refusing every long password that happens to
//!    contain a short first name.
//! 3. **Not common.** The password is not in a list of the most common passwords of public
//!    breach corpora, shipped in the binary and looked up offline (no request ever leaves the
//!    process). The lookup trims and lower-cases the password, so `Password123` and
//!    `PASSWORD123 ` are refused like `password123`. The list holds the 200,000 most common
//!    passwords of at least 8 characters of SecLists' top million; where it comes from, its
//!    licence and how to rebuild it are in `crates/portcullis-core/data/README.md`.
//!
//! There are deliberately no composition rules (an uppercase letter, a digit, …): NIST
//! SP 800-63B §5.1.1.2 advises against them, and the list catches `Password1!`.

use std::sync::LazyLock;

use fst::Set;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 8;
/// The most bytes a password may have.
pub const MAX_BYTES: usize = 1024;
/// From this length on, an email's local part does not count toward [`MIN_CHARS`].
pub const MIN_LOCAL_PART_CHARS: usize = 4;

/// The common-password list: a finite-state set of lower-cased passwords, built by
/// `scripts/build-password-list`.
static COMMON_PASSWORDS_FST: &[u8] = include_bytes!("../data/common-passwords.fst");

static COMMON_PASSWORDS: LazyLock<Set<&'static [u8]>> = LazyLock::new(|| {
    // The file is checked in and read by the tests, so this cannot fail in a built binary.
    Set::new(COMMON_PASSWORDS_FST).expect("data/common-passwords.fst is a valid fst set")
});

/// Why a password was refused. `Display` is a sentence meant for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("Use at least 8 characters.")]
    TooShort,
    /// More than [`MAX_BYTES`] bytes.
    #[error("Use a shorter password: at most 1024 bytes.")]
    TooLong,
    /// The email, its local part, or the local part with a few characters added.
    #[error("Don't use your email address in your password.")]
    ContainsEmail,
    /// In the list of common and breached passwords.
    #[error(
        "This password is too common: it appears in lists of leaked passwords. Choose another."
    )]
    Common,
}

/// Checks `password` against the policy (see the module documentation). Give the email of the
/// account whenever it is known, so that the password cannot be derived from it.
pub fn check(password: &str, email: Option<&str>) -> Result<(), PolicyViolation> {
    if password.chars().count() < MIN_CHARS {
        return Err(PolicyViolation::TooShort);
    }
    if password.len() > MAX_BYTES {
        return Err(PolicyViolation::TooLong);
    }
    if let Some(email) = email
        && derived_from_email(password, email)
    {
        return Err(PolicyViolation::ContainsEmail);
    }
    if is_common(password) {
        return Err(PolicyViolation::Common);
    }
    Ok(())
}

/// Whether `password` (trimmed, lower-cased) is in the common-password list.
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.trim().to_lowercase())
}

/// How many passwords the common-password list holds.
pub fn common_list_len() -> usize {
    COMMON_PASSWORDS.len()
}

/// Rule 2 of the module documentation.
fn derived_from_email(password: &str, email: &str) -> bool {
    let password = password.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return false;
    }
    let local = email.rsplit_once('@').map_or(email.as_str(), |(l, _)| l);
    if password == email || password == local || password.contains(&email) {
        return true;
    }
    local.chars().count() >= MIN_LOCAL_PART_CHARS
        && password.replace(local, "").chars().count() < MIN_CHARS
}

#[cfg(test)]
mod tests;
