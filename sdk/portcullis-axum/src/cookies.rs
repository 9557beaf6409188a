//! Request cookie parsing, `Set-Cookie` building, and nextjs-auth0's chunking
//! (`name__0`, `name__1`, … of at most 3,500 characters).

use std::collections::BTreeMap;

use http::HeaderMap;

use crate::options::SameSite;

/// Values above this size are split into chunks.
pub(crate) const MAX_CHUNK_SIZE: usize = 3500;
/// Chunk indices always cleared when rewriting, as nextjs-auth0 does.
const MIN_CLEAR_CHUNKS: usize = 5;

/// All cookies of a request (first value wins for duplicate names).
#[derive(Debug, Default, Clone)]
pub(crate) struct RequestCookies(BTreeMap<String, String>);

impl RequestCookies {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut map = BTreeMap::new();
        for value in headers.get_all(http::header::COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for pair in value.split(';') {
                if let Some((name, v)) = pair.trim().split_once('=') {
                    let v = v.trim().trim_matches('"');
                    map.entry(name.trim().to_owned())
                        .or_insert_with(|| v.to_owned());
                }
            }
        }
        Self(map)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn chunk_indices(&self, name: &str) -> Vec<(usize, &str)> {
        let prefix = format!("{name}__");
        let mut chunks: Vec<(usize, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let idx = k.strip_prefix(&prefix)?;
                if idx.is_empty() || !idx.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some((idx.parse().ok()?, v.as_str()))
            })
            .collect();
        chunks.sort_by_key(|(i, _)| *i);
        chunks
    }

    /// The value of a possibly chunked cookie: the plain cookie, else the chunks in order.
    pub(crate) fn get_chunked(&self, name: &str) -> Option<String> {
        if let Some(v) = self.get(name) {
            return Some(v.to_owned());
        }
        let chunks = self.chunk_indices(name);
        if chunks.is_empty() || chunks.iter().enumerate().any(|(i, (idx, _))| i != *idx) {
            return None;
        }
        Some(chunks.iter().map(|(_, v)| *v).collect())
    }

    fn highest_chunk(&self, name: &str) -> Option<usize> {
        self.chunk_indices(name).last().map(|(i, _)| *i)
    }
}

/// Cookie attributes.
#[derive(Debug, Clone)]
pub(crate) struct CookieOptions {
    pub(crate) secure: bool,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) same_site: SameSite,
}

impl CookieOptions {
    pub(crate) fn set(&self, name: &str, value: &str, max_age: u64) -> String {
        let mut s = format!(
            "{name}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite={}",
            self.path,
            self.same_site.as_str()
        );
        if let Some(domain) = &self.domain {
            s.push_str("; Domain=");
            s.push_str(domain);
        }
        if self.secure {
            s.push_str("; Secure");
        }
        s
    }

    pub(crate) fn delete(&self, name: &str) -> String {
        let mut s = format!(
            "{name}=; Path={}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite={}",
            self.path,
            self.same_site.as_str()
        );
        if let Some(domain) = &self.domain {
            s.push_str("; Domain=");
            s.push_str(domain);
        }
        if self.secure {
            s.push_str("; Secure");
        }
        s
    }

    /// `Set-Cookie` values writing `value` under `name`, chunked above 3,500 characters, and
    /// deleting the now-unused plain cookie or chunks.
    pub(crate) fn set_chunked(
        &self,
        name: &str,
        value: &str,
        max_age: u64,
        request: &RequestCookies,
    ) -> Vec<String> {
        let clear_up_to = request
            .highest_chunk(name)
            .map_or(MIN_CLEAR_CHUNKS, |h| (h + 1).max(MIN_CLEAR_CHUNKS));
        let mut out = Vec::new();
        if value.len() <= MAX_CHUNK_SIZE {
            out.push(self.set(name, value, max_age));
            for i in 0..clear_up_to {
                let chunk = format!("{name}__{i}");
                if request.get(&chunk).is_some() {
                    out.push(self.delete(&chunk));
                }
            }
            return out;
        }
        // Cookie values are ASCII (base64url and dots), so byte slicing is safe.
        let chunks: Vec<&str> = value
            .as_bytes()
            .chunks(MAX_CHUNK_SIZE)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        for (i, chunk) in chunks.iter().enumerate() {
            out.push(self.set(&format!("{name}__{i}"), chunk, max_age));
        }
        for i in chunks.len()..clear_up_to {
            let chunk = format!("{name}__{i}");
            if request.get(&chunk).is_some() {
                out.push(self.delete(&chunk));
            }
        }
        if request.get(name).is_some() {
            out.push(self.delete(name));
        }
        out
    }

    /// `Set-Cookie` values deleting a possibly chunked cookie.
    pub(crate) fn delete_chunked(&self, name: &str, request: &RequestCookies) -> Vec<String> {
        let mut out = Vec::new();
        if request.get(name).is_some() {
            out.push(self.delete(name));
        }
        for (i, _) in request.chunk_indices(name) {
            out.push(self.delete(&format!("{name}__{i}")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(cookie: &str) -> RequestCookies {
        let mut h = HeaderMap::new();
        h.insert(http::header::COOKIE, cookie.parse().unwrap());
        RequestCookies::from_headers(&h)
    }

    #[test]
    fn chunks_above_3500_and_reassembles() {
        let opts = CookieOptions {
            secure: true,
            path: "/".into(),
            domain: None,
            same_site: SameSite::Lax,
        };
        let value = "a".repeat(3500) + &"b".repeat(3500) + "c";
        let set = opts.set_chunked("__session", &value, 60, &req("__session=old"));
        assert_eq!(set.len(), 4, "{set:?}");
        assert!(set[0].starts_with("__session__0=aaa"));
        assert!(set[2].starts_with("__session__2=c;"));
        assert!(set[0].contains("HttpOnly; SameSite=Lax; Secure"));
        assert!(set[3].starts_with("__session=; ") && set[3].contains("Max-Age=0"));

        let header: Vec<String> = set[..3]
            .iter()
            .map(|s| s.split(';').next().unwrap().to_owned())
            .collect();
        assert_eq!(
            req(&header.join("; ")).get_chunked("__session").unwrap(),
            value
        );
        // A missing middle chunk is no cookie.
        assert!(
            req(&format!("{}; {}", header[0], header[2]))
                .get_chunked("__session")
                .is_none()
        );

        // Shrinking back deletes the chunks that exist.
        let set = opts.set_chunked("__session", "small", 60, &req(&header.join("; ")));
        assert_eq!(set.len(), 4);
        assert!(set[0].starts_with("__session=small;"));
    }
}
