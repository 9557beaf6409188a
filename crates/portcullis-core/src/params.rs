//! Request parameters as the protocol sees them (RFC 6749 §3.1, §3.2): names are unique, and a
//! parameter sent without a value counts as omitted.

use crate::error::{OAuthError, OAuthResult};
use std::collections::BTreeMap;

/// Parameters of one request, after the duplicate check.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params(BTreeMap<String, String>);

/// At most this many parameters are accepted in one request (a cheap defence against floods).
pub const MAX_PARAMS: usize = 100;

impl Params {
    /// Builds from decoded pairs. A repeated name is `invalid_request` (RFC 6749 §3.1: "Request
    /// and response parameters MUST NOT be included more than once"); empty values are dropped.
    pub fn from_pairs<I, K, V>(pairs: I) -> OAuthResult<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut map = BTreeMap::new();
        for (count, (k, v)) in pairs.into_iter().enumerate() {
            if count >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("Too many parameters."));
            }
            let (k, v) = (k.into(), v.into());
            if map.contains_key(&k) {
                return Err(OAuthError::invalid_request(format!(
                    "Parameter `{}` was sent more than once.",
                    printable(&k)
                )));
            }
            map.insert(k, v);
        }
        map.retain(|_, v| !v.is_empty());
        Ok(Params(map))
    }

    /// Parses an `application/x-www-form-urlencoded` string.
    pub fn from_urlencoded(body: &str) -> OAuthResult<Self> {
        Self::from_pairs(url::form_urlencoded::parse(body.as_bytes()).into_owned())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_owned(), value.into());
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A required parameter.
    pub fn require(&self, name: &'static str) -> OAuthResult<&str> {
        self.get(name).ok_or_else(|| {
            OAuthError::invalid_request(format!("Missing required parameter: {name}."))
        })
    }
}

/// A parameter name or value cut to something safe to echo in a description: printable ASCII
/// and spaces, without `"` and `\\` (RFC 6749 Appendix A.7), at most 64 characters.
pub fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| (c.is_ascii_graphic() || *c == ' ') && *c != '"' && *c != '\\')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_rfc6749_3_1() {
        let err = Params::from_urlencoded("a=1&b=2&a=3").unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidRequest);
        assert!(err.description.contains("`a`"));
    }

    #[test]
    fn empty_values_count_as_omitted_rfc6749_3_1() {
        let p = Params::from_urlencoded("a=&b=2").unwrap();
        assert_eq!(p.get("a"), None);
        assert_eq!(p.get("b"), Some("2"));
    }

    #[test]
    fn too_many_parameters_are_refused() {
        let body: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert!(Params::from_urlencoded(&body.join("&")).is_err());
    }
}
