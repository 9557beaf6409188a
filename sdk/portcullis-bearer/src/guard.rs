//! Authorization guards on scopes, permissions and claims.
//!
//! Every refusal is `403 insufficient_scope` (RFC 6750 §3.1: "The request requires higher
//! privileges than provided by the access token"): the token is valid, so answering 401 (as
//! express-oauth2-jwt-bearer does for claim checks) would tell the client to sign in again,
//! which cannot help.

use std::sync::Arc;

use serde_json::Value;

use crate::Error;
use crate::claims::{AccessToken, string_or_list};

/// The predicate of [`Guard::custom`].
pub type GuardFn = Arc<dyn Fn(&AccessToken) -> bool + Send + Sync>;

/// A requirement on a validated token.
#[derive(Clone)]
#[non_exhaustive]
pub enum Guard {
    /// Every listed scope must be granted (`requiredScopes`).
    AllScopes(Vec<String>),
    /// At least one listed scope must be granted (`scopeIncludesAny`).
    AnyScope(Vec<String>),
    /// The claim (string with spaces, or array) must include every value (`claimIncludes`).
    ClaimIncludesAll {
        /// Claim name, e.g. `permissions`.
        claim: String,
        /// Required values.
        values: Vec<String>,
    },
    /// The claim (string with spaces, or array) must include at least one value.
    ClaimIncludesAny {
        /// Claim name, e.g. `permissions`.
        claim: String,
        /// Accepted values.
        values: Vec<String>,
    },
    /// The claim must equal this JSON value exactly (`claimEquals`).
    ClaimEquals {
        /// Claim name.
        claim: String,
        /// Expected value.
        value: Value,
    },
    /// Every inner guard must pass.
    All(Vec<Guard>),
    /// At least one inner guard must pass.
    Any(Vec<Guard>),
    /// Your own predicate; refused with `description` when it returns `false`.
    Custom {
        /// Sent as `error_description` on refusal.
        description: String,
        /// The predicate.
        check: GuardFn,
    },
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AllScopes(s) => f.debug_tuple("AllScopes").field(s).finish(),
            Self::AnyScope(s) => f.debug_tuple("AnyScope").field(s).finish(),
            Self::ClaimIncludesAll { claim, values } => f
                .debug_struct("ClaimIncludesAll")
                .field("claim", claim)
                .field("values", values)
                .finish(),
            Self::ClaimIncludesAny { claim, values } => f
                .debug_struct("ClaimIncludesAny")
                .field("claim", claim)
                .field("values", values)
                .finish(),
            Self::ClaimEquals { claim, value } => f
                .debug_struct("ClaimEquals")
                .field("claim", claim)
                .field("value", value)
                .finish(),
            Self::All(g) => f.debug_tuple("All").field(g).finish(),
            Self::Any(g) => f.debug_tuple("Any").field(g).finish(),
            Self::Custom { description, .. } => f
                .debug_struct("Custom")
                .field("description", description)
                .finish_non_exhaustive(),
        }
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl Guard {
    /// All of these scopes.
    pub fn all_scopes<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> Self {
        Self::AllScopes(strings(scopes))
    }

    /// Any of these scopes.
    pub fn any_scope<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> Self {
        Self::AnyScope(strings(scopes))
    }

    /// `claim` includes all of `values` (e.g. `permissions`).
    pub fn claim_includes_all<I: IntoIterator<Item = S>, S: Into<String>>(
        claim: impl Into<String>,
        values: I,
    ) -> Self {
        Self::ClaimIncludesAll {
            claim: claim.into(),
            values: strings(values),
        }
    }

    /// `claim` includes any of `values`.
    pub fn claim_includes_any<I: IntoIterator<Item = S>, S: Into<String>>(
        claim: impl Into<String>,
        values: I,
    ) -> Self {
        Self::ClaimIncludesAny {
            claim: claim.into(),
            values: strings(values),
        }
    }

    /// The `permissions` claim (Auth0 RBAC: "Add Permissions in the Access Token") includes
    /// every one of `permissions`.
    pub fn permissions_all<I: IntoIterator<Item = S>, S: Into<String>>(permissions: I) -> Self {
        Self::claim_includes_all("permissions", permissions)
    }

    /// The `permissions` claim includes at least one of `permissions`.
    pub fn permissions_any<I: IntoIterator<Item = S>, S: Into<String>>(permissions: I) -> Self {
        Self::claim_includes_any("permissions", permissions)
    }

    /// Your own rule, e.g. `Guard::custom("tenant admins only", |t| t.claim("role") == Some(&"admin".into()))`.
    pub fn custom(
        description: impl Into<String>,
        check: impl Fn(&AccessToken) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self::Custom {
            description: description.into(),
            check: Arc::new(check),
        }
    }

    /// At least one of these guards.
    pub fn any_of(guards: impl IntoIterator<Item = Guard>) -> Self {
        Self::Any(guards.into_iter().collect())
    }

    /// `claim` equals `value`.
    pub fn claim_equals(claim: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::ClaimEquals {
            claim: claim.into(),
            value: value.into(),
        }
    }

    /// This guard and another.
    pub fn and(self, other: Guard) -> Self {
        match self {
            Self::All(mut guards) => {
                guards.push(other);
                Self::All(guards)
            }
            first => Self::All(vec![first, other]),
        }
    }

    /// Checks the guard against a validated token.
    pub fn check<C>(&self, token: &AccessToken<C>) -> Result<(), Error> {
        match self {
            Self::AllScopes(required) | Self::AnyScope(required) => {
                let all = matches!(self, Self::AllScopes(_));
                let insufficient = |description: &str| Error::InsufficientScope {
                    scope: Some(required.join(" ")),
                    description: description.to_owned(),
                };
                if token.claim("scope").is_none() && token.claim("scp").is_none() {
                    return Err(insufficient("Missing 'scope' claim"));
                }
                let ok = if all {
                    required.iter().all(|s| token.has_scope(s))
                } else {
                    required.iter().any(|s| token.has_scope(s))
                };
                if ok {
                    Ok(())
                } else {
                    Err(insufficient("Insufficient Scope"))
                }
            }
            Self::ClaimIncludesAll { claim, values } | Self::ClaimIncludesAny { claim, values } => {
                let all = matches!(self, Self::ClaimIncludesAll { .. });
                let Some(actual) = token.claim(claim) else {
                    return Err(refused(format!("Missing '{claim}' claim")));
                };
                let actual = string_or_list(Some(actual));
                let has = |v: &String| actual.contains(v);
                let ok = if all {
                    values.iter().all(has)
                } else {
                    values.iter().any(has)
                };
                if ok {
                    Ok(())
                } else {
                    let needed = if all { "all of" } else { "one of" };
                    Err(refused(format!(
                        "Insufficient '{claim}': requires {needed} {}",
                        values.join(" ")
                    )))
                }
            }
            Self::ClaimEquals { claim, value } => match token.claim(claim) {
                None => Err(refused(format!("Missing '{claim}' claim"))),
                Some(actual) if actual == value => Ok(()),
                Some(_) => Err(refused(format!("Unexpected '{claim}' value"))),
            },
            Self::Any(guards) => {
                let mut first = None;
                for guard in guards {
                    match guard.check(token) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            first.get_or_insert(e);
                        }
                    }
                }
                Err(first.unwrap_or_else(|| refused("no guard passed".to_owned())))
            }
            Self::Custom { description, check } => {
                if check(&token.without_custom()) {
                    Ok(())
                } else {
                    Err(refused(description.clone()))
                }
            }
            Self::All(guards) => guards.iter().try_for_each(|g| g.check(token)),
        }
    }
}

/// A refusal of a valid token by a non-scope guard: 403 `insufficient_scope` (RFC 6750 §3.1).
fn refused(description: String) -> Error {
    Error::InsufficientScope {
        scope: None,
        description,
    }
}

/// A named requirement for the `Authorized` extractors (axum and actix-web); declare one with
/// [`requirement!`](crate::requirement).
pub trait Requirement: Send + Sync + 'static {
    /// The guard to check.
    fn guard() -> &'static Guard;
}

/// Declares a [`Requirement`] type from a [`Guard`] expression.
///
/// ```
/// use portcullis_bearer::{Guard, requirement};
/// requirement!(pub ReadShows = Guard::all_scopes(["read:shows"]));
/// requirement!(CanBill = Guard::claim_includes_any("permissions", ["billing:read", "admin"]));
/// ```
#[macro_export]
macro_rules! requirement {
    ($vis:vis $name:ident = $guard:expr) => {
        #[doc = concat!("Requirement `", stringify!($name), "`: `", stringify!($guard), "`.")]
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::Requirement for $name {
            fn guard() -> &'static $crate::Guard {
                static GUARD: ::std::sync::OnceLock<$crate::Guard> = ::std::sync::OnceLock::new();
                GUARD.get_or_init(|| $guard)
            }
        }
    };
}
