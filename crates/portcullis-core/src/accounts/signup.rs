//! Sign-up (issue: hosted accounts §2). The form leads every email, new or taken, to the same
//! "check your inbox" page. A new address gets a link and a 6-digit code; the account exists
//! only once one of them is used (so nobody can hold an address they do not own). A taken
//! address gets a mail saying someone tried, with links to sign in and to reset the password;
//! nothing about the existing account changes.

use super::{AccountError, code_hash, link_token, six_digit_code};
use crate::Provider;
use crate::audit::{self, Event, EventType};
use crate::crypto::new_id;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use portcullis_store::{EmailToken, EmailTokenPurpose, Metadata, StoreError, User};
use serde::{Deserialize, Serialize};

/// Wrong codes allowed before a sign-up must start over.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// The sign-up form (the hosted page's, or the body of Auth0's `/dbconnections/signup`).
#[derive(Debug, Clone, Default)]
pub struct SignUpForm<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: Option<&'a str>,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub nickname: Option<&'a str>,
    /// An `http(s)` URL.
    pub picture: Option<&'a str>,
    /// Auth0's `user_metadata` of `/dbconnections/signup` (see [`signup_metadata`]).
    pub user_metadata: Option<&'a Metadata>,
}

/// A started sign-up: the canonical email, and the id the account will have once confirmed
/// (for an address that already has an account, an id that will never be used, so the answer
/// looks the same).
#[derive(Debug, Clone)]
pub struct Started {
    pub email: String,
    pub user_id: String,
}

/// What completing a sign-up needs, kept with its token.
#[derive(Serialize, Deserialize)]
struct Pending {
    password_hash: String,
    name: Option<String>,
    /// The sealed authorization request to resume, when the sign-up came from one.
    transaction: Option<String>,
    /// The id announced when the sign-up started (absent in sign-ups started before it was).
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    user_metadata: Metadata,
}

/// An optional profile field: trimmed, empty as absent, at most 200 characters.
fn optional_field(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<String>, AccountError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => crate::admin::validate::check_name(field, v)
            .map(Some)
            .map_err(|_| AccountError::field(field, "Use at most 200 characters.")),
        None => Ok(None),
    }
}

/// A picture URL: `https` (or `http`), at most 2,000 characters.
fn picture_url(value: Option<&str>) -> Result<Option<String>, AccountError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok =
        v.len() <= 2000 && url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
    if ok {
        Ok(Some(v.to_owned()))
    } else {
        Err(AccountError::field("picture", "Use an https URL."))
    }
}

/// At most this many `user_metadata` members at sign-up (Auth0's Authentication API).
pub const MAX_SIGNUP_METADATA_MEMBERS: usize = 10;
/// At most this many characters in a sign-up `user_metadata` member's name.
pub const MAX_SIGNUP_METADATA_NAME: usize = 100;
/// At most this many characters in a sign-up `user_metadata` member's value.
pub const MAX_SIGNUP_METADATA_VALUE: usize = 500;

/// The `user_metadata` a sign-up may set, with Auth0's rules for `/dbconnections/signup`
/// (<https://auth0.com/docs/api/authentication#signup>): an object of at most ten members, names
/// of at most 100 characters, values strings of at most 500, plus the rules of all metadata
/// (no `.` or `$` in names).
fn signup_metadata(value: Option<&Metadata>) -> Result<Metadata, AccountError> {
    let Some(metadata) = value else {
        return Ok(Metadata::new());
    };
    let refuse = |message: &str| Err(AccountError::field("user_metadata", message));
    if metadata.len() > MAX_SIGNUP_METADATA_MEMBERS {
        return refuse("Use at most 10 members.");
    }
    for (name, value) in metadata {
        if name.chars().count() > MAX_SIGNUP_METADATA_NAME {
            return refuse("Use member names of at most 100 characters.");
        }
        match value {
            serde_json::Value::String(v) if v.chars().count() <= MAX_SIGNUP_METADATA_VALUE => {}
            serde_json::Value::String(_) => {
                return refuse("Use values of at most 500 characters.");
            }
            _ => return refuse("Every value must be a string."),
        }
    }
    crate::management::metadata::check(crate::management::metadata::MetadataKind::User, metadata)
        .map_err(|e| match e {
        crate::admin::AdminError::Invalid { message, .. } => {
            AccountError::field("user_metadata", message)
        }
        _ => AccountError::field("user_metadata", "user_metadata is not valid."),
    })?;
    Ok(metadata.clone())
}

/// Where the links in the mails point.
pub struct Links<'a> {
    /// The confirmation link, given the token: `{issuer}u/signup/confirm?token=…`.
    pub confirm: &'a (dyn Fn(&str) -> String + Sync),
    /// The sign-in page for this request.
    pub sign_in: &'a str,
    /// The password-reset page.
    pub reset: &'a str,
}

/// Starts a sign-up: checks the form, throttles, and queues the right mail. Returns the
/// canonical email, for the "check your inbox" page. The answer is the same whether or not the
/// address has an account (the password is hashed either way, so timing says nothing either).
pub async fn start(
    p: &Provider,
    form: SignUpForm<'_>,
    client_ip: &str,
    transaction: Option<&str>,
    links: Links<'_>,
    lang: Lang,
) -> Result<Started, AccountError> {
    if !super::signup_enabled(p).await? {
        return Err(AccountError::SignupDisabled);
    }
    let email = crate::admin::validate::normalize_email(form.email)
        .map_err(|_| AccountError::field("email", "Enter a valid email address."))?;
    if let Err(violation) = crate::password_policy::check(form.password, Some(&email)) {
        audit::record(
            p,
            Event::new(EventType::FAILED_SIGNUP)
                .user_name(email.as_str())
                .description(format!("Password refused: {violation}")),
        );
        return Err(AccountError::field("password", violation.to_string()));
    }
    let name = optional_field("name", form.name)?;
    let given_name = optional_field("given_name", form.given_name)?;
    let family_name = optional_field("family_name", form.family_name)?;
    let nickname = optional_field("nickname", form.nickname)?;
    let picture = picture_url(form.picture)?;
    let user_metadata = signup_metadata(form.user_metadata)?;
    let user_id = new_id("usr");
    super::throttle_mail_request(p, client_ip, &email).await?;
    let password_hash = p
        .passwords
        .hash(form.password)
        .await
        .map_err(crate::OAuthError::server_error)?;
    let product = &p.config.product_name;
    if p.store.get_user_by_email(&email).await?.is_some() {
        let message = templates::signup_for_existing_account(
            lang,
            product,
            &email,
            links.sign_in,
            links.reset,
        );
        mail::enqueue(p, message).await?;
        tracing::info!(
            event = "signup_existing_email",
            "sign-up for an existing account: owner notified"
        );
        return Ok(Started { email, user_id });
    }
    let now = p.now();
    let token_id = new_id("sgn");
    let token = link_token();
    let code = six_digit_code();
    let pending = Pending {
        password_hash,
        name,
        transaction: transaction.map(str::to_owned),
        user_id: Some(user_id.clone()),
        given_name,
        family_name,
        nickname,
        picture,
        user_metadata,
    };
    p.store
        .put_email_token(&EmailToken {
            token_id: token_id.clone(),
            purpose: EmailTokenPurpose::SignUp,
            email: email.clone(),
            user_id: None,
            token_hash: p.hasher.hash(&token),
            code_hash: Some(code_hash(p, &token_id, &code)),
            attempts: 0,
            payload: serde_json::to_string(&pending).map_err(crate::OAuthError::server_error)?,
            created_at: now,
            expires_at: now + p.config.signup_lifetime,
        })
        .await?;
    let hours = p.config.signup_lifetime / 3600;
    let message = templates::confirm_signup(
        lang,
        product,
        &email,
        &(links.confirm)(&token),
        &code,
        hours,
    );
    mail::enqueue(p, message).await?;
    Ok(Started { email, user_id })
}

/// A completed sign-up: the new account, and the authorization request to resume.
#[derive(Debug)]
pub struct Confirmed {
    pub user: User,
    pub transaction: Option<String>,
}

/// Confirms with the 6-digit code typed on the "check your inbox" page. At most
/// [`MAX_CODE_ATTEMPTS`] wrong codes; then the sign-up must start over.
pub async fn confirm_code(
    p: &Provider,
    email: &str,
    code: &str,
) -> Result<Confirmed, AccountError> {
    let wrong = || {
        AccountError::field(
            "code",
            "That code is not right. Check the mail and try again.",
        )
    };
    let email = crate::email::canonical(email);
    let Some(token) = p
        .store
        .get_email_token_for(EmailTokenPurpose::SignUp, &email)
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        // The same answer as a wrong code: no sign-up pending says nothing about the account.
        return Err(wrong());
    };
    let code = code.trim();
    let expected = token.code_hash.as_deref().unwrap_or_default();
    if code.len() != 6
        || !p
            .hasher
            .verify(&format!("email-code:{}:{code}", token.token_id), expected)
    {
        let attempts = p.store.count_email_token_attempt(&token.token_id).await?;
        if attempts >= MAX_CODE_ATTEMPTS {
            p.store.take_email_token(&token.token_id).await?;
            return Err(AccountError::Expired(
                "Too many wrong codes. Sign up again to get a new one.",
            ));
        }
        return Err(wrong());
    }
    complete(p, token).await
}

/// Confirms with the link from the mail.
pub async fn confirm_link(p: &Provider, token: &str) -> Result<Confirmed, AccountError> {
    let expired = AccountError::Expired(
        "This link has expired or was already used. Sign up again to get a new one.",
    );
    if token.is_empty() || token.len() > 128 {
        return Err(expired);
    }
    let Some(record) = p
        .store
        .get_email_token_by_hash(EmailTokenPurpose::SignUp, &p.hasher.hash(token))
        .await?
        .filter(|t| t.expires_at > p.now())
    else {
        return Err(expired);
    };
    complete(p, record).await
}

/// Uses the token (once, whatever the concurrency) and creates the account, email verified.
async fn complete(p: &Provider, token: EmailToken) -> Result<Confirmed, AccountError> {
    if !p.store.take_email_token(&token.token_id).await? {
        return Err(AccountError::Expired(
            "This sign-up was already completed. Sign in instead.",
        ));
    }
    let pending: Pending =
        serde_json::from_str(&token.payload).map_err(crate::OAuthError::server_error)?;
    let now = p.now();
    let user = User {
        user_id: pending.user_id.unwrap_or_else(|| new_id("usr")),
        email: token.email.clone(),
        email_verified: true,
        name: pending.name,
        given_name: pending.given_name,
        family_name: pending.family_name,
        nickname: pending
            .nickname
            .or_else(|| token.email.split('@').next().map(str::to_owned)),
        picture: pending.picture,
        password_hash: Some(pending.password_hash),
        blocked: false,
        app_metadata: Default::default(),
        user_metadata: pending.user_metadata,
        created_at: now,
        updated_at: now,
        phone_number: None,
        phone_number_verified: false,
        address: None,
    };
    match p.store.create_user(&user).await {
        Ok(()) => {}
        // Created meanwhile by an administrator or another sign-up.
        Err(StoreError::Conflict(_)) => {
            audit::record(
                p,
                Event::new(EventType::FAILED_SIGNUP)
                    .user_name(user.email.as_str())
                    .description("An account with this email already exists"),
            );
            return Err(AccountError::Expired(
                "An account with this email already exists. Sign in instead.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(event = "signup", user_id = %user.user_id, "account created");
    audit::record(
        p,
        Event::new(EventType::SUCCESS_SIGNUP)
            .user(&user)
            .description("Successful signup")
            .detail("connection", "Username-Password-Authentication"),
    );
    Ok(Confirmed {
        user,
        transaction: pending.transaction,
    })
}
