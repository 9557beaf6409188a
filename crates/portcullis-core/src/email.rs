//! Email addresses as account identifiers.
//!
//! One canonical form is used at every entry point (sign-in, user creation and update, the
//! tenant file, the CLI), so that two spellings of one address can never be two accounts:
//! trimmed, NFKC-normalised (UAX #15: full-width `ＡＤＡ` and ligatures fold to their plain
//! letters) and lower-cased.

use unicode_normalization::UnicodeNormalization;
use unicode_security::MixedScript;

/// The canonical form: trimmed, NFKC, lower-cased (and NFKC again, as lower-casing can leave a
/// composable sequence).
pub fn canonical(email: &str) -> String {
    let folded: String = email.trim().nfkc().collect::<String>().to_lowercase();
    folded.nfkc().collect()
}

/// Whether a canonical address mixes scripts within its local part or a domain label
/// (UTS #39 §5.1, e.g. Latin `paypal` written with a Cyrillic `а`): such an address is made to
/// look like another account's, and is refused where accounts are created.
pub fn is_mixed_script(canonical: &str) -> bool {
    canonical
        .split(['@', '.'])
        .any(|part| !part.is_single_script())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_address_share_one_canonical_form() {
        for spelling in [
            "ada@example.com",
            " Ada@Example.COM ",
            "ＡＤＡ@ＥＸＡＭＰＬＥ.ｃｏｍ",
            "\u{1d41a}da@example.com", // mathematical bold small a
        ] {
            assert_eq!(canonical(spelling), "ada@example.com", "{spelling:?}");
        }
        assert_eq!(canonical("ﬁn@example.com"), "fin@example.com", "ligature");
    }

    #[test]
    fn mixed_scripts_are_detected_single_scripts_are_not() {
        assert!(is_mixed_script(&canonical("p\u{430}ypal@example.com")));
        assert!(is_mixed_script(&canonical("ada@ex\u{430}mple.com")));
        assert!(!is_mixed_script(&canonical("ada-1.x_y+z@example.com")));
        assert!(!is_mixed_script(&canonical("андрей@пример.рф")));
        assert!(!is_mixed_script(&canonical("josé@exemplo.pt")));
    }
}
