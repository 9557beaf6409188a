#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::interaction::{self, Next, StepKind, Transaction};
use crate::testing::*;
use portcullis_store::SessionFactor;

fn factors(methods: &[&str]) -> Vec<SessionFactor> {
    methods
        .iter()
        .enumerate()
        .map(|(i, m)| SessionFactor {
            method: (*m).to_owned(),
            at: T0 + i as i64,
        })
        .collect()
}

/// Enrols an authenticator app for the fixture's user and returns its base32 secret.
async fn enrol_totp(f: &Fixture) -> String {
    let enrolment = totp::begin(&f.p, &f.user).await.unwrap();
    let code = totp::code_at(&enrolment.secret, f.p.now()).unwrap();
    totp::confirm(&f.p, &f.user, &enrolment.factor_id, &code, "ip")
        .await
        .unwrap();
    enrolment.secret
}

#[test]
fn amr_lists_each_method_once_and_adds_mfa_only_for_two_kinds() {
    let pwd = Authentication::from_factors(&factors(&["pwd", "pwd"]));
    assert_eq!(pwd.amr, vec!["pwd"]);
    assert_eq!(pwd.acr, None);
    assert!(!pwd.claims().contains_key("acr"));
    let both = Authentication::from_factors(&factors(&["pwd", "otp"]));
    assert_eq!(both.amr, vec!["pwd", "otp", "mfa"]);
    assert_eq!(both.acr, Some(MULTI_FACTOR_ACR));
    assert_eq!(both.claims()["acr"], MULTI_FACTOR_ACR);
    let passkey = Authentication::from_factors(&factors(&["hwk", "user"]));
    assert_eq!(passkey.amr, vec!["hwk", "user", "mfa"]);
    let otp_alone = Authentication::from_factors(&factors(&["otp"]));
    assert_eq!(otp_alone.acr, None, "a second factor alone is one factor");
    assert!(Authentication::from_factors(&[]).claims().is_empty());
}

#[test]
fn the_policy_rule() {
    use Requirement::*;
    let none = Authentication::default();
    let mfa = Authentication::from_factors(&factors(&["pwd", "otp"]));
    let cases = [
        // (policy, step_up, has_factor, done, expected)
        (MfaPolicy::Off, true, true, &none, Satisfied),
        (MfaPolicy::Optional, false, false, &none, Satisfied),
        (MfaPolicy::Optional, false, true, &none, Challenge),
        (MfaPolicy::Optional, true, false, &none, Enrol),
        (MfaPolicy::Optional, true, true, &mfa, Satisfied),
        (MfaPolicy::Required, false, false, &none, Enrol),
        (MfaPolicy::Required, false, true, &none, Challenge),
        (MfaPolicy::Required, false, true, &mfa, Satisfied),
    ];
    for (policy, step_up, has, done, expected) in cases {
        assert_eq!(
            requirement::decide(policy, step_up, has, done),
            expected,
            "{policy} step_up={step_up} has_factor={has}"
        );
    }
}

#[test]
fn policies_parse_and_print() {
    for policy in [MfaPolicy::Off, MfaPolicy::Optional, MfaPolicy::Required] {
        assert_eq!(policy.as_str().parse::<MfaPolicy>(), Ok(policy));
    }
    assert!("on".parse::<MfaPolicy>().is_err());
}

#[tokio::test]
async fn totp_accepts_one_step_of_skew_and_never_the_same_step_twice() {
    let f = fixture().await;
    let secret = enrol_totp(&f).await;
    // The code that confirmed the enrolment cannot sign in (same step).
    let now = f.p.now();
    let current = totp::code_at(&secret, now).unwrap();
    assert!(matches!(
        totp::verify(&f.p, &f.user, &current, "ip").await,
        Err(MfaError::Reused)
    ));
    // A code of the next step works once; again it is a replay.
    let next = totp::code_at(&secret, now + 30).unwrap();
    totp::verify(&f.p, &f.user, &next, "ip").await.unwrap();
    assert!(matches!(
        totp::verify(&f.p, &f.user, &next, "ip").await,
        Err(MfaError::Reused)
    ));
    // Two steps ahead is outside the skew; then, later, one step behind is accepted.
    let ahead = totp::code_at(&secret, now + 90).unwrap();
    assert!(matches!(
        totp::verify(&f.p, &f.user, &ahead, "ip").await,
        Err(MfaError::WrongCode)
    ));
    f.clock.advance(120);
    let behind = totp::code_at(&secret, f.p.now() - 30).unwrap();
    totp::verify(&f.p, &f.user, &behind, "ip").await.unwrap();
    // An older step than the last accepted one is refused even inside the skew.
    let older = totp::code_at(&secret, f.p.now() - 60).unwrap();
    assert!(totp::verify(&f.p, &f.user, &older, "ip").await.is_err());
    for junk in ["", "12345", "1234567", "abcdef", "12 34 5x"] {
        assert!(matches!(
            totp::verify(&f.p, &f.user, junk, "ip").await,
            Err(MfaError::WrongCode)
        ));
    }
}

#[tokio::test]
async fn totp_seeds_are_sealed_at_rest() {
    let f = fixture().await;
    let secret = enrol_totp(&f).await;
    let stored = f.p.store.list_mfa_factors(&f.user.user_id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].confirmed);
    assert!(!stored[0].secret.contains(&secret));
    assert!(
        !stored[0]
            .secret
            .to_lowercase()
            .contains(&secret.to_lowercase())
    );
}

#[tokio::test]
async fn enrolment_needs_a_valid_first_code_and_resumes_while_fresh() {
    let f = fixture().await;
    let first = totp::begin(&f.p, &f.user).await.unwrap();
    let again = totp::begin(&f.p, &f.user).await.unwrap();
    assert_eq!(
        first.factor_id, again.factor_id,
        "a reload shows the same secret"
    );
    assert!(first.uri.starts_with("otpauth://totp/"));
    assert!(first.uri.contains(&format!("secret={}", first.secret)));
    assert!(matches!(
        totp::confirm(&f.p, &f.user, &first.factor_id, "000000", "ip").await,
        Err(MfaError::WrongCode)
    ));
    assert!(!enrolled(&f.p, &f.user.user_id).await.unwrap().totp);
    f.clock.advance(totp::ENROLMENT_LIFETIME);
    let fresh = totp::begin(&f.p, &f.user).await.unwrap();
    assert_ne!(
        fresh.factor_id, first.factor_id,
        "a stale enrolment starts over"
    );
    let code = totp::code_at(&first.secret, f.p.now()).unwrap();
    assert!(matches!(
        totp::confirm(&f.p, &f.user, &first.factor_id, &code, "ip").await,
        Err(MfaError::Expired)
    ));
}

#[tokio::test]
async fn recovery_codes_are_single_use_and_say_how_many_remain() {
    let f = fixture().await;
    let codes = recovery::regenerate(&f.p, &f.user).await.unwrap();
    assert_eq!(codes.len(), recovery::COUNT);
    let remaining = recovery::verify(&f.p, &f.user, &codes[0].to_uppercase(), "ip")
        .await
        .unwrap();
    assert_eq!(remaining, 9);
    assert!(matches!(
        recovery::verify(&f.p, &f.user, &codes[0], "ip").await,
        Err(MfaError::WrongCode)
    ));
    let newer = recovery::regenerate(&f.p, &f.user).await.unwrap();
    assert!(
        recovery::verify(&f.p, &f.user, &codes[1], "ip")
            .await
            .is_err(),
        "regenerating voids the old set"
    );
    assert_eq!(
        recovery::verify(&f.p, &f.user, &newer[1], "ip")
            .await
            .unwrap(),
        9
    );
}

#[tokio::test]
async fn failed_second_factors_count_toward_the_sign_in_lockout() {
    let f = fixture().await;
    let mut user = f.user.clone();
    user.password_hash = Some(f.p.passwords.hash("correct horse battery").await.unwrap());
    f.p.store.update_user(&user).await.unwrap();
    enrol_totp(&f).await;
    let limit = f.p.config.max_failed_logins;
    for _ in 0..limit {
        assert!(matches!(
            totp::verify(&f.p, &user, "000000", "10.0.0.1").await,
            Err(MfaError::WrongCode)
        ));
    }
    assert!(matches!(
        totp::verify(&f.p, &user, "000000", "10.0.0.1").await,
        Err(MfaError::TooManyAttempts)
    ));
    assert!(matches!(
        crate::login::authenticate(&f.p, &user.email, "correct horse battery", "10.0.0.1").await,
        Err(crate::login::LoginError::TooManyAttempts)
    ));
    // Another address is not locked out.
    crate::login::authenticate(&f.p, &user.email, "correct horse battery", "10.0.0.2")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_sign_in_does_not_reset_the_second_factor_counter() {
    let f = fixture().await;
    let mut user = f.user.clone();
    user.password_hash = Some(f.p.passwords.hash("correct horse battery").await.unwrap());
    f.p.store.update_user(&user).await.unwrap();
    enrol_totp(&f).await;
    for _ in 0..f.p.config.max_failed_logins {
        assert!(totp::verify(&f.p, &user, "000000", "ip").await.is_err());
        // Signing in with the password again resets only the password counter.
        crate::login::authenticate(&f.p, &user.email, "correct horse battery", "ip")
            .await
            .unwrap();
    }
    assert!(matches!(
        recovery::verify(&f.p, &user, "aaaaa-aaaaa", "ip").await,
        Err(MfaError::TooManyAttempts)
    ));
}

fn tx(extra: &[(&str, &str)]) -> Transaction {
    Transaction {
        params: authorize_params(extra),
        exp: T0 + 600,
        done: vec![],
    }
}

async fn next(f: &Fixture, tx: &Transaction) -> Next {
    interaction::next(&f.p, tx, Some((&f.session, &f.user)))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_enrolled_user_is_asked_for_the_second_factor_once_per_session() {
    let f = fixture().await;
    record(&f.p, &f.session, method::PWD).await.unwrap();
    assert!(matches!(next(&f, &tx(&[])).await, Next::Respond(_)));
    enrol_totp(&f).await;
    assert!(matches!(next(&f, &tx(&[])).await, Next::SecondFactor(_)));
    record(&f.p, &f.session, method::OTP).await.unwrap();
    assert!(matches!(next(&f, &tx(&[])).await, Next::Respond(_)));
}

#[tokio::test]
async fn step_up_asks_a_user_without_a_factor_to_enrol() {
    let f = fixture().await;
    record(&f.p, &f.session, method::PWD).await.unwrap();
    let step_up = tx(&[("acr_values", MULTI_FACTOR_ACR)]);
    assert!(matches!(next(&f, &step_up).await, Next::EnrolFactor(_)));
    let other_acr = tx(&[("acr_values", "urn:example:bronze")]);
    assert!(matches!(next(&f, &other_acr).await, Next::Respond(_)));
    let silent = tx(&[("acr_values", MULTI_FACTOR_ACR), ("prompt", "none")]);
    match next(&f, &silent).await {
        Next::Respond(r) => assert_eq!(
            r.error.map(|e| e.code),
            Some(crate::ErrorCode::InteractionRequired)
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_application_policy_overrides_the_tenant_policy() {
    let f = fixture().await;
    f.p.store
        .put_setting(policy::TENANT_SETTING, "required", T0)
        .await
        .unwrap();
    assert!(matches!(next(&f, &tx(&[])).await, Next::EnrolFactor(_)));
    f.p.store
        .put_setting(&policy::application_setting("web"), "off", T0)
        .await
        .unwrap();
    assert!(matches!(next(&f, &tx(&[])).await, Next::Respond(_)));
    let other = tx(&[("client_id", "other")]);
    assert!(matches!(next(&f, &other).await, Next::EnrolFactor(_)));
}

#[tokio::test]
async fn a_second_factor_step_does_not_satisfy_prompt_login() {
    let f = fixture().await;
    let mut t = tx(&[("prompt", "login")]);
    t.record(StepKind::Totp, T0);
    assert!(!t.authenticated());
    assert!(matches!(next(&f, &t).await, Next::SignIn(_)));
}
