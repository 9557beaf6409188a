//! OpenID Provider Metadata (OIDC Discovery §3, RFC 8414 §2), derived from the code's own lists:
//! the token endpoint's grants, the response types and modes, the scopes, the claims structs, the
//! client authentication methods and the endpoint paths. Supporting something new there is
//! advertised here without a second edit.

use crate::authorize::{PROMPT_VALUES, ResponseMode, ResponseType};
use crate::claims;
use crate::client_auth::AuthMethod;
use crate::config::Issuer;
use crate::keys::RS256;
use crate::paths;
use crate::pkce::S256;
use crate::scope::OIDC_SCOPES;
use crate::token::GRANTS;
use serde_json::{Value, json};

/// The discovery document. Every endpoint hangs off the one issuer string.
pub fn metadata(issuer: &Issuer) -> Value {
    let e = |path: &str| issuer.endpoint(path);
    // The token endpoint's grants, plus those of the authorization endpoint alone (`implicit`
    // for `response_type=id_token`).
    let grant_types: Vec<&str> = GRANTS
        .iter()
        .map(|g| g.grant_type)
        .chain(
            ResponseType::ALL
                .iter()
                .map(|t| t.grant().as_str())
                .filter(|g| !GRANTS.iter().any(|h| h.grant_type == *g)),
        )
        .collect();
    let response_types: Vec<&str> = ResponseType::ALL.iter().map(|t| t.as_str()).collect();
    let response_modes: Vec<&str> = ResponseMode::ALL.iter().map(|m| m.as_str()).collect();
    let auth_methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    let secret_methods: Vec<&str> = AuthMethod::with_secret().map(|m| m.as_str()).collect();
    json!({
        "issuer": issuer.as_str(),
        "authorization_endpoint": e(paths::AUTHORIZE),
        "token_endpoint": e(paths::TOKEN),
        "userinfo_endpoint": e(paths::USERINFO),
        "jwks_uri": e(paths::JWKS),
        "revocation_endpoint": e(paths::REVOKE),
        "introspection_endpoint": e(paths::INTROSPECT),
        "end_session_endpoint": e(paths::END_SESSION),
        "scopes_supported": OIDC_SCOPES,
        "response_types_supported": response_types,
        "response_modes_supported": response_modes,
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [RS256],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": secret_methods,
        "code_challenge_methods_supported": [S256],
        "claims_supported": claims::supported(),
        "acr_values_supported": [crate::mfa::MULTI_FACTOR_ACR],
        "prompt_values_supported": PROMPT_VALUES,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_come_from_the_code() {
        let doc = metadata(&Issuer::parse("https://id.example.com").unwrap());
        assert_eq!(doc["token_endpoint"], "https://id.example.com/oauth/token");
        assert_eq!(
            doc["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "password",
                "http://auth0.com/oauth/grant-type/password-realm",
                "http://auth0.com/oauth/grant-type/passwordless/otp",
                "implicit"
            ])
        );
        assert_eq!(
            doc["response_modes_supported"],
            json!(["query", "fragment", "form_post", "web_message"])
        );
        assert_eq!(
            doc["introspection_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post"])
        );
        assert!(
            doc["claims_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("email_verified"))
        );
    }
}
