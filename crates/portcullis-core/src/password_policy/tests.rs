use super::*;
use crate::admin::dev::{DEV_USER_EMAIL, DEV_USER_PASSWORD};
use fst::Streamer;

/// A passphrase of five random words and a number, as a password manager would make.
const STRONG: &str = "tangerine obelisk murmur 47 quilt";

#[test]
fn a_strong_passphrase_passes() {
    assert_eq!(check(STRONG, None), Ok(()));
    assert_eq!(check(STRONG, Some("ana@example.com")), Ok(()));
    assert_eq!(check("u8#Vq!2mZr", Some("ana@example.com")), Ok(()));
}

#[test]
fn nist_800_63b_5_1_1_2_at_least_8_characters_counted_as_characters() {
    assert_eq!(check("", None), Err(PolicyViolation::TooShort));
    assert_eq!(check("Zq7#kLm", None), Err(PolicyViolation::TooShort));
    assert_eq!(check("Zq7#kLm2", None), Ok(()));
    // 7 characters in 14 bytes are still 7 characters.
    assert_eq!(check("ééééééé", None), Err(PolicyViolation::TooShort));
    assert_eq!(check("éàüøßñçē", None), Ok(()));
}

#[test]
fn at_most_1024_bytes() {
    let long = STRONG.repeat(40);
    assert_eq!(check(&long[..MAX_BYTES], None), Ok(()));
    assert_eq!(
        check(&long[..MAX_BYTES + 1], None),
        Err(PolicyViolation::TooLong)
    );
    // Bytes, not characters: 513 two-byte characters are too long.
    assert_eq!(check(&"é".repeat(513), None), Err(PolicyViolation::TooLong));
}

#[test]
fn not_the_email_nor_its_local_part_compared_trimmed_and_case_insensitively() {
    let email = Some("  Ana.Lopez@Example.COM ");
    for password in [
        "ana.lopez@example.com",
        " ANA.LOPEZ@EXAMPLE.COM",
        "ana.lopez",
        "Ana.Lopez ",
        // The whole email inside a longer password.
        "my ana.lopez@example.com login",
    ] {
        assert_eq!(
            check(password, email),
            Err(PolicyViolation::ContainsEmail),
            "{password}"
        );
    }
    // A 3-character local part inside a password: only the whole email is refused.
    assert_eq!(check("ana's password", Some("ana@example.com")), Ok(()));
    assert_eq!(
        check("ana@example.com!", Some("ana@example.com")),
        Err(PolicyViolation::ContainsEmail)
    );
}

#[test]
fn a_local_part_of_4_or_more_characters_does_not_count_toward_the_length() {
    let email = Some("john.doe@example.com");
    for password in [
        "John.Doe2024!",
        "john.doe",
        "1john.doe1",
        "JOHN.DOEjohn.doe",
    ] {
        assert_eq!(
            check(password, email),
            Err(PolicyViolation::ContainsEmail),
            "{password}"
        );
    }
    // Checked before the list: `john1234` is common too, but the email is the better answer.
    assert_eq!(
        check("john1234", Some("john@example.com")),
        Err(PolicyViolation::ContainsEmail)
    );
    // Eight characters or more besides the local part are the person's own.
    assert_eq!(
        check("my friend john drives a tractor", Some("john@example.com")),
        Ok(())
    );
}

#[test]
fn the_development_demo_user_passes() {
    // `portcullis dev` applies this user through the same policy; its credentials appear
    // across the docs and the end-to-end tests.
    assert_eq!(check(DEV_USER_PASSWORD, Some(DEV_USER_EMAIL)), Ok(()));
}

#[test]
fn common_and_breached_passwords_are_refused() {
    for password in [
        "password",
        "password123",
        "qwerty123",
        "iloveyou1",
        "12345678",
        "Password1",
        "Password1!",
        "trustno1",
    ] {
        assert_eq!(
            check(password, None),
            Err(PolicyViolation::Common),
            "{password}"
        );
    }
}

#[test]
fn the_list_lookup_trims_and_ignores_case() {
    for password in ["PASSWORD123", "Qwerty123", " iLoveYou1 ", "PassWord123\t"] {
        assert!(is_common(password), "{password:?}");
        assert_eq!(check(password, None), Err(PolicyViolation::Common));
    }
    assert!(!is_common(STRONG));
}

#[test]
fn the_list_holds_at_least_100_000_normalised_passwords() {
    assert!(common_list_len() >= 100_000, "{}", common_list_len());
    // Every entry is stored as the lookup searches it: lower-cased, trimmed, and at least
    // MIN_CHARS characters (shorter ones are refused by length already).
    let mut stream = COMMON_PASSWORDS.stream();
    let mut count = 0;
    while let Some(entry) = stream.next() {
        let entry = std::str::from_utf8(entry).unwrap();
        assert_eq!(entry, entry.trim().to_lowercase(), "{entry:?}");
        assert!(entry.chars().count() >= MIN_CHARS, "{entry:?}");
        count += 1;
    }
    assert_eq!(count, common_list_len());
}

#[test]
fn messages_are_sentences() {
    for v in [
        PolicyViolation::TooShort,
        PolicyViolation::TooLong,
        PolicyViolation::ContainsEmail,
        PolicyViolation::Common,
    ] {
        let text = v.to_string();
        assert!(text.starts_with(char::is_uppercase), "{text}");
        assert!(text.ends_with('.'), "{text}");
    }
    assert_eq!(
        PolicyViolation::Common.to_string(),
        "This password is too common: it appears in lists of leaked passwords. Choose another."
    );
}
