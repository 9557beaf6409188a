//! Passkeys (W3C Web Authentication Level 3, through `webauthn-rs`): registration from the
//! account page or right after the password, use as a second factor, and passwordless sign-in
//! with discoverable credentials (§5.1.4 `[[DiscoverSilently]]`, conditional mediation).
//!
//! The relying party is the issuer: its id is the issuer's host and the only accepted origin is
//! the issuer's origin (§5.1.4.1 step 2, §7.1 step 9 and §7.2 step 13). Ceremony state stays on
//! the server, in the store's single-use, expiring `webauthn_states`, under the keyed hash of a
//! random id that the page posts back; the browser never holds it. A passkey is a factor of its
//! user ([`FactorKind::Passkey`]) whose id is derived from the credential id
//! ([`factor_id_of`]), so a discoverable sign-in finds it with one lookup, and the same
//! credential can never be registered twice.

use super::{MfaError, method};
use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::config::Issuer;
use crate::crypto::random_token;
use crate::error::OAuthError;
use portcullis_store::{FactorKind, MfaFactor, User};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    CredentialID, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// How long a page may wait for the authenticator (the ceremony's state lives this long). The
/// WebAuthn recommended range for a ceremony with user verification is 300 s to 600 s (§15.1).
pub const CEREMONY_LIFETIME: i64 = 10 * 60;
/// The longest name a user may give a passkey (characters).
pub const MAX_NAME: usize = 64;
/// The longest credential response accepted (bytes of JSON). Real ones are a few kilobytes.
const MAX_RESPONSE: usize = 64 * 1024;

/// Why passkeys cannot be offered with this issuer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    /// §5.1.4.1 / RFC 6454: an RP id is a registrable domain (or `localhost`), never an IP.
    #[error(
        "passkeys are unavailable: the issuer's host {0} is not a domain name (WebAuthn relying party ids must be domains; for local development use http://localhost:PORT/)"
    )]
    NotADomain(String),
    #[error("passkeys are unavailable: the relying party could not be configured ({0})")]
    Configuration(String),
}

/// The relying party of `issuer`: id = its host, origin = its origin. Browsers allow WebAuthn
/// only in secure contexts (https, or http on `localhost`), which is what [`Issuer::parse`]
/// accepts, except IP hosts (`http://127.0.0.1/`), which can never be an RP id.
pub fn relying_party(issuer: &Issuer, product: &str) -> Result<Webauthn, Unavailable> {
    let origin =
        Url::parse(&issuer.origin()).map_err(|e| Unavailable::Configuration(e.to_string()))?;
    let Some(host) = origin.domain() else {
        return Err(Unavailable::NotADomain(
            origin.host_str().unwrap_or_default().to_owned(),
        ));
    };
    let host = host.to_owned();
    WebauthnBuilder::new(&host, &origin)
        .and_then(|b| b.rp_name(product).build())
        .map_err(|e| Unavailable::Configuration(e.to_string()))
}

/// This provider's relying party, or why there is none.
pub fn relying_party_of(p: &Provider) -> Result<Webauthn, Unavailable> {
    relying_party(&p.config.issuer, &p.config.product_name)
}

/// Whether passkeys can be used with this issuer.
pub fn available(p: &Provider) -> bool {
    relying_party_of(p).is_ok()
}

fn rp(p: &Provider) -> Result<Webauthn, MfaError> {
    relying_party_of(p).map_err(|_| MfaError::PasskeysUnavailable)
}

/// The factor id of a credential: `mfa_pk_` and the SHA-256 of the credential id, in hex (a
/// fixed length whatever the authenticator chose, §4 "Credential ID": up to 1023 bytes).
pub fn factor_id_of(credential_id: &[u8]) -> String {
    format!("mfa_pk_{}", hex::encode(Sha256::digest(credential_id)))
}

/// The WebAuthn user handle of a user (§4 "User Handle": opaque, no personal data, at most 64
/// bytes): a UUID derived from the user id, so every passkey of a user carries the same one.
pub fn user_handle(user_id: &str) -> Uuid {
    let digest = Sha256::digest(format!("portcullis-webauthn-user:{user_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// The ceremony a stored state belongs to, and whose it is.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Ceremony {
    Register {
        user_id: String,
        state: PasskeyRegistration,
    },
    SecondFactor {
        user_id: String,
        state: PasskeyAuthentication,
    },
    SignIn {
        state: DiscoverableAuthentication,
    },
}

/// A started ceremony: the id the page posts back and the options for
/// `navigator.credentials.create()` / `.get()` (JSON, binary fields in base64url).
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub options: serde_json::Value,
}

fn state_key(p: &Provider, id: &str) -> String {
    hex::encode(p.hasher.digest(format!("webauthn-state:{id}").as_bytes()))
}

async fn save(
    p: &Provider,
    ceremony: &Ceremony,
    options: impl Serialize,
) -> Result<Challenge, MfaError> {
    let id = random_token(32);
    let state = serde_json::to_string(ceremony).map_err(OAuthError::server_error)?;
    p.store
        .put_webauthn_state(&state_key(p, &id), &state, p.now() + CEREMONY_LIFETIME)
        .await?;
    let options = serde_json::to_value(options).map_err(OAuthError::server_error)?;
    Ok(Challenge { id, options })
}

/// Takes the ceremony `id` names (once: §13.4.3, a challenge is never accepted twice).
async fn take(p: &Provider, id: &str) -> Result<Ceremony, MfaError> {
    if id.is_empty() || id.len() > 128 {
        return Err(MfaError::Expired);
    }
    let Some(state) = p
        .store
        .take_webauthn_state(&state_key(p, id), p.now())
        .await?
    else {
        return Err(MfaError::Expired);
    };
    serde_json::from_str(&state).map_err(|_| MfaError::Expired)
}

fn parse<T: serde::de::DeserializeOwned>(response: &str) -> Result<T, MfaError> {
    if response.is_empty() || response.len() > MAX_RESPONSE {
        return Err(MfaError::PasskeyRefused);
    }
    serde_json::from_str(response).map_err(|_| MfaError::PasskeyRefused)
}

/// The user's confirmed passkeys, with their factors.
async fn passkeys_of(p: &Provider, user_id: &str) -> Result<Vec<(MfaFactor, Passkey)>, MfaError> {
    Ok(super::confirmed_factors(p, user_id)
        .await?
        .into_iter()
        .filter(|f| f.kind == FactorKind::Passkey)
        .filter_map(|f| {
            let key = serde_json::from_str::<Passkey>(&f.secret).ok()?;
            Some((f, key))
        })
        .collect())
}

/// Whether the authenticator may copy the key elsewhere (the BE flag, §6.1: a synced passkey):
/// RFC 8176 `swk`; a key bound to its device is `hwk`.
fn key_method(backup_eligible: bool) -> &'static str {
    if backup_eligible {
        method::SWK
    } else {
        method::HWK
    }
}

fn stored_backup_eligible(key: &Passkey) -> bool {
    serde_json::to_value(key)
        .ok()
        .and_then(|v| v.pointer("/cred/backup_eligible").and_then(|b| b.as_bool()))
        .unwrap_or(false)
}

/// What a passkey use proved: the RFC 8176 methods to record on the session (`hwk` or `swk`,
/// and `user`: webauthn-rs asks for and checks user verification, §7.2 step 17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub factor_id: String,
    pub methods: Vec<&'static str>,
}

// ---- Registration --------------------------------------------------------------------------

/// Starts registering a passkey for `user` (§7.1). Her other passkeys are excluded (the
/// authenticator says so instead of making a second one), and a discoverable credential is
/// asked for, so the passkey also signs in without a password.
pub async fn begin_registration(p: &Provider, user: &User) -> Result<Challenge, MfaError> {
    let rp = rp(p)?;
    let existing: Vec<CredentialID> = passkeys_of(p, &user.user_id)
        .await?
        .iter()
        .map(|(_, k)| k.cred_id().clone())
        .collect();
    let display = user
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&user.email);
    let (options, state) = rp
        .start_passkey_registration(
            user_handle(&user.user_id),
            &user.email,
            display,
            Some(existing),
        )
        .map_err(|e| OAuthError::server_error(format!("webauthn: {e}")))?;
    let mut options = serde_json::to_value(options).map_err(OAuthError::server_error)?;
    // A passkey is a discoverable credential (§5.4.4 `residentKey`, §6.2.2 "client-side
    // discoverable"): required, so "Sign in with a passkey" finds it later. webauthn-rs asks
    // for "discouraged" and does not check the flag, so the options are changed here.
    if let Some(sel) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|v| v.as_object_mut())
    {
        sel.insert("residentKey".into(), "required".into());
        sel.insert("requireResidentKey".into(), true.into());
    }
    save(
        p,
        &Ceremony::Register {
            user_id: user.user_id.clone(),
            state,
        },
        options,
    )
    .await
}

/// A passkey name as stored: trimmed, control characters removed, at most [`MAX_NAME`]
/// characters; empty means "Passkey".
pub fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_NAME)
        .collect();
    if cleaned.is_empty() {
        "Passkey".to_owned()
    } else {
        cleaned
    }
}

/// Finishes a registration (§7.1 steps 7-27, by webauthn-rs) and stores the passkey as a
/// confirmed factor of `user` named `name`. Returns the factor and what registering proved.
pub async fn finish_registration(
    p: &Provider,
    user: &User,
    ceremony_id: &str,
    response: &str,
    name: &str,
) -> Result<(MfaFactor, Used), MfaError> {
    let Ceremony::Register { user_id, state } = take(p, ceremony_id).await? else {
        return Err(MfaError::Expired);
    };
    if user_id != user.user_id {
        return Err(MfaError::Expired);
    }
    let credential: RegisterPublicKeyCredential = parse(response)?;
    let key = rp(p)?
        .finish_passkey_registration(&credential, &state)
        .map_err(|e| {
            tracing::info!(user_id = %user.user_id, error = %e, "passkey registration refused");
            MfaError::PasskeyRefused
        })?;
    let factor_id = factor_id_of(key.cred_id());
    // §7.1 step 26: a credential id registered before (to anyone) is refused.
    if p.store.get_mfa_factor(&factor_id).await?.is_some() {
        return Err(MfaError::PasskeyRefused);
    }
    let now = p.now();
    let factor = MfaFactor {
        factor_id: factor_id.clone(),
        user_id: user.user_id.clone(),
        kind: FactorKind::Passkey,
        name: clean_name(name),
        secret: serde_json::to_string(&key).map_err(OAuthError::server_error)?,
        confirmed: true,
        last_used_step: None,
        created_at: now,
        last_used_at: None,
    };
    p.store
        .create_mfa_factor(&factor)
        .await
        .map_err(|e| match e {
            portcullis_store::StoreError::Conflict(_) => MfaError::PasskeyRefused,
            e => e.into(),
        })?;
    let methods = vec![key_method(stored_backup_eligible(&key)), method::USER];
    tracing::info!(event = "mfa_enrolled", user_id = %user.user_id, factor = "passkey", factor_id, "passkey registered");
    Ok((factor, Used { factor_id, methods }))
}

// ---- Second factor -------------------------------------------------------------------------

/// Starts a second-factor check with the passkeys of `user` (§7.2 with `allowCredentials`), or
/// `None` when she has none (or passkeys are unavailable).
pub async fn begin_second_factor(p: &Provider, user: &User) -> Result<Option<Challenge>, MfaError> {
    let Ok(rp) = relying_party_of(p) else {
        return Ok(None);
    };
    let keys: Vec<Passkey> = passkeys_of(p, &user.user_id)
        .await?
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    let (options, state) = rp
        .start_passkey_authentication(&keys)
        .map_err(|e| OAuthError::server_error(format!("webauthn: {e}")))?;
    save(
        p,
        &Ceremony::SecondFactor {
            user_id: user.user_id.clone(),
            state,
        },
        options,
    )
    .await
    .map(Some)
}

/// Checks a passkey assertion of `user` as her second factor. Each try reserves a
/// second-factor attempt; a refused assertion counts toward her lockout like a wrong code.
pub async fn verify_second_factor(
    p: &Provider,
    user: &User,
    ceremony_id: &str,
    response: &str,
    ip: &str,
) -> Result<Used, MfaError> {
    // The state is used up first: a stale page costs no attempt, a replay never gets one.
    let ceremony = match take(p, ceremony_id).await? {
        Ceremony::SecondFactor { user_id, state } if user_id == user.user_id => state,
        _ => return Err(MfaError::Expired),
    };
    let attempt = super::attempt(p, user, ip).await?;
    let credential: PublicKeyCredential = match parse(response) {
        Ok(c) => c,
        Err(e) => return Err(super::failed_with(p, user, ip, attempt, e).await),
    };
    let factor_id = factor_id_of(credential.get_credential_id());
    let Some((factor, key)) = passkeys_of(p, &user.user_id)
        .await?
        .into_iter()
        .find(|(f, _)| f.factor_id == factor_id)
    else {
        return Err(super::failed_with(p, user, ip, attempt, MfaError::PasskeyRefused).await);
    };
    match rp(p)?.finish_passkey_authentication(&credential, &ceremony) {
        Ok(result) => {
            let used = after_use(p, &factor, key, &result).await?;
            attempt.succeeded(p).await?;
            Ok(used)
        }
        Err(e) => {
            tracing::info!(user_id = %user.user_id, error = %e, "passkey assertion refused");
            Err(super::failed_with(p, user, ip, attempt, MfaError::PasskeyRefused).await)
        }
    }
}

/// Stores what changed in the passkey (§7.2 steps 21-22: the signature counter, the backup
/// state) and says what the use proved.
async fn after_use(
    p: &Provider,
    factor: &MfaFactor,
    mut key: Passkey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<Used, MfaError> {
    key.update_credential(result);
    let secret = serde_json::to_string(&key).map_err(OAuthError::server_error)?;
    // Also records the time of use, changed or not.
    p.store
        .update_mfa_factor_secret(&factor.factor_id, &secret, p.now())
        .await?;
    let mut methods = vec![key_method(result.backup_eligible())];
    if result.user_verified() {
        methods.push(method::USER);
    }
    Ok(Used {
        factor_id: factor.factor_id.clone(),
        methods,
    })
}

// ---- Passwordless sign-in ------------------------------------------------------------------

/// Starts a passwordless sign-in with a discoverable credential (§5.1.4, empty
/// `allowCredentials`): the options carry `mediation: "conditional"` for passkey autofill; the
/// "Sign in with a passkey" button uses them without it.
pub async fn begin_sign_in(p: &Provider) -> Result<Challenge, MfaError> {
    let (options, state) = rp(p)?
        .start_discoverable_authentication()
        .map_err(|e| OAuthError::server_error(format!("webauthn: {e}")))?;
    save(p, &Ceremony::SignIn { state }, options).await
}

/// Signs in with a passkey: finds the user by the credential id (and checks the user handle the
/// authenticator returned is hers), then checks the assertion with user verification. A
/// blocked user is refused; a refused assertion counts toward her lockout.
pub async fn sign_in(
    p: &Provider,
    ceremony_id: &str,
    response: &str,
    ip: &str,
) -> Result<(User, Used), MfaError> {
    let Ceremony::SignIn { state } = take(p, ceremony_id).await? else {
        return Err(MfaError::Expired);
    };
    let credential: PublicKeyCredential = parse(response)?;
    let rp = rp(p)?;
    let (handle, credential_id) = rp
        .identify_discoverable_authentication(&credential)
        .map_err(|_| MfaError::UnknownPasskey)?;
    let factor_id = factor_id_of(credential_id);
    let Some(factor) = p.store.get_mfa_factor(&factor_id).await? else {
        tracing::info!(event = "passkey_unknown", "sign-in with an unknown passkey");
        return Err(MfaError::UnknownPasskey);
    };
    let Some(user) = p.store.get_user(&factor.user_id).await? else {
        return Err(MfaError::UnknownPasskey);
    };
    if factor.kind != FactorKind::Passkey
        || !factor.confirmed
        || handle != user_handle(&user.user_id)
    {
        return Err(MfaError::UnknownPasskey);
    }
    let key: Passkey = serde_json::from_str(&factor.secret)
        .map_err(|_| OAuthError::server_error("a stored passkey could not be read"))?;
    let attempt = super::attempt(p, &user, ip).await?;
    match rp.finish_discoverable_authentication_v2(&credential, state, &key) {
        Ok(result) if result.user_verified() => {
            let used = after_use(p, &factor, key, &result).await?;
            attempt.succeeded(p).await?;
            if crate::authorize::user_may_sign_in(&user).is_err() {
                audit::record(
                    p,
                    Event::new(EventType::FAILED_LOGIN)
                        .user(&user)
                        .description("user is blocked"),
                );
                return Err(MfaError::Blocked);
            }
            audit::record(
                p,
                Event::new(EventType::SUCCESS_LOGIN)
                    .user(&user)
                    .description("Successful login with a passkey")
                    .detail("connection", "passkey"),
            );
            Ok((user, used))
        }
        outcome => {
            if let Err(e) = outcome {
                tracing::info!(user_id = %user.user_id, error = %e, "passkey sign-in refused");
            }
            audit::record(
                p,
                Event::new(EventType::FAILED_LOGIN)
                    .user(&user)
                    .description("Passkey not accepted"),
            );
            Err(super::failed_with(p, &user, ip, attempt, MfaError::PasskeyRefused).await)
        }
    }
}
