//! The MFA policy: `mfa = "off" | "optional" | "required"`, per application (tenant file
//! `[[applications]] mfa`), else for the tenant (tenant file `[tenant] mfa`), else from the
//! configuration (`mfa` / `PORTCULLIS_MFA`, default `optional`).

use crate::Provider;
use crate::error::OAuthResult;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// When a second factor is asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicy {
    /// Never; users cannot enrol.
    Off,
    /// Users may enrol from the account page; those who did are asked for a factor after the
    /// password, and so is everyone when the application asks for step-up (`acr_values`).
    #[default]
    Optional,
    /// Everyone: a user without a factor enrols one right after the password.
    Required,
}

impl MfaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::Off => "off",
            MfaPolicy::Optional => "optional",
            MfaPolicy::Required => "required",
        }
    }
}

impl fmt::Display for MfaPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MfaPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(MfaPolicy::Off),
            "optional" => Ok(MfaPolicy::Optional),
            "required" => Ok(MfaPolicy::Required),
            other => Err(format!(
                "{other:?} is not an MFA policy (off, optional or required)"
            )),
        }
    }
}

/// The name of the setting holding the tenant's policy (tenant file `[tenant] mfa`).
pub const TENANT_SETTING: &str = "mfa";

/// The name of the setting holding one application's policy (tenant file
/// `[[applications]] mfa`).
pub fn application_setting(client_id: &str) -> String {
    format!("mfa:{client_id}")
}

/// The tenant's policy: the tenant file's, else the configuration's.
pub async fn tenant(p: &Provider) -> OAuthResult<MfaPolicy> {
    Ok(
        match p.catalog.setting(p.store.as_ref(), TENANT_SETTING).await? {
            Some(value) => value.parse().unwrap_or(p.config.mfa),
            None => p.config.mfa,
        },
    )
}

/// The policy for sign-ins to `client_id` (a registered application's id, so the settings the
/// catalog keeps stay bounded): the application's own, else the tenant's.
pub async fn for_application(p: &Provider, client_id: &str) -> OAuthResult<MfaPolicy> {
    match p
        .catalog
        .setting(p.store.as_ref(), &application_setting(client_id))
        .await?
        .and_then(|v| v.parse().ok())
    {
        Some(policy) => Ok(policy),
        None => tenant(p).await,
    }
}
