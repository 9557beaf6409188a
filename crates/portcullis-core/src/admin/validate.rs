//! Shape checks shared by the admin operations and the tenant file.

use super::error::{AdminError, AdminResult};
use crate::password_policy;

/// Brings an email address to its canonical form ([`crate::email::canonical`]) and checks it:
/// one `@`, a non-empty local part, a domain of non-empty dot-separated labels, no whitespace or
/// control characters, at most 254 bytes (RFC 5321 §4.5.3.1.3), and no mixing of scripts inside
/// a part (a look-alike of another address, UTS #39).
pub fn normalize_email(email: &str) -> AdminResult<String> {
    let email = crate::email::canonical(email);
    let bad = |why: &str| AdminError::invalid("email", format!("{email:?} {why}"));
    if email.is_empty() {
        return Err(AdminError::invalid("email", "must not be empty"));
    }
    if email.len() > 254 {
        return Err(bad("is longer than 254 characters"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(bad("is not an email address (no @)"));
    };
    if local.is_empty() || domain.contains('@') {
        return Err(bad("is not an email address"));
    }
    if domain.is_empty() || domain.split('.').any(str::is_empty) {
        return Err(bad("has an invalid domain"));
    }
    if crate::email::is_mixed_script(&email) {
        return Err(bad(
            "mixes alphabets (for example Latin and Cyrillic letters) and could be mistaken for another address",
        ));
    }
    Ok(email)
}

/// The password policy of [`crate::password_policy`]: at least 8 characters, at most 1024 bytes,
/// not derived from `email` (when given), not a common or breached password.
pub fn check_password(password: &str, email: Option<&str>) -> AdminResult<()> {
    password_policy::check(password, email)
        .map_err(|violation| AdminError::invalid("password", violation.to_string()))
}

/// An identifier chosen by a person (client id, user id): 1–128 characters from the URL-safe
/// set `A-Z a-z 0-9 - . _ ~` plus `|` and `:` (Auth0 user ids look like `auth0|abc`).
pub fn check_identifier(field: &'static str, value: &str, extra: &[char]) -> AdminResult<()> {
    if value.is_empty() || value.len() > 128 {
        return Err(AdminError::invalid(
            field,
            "must be 1 to 128 characters long",
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c) || extra.contains(c)))
    {
        return Err(AdminError::invalid(
            field,
            format!("{value:?} contains {c:?}; use letters, digits, '-', '.', '_' and '~'"),
        ));
    }
    Ok(())
}

/// A display name: non-empty after trimming, at most 200 characters, no control characters.
pub fn check_name(field: &'static str, name: &str) -> AdminResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AdminError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AdminError::invalid(
            field,
            "must be at most 200 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// A phone number in E.164 form (`+` and 8 to 15 digits; OIDC Core §5.1 recommends E.164 for
/// `phone_number`). Spaces, dashes, dots and parentheses people type are removed.
pub fn check_phone_number(phone: &str) -> AdminResult<String> {
    let compact: String = phone
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or_default();
    if (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(compact)
    } else {
        Err(AdminError::invalid(
            "phone_number",
            "must be in international E.164 form, e.g. +14155550100",
        ))
    }
}

/// A postal address (OIDC Core §5.1.1): each member at most 200 characters; only `formatted`
/// and `street_address` may span lines.
pub fn check_address(address: &portcullis_store::Address) -> AdminResult<()> {
    let members = [
        (&address.formatted, true),
        (&address.street_address, true),
        (&address.locality, false),
        (&address.region, false),
        (&address.postal_code, false),
        (&address.country, false),
    ];
    for (value, multiline) in members {
        let Some(value) = value else { continue };
        let bad_char = value
            .chars()
            .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r')));
        if value.chars().count() > 200 || bad_char {
            return Err(AdminError::invalid(
                "address",
                "each member must be at most 200 characters, without control characters",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            normalize_email(" Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        assert_eq!(
            normalize_email("ＡＮＡ@example.com").unwrap(),
            "ana@example.com",
            "NFKC folds full-width letters"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "a b@example.com",
            "a@b@c",
            "a@.com",
            "a@x..y",
            "p\u{430}ypal@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy_violations_are_invalid_passwords() {
        let message = |p: &str, email| check_password(p, email).unwrap_err().to_string();
        assert!(check_password("tangerine obelisk murmur", Some("ana@example.com")).is_ok());
        assert_eq!(
            message("1234567", None),
            "password: Use at least 8 characters."
        );
        assert_eq!(
            message("ana.lopez@example.com", Some("ana.lopez@example.com")),
            "password: Don't use your email address in your password."
        );
        assert_eq!(
            message("password123", None),
            "password: This password is too common: it appears in lists of leaked passwords. \
             Choose another."
        );
    }

    #[test]
    fn phone_numbers_are_e164() {
        assert_eq!(
            check_phone_number("+1 (415) 555-0100").unwrap(),
            "+14155550100"
        );
        for bad in [
            "",
            "4155550100",
            "+1",
            "+0123456789",
            "+1415555O100",
            "+1234567890123456",
        ] {
            assert!(check_phone_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_refuse_control_characters_outside_multiline_members() {
        let mut address = portcullis_store::Address {
            formatted: Some("1 Main St\nSpringfield".into()),
            ..Default::default()
        };
        assert!(check_address(&address).is_ok());
        address.locality = Some("Spring\nfield".into());
        assert!(check_address(&address).is_err());
    }

    #[test]
    fn identifiers_are_url_safe() {
        assert!(check_identifier("client_id", "demo-web", &[]).is_ok());
        assert!(check_identifier("client_id", "a b", &[]).is_err());
        assert!(check_identifier("client_id", "", &[]).is_err());
        assert!(check_identifier("user_id", "auth0|42", &['|', ':']).is_ok());
        assert!(check_identifier("client_id", "auth0|42", &[]).is_err());
    }
}
