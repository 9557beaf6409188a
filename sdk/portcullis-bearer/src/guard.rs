//! Authorization guards on scopes and claims, with express-oauth2-jwt-bearer's semantics:
//! scope guards answer 403 `insufficient_scope`; claim guards answer 401 `invalid_token`
//! ("Unexpected 'permissions' value").

use serde_json::Value;

use crate::Error;
use crate::claims::{AccessToken, string_or_list};

/// A requirement on a validated token.
#[derive(Debug, Clone, PartialEq)]
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
                    return Err(Error::invalid(format!("Missing '{claim}' claim")));
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
                    Err(Error::invalid(format!("Unexpected '{claim}' value")))
                }
            }
            Self::ClaimEquals { claim, value } => match token.claim(claim) {
                None => Err(Error::invalid(format!("Missing '{claim}' claim"))),
                Some(actual) if actual == value => Ok(()),
                Some(_) => Err(Error::invalid(format!("Unexpected '{claim}' value"))),
            },
            Self::All(guards) => guards.iter().try_for_each(|g| g.check(token)),
        }
    }
}
