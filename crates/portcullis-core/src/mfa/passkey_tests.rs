//! The passkey rules that need no authenticator: the relying party, ids, names, ceremony
//! state, and what a passkey sign-in means for `amr` and the policy. The ceremonies with an
//! authenticator are tested over HTTP (a software authenticator in the test kit) and in
//! Chromium (e2e/tests/passkeys.test.mjs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::passkey::{self, Unavailable};
use super::*;
use crate::config::Issuer;
use crate::interaction::StepKind;
use crate::testing::*;
use portcullis_store::SessionFactor;

fn issuer(text: &str) -> Issuer {
    Issuer::parse(text).unwrap()
}

#[test]
fn the_relying_party_is_the_issuers_host_and_needs_a_domain() {
    for ok in [
        "https://id.example.com/",
        "https://id.example.com/tenant-a/",
        "http://localhost:8080/",
    ] {
        assert!(passkey::relying_party(&issuer(ok), "Acme").is_ok(), "{ok}");
    }
    let rp = passkey::relying_party(&issuer("http://localhost:8080/"), "Acme").unwrap();
    assert_eq!(
        rp.get_allowed_origins()
            .iter()
            .map(|u| u.as_str())
            .collect::<Vec<_>>(),
        ["http://localhost:8080/"],
        "only the issuer's origin"
    );
    for ip in ["http://127.0.0.1:8080/", "http://[::1]:8080/"] {
        assert!(
            matches!(
                passkey::relying_party(&issuer(ip), "Acme"),
                Err(Unavailable::NotADomain(_))
            ),
            "{ip}"
        );
    }
}

#[test]
fn factor_ids_and_user_handles_are_derived_and_fixed_length() {
    let a = passkey::factor_id_of(b"credential-a");
    assert_eq!(a, passkey::factor_id_of(b"credential-a"));
    assert_ne!(a, passkey::factor_id_of(b"credential-b"));
    assert_eq!(a.len(), passkey::factor_id_of(&[7u8; 1023]).len());
    assert!(a.starts_with("mfa_pk_"));
    assert_eq!(passkey::user_handle("usr_1"), passkey::user_handle("usr_1"));
    assert_ne!(passkey::user_handle("usr_1"), passkey::user_handle("usr_2"));
}

#[test]
fn passkey_names_are_cleaned() {
    assert_eq!(passkey::clean_name("  Work laptop \n"), "Work laptop");
    assert_eq!(passkey::clean_name("a\u{0}b"), "ab");
    assert_eq!(passkey::clean_name("   "), "Passkey");
    assert_eq!(
        passkey::clean_name(&"x".repeat(200)).chars().count(),
        passkey::MAX_NAME
    );
}

#[tokio::test]
async fn registration_asks_for_a_discoverable_credential_with_user_verification() {
    let f = fixture().await;
    let challenge = passkey::begin_registration(&f.p, &f.user).await.unwrap();
    let pk = &challenge.options["publicKey"];
    assert_eq!(pk["rp"]["id"], "id.example.com");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["user"]["name"], f.user.email.as_str());
    assert!(
        pk["challenge"].as_str().unwrap().len() >= 43,
        "32 random bytes"
    );
}

#[tokio::test]
async fn ceremony_state_is_single_use_expires_and_belongs_to_its_ceremony() {
    let f = fixture().await;
    // Single use: the first answer takes the state, whatever it is worth.
    let c = passkey::begin_sign_in(&f.p).await.unwrap();
    assert!(matches!(
        passkey::sign_in(&f.p, &c.id, "{}", "ip").await,
        Err(MfaError::PasskeyRefused)
    ));
    assert!(matches!(
        passkey::sign_in(&f.p, &c.id, "{}", "ip").await,
        Err(MfaError::Expired)
    ));
    // Expired.
    let c = passkey::begin_sign_in(&f.p).await.unwrap();
    f.clock.advance(passkey::CEREMONY_LIFETIME);
    assert!(matches!(
        passkey::sign_in(&f.p, &c.id, "{}", "ip").await,
        Err(MfaError::Expired)
    ));
    // A registration's state is not a sign-in's, and is only its user's.
    let c = passkey::begin_registration(&f.p, &f.user).await.unwrap();
    assert!(matches!(
        passkey::sign_in(&f.p, &c.id, "{}", "ip").await,
        Err(MfaError::Expired)
    ));
    let c = passkey::begin_registration(&f.p, &f.user).await.unwrap();
    let other = portcullis_store::User {
        user_id: "usr_other".into(),
        ..f.user.clone()
    };
    assert!(matches!(
        passkey::finish_registration(&f.p, &other, &c.id, "{}", "x").await,
        Err(MfaError::Expired)
    ));
    // Unknown ids, and ids too long to be ours.
    for id in ["", "nope", &"x".repeat(500)] {
        assert!(matches!(
            passkey::sign_in(&f.p, id, "{}", "ip").await,
            Err(MfaError::Expired)
        ));
    }
}

#[tokio::test]
async fn a_user_without_passkeys_gets_no_second_factor_ceremony() {
    let f = fixture().await;
    assert!(
        passkey::begin_second_factor(&f.p, &f.user)
            .await
            .unwrap()
            .is_none()
    );
}

fn factors(methods: &[&str]) -> Vec<SessionFactor> {
    methods
        .iter()
        .map(|m| SessionFactor {
            method: (*m).to_owned(),
            at: T0,
        })
        .collect()
}

#[test]
fn a_passkey_sign_in_is_multi_factor_and_satisfies_the_policy() {
    let passwordless = Authentication::from_factors(&factors(&["swk", "user"]));
    assert_eq!(passwordless.amr, ["swk", "user", "mfa"]);
    assert_eq!(passwordless.acr, Some(MULTI_FACTOR_ACR));
    let after_password = Authentication::from_factors(&factors(&["pwd", "hwk", "user"]));
    assert_eq!(after_password.amr, ["pwd", "hwk", "user", "mfa"]);
    for policy in [MfaPolicy::Optional, MfaPolicy::Required] {
        assert_eq!(
            requirement::decide(policy, true, true, &passwordless),
            Requirement::Satisfied
        );
    }
    // Possession without user verification is one factor.
    let presence_only = Authentication::from_factors(&factors(&["hwk"]));
    assert_eq!(presence_only.acr, None);
}

#[test]
fn a_passkey_sign_in_is_a_sign_in_and_a_passkey_second_factor_is_not() {
    assert!(StepKind::PasskeySignIn.is_sign_in());
    assert!(!StepKind::Passkey.is_sign_in());
    assert!(!StepKind::PasskeyEnrolment.is_sign_in());
    // Their methods depend on the authenticator: recorded by the caller.
    assert_eq!(StepKind::PasskeySignIn.method(), None);
}
