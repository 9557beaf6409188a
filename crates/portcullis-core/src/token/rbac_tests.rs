//! RBAC and custom claims in issued tokens, without HTTP.

use super::*;
use crate::Params;
use crate::authorize::{self, Decision};
use crate::claims::custom::{self, ClaimSource, CustomClaimRule, TokenKind};
use crate::testing::*;
use portcullis_store::{ApiScope, Permission, Role, TokenDialect};
use serde_json::{Map, Value, json};

async fn code(f: &Fixture, scope: &str) -> String {
    let params = authorize_params(&[("audience", API), ("scope", scope)]);
    let req = authorize::validate(&f.p, params).await.unwrap();
    match authorize::decide(&f.p, &req, Some((&f.session, &f.user)), false)
        .await
        .unwrap()
    {
        Decision::Respond(r) => r
            .params
            .iter()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .clone(),
        Decision::Login => panic!("expected a code"),
    }
}

fn form(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
}

async fn post(p: &Provider, params: &Params) -> OAuthResult<TokenResponse> {
    let credentials = ClientCredentials::extract(None, params)?;
    exchange(p, &credentials, "203.0.113.7", params).await
}

async fn redeem(f: &Fixture, scope: &str) -> TokenResponse {
    let code = code(f, scope).await;
    post(
        &f.p,
        &form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", "web"),
            ("client_secret", SECRET),
        ]),
    )
    .await
    .unwrap()
}

async fn refresh(f: &Fixture, token: &str) -> TokenResponse {
    post(
        &f.p,
        &form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "web"),
            ("client_secret", SECRET),
        ]),
    )
    .await
    .unwrap()
}

fn claims(f: &Fixture, jwt: &str) -> Map<String, Value> {
    crate::jwt::verify(&f.p.keys.ring(), jwt).unwrap().claims
}

/// The fixture's API with two scopes and the given RBAC settings.
async fn configure_api(f: &Fixture, enforce: bool, dialect: TokenDialect) {
    let mut api = f.p.store.get_api_by_identifier(API).await.unwrap().unwrap();
    api.scopes = ["read:things", "write:things", "delete:things"]
        .iter()
        .map(|v| ApiScope {
            value: (*v).into(),
            description: String::new(),
        })
        .collect();
    api.enforce_policies = enforce;
    api.token_dialect = dialect;
    f.p.store.update_api(&api).await.unwrap();
}

/// A role holding `permissions` of the API.
async fn role(f: &Fixture, id: &str, name: &str, permissions: &[&str]) {
    f.p.store
        .create_role(&Role {
            role_id: id.into(),
            name: name.into(),
            description: String::new(),
            created_at: T0,
            updated_at: T0,
        })
        .await
        .unwrap();
    let permissions: Vec<Permission> = permissions
        .iter()
        .map(|s| Permission::new(API, s))
        .collect();
    f.p.store
        .add_role_permissions(id, &permissions)
        .await
        .unwrap();
}

async fn assign(f: &Fixture, role_id: &str) {
    f.p.store
        .assign_user_roles(&f.user.user_id, &[role_id.to_owned()])
        .await
        .unwrap();
}

#[tokio::test]
async fn enforced_rbac_grants_the_intersection_of_asked_scopes_and_permissions() {
    let f = fixture().await;
    configure_api(&f, true, TokenDialect::AccessToken).await;
    role(&f, "rol_r", "reader", &["read:things", "delete:things"]).await;
    assign(&f, "rol_r").await;
    let t = redeem(&f, "openid profile read:things write:things").await;
    assert_eq!(t.scope, "openid profile read:things");
    let at = claims(&f, &t.access_token);
    assert_eq!(at["scope"], "openid profile read:things");
    assert!(
        at.get("permissions").is_none(),
        "dialect access_token has no permissions"
    );
}

#[tokio::test]
async fn access_token_authz_lists_every_permission_for_the_api() {
    let f = fixture().await;
    configure_api(&f, true, TokenDialect::AccessTokenAuthz).await;
    role(&f, "rol_r", "reader", &["read:things"]).await;
    role(&f, "rol_w", "writer", &["write:things", "read:things"]).await;
    assign(&f, "rol_r").await;
    assign(&f, "rol_w").await;
    let t = redeem(&f, "openid read:things").await;
    let at = claims(&f, &t.access_token);
    assert_eq!(at["scope"], "openid read:things");
    assert_eq!(at["permissions"], json!(["read:things", "write:things"]));
    // The ID token is about the user, not the API: no permissions there.
    assert!(
        claims(&f, t.id_token.as_deref().unwrap())
            .get("permissions")
            .is_none()
    );
}

#[tokio::test]
async fn without_enforce_policies_the_asked_scopes_are_granted_and_no_permissions_added() {
    let f = fixture().await;
    configure_api(&f, false, TokenDialect::AccessToken).await;
    let t = redeem(&f, "openid read:things write:things").await;
    assert_eq!(t.scope, "openid read:things write:things");
    assert!(claims(&f, &t.access_token).get("permissions").is_none());
}

#[tokio::test]
async fn a_user_without_roles_gets_only_the_openid_scopes() {
    let f = fixture().await;
    configure_api(&f, true, TokenDialect::AccessTokenAuthz).await;
    let t = redeem(&f, "openid email read:things").await;
    assert_eq!(t.scope, "openid email");
    assert_eq!(claims(&f, &t.access_token)["permissions"], json!([]));
}

#[tokio::test]
async fn role_changes_show_in_the_next_token() {
    let f = fixture().await;
    configure_api(&f, true, TokenDialect::AccessTokenAuthz).await;
    role(&f, "rol_r", "reader", &["read:things"]).await;
    let first = redeem(&f, "openid offline_access read:things").await;
    assert_eq!(first.scope, "openid offline_access");

    assign(&f, "rol_r").await;
    let second = refresh(&f, first.refresh_token.as_deref().unwrap()).await;
    assert_eq!(second.scope, "openid offline_access read:things");
    assert_eq!(
        claims(&f, &second.access_token)["permissions"],
        json!(["read:things"])
    );

    f.p.store.delete_role("rol_r").await.unwrap();
    let third = refresh(&f, second.refresh_token.as_deref().unwrap()).await;
    assert_eq!(third.scope, "openid offline_access");
    assert_eq!(claims(&f, &third.access_token)["permissions"], json!([]));
}

#[tokio::test]
async fn m2m_tokens_carry_their_granted_scopes_as_permissions_with_authz() {
    let f = fixture().await;
    configure_api(&f, true, TokenDialect::AccessTokenAuthz).await;
    let mut web = f.p.store.get_client("web").await.unwrap().unwrap();
    web.grant_types
        .push(portcullis_store::GrantType::ClientCredentials);
    f.p.store.update_client(&web).await.unwrap();
    f.p.store
        .create_client_grant(&portcullis_store::ClientGrant {
            grant_id: "cgr_1".into(),
            client_id: "web".into(),
            audience: API.into(),
            scopes: vec!["read:things".into()],
            created_at: T0,
        })
        .await
        .unwrap();
    let t = post(
        &f.p,
        &form(&[
            ("grant_type", "client_credentials"),
            ("audience", API),
            ("client_id", "web"),
            ("client_secret", SECRET),
        ]),
    )
    .await
    .unwrap();
    let at = claims(&f, &t.access_token);
    assert_eq!(at["permissions"], json!(["read:things"]));
    assert_eq!(at["gty"], "client-credentials");
}

async fn set_rules(f: &Fixture, rules: &[CustomClaimRule]) {
    f.p.store
        .put_setting(custom::SETTING, &serde_json::to_string(rules).unwrap(), T0)
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_claims_are_added_to_the_tokens_their_rules_name() {
    let f = fixture().await;
    configure_api(&f, false, TokenDialect::AccessToken).await;
    role(&f, "rol_a", "admin", &[]).await;
    role(&f, "rol_r", "reader", &[]).await;
    assign(&f, "rol_r").await;
    assign(&f, "rol_a").await;
    set_rules(
        &f,
        &[
            CustomClaimRule {
                name: "https://example.com/roles".into(),
                from: ClaimSource::Roles,
                tokens: vec![TokenKind::IdToken, TokenKind::AccessToken],
            },
            CustomClaimRule {
                name: "https://example.com/id-only".into(),
                from: ClaimSource::Roles,
                tokens: vec![TokenKind::IdToken],
            },
        ],
    )
    .await;
    let t = redeem(&f, "openid read:things").await;
    let id = claims(&f, t.id_token.as_deref().unwrap());
    let at = claims(&f, &t.access_token);
    assert_eq!(id["https://example.com/roles"], json!(["admin", "reader"]));
    assert_eq!(at["https://example.com/roles"], json!(["admin", "reader"]));
    assert_eq!(
        id["https://example.com/id-only"],
        json!(["admin", "reader"])
    );
    assert!(at.get("https://example.com/id-only").is_none());
}

#[tokio::test]
async fn without_rules_no_custom_claims_are_added() {
    let f = fixture().await;
    role(&f, "rol_r", "reader", &[]).await;
    assign(&f, "rol_r").await;
    let t = redeem(&f, "openid read:things").await;
    let id = claims(&f, t.id_token.as_deref().unwrap());
    assert!(id.keys().all(|k| !k.starts_with("https://")), "{id:?}");
    assert!(
        claims(&f, &t.access_token)
            .keys()
            .all(|k| !k.starts_with("https://"))
    );
}

#[tokio::test]
async fn a_corrupt_rule_setting_adds_nothing_and_tokens_are_still_issued() {
    let f = fixture().await;
    f.p.store
        .put_setting(custom::SETTING, "{not json", T0)
        .await
        .unwrap();
    let t = redeem(&f, "openid").await;
    assert!(t.id_token.is_some());
    assert!(
        claims(&f, t.id_token.as_deref().unwrap())
            .keys()
            .all(|k| !k.starts_with("https://"))
    );
}

#[tokio::test]
async fn custom_claims_from_app_metadata_follow_the_stored_value() {
    let f = fixture().await;
    configure_api(&f, false, TokenDialect::AccessToken).await;
    let mut user = f.p.store.get_user(&f.user.user_id).await.unwrap().unwrap();
    user.app_metadata = json!({"plan": "gold", "billing": {"tier": 3}})
        .as_object()
        .cloned()
        .unwrap();
    f.p.store.update_user(&user).await.unwrap();
    let rule = |name: &str, from: &str, tokens: Vec<TokenKind>| CustomClaimRule {
        name: name.into(),
        from: ClaimSource::try_from(from.to_owned()).unwrap(),
        tokens,
    };
    set_rules(
        &f,
        &[
            rule(
                "https://example.com/plan",
                "app_metadata.plan",
                vec![TokenKind::IdToken, TokenKind::AccessToken],
            ),
            rule(
                "https://example.com/tier",
                "app_metadata.billing.tier",
                vec![TokenKind::AccessToken],
            ),
            rule(
                "https://example.com/missing",
                "app_metadata.nothing",
                vec![TokenKind::IdToken, TokenKind::AccessToken],
            ),
        ],
    )
    .await;
    let t = redeem(&f, "openid read:things").await;
    let id = claims(&f, t.id_token.as_deref().unwrap());
    let at = claims(&f, &t.access_token);
    assert_eq!(id["https://example.com/plan"], json!("gold"));
    assert_eq!(at["https://example.com/plan"], json!("gold"));
    assert_eq!(at["https://example.com/tier"], json!(3));
    assert!(id.get("https://example.com/tier").is_none());
    // A value the user does not have is left out, not null.
    assert!(id.get("https://example.com/missing").is_none());
    assert!(at.get("https://example.com/missing").is_none());

    // The next token follows a change of app_metadata.
    user.app_metadata = json!({"plan": "silver"}).as_object().cloned().unwrap();
    f.p.store.update_user(&user).await.unwrap();
    let t = redeem(&f, "openid read:things").await;
    let at = claims(&f, &t.access_token);
    assert_eq!(at["https://example.com/plan"], json!("silver"));
    assert!(at.get("https://example.com/tier").is_none());
}
