//! `amr` and `acr` (OIDC Core §2; values from RFC 8176 §2 and PAPE), derived from the factors a
//! session recorded, never from what was asked for.

use super::{MULTI_FACTOR_ACR, is_first_factor, is_second_factor, method};
use crate::Provider;
use crate::error::OAuthResult;
use portcullis_store::SessionFactor;
use serde_json::{Map, Value, json};

/// How the user of a session authenticated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authentication {
    /// RFC 8176 method names, each once, in a fixed order (`pwd`, `otp`, `hwk`, `swk`, `user`,
    /// then any other); `mfa` last when more than one kind of factor was used.
    pub amr: Vec<String>,
    /// [`MULTI_FACTOR_ACR`] when a second factor was used; otherwise none.
    pub acr: Option<&'static str>,
}

impl Authentication {
    /// From a session's recorded factors.
    pub fn from_factors(factors: &[SessionFactor]) -> Self {
        let mut amr: Vec<String> = Vec::new();
        for f in factors {
            if !amr.contains(&f.method) {
                amr.push(f.method.clone());
            }
        }
        // Steps of one sign-in can share a second: a fixed order, not the storage's.
        const ORDER: [&str; 7] = [
            method::PWD,
            method::EMAIL,
            method::FED,
            method::OTP,
            method::HWK,
            method::SWK,
            method::USER,
        ];
        amr.sort_by_key(|m| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
        let has_second = amr.iter().any(|m| is_second_factor(m));
        // A first factor (a password, a mailed code) and a second factor, or a passkey whose
        // authenticator verified the user (possession plus a PIN or biometric): RFC 8176 `mfa`.
        let multi = has_second && amr.iter().any(|m| is_first_factor(m));
        if multi {
            amr.push(method::MFA.to_owned());
        }
        Authentication {
            amr,
            acr: multi.then_some(MULTI_FACTOR_ACR),
        }
    }

    /// Whether this satisfies a request for multi-factor authentication.
    pub fn is_multi_factor(&self) -> bool {
        self.acr.is_some()
    }

    /// The `amr` and `acr` claims (none when nothing was recorded).
    pub fn claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        if !self.amr.is_empty() {
            claims.insert("amr".into(), json!(self.amr));
        }
        if let Some(acr) = self.acr {
            claims.insert("acr".into(), json!(acr));
        }
        claims
    }
}

/// How the user of session `session_id` authenticated (nothing for a session that ended).
pub async fn for_session(p: &Provider, session_id: Option<&str>) -> OAuthResult<Authentication> {
    let Some(session_id) = session_id else {
        return Ok(Authentication::default());
    };
    let factors = p.store.list_session_factors(session_id).await?;
    Ok(Authentication::from_factors(&factors))
}
