//! `/api/v2/logs` rules: the subset of Auth0's log search syntax (`q`) and `sort` this
//! provider understands, turned into a [`LogFilter`] and a [`LogOrder`].
//!
//! `q` is a Lucene-like query (Auth0: "Query in Lucene query string syntax"). Understood:
//! terms `type:s`, `type:"fp"`, `user_id:"auth0|abc"`, `client_id:abc`, joined by `AND`, `OR`
//! or spaces; several `type` terms select any of those types (`type:s OR type:fp`,
//! `type:(s OR fp)`). Anything else is refused with a message naming it, rather than
//! ignored (a filter silently dropped would list events the caller did not ask for).

use super::error::{ManagementError, ManagementResult};
use portcullis_store::{LogFilter, LogOrder};

/// Longest `q` accepted.
const MAX_QUERY: usize = 1024;

fn refuse(what: impl std::fmt::Display) -> ManagementError {
    ManagementError::invalid_query(format!("Query validation error: {what}"))
}

/// Parses `q` into a filter.
pub fn parse_query(q: &str) -> ManagementResult<LogFilter> {
    if q.len() > MAX_QUERY {
        return Err(refuse(format!("'q' is longer than {MAX_QUERY} characters")));
    }
    let mut filter = LogFilter::default();
    let mut field: Option<String> = None;
    let mut values = 0usize;
    for token in tokens(q)? {
        match token {
            Token::Word(w) if field.is_none() && (w == "AND" || w == "OR") => {}
            Token::Open | Token::Close => {}
            Token::Word(w) | Token::Quoted(w) => {
                if let Some(f) = &field {
                    if w == "OR" || w == "AND" {
                        continue;
                    }
                    apply(&mut filter, f, w)?;
                    values += 1;
                    continue;
                }
                let Some((name, value)) = w.split_once(':') else {
                    return Err(refuse(format!("{w:?} is not a field:value term")));
                };
                if value.is_empty() {
                    // `type:(s OR fp)` or `user_id:"…"`: the value(s) follow.
                    field = Some(name.to_owned());
                    values = 0;
                } else {
                    apply(&mut filter, name, value.trim_matches('"').to_owned())?;
                }
            }
            Token::End => field = None,
        }
    }
    if let Some(f) = field
        && values == 0
    {
        return Err(refuse(format!("{f}: a value is missing")));
    }
    Ok(filter)
}

fn apply(filter: &mut LogFilter, field: &str, value: String) -> ManagementResult<()> {
    if value.is_empty() || value.contains('*') {
        return Err(refuse(format!(
            "{field}: wildcards and empty values are not supported"
        )));
    }
    match field {
        "type" => filter.event_types.push(value),
        "user_id" => filter.user_id = Some(value),
        "client_id" => filter.client_id = Some(value),
        other => {
            return Err(refuse(format!(
                "the field {other:?} cannot be searched; use type, user_id or client_id"
            )));
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    /// The end of a term's value(s): whitespace after a value that ended a term.
    End,
}

/// Splits `q` into words, quoted strings and parentheses. A field whose value follows
/// (`user_id:"…"`, `type:(…)`) holds until its value (or closing parenthesis) ends.
fn tokens(q: &str) -> ManagementResult<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    let mut depth = 0u32;
    let mut pending_field = false;
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                depth += 1;
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                if depth == 0 {
                    return Err(refuse("unbalanced parentheses"));
                }
                depth -= 1;
                out.push(Token::Close);
                if depth == 0 && pending_field {
                    pending_field = false;
                    out.push(Token::End);
                }
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(refuse("unterminated quoted value")),
                        Some('\\') => match chars.next() {
                            Some(escaped) => text.push(escaped),
                            None => return Err(refuse("unterminated quoted value")),
                        },
                        Some('"') => break,
                        Some(other) => text.push(other),
                    }
                }
                out.push(Token::Quoted(text));
                if depth == 0 && pending_field {
                    pending_field = false;
                    out.push(Token::End);
                }
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' {
                        break;
                    }
                    if c == '"' && word.ends_with(':') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                let opens_value = word.ends_with(':');
                out.push(Token::Word(word));
                if opens_value {
                    pending_field = true;
                } else if depth == 0 && pending_field {
                    pending_field = false;
                    out.push(Token::End);
                }
            }
        }
    }
    if depth != 0 {
        return Err(refuse("unbalanced parentheses"));
    }
    Ok(out)
}

/// Auth0's `sort` for logs: `date:1` (oldest first) or `date:-1` (newest first, the default).
pub fn parse_sort(sort: Option<&str>) -> ManagementResult<LogOrder> {
    match sort.map(str::trim) {
        None | Some("") | Some("date:-1") => Ok(LogOrder::NewestFirst),
        Some("date:1") => Ok(LogOrder::OldestFirst),
        Some(other) => Err(refuse(format!("sort {other:?}: use date:1 or date:-1"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_terms() {
        let f = parse_query("type:s").unwrap();
        assert_eq!(f.event_types, vec!["s"]);
        let f = parse_query("user_id:\"auth0|abc\" AND client_id:app1").unwrap();
        assert_eq!(f.user_id.as_deref(), Some("auth0|abc"));
        assert_eq!(f.client_id.as_deref(), Some("app1"));
        assert!(f.event_types.is_empty());
    }

    #[test]
    fn several_types() {
        let f = parse_query("type:s OR type:\"fp\"").unwrap();
        assert_eq!(f.event_types, vec!["s", "fp"]);
        let f = parse_query("type:(s OR fp) AND user_id:u1").unwrap();
        assert_eq!(f.event_types, vec!["s", "fp"]);
        assert_eq!(f.user_id.as_deref(), Some("u1"));
    }

    #[test]
    fn refusals() {
        for q in [
            "ip:1.2.3.4",
            "type:s*",
            "type:(s",
            "user_id:\"open",
            "description",
            "type:",
            ")",
        ] {
            let e = parse_query(q).unwrap_err();
            assert_eq!(e.error_code, "invalid_query_string", "{q}");
        }
        assert!(parse_query(&"a".repeat(2000)).is_err());
    }

    #[test]
    fn sorts() {
        assert_eq!(parse_sort(None).unwrap(), LogOrder::NewestFirst);
        assert_eq!(parse_sort(Some("date:1")).unwrap(), LogOrder::OldestFirst);
        assert_eq!(parse_sort(Some("date:-1")).unwrap(), LogOrder::NewestFirst);
        assert!(parse_sort(Some("type:1")).is_err());
    }
}
