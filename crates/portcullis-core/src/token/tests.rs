//! Token endpoint rules, without HTTP, on a fixed clock.

use super::*;
use crate::authorize::{self, Decision};
use crate::testing::*;
use crate::{ErrorCode, Params};

async fn issue_code(f: &Fixture, extra: &[(&str, &str)]) -> String {
    let req = authorize::validate(&f.p, authorize_params(extra))
        .await
        .unwrap();
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
        Decision::Login => panic!(),
    }
}

/// A token request whose credentials are in the body, as the web layer hands it over.
async fn post(p: &Provider, ip: &str, params: &Params) -> OAuthResult<TokenResponse> {
    let credentials = ClientCredentials::extract(None, params)?;
    exchange(p, &credentials, ip, params).await
}

fn form(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
}

fn code_form(code: &str, client: &str) -> Params {
    form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
        ("client_id", client),
        ("client_secret", SECRET),
    ])
}

fn refresh_form(token: &str) -> Params {
    form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", "web"),
        ("client_secret", SECRET),
    ])
}

#[tokio::test]
async fn code_exchange_issues_id_access_and_refresh_tokens() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    assert_eq!(t.token_type, "Bearer");
    assert!(t.refresh_token.is_some());
    assert!(t.id_token.is_some());
    assert_eq!(t.scope, "openid profile email offline_access");
}

#[tokio::test]
async fn rfc6749_4_1_2_codes_expire_after_60_seconds() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    f.clock.advance(60);
    let err = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc6749_10_5_replayed_code_revokes_the_first_grant() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let first = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    let err = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
    let rt = first.refresh_token.unwrap();
    let err = post(&f.p, "203.0.113.7", &refresh_form(&rt))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
    assert!(
        crate::access_token::check(&f.p, &first.access_token)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rfc6749_4_1_3_code_is_bound_to_client_and_redirect_uri() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let err = post(&f.p, "203.0.113.7", &code_form(&code, "other"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
    let code = issue_code(&f, &[]).await;
    let mut params = code_form(&code, "web");
    params.insert("redirect_uri", "https://app.example.com/other");
    let err = post(&f.p, "203.0.113.7", &params).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc7636_4_6_verifier_must_match_and_rfc9700_4_8_2_no_downgrade() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let mut params = code_form(&code, "web");
    params.remove("code_verifier");
    assert_eq!(
        post(&f.p, "203.0.113.7", &params).await.unwrap_err().code,
        ErrorCode::InvalidGrant
    );
    let code = issue_code(&f, &[("code_challenge", ""), ("code_challenge_method", "")]).await;
    let err = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc9700_4_14_2_refresh_rotation_and_reuse_detection() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let t0 = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    let rt0 = t0.refresh_token.unwrap();
    let t1 = post(&f.p, "203.0.113.7", &refresh_form(&rt0))
        .await
        .unwrap();
    let rt1 = t1.refresh_token.clone().unwrap();
    assert_ne!(rt0, rt1);
    // Reusing rt0 fails and revokes the family, rt1 included.
    assert_eq!(
        post(&f.p, "203.0.113.7", &refresh_form(&rt0))
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidGrant
    );
    assert_eq!(
        post(&f.p, "203.0.113.7", &refresh_form(&rt1))
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidGrant
    );
}

#[tokio::test]
async fn refresh_tokens_expire_after_the_inactivity_lifetime() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    f.clock.advance(f.p.config.refresh_token_idle_lifetime);
    let err = post(
        &f.p,
        "203.0.113.7",
        &refresh_form(&t.refresh_token.unwrap()),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn no_refresh_token_without_offline_access() {
    let f = fixture().await;
    let code = issue_code(&f, &[("scope", "openid")]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    assert!(t.refresh_token.is_none());
}

#[tokio::test]
async fn api_access_tokens_use_the_api_lifetime() {
    let f = fixture().await;
    let code = issue_code(&f, &[("audience", API), ("scope", "openid read:things")]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    assert_eq!(t.expires_in, 600);
    let live = crate::access_token::check(&f.p, &t.access_token)
        .await
        .unwrap()
        .unwrap();
    assert!(live.has_audience(API));
    assert_eq!(live.scope(), "openid read:things");
    f.clock.advance(600);
    assert!(
        crate::access_token::check(&f.p, &t.access_token)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rfc6749_2_3_bad_secret_is_invalid_client() {
    let f = fixture().await;
    let mut params = code_form("x", "web");
    params.insert("client_secret", "wrong");
    let err = post(&f.p, "203.0.113.7", &params).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidClient);
    assert!(!err.basic_auth_failed);
}

#[tokio::test]
async fn rfc6749_2_3_1_bad_secrets_are_throttled_per_client_and_caller() {
    let f = fixture().await;
    let mut bad = code_form("x", "web");
    bad.insert("client_secret", "wrong");
    for _ in 0..f.p.config.max_failed_client_auth {
        let err = post(&f.p, "198.51.100.1", &bad).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }
    let err = post(&f.p, "198.51.100.1", &bad).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TooManyAttempts);
    // The application itself, calling from its own address, is not locked out.
    let code = issue_code(&f, &[]).await;
    assert!(
        post(&f.p, "203.0.113.9", &code_form(&code, "web"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn rfc6749_2_3_1_a_right_secret_is_refused_too_once_the_limit_is_reached() {
    let f = fixture().await;
    let mut bad = code_form("x", "web");
    bad.insert("client_secret", "wrong");
    for _ in 0..f.p.config.max_failed_client_auth {
        post(&f.p, "198.51.100.2", &bad).await.unwrap_err();
    }
    // Checked before the counter is read, the right secret still gets no answer of its own.
    let code = issue_code(&f, &[]).await;
    let err = post(&f.p, "198.51.100.2", &code_form(&code, "web"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TooManyAttempts);
}

#[tokio::test]
async fn rfc6749_2_3_1_a_right_secret_starts_the_count_over() {
    let f = fixture().await;
    let mut bad = code_form("x", "web");
    bad.insert("client_secret", "wrong");
    let limit = f.p.config.max_failed_client_auth;
    for _ in 0..limit - 1 {
        post(&f.p, "198.51.100.3", &bad).await.unwrap_err();
    }
    let code = issue_code(&f, &[]).await;
    assert!(
        post(&f.p, "198.51.100.3", &code_form(&code, "web"))
            .await
            .is_ok()
    );
    // A full window of failures again, each answered as a wrong secret, then the refusal.
    for _ in 0..limit {
        let err = post(&f.p, "198.51.100.3", &bad).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }
    let err = post(&f.p, "198.51.100.3", &bad).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::TooManyAttempts);
}

#[tokio::test]
async fn rfc6749_2_3_1_many_parallel_requests_with_the_right_secret_are_never_throttled() {
    // An application calling from one address with more requests in flight than the failure
    // limit: right secrets are not failures, so none of them may be refused as one.
    let f = fixture().await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..f.p.config.max_failed_client_auth * 3 {
        let p = f.p.clone();
        requests.spawn(async move { post(&p, "203.0.113.20", &code_form("unknown", "web")).await });
    }
    while let Some(answer) = requests.join_next().await {
        let err = answer.unwrap().unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::InvalidGrant,
            "authenticated, then no such code"
        );
    }
}

#[tokio::test]
async fn a_replay_racing_the_first_redemption_leaves_nothing_issued() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    // The first redemption has claimed the code but not yet stored its grant...
    let first =
        f.p.store
            .consume_code(&f.p.hasher.hash(&code), f.p.now())
            .await
            .unwrap();
    // ...when the replay arrives.
    let err = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGrant);
    let grant =
        f.p.store
            .get_grant(&first.grant_id)
            .await
            .unwrap()
            .expect("a revoked grant");
    assert!(
        grant.revoked,
        "the first redemption's grant id is taken by a revoked grant"
    );
    // So the first redemption, storing its grant now, conflicts and issues nothing.
    let mut g = grant.clone();
    g.revoked = false;
    assert!(matches!(
        f.p.store.create_grant(&g).await,
        Err(portcullis_store::StoreError::Conflict(_))
    ));
}

/// Access tokens are not written when issued; a user's token lives while its grant does and
/// until it is revoked by `jti` (RFC 7009 §2.1).
#[tokio::test]
async fn user_access_tokens_are_unrecorded_and_die_with_their_grant_or_revocation() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    let live = crate::access_token::check(&f.p, &t.access_token)
        .await
        .unwrap()
        .expect("a fresh token is live");
    let grant_id = live
        .record
        .grant_id
        .clone()
        .expect("a user token names its grant");
    assert!(f.p.store.get_grant(&grant_id).await.unwrap().is_some());
    assert_eq!(
        f.p.store.get_access_token(&live.record.jti).await.unwrap(),
        None,
        "nothing recorded"
    );

    f.p.store
        .revoke_access_token(&live.record.jti, live.claims.exp)
        .await
        .unwrap();
    assert!(
        crate::access_token::check(&f.p, &t.access_token)
            .await
            .unwrap()
            .is_none()
    );

    // A second token of the same grant lives on, until the grant goes.
    let refreshed = post(
        &f.p,
        "203.0.113.7",
        &refresh_form(&t.refresh_token.unwrap()),
    )
    .await
    .unwrap();
    let check = |token: String| {
        let p = &f.p;
        async move {
            crate::access_token::check(p, &token)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(check(refreshed.access_token.clone()).await);
    f.p.store.revoke_grant(&grant_id).await.unwrap();
    assert!(!check(refreshed.access_token).await);
}

/// A client-credentials token has no grant: it lives until revoked or until its application
/// is deleted.
#[tokio::test]
async fn client_access_tokens_die_with_their_application() {
    let f = fixture().await;
    let m2m = |scope: &str| {
        crate::token::issue::access_token(
            &f.p,
            issue::AccessTokenSpec {
                subject: "other@clients",
                client_id: "other",
                audience: Some(API),
                scopes: &crate::scope::Scopes::parse(scope).unwrap(),
                lifetime: 600,
                grant_id: None,
                gty: Some(crate::claims::access::GTY_CLIENT_CREDENTIALS),
                permissions: None,
                custom: crate::claims::CustomClaims::new(),
            },
        )
        .unwrap()
    };
    let (kept, revoked) = (m2m("read:things"), m2m("read:things"));
    let live = crate::access_token::check(&f.p, &revoked)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.record.grant_id, None);
    f.p.store
        .revoke_access_token(&live.record.jti, live.claims.exp)
        .await
        .unwrap();
    assert!(
        crate::access_token::check(&f.p, &revoked)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        crate::access_token::check(&f.p, &kept)
            .await
            .unwrap()
            .is_some()
    );
    f.p.store.delete_client("other").await.unwrap();
    assert!(
        crate::access_token::check(&f.p, &kept)
            .await
            .unwrap()
            .is_none()
    );
}

/// Tokens issued before migration 14 have a record and a bare `jti`: still honoured, and
/// revocable like the others.
#[tokio::test]
async fn recorded_access_tokens_from_before_migration_14_still_work() {
    let f = fixture().await;
    let jti = crate::crypto::random_token(16);
    let claims = crate::claims::AccessTokenClaims {
        iss: f.p.config.issuer.as_str().to_owned(),
        sub: f.user.user_id.clone(),
        aud: crate::claims::Audience::One(API.to_owned()),
        iat: T0,
        exp: T0 + 600,
        scope: "read:things".to_owned(),
        jti: jti.clone(),
        client_id: "web".to_owned(),
        azp: "web".to_owned(),
        gty: None,
        permissions: None,
        custom: crate::claims::CustomClaims::new(),
    };
    let token = crate::jwt::sign(
        f.p.keys.ring().current(),
        crate::jwt::TYP_ACCESS_TOKEN,
        &claims,
    )
    .unwrap();
    assert!(
        crate::access_token::check(&f.p, &token)
            .await
            .unwrap()
            .is_none(),
        "a bare jti without a record is no token of ours"
    );
    f.p.store
        .insert_access_token(&portcullis_store::AccessTokenRecord {
            jti: jti.clone(),
            grant_id: None,
            client_id: "web".to_owned(),
            subject: f.user.user_id.clone(),
            expires_at: T0 + 600,
            revoked: false,
        })
        .await
        .unwrap();
    assert!(
        crate::access_token::check(&f.p, &token)
            .await
            .unwrap()
            .is_some()
    );
    f.p.store.revoke_access_token(&jti, T0 + 600).await.unwrap();
    assert!(
        crate::access_token::check(&f.p, &token)
            .await
            .unwrap()
            .is_none()
    );
}

/// As on Auth0, an access token without an API is opaque (good for /userinfo alone): sealed,
/// not signed. Only this provider opens it, only as an access token, and not once tampered with;
/// a token for an API is a JWT.
#[tokio::test]
async fn access_tokens_without_an_api_are_opaque() {
    let f = fixture().await;
    let code = issue_code(&f, &[]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    assert!(
        !t.access_token.contains('.'),
        "not a JWT: {}",
        t.access_token
    );
    let live = crate::access_token::check(&f.p, &t.access_token)
        .await
        .unwrap()
        .expect("live");
    let userinfo = f.p.config.issuer.endpoint(crate::paths::USERINFO);
    assert_eq!(live.audiences(), vec![userinfo.as_str()]);
    assert_eq!(live.claims.sub, f.user.user_id);

    let mut tampered = t.access_token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(
        crate::access_token::check(&f.p, &tampered)
            .await
            .unwrap()
            .is_none()
    );
    let other_purpose = f.p.sealer.seal(&live.claims, "login").unwrap();
    assert!(
        crate::access_token::check(&f.p, &other_purpose)
            .await
            .unwrap()
            .is_none()
    );

    let code = issue_code(&f, &[("audience", API), ("scope", "openid read:things")]).await;
    let t = post(&f.p, "203.0.113.7", &code_form(&code, "web"))
        .await
        .unwrap();
    assert_eq!(t.access_token.matches('.').count(), 2, "a JWT for the API");
}
