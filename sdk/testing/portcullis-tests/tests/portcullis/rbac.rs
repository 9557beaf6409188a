//! Portcullis-issued RBAC tokens (docs/rbac.md) checked by `portcullis-bearer`'s permission
//! guards: an API with `enforce_policies` and `token_dialect = access_token_authz`, a user whose
//! role holds some of its scopes, a user's token from the hosted sign-in page.

use crate::support::{API, Portcullis, browser, query_of};
use portcullis_bearer::{Error, Guard, Validator};
use portcullis_store::{Permission, Role, TokenDialect};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const APP_BASE: &str = "http://127.0.0.1:9";

/// The user's access token for `API` with `scope`, through the code flow.
async fn user_token(op: &Portcullis, scope: &str) -> String {
    let redirect_uri = format!("{APP_BASE}/auth/callback");
    let mut authorize = url::Url::parse(&op.url("authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &op.web.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", scope)
        .append_pair("audience", API)
        .append_pair("state", "st4te")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let callback = op.sign_in(&browser(), authorize.as_str()).await;
    let q = query_of(&callback);
    let res = reqwest::Client::new()
        .post(op.url("oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", VERIFIER),
            ("client_id", op.web.client_id.as_str()),
            ("client_secret", op.web.secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn portcullis_rbac_tokens_carry_permissions_that_the_bearer_guards_check() {
    let op = Portcullis::start(APP_BASE).await;
    let store = &op.server.provider.store;
    let mut api = store.get_api_by_identifier(API).await.unwrap().unwrap();
    api.enforce_policies = true;
    api.token_dialect = TokenDialect::AccessTokenAuthz;
    store.update_api(&api).await.unwrap();
    store
        .create_role(&Role {
            role_id: "rol_reader".into(),
            name: "reader".into(),
            description: String::new(),
            created_at: 0,
            updated_at: 0,
        })
        .await
        .unwrap();
    store
        .add_role_permissions("rol_reader", &[Permission::new(API, "read:shows")])
        .await
        .unwrap();

    let validator = Validator::builder()
        .issuer(op.issuer.clone())
        .audience(API)
        .require_at_jwt_typ(true)
        .clock(op.sdk_clock())
        .build()
        .unwrap();

    // No role yet: neither scope is granted, and the permissions claim is empty.
    let token = user_token(&op, "openid read:shows write:shows").await;
    let access = validator.validate(&token).await.unwrap();
    assert_eq!(access.scopes, vec!["openid".to_owned()]);
    assert_eq!(access.claim("permissions"), Some(&serde_json::json!([])));
    assert!(matches!(
        Guard::permissions_all(["read:shows"]).check(&access),
        Err(Error::InsufficientScope { .. })
    ));

    store
        .assign_user_roles(&op.user.user_id, &["rol_reader".to_owned()])
        .await
        .unwrap();
    let token = user_token(&op, "openid read:shows write:shows").await;
    let access = validator.validate(&token).await.unwrap();
    assert!(access.has_scope("read:shows"));
    assert!(!access.has_scope("write:shows"), "not held: not granted");
    Guard::permissions_all(["read:shows"])
        .check(&access)
        .unwrap();
    Guard::all_scopes(["read:shows"]).check(&access).unwrap();
    assert!(matches!(
        Guard::permissions_all(["read:shows", "write:shows"]).check(&access),
        Err(Error::InsufficientScope { .. })
    ));
}
