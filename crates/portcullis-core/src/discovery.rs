//! OpenID Provider Metadata (OIDC Discovery §3, RFC 8414 §2).

use crate::config::Issuer;
use crate::token::GRANTS;
use serde_json::{Value, json};

/// The discovery document. Every endpoint hangs off the one issuer string.
pub fn metadata(issuer: &Issuer) -> Value {
    let e = |path: &str| issuer.endpoint(path);
    // The token endpoint's grants, plus `implicit` (`response_type=id_token` at /authorize).
    let grant_types: Vec<&str> = GRANTS
        .iter()
        .map(|g| g.grant_type)
        .chain(["implicit"])
        .collect();
    json!({
        "issuer": issuer.as_str(),
        "authorization_endpoint": e("authorize"),
        "token_endpoint": e("oauth/token"),
        "userinfo_endpoint": e("userinfo"),
        "jwks_uri": e(".well-known/jwks.json"),
        "revocation_endpoint": e("oauth/revoke"),
        "introspection_endpoint": e("oauth/introspect"),
        "end_session_endpoint": e("oidc/logout"),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": ["code", "id_token"],
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "sid",
            "name", "nickname", "given_name", "family_name", "picture", "updated_at",
            "email", "email_verified", "amr", "acr"
        ],
        "acr_values_supported": [crate::mfa::MULTI_FACTOR_ACR],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}
