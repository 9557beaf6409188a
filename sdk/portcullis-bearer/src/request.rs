//! Validating a whole HTTP request: the `Authorization` header (RFC 6750 §2.1 `Bearer`, RFC 9449
//! §7.1 `DPoP`) and, for DPoP, the proof.

#[cfg(feature = "axum")]
use axum::response::Response;
#[cfg(feature = "axum")]
use http::HeaderValue;
use http::header;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::claims::AccessToken;
use crate::dpop::{DpopMode, DpopRequest, ReplayCache, check_proof};
use crate::jws::Algorithm;
use crate::validator::{Validator, ValidatorBuilder};

/// The authentication scheme of a request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

/// Reads `Authorization: Bearer|DPoP <token>`. No header, or another scheme, is "no
/// credentials" (401 without an error code, RFC 6750 §3.1); a scheme with no token or a
/// malformed one, or several `Authorization` headers, is `invalid_request`.
fn credentials(headers: &http::HeaderMap) -> Result<(Scheme, &str), Error> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Error::MissingToken);
    };
    if values.next().is_some() {
        return Err(Error::InvalidRequest(
            "more than one Authorization header".into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| Error::InvalidRequest("Authorization header is not ASCII".into()))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Err(Error::MissingToken);
    };
    let token = rest.trim();
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || !token.chars().all(token68) {
        return Err(Error::InvalidRequest("malformed access token".into()));
    }
    Ok((scheme, token))
}

/// Reads the token from `Authorization: Bearer …` (RFC 6750 §2.1).
///
/// No header, or another scheme, is "no credentials" (401 without an error code); a `Bearer`
/// header with no token, or several `Authorization` headers, is `invalid_request`.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<&str, Error> {
    match credentials(headers)? {
        (Scheme::Bearer, token) => Ok(token),
        (Scheme::Dpop, _) => Err(Error::MissingToken),
    }
}

impl Validator {
    /// Validates a request's credentials: `Authorization: Bearer` (refused for a DPoP-bound
    /// token, RFC 9449 §7.2, or when DPoP is required), or `Authorization: DPoP` with a `DPoP`
    /// proof (RFC 9449 §7.1) when DPoP is allowed.
    pub async fn validate_request<C: DeserializeOwned>(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
    ) -> Result<AccessToken<C>, Error> {
        let settings = &self.inner.dpop;
        let (scheme, raw) = match credentials(headers)? {
            (Scheme::Dpop, _) if settings.mode == DpopMode::Disabled => {
                return Err(Error::MissingToken);
            }
            (Scheme::Bearer, _) if settings.mode == DpopMode::Required => {
                return Err(Error::InvalidToken(
                    "this API requires DPoP-bound tokens".into(),
                ));
            }
            found => found,
        };
        let token = self.validate_as::<C>(raw).await?;
        let bound = token.claim("cnf").and_then(|c| c.get("jkt")).is_some();
        match scheme {
            Scheme::Bearer if bound => Err(Error::invalid(
                "a DPoP-bound token must be sent with the DPoP scheme",
            )),
            Scheme::Bearer => Ok(token),
            Scheme::Dpop => {
                let request = DpopRequest {
                    method: method.as_str(),
                    uri,
                    headers,
                };
                let now = (self.inner.clock)();
                check_proof(settings, &request, raw, &token, now, self.inner.leeway)?;
                Ok(token)
            }
        }
    }

    /// The `WWW-Authenticate` challenge for `error`, with this validator's realm: `Bearer`, or
    /// `DPoP` with `algs` (RFC 9449 §7.1) for proof errors and when DPoP is required.
    pub fn challenge(&self, error: &Error) -> Option<String> {
        let dpop_challenge = matches!(
            (self.inner.dpop.mode, error),
            (_, Error::InvalidDpopProof(_))
                | (
                    DpopMode::Required,
                    Error::MissingToken | Error::InvalidToken(_)
                )
        );
        let bearer = error.www_authenticate(self.realm());
        if !dpop_challenge {
            return bearer;
        }
        let algs: Vec<&str> = Algorithm::ASYMMETRIC.iter().map(|a| a.as_str()).collect();
        let mut challenge = bearer
            .map(|c| c.replacen("Bearer", "DPoP", 1))
            .unwrap_or_else(|| "DPoP".into());
        challenge.push_str(if challenge == "DPoP" { " " } else { ", " });
        challenge.push_str(&format!("algs=\"{}\"", algs.join(" ")));
        Some(challenge)
    }

    /// The HTTP answer for `error`, with [`challenge`](Self::challenge).
    #[cfg(feature = "axum")]
    pub fn error_response(&self, error: &Error) -> Response {
        let mut response = error.to_response(self.realm());
        if let Some(challenge) = self.challenge(error)
            && let Ok(v) = HeaderValue::from_str(&challenge)
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

impl ValidatorBuilder {
    /// Whether DPoP-bound tokens (RFC 9449) are accepted: [`DpopMode::Allowed`] by default.
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop_settings().mode = mode;
        self
    }

    /// How old a DPoP proof may be (default 300 s, RFC 9449 §11.1).
    pub fn dpop_max_age(mut self, max_age: std::time::Duration) -> Self {
        self.dpop_settings().max_age = max_age.as_secs();
        self
    }

    /// Where proofs' `jti` are remembered (default: in this process).
    pub fn dpop_replay_cache(mut self, cache: impl ReplayCache + 'static) -> Self {
        self.dpop_settings().replay = std::sync::Arc::new(cache);
        self
    }

    /// The API's external base URL (`https://api.example.com`), which proofs' `htu` must name.
    /// Without it, `htu` must match the `Host` header and path, with either scheme.
    pub fn dpop_base_url(mut self, base: &str) -> Result<Self, Error> {
        let url =
            url::Url::parse(base).map_err(|e| Error::Config(format!("DPoP base URL: {e}")))?;
        self.dpop_settings().base_url = Some(url);
        Ok(self)
    }
}
