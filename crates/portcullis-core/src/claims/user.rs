//! Standard claims about the user (OIDC Core §5.1), released by scope (§5.4).

use crate::scope::{ADDRESS, EMAIL, PHONE, PROFILE, Scopes};
use portcullis_store::{Address, User};
use serde::Serialize;

/// `sub` plus the standard claims the granted scopes release: `profile` gives the names,
/// picture and `updated_at`, `email` the address and whether it is verified (OIDC Core §5.4).
/// Shared by ID tokens and the UserInfo response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserClaims {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// The structured postal address (OIDC Core §5.1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl UserClaims {
    /// Every claim name of this struct, for discovery's `claims_supported`.
    pub const NAMES: &'static [&'static str] = &[
        "sub",
        "name",
        "nickname",
        "given_name",
        "family_name",
        "picture",
        "updated_at",
        "email",
        "email_verified",
        "phone_number",
        "phone_number_verified",
        "address",
    ];

    /// The claims `scopes` release about `user`. Auth0 always gives `name` (the email when no
    /// name is known) and `nickname` (the email's local part) with `profile`.
    pub fn new(user: &User, scopes: &Scopes) -> Self {
        let mut claims = UserClaims {
            sub: user.user_id.clone(),
            ..UserClaims::default()
        };
        if scopes.contains(PROFILE) {
            claims.name = Some(user.name.clone().unwrap_or_else(|| user.email.clone()));
            claims.nickname =
                Some(user.nickname.clone().unwrap_or_else(|| {
                    user.email.split('@').next().unwrap_or_default().to_owned()
                }));
            claims.given_name = user.given_name.clone();
            claims.family_name = user.family_name.clone();
            claims.picture = user.picture.clone();
            claims.updated_at = Some(user.updated_at);
        }
        // Users of an upstream connection may have no email (GitHub without a verified one).
        if scopes.contains(EMAIL) && !user.email.is_empty() {
            claims.email = Some(user.email.clone());
            claims.email_verified = Some(user.email_verified);
        }
        // §5.4: `phone` releases the number and whether it is verified, `address` the
        // structured address; claims without a value are left out.
        if scopes.contains(PHONE)
            && let Some(phone) = &user.phone_number
        {
            claims.phone_number = Some(phone.clone());
            claims.phone_number_verified = Some(user.phone_number_verified);
        }
        if scopes.contains(ADDRESS) {
            claims.address = user.address.clone();
        }
        claims
    }
}
