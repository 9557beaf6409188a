use super::{Env, NOW};
use crate::admin::apis::*;
use crate::admin::apps::{NewApp, create_app};
use crate::admin::grants::*;
use portcullis_store::{ApiScope, ApplicationType};

fn scope(v: &str) -> ApiScope {
    ApiScope {
        value: v.into(),
        description: format!("{v} things"),
    }
}

fn new_api(identifier: &str, scopes: &[&str]) -> NewApi {
    NewApi {
        identifier: identifier.into(),
        scopes: scopes.iter().map(|s| scope(s)).collect(),
        ..NewApi::default()
    }
}

#[tokio::test]
async fn apis_have_defaults_and_checked_identifiers_scopes_and_lifetimes() {
    let env = Env::new().await;
    let api = create_api(
        env.s(),
        new_api("https://api.example.com", &["read:x"]),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(api.token_lifetime, 86_400);
    assert!(api.allow_offline_access);
    assert_eq!(api.name, "https://api.example.com");
    assert!(
        create_api(env.s(), new_api("urn:example:api", &[]), NOW)
            .await
            .is_ok()
    );
    let err = create_api(env.s(), new_api("https://api.example.com", &[]), NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    for bad in ["", "api", "https://a b", "my api"] {
        assert!(
            create_api(env.s(), new_api(bad, &[]), NOW).await.is_err(),
            "{bad}"
        );
    }
    for bad in ["read shows", "openid", "a\"b", ""] {
        assert!(
            create_api(env.s(), new_api("https://b.example", &[bad]), NOW)
                .await
                .is_err(),
            "{bad:?}"
        );
    }
    assert!(
        create_api(env.s(), new_api("https://b.example", &["x", "x"]), NOW)
            .await
            .is_err()
    );
    let mut long = new_api("https://b.example", &[]);
    long.token_lifetime = Some(30 * 86_400 + 1);
    let err = create_api(env.s(), long, NOW).await.unwrap_err();
    assert!(err.to_string().starts_with("token_lifetime:"), "{err}");

    let updated = update_api(
        env.s(),
        "https://api.example.com",
        ApiUpdate {
            name: Some("Example".into()),
            token_lifetime: Some(600),
            allow_offline_access: Some(false),
            ..ApiUpdate::default()
        },
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        (updated.api.name.as_str(), updated.api.token_lifetime),
        ("Example", 600)
    );
    assert_eq!(list_apis(env.s()).await.unwrap().len(), 2);
    delete_api(env.s(), "urn:example:api").await.unwrap();
    assert!(get_api(env.s(), "urn:example:api").await.is_err());
}

#[tokio::test]
async fn grants_need_an_m2m_client_an_api_and_defined_scopes() {
    let env = Env::new().await;
    let mut m2m = NewApp::new("M2M", ApplicationType::M2m);
    m2m.client_id = Some("m2m".into());
    create_app(env.s(), &env.hasher, m2m, NOW).await.unwrap();
    let mut spa = NewApp::new("SPA", ApplicationType::Spa);
    spa.client_id = Some("spa".into());
    create_app(env.s(), &env.hasher, spa, NOW).await.unwrap();
    create_api(
        env.s(),
        new_api("https://api.example.com", &["read", "write"]),
        NOW,
    )
    .await
    .unwrap();

    let aud = "https://api.example.com";
    let err = create_grant(env.s(), "spa", aud, vec!["read".into()], NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("client_credentials"), "{err}");
    let err = create_grant(env.s(), "nobody", aud, vec![], NOW)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "no application \"nobody\"");
    let err = create_grant(env.s(), "m2m", "https://nowhere.example", vec![], NOW)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "no API \"https://nowhere.example\"");
    let err = create_grant(env.s(), "m2m", aud, vec!["delete".into()], NOW)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not define scope \"delete\" (it defines: read, write)"),
        "{err}"
    );

    let grant = create_grant(env.s(), "m2m", aud, vec!["read".into()], NOW)
        .await
        .unwrap();
    assert_eq!(grant.scopes, ["read"]);
    assert!(
        create_grant(env.s(), "m2m", aud, vec![], NOW)
            .await
            .is_err(),
        "duplicate"
    );
    let grant = update_grant(env.s(), "m2m", aud, vec!["read".into(), "write".into()])
        .await
        .unwrap();
    assert_eq!(grant.scopes, ["read", "write"]);

    // Dropping a scope from the API removes it from the grants.
    let updated = update_api(
        env.s(),
        aud,
        ApiUpdate {
            scopes: Some(vec![scope("read")]),
            ..ApiUpdate::default()
        },
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        updated.pruned_grants,
        [("m2m".to_owned(), vec!["write".to_owned()])]
    );
    assert_eq!(
        get_grant(env.s(), "m2m", aud).await.unwrap().scopes,
        ["read"]
    );

    assert_eq!(list_grants(env.s()).await.unwrap().len(), 1);
    delete_grant(env.s(), "m2m", aud).await.unwrap();
    assert!(list_grants(env.s()).await.unwrap().is_empty());
}
