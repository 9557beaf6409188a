//! Request bodies as protocol parameters: `application/x-www-form-urlencoded` (RFC 6749 §3.2)
//! or, as Auth0 accepts, a flat JSON object.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use portcullis_core::{OAuthError, Params};
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
            let value: Value = serde_json::from_slice(body)
                .map_err(|_| OAuthError::invalid_request("The body is not valid JSON."))?;
            let Value::Object(map) = value else {
                return Err(OAuthError::invalid_request(
                    "The JSON body must be an object.",
                ));
            };
            let mut pairs = Vec::with_capacity(map.len());
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => continue,
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

/// Parameters from a query string.
pub fn query(raw: Option<&str>) -> Result<Params, OAuthError> {
    Params::from_urlencoded(raw.unwrap_or(""))
}
