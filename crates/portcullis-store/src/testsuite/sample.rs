//! Sample records with every field filled, for the conformance suite and other crates' tests.

use crate::model::*;

/// The fixed "now" the suite counts from (2023-11-14T22:13:20Z).
pub const T0: UnixTime = 1_700_000_000;

/// A confidential regular web application.
pub fn client(client_id: &str, created_at: UnixTime) -> Client {
    Client {
        client_id: client_id.to_owned(),
        name: format!("App {client_id}"),
        app_type: ApplicationType::RegularWeb,
        secret_hash: Some(format!("secret-hash-{client_id}")),
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        redirect_uris: vec![
            format!("https://{client_id}.example/callback"),
            format!("https://{client_id}.example/other-callback"),
        ],
        post_logout_redirect_uris: vec![format!("https://{client_id}.example/")],
        web_origins: vec![format!("https://{client_id}.example")],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        backchannel_logout_uri: Some(format!("https://{client_id}.example/backchannel-logout")),
        first_party: true,
        created_at,
        updated_at: created_at,
    }
}

/// A user with a password and every profile field set.
pub fn user(user_id: &str, email: &str, created_at: UnixTime) -> User {
    User {
        user_id: user_id.to_owned(),
        email: email.to_owned(),
        email_verified: true,
        name: Some(format!("User {user_id}")),
        given_name: Some("Given".to_owned()),
        family_name: Some("Family".to_owned()),
        nickname: Some(user_id.to_owned()),
        picture: Some(format!("https://img.example/{user_id}.png")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        blocked: false,
        app_metadata: metadata(serde_json::json!({
            "plan": "pro",
            "roles": ["admin", "editor"],
            "limits": {"seats": 5, "ratio": 1.5, "trial": false, "note": null},
        })),
        user_metadata: metadata(serde_json::json!({"theme": "dark", "greeting": "Grüß dich 👋"})),
        created_at,
        updated_at: created_at,
        phone_number: Some("+14155550100".to_owned()),
        phone_number_verified: true,
        address: Some(Address {
            formatted: Some("1 Main St\nSpringfield".to_owned()),
            street_address: Some("1 Main St".to_owned()),
            locality: Some("Springfield".to_owned()),
            region: None,
            postal_code: Some("12345".to_owned()),
            country: Some("US".to_owned()),
        }),
    }
}

/// A JSON object literal as [`Metadata`].
pub fn metadata(value: serde_json::Value) -> Metadata {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("metadata must be an object, not {other}"),
    }
}

/// An API with two scopes.
pub fn api(api_id: &str, identifier: &str, created_at: UnixTime) -> Api {
    Api {
        api_id: api_id.to_owned(),
        identifier: identifier.to_owned(),
        name: format!("API {api_id}"),
        scopes: vec![
            ApiScope {
                value: "read:things".to_owned(),
                description: "Read things".to_owned(),
            },
            ApiScope {
                value: "write:things".to_owned(),
                description: String::new(),
            },
        ],
        token_lifetime: 3600,
        allow_offline_access: true,
        introspection_clients: vec!["resource-server".to_owned()],
        enforce_policies: true,
        token_dialect: TokenDialect::AccessTokenAuthz,
        created_at,
        updated_at: created_at,
    }
}

/// An M2M grant of `read:things` to `audience`.
pub fn client_grant(
    grant_id: &str,
    client_id: &str,
    audience: &str,
    created_at: UnixTime,
) -> ClientGrant {
    ClientGrant {
        grant_id: grant_id.to_owned(),
        client_id: client_id.to_owned(),
        audience: audience.to_owned(),
        scopes: vec!["read:things".to_owned()],
        created_at,
    }
}

/// An authorization code issued at `T0`, valid for 60 s, with PKCE.
pub fn code(
    code_hash: &str,
    grant_id: &str,
    client_id: &str,
    user_id: &str,
    session_id: &str,
) -> AuthorizationCode {
    AuthorizationCode {
        code_hash: code_hash.to_owned(),
        grant_id: grant_id.to_owned(),
        client_id: client_id.to_owned(),
        redirect_uri: format!("https://{client_id}.example/callback"),
        user_id: user_id.to_owned(),
        session_id: session_id.to_owned(),
        scope: "openid profile email offline_access".to_owned(),
        audience: Some("https://api.example/".to_owned()),
        nonce: Some("n-0S6_WzA2Mj".to_owned()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        code_challenge_method: Some("S256".to_owned()),
        auth_time: T0 - 5,
        max_age_requested: true,
        created_at: T0,
        expires_at: T0 + 60,
        used_at: None,
    }
}

/// A grant created at `T0`, expiring a day later.
pub fn grant(
    grant_id: &str,
    client_id: &str,
    user_id: &str,
    session_id: Option<&str>,
    offline: bool,
) -> Grant {
    Grant {
        grant_id: grant_id.to_owned(),
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        session_id: session_id.map(str::to_owned),
        scope: "openid profile".to_owned(),
        audience: Some("https://api.example/".to_owned()),
        nonce: Some("nonce".to_owned()),
        auth_time: T0 - 5,
        offline,
        revoked: false,
        created_at: T0,
        expires_at: T0 + 86_400,
    }
}

/// An unused refresh token created at `T0`, expiring a day later.
pub fn refresh(token_hash: &str, grant_id: &str, client_id: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: token_hash.to_owned(),
        grant_id: grant_id.to_owned(),
        client_id: client_id.to_owned(),
        created_at: T0,
        expires_at: T0 + 86_400,
        used_at: None,
        revoked: false,
    }
}

/// An access-token record expiring an hour after `T0`.
pub fn access(
    jti: &str,
    grant_id: Option<&str>,
    client_id: &str,
    subject: &str,
) -> AccessTokenRecord {
    AccessTokenRecord {
        jti: jti.to_owned(),
        grant_id: grant_id.map(str::to_owned),
        client_id: client_id.to_owned(),
        subject: subject.to_owned(),
        expires_at: T0 + 3600,
        revoked: false,
    }
}

/// A session started at `T0`: 3 days idle, 30 days absolute.
pub fn session(session_id: &str, secret_hash: &str, user_id: &str) -> Session {
    Session {
        session_id: session_id.to_owned(),
        secret_hash: secret_hash.to_owned(),
        user_id: user_id.to_owned(),
        auth_time: T0,
        created_at: T0,
        idle_expires_at: T0 + 3 * 86_400,
        expires_at: T0 + 30 * 86_400,
    }
}

/// A signing key in `state`, with stand-in key material.
pub fn key(kid: &str, state: KeyState, created_at: UnixTime) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        alg: "RS256".to_owned(),
        private_key_encrypted: [&[0u8, 1, 254, 255][..], kid.as_bytes()].concat(),
        public_jwk: format!(r#"{{"kty":"RSA","kid":"{kid}","n":"AQAB","e":"AQAB"}}"#),
        state,
        created_at,
        retire_at: None,
    }
}

/// A role.
pub fn role(role_id: &str, name: &str, created_at: UnixTime) -> Role {
    Role {
        role_id: role_id.to_owned(),
        name: name.to_owned(),
        description: format!("The {name} role"),
        created_at,
        updated_at: created_at,
    }
}
