//! A provider for the engine's own tests: in-memory store, fixed clock, a small tenant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::Provider;
use crate::clock::FixedClock;
use crate::config::{Issuer, ProviderConfig};
use crate::crypto::MasterKey;
use crate::params::Params;
use portcullis_store::{
    Api, ApiScope, ApplicationType, Client, GrantType, Session, TokenEndpointAuthMethod, User,
};
use std::sync::Arc;

pub const T0: i64 = 1_800_000_000;
pub const CALLBACK: &str = "https://app.example.com/callback";
pub const SECRET: &str = "s3cret-s3cret-s3cret-s3cret-s3cret-s3cret";
pub const API: &str = "https://api.example.com";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct Fixture {
    pub p: Provider,
    pub clock: FixedClock,
    pub user: User,
    pub session: Session,
}

pub async fn fixture() -> Fixture {
    let store = Arc::new(
        portcullis_store_sqlite::SqliteStore::in_memory()
            .await
            .unwrap(),
    );
    let clock = FixedClock::new(T0);
    let config = ProviderConfig::new(Issuer::parse("https://id.example.com").unwrap());
    let p = Provider::new(
        store,
        config,
        Arc::new(clock.clone()),
        &MasterKey::generate(),
    )
    .await
    .unwrap();
    for (id, public) in [("web", false), ("other", false), ("spa", true)] {
        p.store
            .create_client(&Client {
                client_id: id.into(),
                name: id.into(),
                app_type: if public {
                    ApplicationType::Spa
                } else {
                    ApplicationType::RegularWeb
                },
                secret_hash: (!public).then(|| p.hasher.hash(SECRET)),
                token_endpoint_auth_method: if public {
                    TokenEndpointAuthMethod::None
                } else {
                    TokenEndpointAuthMethod::ClientSecretPost
                },
                redirect_uris: vec![CALLBACK.into()],
                post_logout_redirect_uris: vec![],
                web_origins: vec![],
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                backchannel_logout_uri: None,
                first_party: true,
                created_at: T0,
                updated_at: T0,
            })
            .await
            .unwrap();
    }
    p.store
        .create_api(&Api {
            api_id: "api_1".into(),
            identifier: API.into(),
            name: "API".into(),
            scopes: vec![ApiScope {
                value: "read:things".into(),
                description: String::new(),
            }],
            token_lifetime: 600,
            allow_offline_access: true,
            introspection_clients: vec![],
            enforce_policies: false,
            token_dialect: Default::default(),
            created_at: T0,
            updated_at: T0,
        })
        .await
        .unwrap();
    let user = User {
        user_id: "usr_1".into(),
        email: "jane@example.com".into(),
        email_verified: true,
        name: Some("Jane".into()),
        given_name: None,
        family_name: None,
        nickname: None,
        picture: None,
        password_hash: None,
        blocked: false,
        app_metadata: Default::default(),
        user_metadata: Default::default(),
        created_at: T0,
        updated_at: T0,
        phone_number: None,
        phone_number_verified: false,
        address: None,
    };
    p.store.create_user(&user).await.unwrap();
    let (_, session) = crate::sessions::create(&p, &user).await.unwrap();
    Fixture {
        p,
        clock,
        user,
        session,
    }
}

/// A valid authorization request for the confidential `web` client.
pub fn authorize_params(extra: &[(&str, &str)]) -> Params {
    let mut pairs: Vec<(String, String)> = [
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile email offline_access"),
        ("state", "xyz"),
        ("nonce", "n-0S6"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        if !v.is_empty() {
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    Params::from_pairs(pairs).unwrap()
}
