use super::{Env, NOW};
use crate::admin::apps::*;
use portcullis_store::{ApplicationType, GrantType, TokenEndpointAuthMethod};

#[tokio::test]
async fn defaults_per_type_follow_auth0() {
    let env = Env::new().await;
    let cases = [
        (
            ApplicationType::RegularWeb,
            TokenEndpointAuthMethod::ClientSecretPost,
            vec![
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::Implicit,
            ],
            true,
        ),
        (
            ApplicationType::Spa,
            TokenEndpointAuthMethod::None,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            false,
        ),
        (
            ApplicationType::Native,
            TokenEndpointAuthMethod::None,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            false,
        ),
        (
            ApplicationType::M2m,
            TokenEndpointAuthMethod::ClientSecretPost,
            vec![GrantType::ClientCredentials],
            true,
        ),
    ];
    for (t, method, grants, confidential) in cases {
        let created = create_app(env.s(), &env.hasher, NewApp::new("App", t), NOW)
            .await
            .unwrap();
        assert_eq!(created.client.token_endpoint_auth_method, method, "{t}");
        assert_eq!(created.client.grant_types, grants, "{t}");
        assert_eq!(created.secret.is_some(), confidential, "{t}");
        assert_eq!(created.client.secret_hash.is_some(), confidential, "{t}");
        if let Some(secret) = created.secret {
            assert!(secret.expose().len() >= 43, "256 bits");
            let stored = created.client.secret_hash.unwrap();
            assert_ne!(stored, secret.expose(), "stored only as a hash");
            assert!(env.hasher.verify(secret.expose(), &stored));
            assert!(!format!("{secret:?}").contains(secret.expose()));
        }
    }
    assert_eq!(list_apps(env.s()).await.unwrap().len(), 4);
}

#[tokio::test]
async fn urls_are_checked_with_readable_messages() {
    let env = Env::new().await;
    let mut web = NewApp::new("Web", ApplicationType::RegularWeb);
    web.callbacks = vec!["http://evil.example/cb".into()];
    let err = create_app(env.s(), &env.hasher, web.clone(), NOW)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("callback \"http://evil.example/cb\" uses http"),
        "{err}"
    );
    web.callbacks = vec!["https://app.example/cb#x".into()];
    assert!(
        create_app(env.s(), &env.hasher, web.clone(), NOW)
            .await
            .is_err()
    );
    web.callbacks = vec![];
    web.web_origins = vec!["http://localhost:3000/".into()];
    let err = create_app(env.s(), &env.hasher, web.clone(), NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("web origin"), "{err}");
    web.web_origins = vec![];
    web.logout_urls = vec!["javascript:alert(1)".into()];
    assert!(create_app(env.s(), &env.hasher, web, NOW).await.is_err());

    let mut m2m = NewApp::new("M2M", ApplicationType::M2m);
    m2m.callbacks = vec!["https://app.example/cb".into()];
    let err = create_app(env.s(), &env.hasher, m2m, NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("machine-to-machine"), "{err}");

    let mut spa = NewApp::new("SPA", ApplicationType::Spa);
    spa.auth_method = Some(TokenEndpointAuthMethod::ClientSecretBasic);
    assert!(
        create_app(env.s(), &env.hasher, spa.clone(), NOW)
            .await
            .is_err()
    );
    spa.auth_method = None;
    spa.grant_types = Some(vec![GrantType::ClientCredentials]);
    assert!(create_app(env.s(), &env.hasher, spa, NOW).await.is_err());
    assert!(list_apps(env.s()).await.unwrap().is_empty());
}

/// Issue #15, RFC 9700 §2.4: the legacy password grant is an opt-in for server-side and native
/// applications, never for single-page or machine-to-machine ones.
#[tokio::test]
async fn the_password_grant_is_refused_for_browser_and_m2m_applications() {
    let env = Env::new().await;
    for (t, allowed) in [
        (ApplicationType::RegularWeb, true),
        (ApplicationType::Native, true),
        (ApplicationType::Spa, false),
        (ApplicationType::M2m, false),
    ] {
        let mut app = NewApp::new("App", t);
        app.grant_types = Some(vec![GrantType::Password]);
        let result = create_app(env.s(), &env.hasher, app, NOW).await;
        assert_eq!(result.is_ok(), allowed, "{t}: {:?}", result.err());
    }
}

#[tokio::test]
async fn update_rotate_and_delete() {
    let env = Env::new().await;
    let mut new = NewApp::new("Web", ApplicationType::RegularWeb);
    new.client_id = Some("web".into());
    let created = create_app(env.s(), &env.hasher, new, NOW).await.unwrap();
    let first = created.secret.unwrap();

    let update = AppUpdate {
        name: Some("Renamed".into()),
        callbacks: Some(vec![
            "https://app.example/cb".into(),
            "https://app.example/cb".into(),
        ]),
        auth_method: Some(TokenEndpointAuthMethod::ClientSecretBasic),
        ..AppUpdate::default()
    };
    let updated = update_app(env.s(), &env.hasher, "web", update, NOW + 1)
        .await
        .unwrap();
    assert!(updated.secret.is_none(), "still confidential: secret kept");
    assert_eq!(updated.client.redirect_uris, ["https://app.example/cb"]);
    let stored = get_app(env.s(), "web").await.unwrap();
    assert_eq!(stored.name, "Renamed");
    assert!(
        env.hasher
            .verify(first.expose(), stored.secret_hash.as_deref().unwrap())
    );

    let bad = AppUpdate {
        auth_method: Some(TokenEndpointAuthMethod::None),
        ..AppUpdate::default()
    };
    assert!(
        update_app(env.s(), &env.hasher, "web", bad, NOW)
            .await
            .is_err()
    );

    let second = rotate_secret(env.s(), &env.hasher, "web", NOW + 2)
        .await
        .unwrap();
    let stored = get_app(env.s(), "web").await.unwrap();
    assert!(
        !env.hasher
            .verify(first.expose(), stored.secret_hash.as_deref().unwrap())
    );
    assert!(
        env.hasher
            .verify(second.expose(), stored.secret_hash.as_deref().unwrap())
    );

    let spa = create_app(
        env.s(),
        &env.hasher,
        NewApp::new("SPA", ApplicationType::Spa),
        NOW,
    )
    .await
    .unwrap();
    let err = rotate_secret(env.s(), &env.hasher, &spa.client.client_id, NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("public application"), "{err}");

    delete_app(env.s(), "web").await.unwrap();
    assert_eq!(
        get_app(env.s(), "web").await.unwrap_err().to_string(),
        "no application \"web\""
    );
    assert!(delete_app(env.s(), "web").await.is_err());
}

#[test]
fn app_types_parse_with_friendly_aliases() {
    assert_eq!(
        parse_app_type("regular-web").unwrap(),
        ApplicationType::RegularWeb
    );
    assert_eq!(parse_app_type("m2m").unwrap(), ApplicationType::M2m);
    assert_eq!(
        parse_app_type("non_interactive").unwrap(),
        ApplicationType::M2m
    );
    assert!(parse_app_type("desktop").is_err());
}

#[tokio::test]
async fn backchannel_logout_uri_is_checked_set_and_cleared() {
    let env = Env::new().await;
    let mut web = NewApp::new("Web", ApplicationType::RegularWeb);
    web.backchannel_logout_uri = Some("http://evil.example/logout".into());
    let err = create_app(env.s(), &env.hasher, web.clone(), NOW)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("back-channel logout URL"),
        "{err}"
    );
    web.backchannel_logout_uri = Some("https://app.example/backchannel".into());
    let created = create_app(env.s(), &env.hasher, web, NOW).await.unwrap();
    assert_eq!(
        created.client.backchannel_logout_uri.as_deref(),
        Some("https://app.example/backchannel")
    );
    let update = AppUpdate {
        backchannel_logout_uri: Some(None),
        ..AppUpdate::default()
    };
    let updated = update_app(env.s(), &env.hasher, &created.client.client_id, update, NOW)
        .await
        .unwrap();
    assert_eq!(updated.client.backchannel_logout_uri, None);

    let mut m2m = NewApp::new("M2M", ApplicationType::M2m);
    m2m.backchannel_logout_uri = Some("https://app.example/backchannel".into());
    let err = create_app(env.s(), &env.hasher, m2m, NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("backchannel_logout_uri"), "{err}");
}

#[test]
fn secrets_may_hold_any_printable_ascii_rfc6749_appendix_a2() {
    use crate::admin::secret::Secret;
    for ok in [
        "a secret with spaces in it 0123456789",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ 0123456789abcdef",
    ] {
        assert!(check_secret(&Secret::new(ok)).is_ok(), "{ok}");
    }
    for bad in [
        "short secret",
        "tab\tin the secret 0123456789 0123456789",
        "non-ascii é in the secret 0123456789 01234",
        "newline\nin the secret 0123456789 0123456789",
    ] {
        assert!(check_secret(&Secret::new(bad)).is_err(), "{bad:?}");
    }
}
