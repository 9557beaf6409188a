//! Languages of the hosted pages and mails: English, German, French and Spanish.
//!
//! Translations are data files (`locales/<code>.toml`, flat `key = "text"` with `{name}`
//! placeholders), embedded in the binary and parsed once. The language of a request is chosen by
//! [`negotiate`]: the authorization request's `ui_locales` (OIDC Core §3.1.2.1), then the
//! browser's `Accept-Language` (RFC 9110 §12.5.4), then English.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language Portcullis speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
    Es,
}

type Table = HashMap<String, String>;

fn parse(code: &str, text: &str) -> Table {
    let value: toml::Table = toml::from_str(text)
        .unwrap_or_else(|e| panic!("locales/{code}.toml is not valid TOML: {e}"));
    value
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => (k, s),
            other => panic!("locales/{code}.toml: {k} is not a string: {other}"),
        })
        .collect()
}

static TABLES: LazyLock<[Table; 4]> = LazyLock::new(|| {
    [
        parse("en", include_str!("../locales/en.toml")),
        parse("de", include_str!("../locales/de.toml")),
        parse("fr", include_str!("../locales/fr.toml")),
        parse("es", include_str!("../locales/es.toml")),
    ]
});

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::De, Lang::Fr, Lang::Es];

    /// The BCP 47 tag, for `<html lang>` and `Content-Language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language of a BCP 47 tag (its primary subtag), if Portcullis speaks it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn table(self) -> &'static Table {
        &TABLES[self as usize]
    }

    /// Whether this language has a text for `key`.
    pub fn has(self, key: &str) -> bool {
        self.table().contains_key(key)
    }

    /// The text of `key`; the English one if this language lacks it (the tests make sure none
    /// does), and `…` if English lacks it too.
    pub fn text(self, key: &str) -> &'static str {
        self.table()
            .get(key)
            .or_else(|| Lang::En.table().get(key))
            .map_or_else(
                || {
                    // A bug: the web crate's tests check every key its templates use.
                    tracing::warn!(key, "missing translation");
                    "…"
                },
                String::as_str,
            )
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn format(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.text(key), args)
    }
}

impl Lang {
    /// A sentence the core produced in English (an error's `Display`, a scope's description),
    /// in this language: the text whose English version it is, or the sentence unchanged.
    pub fn localize(self, english: &str) -> std::borrow::Cow<'static, str> {
        static BY_ENGLISH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
            Lang::En
                .table()
                .iter()
                .filter(|(k, _)| {
                    ["msg.", "scope.", "error."]
                        .iter()
                        .any(|p| k.starts_with(p))
                })
                .map(|(k, v)| (v.as_str(), k.as_str()))
                .collect()
        });
        match BY_ENGLISH.get(english) {
            Some(key) => std::borrow::Cow::Borrowed(self.text(key)),
            None => std::borrow::Cow::Owned(english.to_owned()),
        }
    }
}

/// Replaces each `{name}` of `template` with its value from `args`; unknown ones stay as they are.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders of a text, sorted.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The language for a request: the first of `ui_locales` (space-separated, in order of
/// preference) that Portcullis speaks, else the `Accept-Language` entry with the highest
/// q-value that it speaks (q=0 means "not this one"), else English.
pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(lang) = ui_locales
        .into_iter()
        .flat_map(str::split_whitespace)
        .find_map(Lang::from_tag)
    {
        return lang;
    }
    let mut best: Option<(f32, Lang)> = None;
    for item in accept_language.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let mut q = 1.0f32;
        for param in parts {
            if let Some(v) = param
                .trim()
                .strip_prefix("q=")
                .or_else(|| param.trim().strip_prefix("Q="))
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        if q <= 0.0 {
            continue;
        }
        if let Some(lang) = Lang::from_tag(tag)
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first string literal after `at` in `source` (the sentence of an error constructor).
    fn literal_after(source: &str, at: usize) -> Option<String> {
        let rest = &source[at..];
        let start = rest.find('"')?;
        // Only when the literal is the next argument, not something further down the file.
        if rest[..start].contains(';') || rest[..start].contains('{') {
            return None;
        }
        let body = &rest[start + 1..];
        let end = body.find('"')?;
        Some(
            body[..end]
                .replace("\\\n", "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// Every fixed sentence the core shows people on the hosted pages (the errors of account
    /// forms, and of the password policy) has an entry in the tables, so it is shown in the
    /// page's language: a new sentence without a translation fails here, not in front of a user.
    #[test]
    fn every_account_error_sentence_is_translated() {
        fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    rust_files(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        rust_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut sentences = Vec::new();
        for file in files.into_iter().filter(|f| !f.ends_with("i18n.rs")) {
            let source = std::fs::read_to_string(&file).unwrap();
            for marker in ["AccountError::field(", "AccountError::Expired("] {
                for (at, _) in source.match_indices(marker) {
                    let args = &source[at + marker.len()..];
                    // `field(name, "…")`: the sentence is the second argument.
                    let skip = if marker.ends_with("field(") {
                        match args.find(',') {
                            Some(comma) => comma,
                            None => continue,
                        }
                    } else {
                        0
                    };
                    if args[..skip].contains("user_metadata") {
                        continue; // only answered to APIs (Auth0's English shapes)
                    }
                    if let Some(sentence) = literal_after(&source, at + marker.len() + skip) {
                        sentences.push((file.display().to_string(), sentence));
                    }
                }
            }
        }
        for v in [
            crate::password_policy::PolicyViolation::TooShort,
            crate::password_policy::PolicyViolation::TooLong,
            crate::password_policy::PolicyViolation::ContainsEmail,
            crate::password_policy::PolicyViolation::Common,
        ] {
            sentences.push(("password_policy.rs".into(), v.to_string()));
        }
        assert!(sentences.len() > 20, "found only {sentences:?}");
        let missing: Vec<String> = sentences
            .iter()
            .filter(|(_, sentence)| Lang::De.localize(sentence) == *sentence)
            .map(|(file, sentence)| format!("{file}: {sentence:?}"))
            .collect();
        assert!(
            missing.is_empty(),
            "sentences without a msg.* entry in the locales:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_key_exists_in_every_language_with_the_same_placeholders() {
        let en = Lang::En.table();
        assert!(!en.is_empty());
        for lang in Lang::ALL {
            let t = lang.table();
            for (key, text) in en {
                let other = t
                    .get(key)
                    .unwrap_or_else(|| panic!("{}: missing key {key}", lang.code()));
                assert_eq!(
                    placeholders(text),
                    placeholders(other),
                    "{}: placeholders of {key}",
                    lang.code()
                );
                assert!(!other.trim().is_empty(), "{}: {key} is empty", lang.code());
            }
            for key in t.keys() {
                assert!(en.contains_key(key), "{}: extra key {key}", lang.code());
            }
        }
    }

    #[test]
    fn negotiation_prefers_ui_locales_then_accept_language_then_english() {
        assert_eq!(negotiate(Some("fr-CA de"), None), Lang::Fr);
        assert_eq!(negotiate(Some("ja fr-CA de"), Some("es")), Lang::Fr);
        assert_eq!(negotiate(Some("ja"), Some("de-DE")), Lang::De);
        assert_eq!(negotiate(None, Some("es-ES,es;q=0.9,en;q=0.8")), Lang::Es);
        assert_eq!(negotiate(None, Some("en;q=0.5, de;q=0.8")), Lang::De);
        assert_eq!(negotiate(None, Some("ja, zh;q=0.9")), Lang::En);
        assert_eq!(negotiate(Some("ja"), None), Lang::En);
        assert_eq!(negotiate(None, None), Lang::En);
        assert_eq!(negotiate(None, Some("de;q=0, fr;q=0.1")), Lang::Fr);
        assert_eq!(negotiate(None, Some("de;q=0")), Lang::En);
        assert_eq!(negotiate(None, Some("*")), Lang::En);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill("Hi {name}, {x} {name}", &[("name", "Ada")]),
            "Hi Ada, {x} Ada"
        );
        assert_eq!(fill("no { end", &[]), "no { end");
        assert_eq!(placeholders("{b} and {a} and {b}"), vec!["a", "b"]);
        assert_eq!(Lang::De.text("html.lang_name"), "Deutsch");
        assert_eq!(
            Lang::Fr.localize("Wrong email or password."),
            "Adresse e-mail ou mot de passe incorrect."
        );
        assert_eq!(Lang::Fr.localize("Something else."), "Something else.");
    }
}
