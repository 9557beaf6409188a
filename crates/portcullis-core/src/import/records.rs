//! Reading an Auth0 user file: the bulk-import JSON array, or the NDJSON export Auth0 support
//! hands out with password hashes. Each record is located (index and line) so a bad one is
//! reported precisely and skipped.

use super::hash::CustomPasswordHash;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One user as Auth0's bulk-import schema describes it (`additionalProperties: false`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth0User {
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub user_id: Option<String>,
    /// Accepted and not stored: Portcullis signs in by email.
    #[serde(default)]
    pub username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    /// Accepted and not stored: Portcullis has no phone numbers.
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_verified: Option<bool>,
    #[serde(default)]
    pub blocked: bool,
    pub password_hash: Option<String>,
    pub custom_password_hash: Option<CustomPasswordHash>,
    pub app_metadata: Option<Map<String, Value>>,
    pub user_metadata: Option<Map<String, Value>>,
    pub mfa_factors: Option<Vec<Value>>,
}

/// One line of Auth0 support's NDJSON export (`{"_id":{"$oid":"…"},"email":…,
/// "passwordHash":"$2b$…",…}`); its other fields (tenant, connection…) are ignored.
#[derive(Debug, Clone, Deserialize)]
struct SupportExportUser {
    #[serde(rename = "_id")]
    id: ObjectId,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(rename = "passwordHash")]
    password_hash: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    blocked: Option<bool>,
    #[serde(default)]
    app_metadata: Option<Map<String, Value>>,
    #[serde(default)]
    user_metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize)]
struct ObjectId {
    #[serde(rename = "$oid")]
    oid: String,
}

impl From<SupportExportUser> for Auth0User {
    fn from(u: SupportExportUser) -> Self {
        Auth0User {
            email: u.email,
            email_verified: u.email_verified,
            user_id: Some(u.id.oid),
            username: None,
            given_name: u.given_name,
            family_name: u.family_name,
            name: u.name,
            nickname: u.nickname,
            picture: u.picture,
            phone_number: None,
            phone_verified: None,
            blocked: u.blocked.unwrap_or(false),
            password_hash: u.password_hash,
            custom_password_hash: None,
            app_metadata: u.app_metadata,
            user_metadata: u.user_metadata,
            mfa_factors: None,
        }
    }
}

/// Where a record is in the file: its 0-based position among the records (Auth0's jobs report
/// this index) and the 1-based line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub index: usize,
    pub line: usize,
}

/// A record, parsed or not.
pub type Record = (Location, Result<Auth0User, String>);

/// Why a whole file cannot be read (a single record's problem is never this).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "line {line}: the JSON array is not closed (a bracket or a quote is missing); no user \
         was read"
    )]
    Unterminated { line: usize },
    #[error(
        "the file is neither a JSON array of users (Auth0's bulk-import format) nor one JSON \
         object per line (Auth0's NDJSON export)"
    )]
    UnknownFormat,
}

/// Splits the file into records: a JSON array (starts with `[`) or NDJSON.
pub fn read(text: &str) -> Result<Vec<Record>, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.trim_start().chars().next() {
        None => Err(FileError::Empty),
        Some('[') => json_array(text),
        Some('{') => Ok(ndjson(text)),
        Some(_) => Err(FileError::UnknownFormat),
    }
}

fn parse_bulk(slice: &str) -> Result<Auth0User, String> {
    serde_json::from_str::<Auth0User>(slice).map_err(|e| describe(&e))
}

fn parse_support(slice: &str) -> Result<Auth0User, String> {
    // A line in the bulk-import shape (with `user_id`) is accepted too.
    match serde_json::from_str::<SupportExportUser>(slice) {
        Ok(user) => Ok(user.into()),
        Err(support) => serde_json::from_str::<Auth0User>(slice).map_err(|bulk| {
            if slice.contains("\"_id\"") {
                describe(&support)
            } else {
                describe(&bulk)
            }
        }),
    }
}

/// serde's message without its position (the position is the record's, given separately).
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn ndjson(text: &str) -> Vec<Record> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .enumerate()
        .map(|(index, (line_no, line))| {
            let location = Location {
                index,
                line: line_no + 1,
            };
            (location, parse_support(line.trim()))
        })
        .collect()
}

/// The elements of a top-level JSON array, found by a scanner that tracks strings and nesting,
/// so each element is parsed (and fails) on its own.
fn json_array(text: &str) -> Result<Vec<Record>, FileError> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut line = 1usize;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start: Option<(usize, usize)> = None;
    let mut closed = false;
    let push = |records: &mut Vec<Record>, from: usize, to: usize, at_line: usize| {
        let slice = text[from..to].trim();
        if !slice.is_empty() {
            let location = Location {
                index: records.len(),
                line: at_line,
            };
            records.push((location, parse_bulk(slice)));
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                if depth == 1 && start.is_none() {
                    start = Some((i, line));
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth == 2 && start.is_none() {
                    start = Some((i, line));
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some((from, at)) = start.take() {
                        push(&mut records, from, i, at);
                    }
                    closed = true;
                    break;
                }
            }
            b',' if depth == 1 => {
                if let Some((from, at)) = start.take() {
                    push(&mut records, from, i, at);
                }
            }
            _ if depth == 1 && !b.is_ascii_whitespace() && start.is_none() => {
                // A scalar element (`[1, "x"]`): reported as a bad record.
                start = Some((i, line));
            }
            _ => {}
        }
    }
    if !closed {
        return Err(FileError::Unterminated { line });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_records_are_located_and_parsed_one_by_one() {
        let text = "[\n  {\"email\": \"a@example.com\"},\n  {\"email\": \"b@example.com\", \"bogus\": 1},\n  {\"email\": \"c@example.com\",\n   \"name\": \"C, [x]\"}\n]";
        let records = read(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].0, Location { index: 0, line: 2 });
        assert!(records[0].1.is_ok());
        assert_eq!(records[1].0, Location { index: 1, line: 3 });
        let err = records[1].1.as_ref().unwrap_err();
        assert!(err.contains("bogus"), "{err}");
        assert_eq!(records[2].0, Location { index: 2, line: 4 });
        assert_eq!(
            records[2].1.as_ref().unwrap().name.as_deref(),
            Some("C, [x]")
        );
    }

    #[test]
    fn ndjson_from_support_maps_the_object_id() {
        let text = "{\"_id\":{\"$oid\":\"5f1a\"},\"email\":\"a@example.com\",\"passwordHash\":\"$2b$10$x\",\"tenant\":\"t\",\"connection\":\"c\"}\n\n{\"_id\":1}\n";
        let records = read(text).unwrap();
        assert_eq!(records.len(), 2);
        let user = records[0].1.as_ref().unwrap();
        assert_eq!(user.user_id.as_deref(), Some("5f1a"));
        assert_eq!(user.password_hash.as_deref(), Some("$2b$10$x"));
        assert_eq!(records[1].0, Location { index: 1, line: 3 });
        assert!(records[1].1.is_err());
    }

    #[test]
    fn broken_files_are_refused_whole() {
        assert_eq!(read("  ").unwrap_err(), FileError::Empty);
        assert!(matches!(
            read("[{\"email\": \"a@b.c\"}"),
            Err(FileError::Unterminated { .. })
        ));
        assert_eq!(read("email,name").unwrap_err(), FileError::UnknownFormat);
    }
}
