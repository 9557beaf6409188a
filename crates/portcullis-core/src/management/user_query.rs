//! The subset of Auth0's user search syntax (Lucene,
//! <https://auth0.com/docs/manage-users/user-search/user-search-query-syntax>) that `GET
//! /api/v2/users?q=` understands:
//!
//! - terms `field:value`, `field:"a phrase"`, or a bare `value` (matched against `email`,
//!   `name`, `given_name`, `family_name`, `nickname` and `user_id`, never metadata);
//! - `*` wildcards in values (`email:*@example.com`, `name:jo*`), not on metadata fields;
//! - `_exists_:field`; ranges on `created_at` and `updated_at`: `created_at:[2024-01-01 TO *]`
//!   (inclusive) or `{… TO …}` (exclusive);
//! - `AND`, `OR`, `NOT` (capitalised), parentheses; terms side by side are joined with `OR`,
//!   Lucene's default.
//!
//! Fields: `user_id`, `email`, `email.domain`, `email_verified`, `name`, `given_name`,
//! `family_name`, `nickname`, `picture`, `blocked`, `created_at`, `updated_at`,
//! `identities.connection`, `identities.provider`, and `app_metadata.<path>` /
//! `user_metadata.<path>` (arrays on the way are looked through, as on Auth0). The normalized
//! fields compare case-insensitively, metadata case-sensitively.

use super::error::{ManagementError, ManagementResult};
use portcullis_store::{UnixTime, User};
use serde_json::Value;

/// Longest query accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 2000;
/// Deepest nesting of parentheses and `NOT`s.
const MAX_DEPTH: usize = 16;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    Term(Term),
}

/// One condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `field:value` (`field` `None`: the default fields). `phrase` when quoted.
    Match {
        field: Option<String>,
        value: String,
        phrase: bool,
    },
    /// `_exists_:field`.
    Exists(String),
    /// `field:[from TO to]`; `None` is `*`.
    Range {
        field: String,
        from: Option<UnixTime>,
        to: Option<UnixTime>,
        inclusive: bool,
    },
}

/// Parses `q`; a syntax error or an unknown field is a 400 `invalid_query_string`.
pub fn parse(q: &str) -> ManagementResult<Query> {
    if q.len() > MAX_QUERY_LEN {
        return Err(bad(format!(
            "the query is longer than {MAX_QUERY_LEN} bytes"
        )));
    }
    let tokens = tokenize(q)?;
    if tokens.is_empty() {
        return Err(bad("the query is empty"));
    }
    let mut parser = Parser { tokens, pos: 0 };
    let query = parser.or(0)?;
    if parser.pos != parser.tokens.len() {
        return Err(bad("unexpected ')' or operator"));
    }
    Ok(query)
}

fn bad(why: impl std::fmt::Display) -> ManagementError {
    ManagementError::invalid_query(format!("Query validation error: 'q': {why}"))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `field:` followed by its value, or a bare value.
    Term(Term),
}

fn tokenize(q: &str) -> ManagementResult<Vec<Token>> {
    let chars: Vec<char> = q.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                tokens.push(Token::Open);
                i += 1;
                continue;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
                continue;
            }
            _ => {}
        }
        // A field name runs up to ':' (no spaces, no parentheses).
        let start = i;
        let mut j = i;
        while j < chars.len() && !chars[j].is_whitespace() && !"():\"".contains(chars[j]) {
            j += 1;
        }
        let word: String = chars[start..j].iter().collect();
        if j < chars.len() && chars[j] == ':' && !word.is_empty() {
            let field = word;
            i = j + 1;
            let (term, next) = value(&chars, i, Some(field))?;
            tokens.push(Token::Term(term));
            i = next;
            continue;
        }
        if word.is_empty() && chars.get(j) == Some(&'"') {
            let (term, next) = value(&chars, j, None)?;
            tokens.push(Token::Term(term));
            i = next;
            continue;
        }
        if word.is_empty() {
            return Err(bad(format!("unexpected {:?}", chars[j])));
        }
        i = j;
        tokens.push(match word.as_str() {
            "AND" | "&&" => Token::And,
            "OR" | "||" => Token::Or,
            "NOT" | "!" => Token::Not,
            _ => Token::Term(Term::Match {
                field: None,
                value: word,
                phrase: false,
            }),
        });
    }
    Ok(tokens)
}

/// The value after `field:` (or a bare quoted phrase) starting at `i`.
fn value(chars: &[char], i: usize, field: Option<String>) -> ManagementResult<(Term, usize)> {
    match chars.get(i) {
        Some('"') => {
            let mut text = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(bad("a quoted value is not closed")),
                    Some('"') => break,
                    Some('\\') if j + 1 < chars.len() => {
                        text.push(chars[j + 1]);
                        j += 2;
                    }
                    Some(c) => {
                        text.push(*c);
                        j += 1;
                    }
                }
            }
            let term = term_for(field, text, true)?;
            Ok((term, j + 1))
        }
        Some(open @ ('[' | '{')) => {
            let close = if *open == '[' { ']' } else { '}' };
            let end = chars[i..]
                .iter()
                .position(|c| *c == close)
                .map(|p| p + i)
                .ok_or_else(|| bad("a range is not closed"))?;
            let inner: String = chars[i + 1..end].iter().collect();
            let field = field.ok_or_else(|| bad("a range needs a field"))?;
            let (from, to) = inner
                .split_once(" TO ")
                .ok_or_else(|| bad("a range is written [from TO to]"))?;
            if !matches!(field.as_str(), "created_at" | "updated_at") {
                return Err(bad(format!(
                    "ranges work on created_at and updated_at, not {field}"
                )));
            }
            Ok((
                Term::Range {
                    field,
                    from: bound(from.trim())?,
                    to: bound(to.trim())?,
                    inclusive: *open == '[',
                },
                end + 1,
            ))
        }
        _ => {
            let mut j = i;
            while j < chars.len() && !chars[j].is_whitespace() && !"()".contains(chars[j]) {
                j += 1;
            }
            let text: String = chars[i..j].iter().collect();
            if text.is_empty() {
                return Err(bad("a field has no value"));
            }
            Ok((term_for(field, text, false)?, j))
        }
    }
}

fn term_for(field: Option<String>, value: String, phrase: bool) -> ManagementResult<Term> {
    match field {
        Some(f) if f == "_exists_" => {
            check_field(&value)?;
            Ok(Term::Exists(value))
        }
        Some(f) => {
            check_field(&f)?;
            if value.contains('*') && is_metadata(&f) {
                return Err(bad("wildcards are not available on metadata fields"));
            }
            Ok(Term::Match {
                field: Some(f),
                value,
                phrase,
            })
        }
        None => Ok(Term::Match {
            field: None,
            value,
            phrase,
        }),
    }
}

const FIELDS: &[&str] = &[
    "user_id",
    "email",
    "email.domain",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "blocked",
    "created_at",
    "updated_at",
    "identities.connection",
    "identities.provider",
];

fn is_metadata(field: &str) -> bool {
    field.starts_with("app_metadata.") || field.starts_with("user_metadata.")
}

fn check_field(field: &str) -> ManagementResult<()> {
    if FIELDS.contains(&field)
        || (is_metadata(field) && field.split('.').skip(1).all(|p| !p.is_empty()))
    {
        Ok(())
    } else {
        Err(bad(format!("unknown field {field:?}")))
    }
}

/// `*`, `2024-01-01`, `2024-01-01T10:00:00Z` (or with `.000Z`), or Unix seconds.
fn bound(text: &str) -> ManagementResult<Option<UnixTime>> {
    if text == "*" {
        return Ok(None);
    }
    if let Ok(n) = text.parse::<i64>() {
        return Ok(Some(n));
    }
    parse_date(text).map(Some).ok_or_else(|| {
        bad(format!(
            "{text:?} is not a date (use 2024-01-31 or 2024-01-31T12:00:00Z)"
        ))
    })
}

fn parse_date(text: &str) -> Option<UnixTime> {
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = 0;
    if let Some(t) = time {
        let t = t.strip_suffix('Z')?;
        let t = t.split('.').next()?;
        let mut hms = t.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next()?.parse().ok()?;
        let s: i64 = hms.next().unwrap_or("0").parse().ok()?;
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        secs = h * 3600 + mi * 60 + s;
    }
    Some(days_from_civil(y, m, d) * 86_400 + secs)
}

/// Howard Hinnant's civil-to-days algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self, depth: usize) -> ManagementResult<Query> {
        let mut left = self.and(depth)?;
        loop {
            match self.peek() {
                Some(Token::Or) => {
                    self.pos += 1;
                    let right = self.and(depth)?;
                    left = Query::Or(Box::new(left), Box::new(right));
                }
                // Side by side: OR, Lucene's default operator.
                Some(Token::Term(_) | Token::Open | Token::Not) => {
                    let right = self.and(depth)?;
                    left = Query::Or(Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }

    fn and(&mut self, depth: usize) -> ManagementResult<Query> {
        let mut left = self.unary(depth)?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            let right = self.unary(depth)?;
            left = Query::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> ManagementResult<Query> {
        if depth > MAX_DEPTH {
            return Err(bad("the query is nested too deeply"));
        }
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Not) => {
                self.pos += 1;
                Ok(Query::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or(depth + 1)?;
                if self.peek() != Some(&Token::Close) {
                    return Err(bad("a '(' is not closed"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Term(term)) => {
                self.pos += 1;
                Ok(Query::Term(term))
            }
            Some(_) => Err(bad("an operator is missing its operand")),
            None => Err(bad("the query ends too early")),
        }
    }
}

/// The identity provider of a user id (`auth0` for `auth0|…` and for ids without a prefix).
pub fn provider_of(user_id: &str) -> &str {
    user_id.split_once('|').map_or("auth0", |(p, _)| p)
}

/// Whether `user` matches `query`.
pub fn matches(query: &Query, user: &User) -> bool {
    match query {
        Query::And(a, b) => matches(a, user) && matches(b, user),
        Query::Or(a, b) => matches(a, user) || matches(b, user),
        Query::Not(q) => !matches(q, user),
        Query::Term(term) => term_matches(term, user),
    }
}

fn term_matches(term: &Term, user: &User) -> bool {
    match term {
        Term::Match {
            field: None,
            value,
            phrase,
        } => [
            "email",
            "name",
            "given_name",
            "family_name",
            "nickname",
            "user_id",
        ]
        .iter()
        .any(|f| {
            field_values(f, user)
                .iter()
                .any(|v| text_matches(v, value, *phrase, true))
        }),
        Term::Match {
            field: Some(field),
            value,
            phrase,
        } => {
            let case_insensitive = !is_metadata(field);
            field_values(field, user)
                .iter()
                .any(|v| text_matches(v, value, *phrase, case_insensitive))
        }
        Term::Exists(field) => !field_values(field, user).is_empty(),
        Term::Range {
            field,
            from,
            to,
            inclusive,
        } => {
            let t = if field == "created_at" {
                user.created_at
            } else {
                user.updated_at
            };
            let above = from.is_none_or(|f| if *inclusive { t >= f } else { t > f });
            let below = to.is_none_or(|e| if *inclusive { t <= e } else { t < e });
            above && below
        }
    }
}

/// The values a field holds for a user, as text (none when unset).
fn field_values(field: &str, user: &User) -> Vec<String> {
    let opt = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
    match field {
        "user_id" => vec![user.user_id.clone()],
        "email" => vec![user.email.clone()],
        "email.domain" => user
            .email
            .rsplit_once('@')
            .map(|(_, d)| vec![d.to_owned()])
            .unwrap_or_default(),
        "email_verified" => vec![user.email_verified.to_string()],
        "blocked" => vec![user.blocked.to_string()],
        "name" => opt(&user.name),
        "given_name" => opt(&user.given_name),
        "family_name" => opt(&user.family_name),
        "nickname" => opt(&user.nickname),
        "picture" => opt(&user.picture),
        "created_at" => vec![super::time::iso8601(user.created_at)],
        "updated_at" => vec![super::time::iso8601(user.updated_at)],
        "identities.connection" => vec![super::connections::DATABASE_CONNECTION.to_owned()],
        "identities.provider" => vec![provider_of(&user.user_id).to_owned()],
        _ => {
            let (root, path) = match field.split_once('.') {
                Some(("app_metadata", path)) => (&user.app_metadata, path),
                Some(("user_metadata", path)) => (&user.user_metadata, path),
                _ => return Vec::new(),
            };
            let mut found = Vec::new();
            let mut parts = path.split('.');
            if let Some(first) = parts.next()
                && let Some(value) = root.get(first)
            {
                collect(value, &parts.collect::<Vec<_>>(), &mut found);
            }
            found
        }
    }
}

/// Walks `path` below `value`, looking through arrays; scalars at the end become text.
fn collect(value: &Value, path: &[&str], out: &mut Vec<String>) {
    match (value, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|v| collect(v, path, out)),
        (Value::Object(map), Some((first, rest))) => {
            if let Some(v) = map.get(*first) {
                collect(v, rest, out);
            }
        }
        (Value::String(s), None) => out.push(s.clone()),
        (Value::Bool(b), None) => out.push(b.to_string()),
        (Value::Number(n), None) => out.push(n.to_string()),
        _ => {}
    }
}

/// Whether a stored value matches a query value: the whole value, or (unquoted) one of its
/// words, or (quoted) a run of its words; `*` matches any characters.
fn text_matches(stored: &str, wanted: &str, phrase: bool, case_insensitive: bool) -> bool {
    let (stored, wanted) = if case_insensitive {
        (stored.to_lowercase(), wanted.to_lowercase())
    } else {
        (stored.to_owned(), wanted.to_owned())
    };
    if glob(&stored, &wanted) {
        return true;
    }
    let words: Vec<&str> = stored.split_whitespace().collect();
    if phrase {
        let wanted_words: Vec<&str> = wanted.split_whitespace().collect();
        !wanted_words.is_empty()
            && words
                .windows(wanted_words.len())
                .any(|w| w == wanted_words.as_slice())
    } else {
        words.len() > 1 && words.iter().any(|w| glob(w, &wanted))
    }
}

/// `*` matches any run of characters; everything else itself.
fn glob(text: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return text == pattern;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::Metadata;
    use serde_json::json;

    fn user(id: &str, email: &str, name: &str) -> User {
        User {
            user_id: id.to_owned(),
            email: email.to_owned(),
            email_verified: false,
            name: Some(name.to_owned()),
            given_name: None,
            family_name: None,
            nickname: None,
            picture: None,
            password_hash: None,
            blocked: false,
            app_metadata: match json!({"plan": "gold", "subscription": {"plan": "pro"}, "addresses": [{"city": "Paris"}]})
            {
                Value::Object(m) => m,
                _ => Metadata::new(),
            },
            user_metadata: Metadata::new(),
            created_at: 1_704_067_200, // 2024-01-01
            updated_at: 1_704_067_200,
            ..User::default()
        }
    }

    fn q(text: &str, u: &User) -> bool {
        matches(&parse(text).expect(text), u)
    }

    #[test]
    fn fields_phrases_and_wildcards() {
        let ada = user("auth0|1", "ada@example.com", "Ada Lovelace");
        assert!(q("email:ada@example.com", &ada));
        assert!(q("email:\"ADA@example.com\"", &ada));
        assert!(q("email:*@example.com", &ada));
        assert!(!q("email:*@example.org", &ada));
        assert!(q("email.domain:example.com", &ada));
        assert!(q("name:\"ada lovelace\"", &ada));
        assert!(q("name:lovelace", &ada));
        assert!(q("name:love*", &ada));
        assert!(q("lovelace", &ada));
        assert!(q("user_id:auth0|1", &ada));
        assert!(q("identities.provider:auth0", &ada));
        assert!(!q("name:grace", &ada));
    }

    #[test]
    fn metadata_paths_are_case_sensitive_and_look_through_arrays() {
        let ada = user("auth0|1", "ada@example.com", "Ada");
        assert!(q("app_metadata.plan:gold", &ada));
        assert!(!q("app_metadata.plan:GOLD", &ada));
        assert!(q("app_metadata.subscription.plan:\"pro\"", &ada));
        assert!(q("app_metadata.addresses.city:Paris", &ada));
        assert!(q("_exists_:app_metadata.plan", &ada));
        assert!(!q("_exists_:user_metadata.plan", &ada));
        assert!(parse("app_metadata.plan:go*").is_err());
    }

    #[test]
    fn operators_groups_and_ranges() {
        let ada = user("auth0|1", "ada@example.com", "Ada");
        assert!(q("email:ada@example.com AND blocked:false", &ada));
        assert!(!q("email:ada@example.com AND NOT blocked:false", &ada));
        assert!(q("(name:grace OR name:ada) AND email_verified:false", &ada));
        assert!(q("name:grace name:ada", &ada), "side by side is OR");
        assert!(q("created_at:[2023-12-31 TO *]", &ada));
        assert!(q("created_at:[2024-01-01 TO 2024-01-01]", &ada));
        assert!(!q("created_at:{2024-01-01 TO *}", &ada));
    }

    #[test]
    fn malformed_queries_are_refused() {
        for bad in [
            "",
            "email:",
            "(name:ada",
            "name:ada)",
            "AND",
            "unknown_field:x",
            "created_at:[yesterday TO *]",
            "created_at:[2024-13-01 TO *]",
            "name:\"open",
            "name:[a TO b]",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "(".repeat(40) + "name:a" + &")".repeat(40);
        assert!(parse(&deep).is_err());
        assert!(parse(&"x ".repeat(2000)).is_err());
    }
}
