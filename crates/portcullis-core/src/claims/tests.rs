use super::*;
use serde_json::json;

fn full_user() -> UserClaims {
    UserClaims {
        sub: "auth0|1".into(),
        name: Some("Ada".into()),
        nickname: Some("ada".into()),
        given_name: Some("Ada".into()),
        family_name: Some("Lovelace".into()),
        picture: Some("https://example.com/a.png".into()),
        updated_at: Some(1),
        email: Some("ada@example.com".into()),
        email_verified: Some(true),
        phone_number: Some("+15550100".into()),
        phone_number_verified: Some(false),
        address: Some(portcullis_store::Address {
            country: Some("GB".into()),
            ..Default::default()
        }),
    }
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn user_claim_names_match_the_struct() {
    let v = serde_json::to_value(full_user()).unwrap();
    let mut names: Vec<String> = UserClaims::NAMES.iter().map(|s| s.to_string()).collect();
    names.sort();
    assert_eq!(keys(&v), names);
}

#[test]
fn id_token_protocol_claims_match_the_struct_and_custom_claims_are_flattened() {
    let mut custom = CustomClaims::new();
    custom.insert("https://example.com/roles".into(), json!(["admin"]));
    let claims = IdTokenClaims {
        iss: "https://id.example.com/".into(),
        aud: "app".into(),
        azp: "app".into(),
        iat: 1,
        exp: 2,
        auth_time: 1,
        sid: Some("s".into()),
        nonce: Some("n".into()),
        amr: Some(vec!["pwd".into()]),
        acr: Some("http://schemas.openid.net/pape/policies/2007/06/multi-factor".into()),
        user: UserClaims {
            sub: "auth0|1".into(),
            ..UserClaims::default()
        },
        custom,
    };
    let v = serde_json::to_value(&claims).unwrap();
    assert_eq!(v["https://example.com/roles"], json!(["admin"]));
    let mut expected: Vec<String> = IdTokenClaims::PROTOCOL_CLAIMS
        .iter()
        .chain(["sub", "https://example.com/roles"].iter())
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(keys(&v), expected);
}

#[test]
fn access_token_claims_round_trip_and_skip_absent_options() {
    let claims = AccessTokenClaims {
        iss: "i".into(),
        sub: "s".into(),
        aud: Audience::Many(vec!["api".into(), "i/userinfo".into()]),
        iat: 1,
        exp: 2,
        scope: "openid".into(),
        jti: "j".into(),
        client_id: "c".into(),
        azp: "c".into(),
        gty: None,
        permissions: None,
        custom: CustomClaims::new(),
    };
    let v = serde_json::to_value(&claims).unwrap();
    assert!(v.get("gty").is_none() && v.get("permissions").is_none());
    let back: AccessTokenClaims = serde_json::from_value(v).unwrap();
    assert_eq!(back, claims);
    let with = AccessTokenClaims {
        permissions: Some(vec!["read:x".into()]),
        aud: Audience::One("api".into()),
        ..claims
    };
    let v = serde_json::to_value(&with).unwrap();
    assert_eq!(v["permissions"], json!(["read:x"]));
    assert_eq!(v["aud"], json!("api"));
}

#[test]
fn introspection_inactive_says_nothing_else() {
    assert_eq!(
        serde_json::to_value(Introspection::inactive()).unwrap(),
        json!({"active": false})
    );
    let v = serde_json::to_value(Introspection::active(IntrospectedToken::RefreshToken {
        client_id: "c".into(),
        sub: "s".into(),
        scope: "openid".into(),
        iat: 1,
        exp: 2,
        iss: "i".into(),
    }))
    .unwrap();
    assert_eq!(v["active"], true);
    assert_eq!(v["token_type"], "refresh_token");
    assert_eq!(v["sub"], "s");
}

#[test]
fn logout_token_carries_the_backchannel_event() {
    let v = serde_json::to_value(LogoutTokenClaims {
        iss: "i".into(),
        aud: "c".into(),
        iat: 1,
        exp: 2,
        jti: "j".into(),
        sub: "s".into(),
        sid: "sid".into(),
        events: LogoutEvents::default(),
    })
    .unwrap();
    assert_eq!(
        v["events"],
        json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(v.get("nonce").is_none());
}
