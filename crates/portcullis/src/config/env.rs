//! `PORTCULLIS_*` environment variables that are not settings: a typo such as
//! `PORTCULLIS_ISSUR` would otherwise be ignored without a word.

use super::file::KEYS;
use crate::suggest::closest;

/// Variables with the prefix that Portcullis reads although they are not settings.
const OTHER_VARIABLES: &[&str] = &["PORTCULLIS_CONFIG"];

/// One warning per `PORTCULLIS_*` variable in `vars` that Portcullis does not read, with the
/// setting it was probably meant to be.
pub fn unknown_variables(vars: impl IntoIterator<Item = String>) -> Vec<String> {
    let names: Vec<String> = KEYS
        .iter()
        .map(|k| format!("PORTCULLIS_{}", k.to_ascii_uppercase()))
        .chain(OTHER_VARIABLES.iter().map(|v| (*v).to_owned()))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut warnings: Vec<String> = vars
        .into_iter()
        .filter(|v| v.starts_with("PORTCULLIS_") && !names.contains(&v.as_str()))
        .map(|v| {
            let hint = closest(&v, &names)
                .map(|n| format!(" (did you mean {n}?)"))
                .unwrap_or_default();
            format!("warning: {v} is not a Portcullis setting and is ignored{hint}")
        })
        .collect();
    warnings.sort();
    warnings
}

#[cfg(test)]
mod tests {
    #[test]
    fn typos_are_named_with_the_setting_meant() {
        let w = super::unknown_variables(
            [
                "PORTCULLIS_ISSUR",
                "PORTCULLIS_ISSUER",
                "PORTCULLIS_CONFIG",
                "HOME",
            ]
            .map(String::from),
        );
        assert_eq!(
            w,
            [
                "warning: PORTCULLIS_ISSUR is not a Portcullis setting and is ignored (did you mean PORTCULLIS_ISSUER?)"
            ]
        );
    }
}
