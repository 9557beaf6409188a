//! Request bodies as protocol parameters: `application/x-www-form-urlencoded` (RFC 6749 §3.2)
//! or, as Auth0 accepts, a flat JSON object.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use portcullis_core::{OAuthError, Params};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// Parses a form or JSON body. A body that is neither is `invalid_request`.
pub fn params(headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" | "" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| OAuthError::invalid_request("The body is not valid UTF-8."))?;
            Params::from_urlencoded(text)
        }
        "application/json" => {
            // Parsed as a list of pairs, not a map: a map would keep the last of two equal keys,
            // and a repeated parameter must be refused here as in a form (RFC 6749 §3.1).
            let JsonPairs(members) = serde_json::from_slice(body)
                .map_err(|_| OAuthError::invalid_request("The body is not a valid JSON object."))?;
            let mut pairs = Vec::with_capacity(members.len());
            for (k, v) in members {
                let text = match v {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => {
                        // Still a parameter: `{"a": null, "a": "x"}` is a repeat.
                        pairs.push((k, String::new()));
                        continue;
                    }
                    _ => {
                        return Err(OAuthError::invalid_request(format!(
                            "Parameter {} must be a string.",
                            portcullis_core::params::printable(&k)
                        )));
                    }
                };
                pairs.push((k, text));
            }
            Params::from_pairs(pairs)
        }
        _ => Err(OAuthError::invalid_request(
            "Send the parameters as application/x-www-form-urlencoded or application/json.",
        )),
    }
}

/// The members of a JSON object in document order, repeats included.
struct JsonPairs(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for JsonPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = JsonPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    if pairs.len() > portcullis_core::params::MAX_PARAMS {
                        return Err(serde::de::Error::custom("too many members"));
                    }
                    pairs.push(pair);
                }
                Ok(JsonPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// Parameters from a query string.
pub fn query(raw: Option<&str>) -> Result<Params, OAuthError> {
    Params::from_urlencoded(raw.unwrap_or(""))
}
