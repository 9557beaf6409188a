//! The account page (`/u/account`), for the person signed in through the hosted session: email
//! verification, name, password, sessions and approved applications. Every form is a POST bound
//! to the session by its CSRF token.

use super::forms::{TokenForm, TokenQuery};
use crate::csrf::{self, FormToken};
use crate::html::{self, AccountPage, AppLine, ConnectionLine, MessagePage, SessionLine};
use crate::state::AppState;
use crate::{cookies, errors};
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::accounts::{AccountError, add_password, profile};
use portcullis_core::interaction::StepKind;
use portcullis_core::{OAuthError, Provider, sessions};
use portcullis_store::{Session, User};
use serde::Deserialize;

/// The signed-in session and user, or the page saying how to sign in.
async fn signed_in(p: &Provider, headers: &HeaderMap) -> Result<(Session, User), Response> {
    let cookie = cookies::get(headers, cookies::session_name(&p.config.issuer));
    match sessions::find(p, cookie).await {
        // A user with a second factor opens the account page only after using it.
        Ok(Some((session, user))) => match super::mfa::account_access(p, &session, &user).await {
            Ok(true) => Ok((session, user)),
            Ok(false) => Err(super::authorize::redirect(StatusCode::SEE_OTHER, "/u/mfa")),
            Err(e) => Err(errors::page(e)),
        },
        Ok(None) => Err(html::render(
            StatusCode::UNAUTHORIZED,
            &MessagePage {
                title: crate::ui::t("account.not_signed_in_title"),
                text: crate::ui::t("account.not_signed_in_text"),
                link: None,
            },
        )),
        Err(e) => Err(errors::page(e)),
    }
}

/// What to show above the sections.
#[derive(Default)]
struct Flash<'a> {
    notice: Option<&'a str>,
    error: Option<&'a str>,
    current_error: Option<&'a str>,
    new_error: Option<&'a str>,
}

async fn render(
    p: &Provider,
    headers: &HeaderMap,
    session: &Session,
    user: &User,
    flash: Flash<'_>,
    status: StatusCode,
) -> Response {
    let sessions = match p.store.list_user_sessions(&user.user_id).await {
        Ok(all) => all
            .into_iter()
            .filter(|s| s.expires_at > p.now() && s.idle_expires_at > p.now())
            .map(|s| SessionLine {
                current: s.session_id == session.session_id,
                started: html::utc(s.auth_time),
                id: s.session_id,
            })
            .collect::<Vec<_>>(),
        Err(e) => return errors::page(e.into()),
    };
    let consents = match p.store.list_user_consents(&user.user_id).await {
        Ok(c) => c,
        Err(e) => return errors::page(e.into()),
    };
    let mut apps = Vec::with_capacity(consents.len());
    for consent in consents {
        let name = match p.store.get_client(&consent.client_id).await {
            Ok(Some(c)) => c.name,
            _ => consent.client_id.clone(),
        };
        let scopes: Vec<&str> = consent
            .scopes
            .iter()
            .map(|s| s.rsplit('|').next().unwrap_or(s))
            .collect();
        apps.push(AppLine {
            client_id: consent.client_id.clone(),
            name,
            scopes: scopes.join(", "),
        });
    }
    let connections = match connection_lines(p, user).await {
        Ok(lines) => lines,
        Err(e) => return errors::page(e),
    };
    let mfa = match super::mfa::account_section(p, user).await {
        Ok(section) => section,
        Err(e) => return errors::page(e),
    };
    let form = FormToken::issue(p, headers, &session.session_id);
    let mut r = html::render(
        status,
        &AccountPage {
            email: &user.email,
            verified: user.email_verified,
            name: user.name.as_deref().unwrap_or(""),
            csrf: &form.token,
            sessions: &sessions,
            apps: &apps,
            connections: &connections,
            notice: flash.notice,
            error: flash.error,
            current_error: flash.current_error,
            new_error: flash.new_error,
            mfa: mfa.as_ref(),
            has_password: !add_password::can_add(user),
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

/// Every upstream connection, with the user's account there if linked.
async fn connection_lines(p: &Provider, user: &User) -> Result<Vec<ConnectionLine>, OAuthError> {
    let identities = p.store.list_user_identities(&user.user_id).await?;
    Ok(portcullis_core::upstream::all(p)
        .await?
        .iter()
        .map(|c| ConnectionLine {
            name: c.name.clone(),
            label: c.display_name.clone(),
            linked: identities
                .iter()
                .find(|i| i.connection == c.name)
                .map(|i| i.email.clone().unwrap_or_default()),
        })
        .collect())
}

/// `POST /u/account/connections`: adds an upstream account to the signed-in user, who proves it
/// by signing in there (the answer comes back to `/login/callback`).
pub async fn connect(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (_, _, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match portcullis_core::upstream::find(p, &form.id).await {
        Ok(Some(c)) => {
            super::upstream::start(p, &c, None, Some(user.user_id), StatusCode::SEE_OTHER).await
        }
        Ok(None) => errors::page(OAuthError::invalid_request("No such sign-in method.")),
        Err(e) => errors::page(e),
    }
}

#[derive(Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    id: String,
    /// The mailed token of a confirmation.
    #[serde(default)]
    token: String,
}

/// Parses and checks an account form: the session, the CSRF token bound to it.
async fn accept(
    p: &Provider,
    request: Request,
) -> Result<(HeaderMap, Session, User, AccountForm), Response> {
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<AccountForm>::from_request(request, &()).await else {
        return Err(errors::page(OAuthError::invalid_request(
            "The form was malformed.",
        )));
    };
    let (session, user) = signed_in(p, &headers).await?;
    csrf::check(p, &headers, &session.session_id, &form.csrf)
        .map_err(IntoResponse::into_response)?;
    Ok((headers, session, user, form))
}

fn failed(e: &AccountError) -> StatusCode {
    match e {
        AccountError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        AccountError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

pub async fn update_profile(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, session, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match profile::update_name(p, &user, &form.name).await {
        Ok(user) => {
            let flash = Flash {
                notice: Some(crate::ui::t("account.name_saved")),
                ..Flash::default()
            };
            render(p, &headers, &session, &user, flash, StatusCode::OK).await
        }
        Err(e) => {
            let message = e.to_string();
            let flash = Flash {
                error: Some(&message),
                ..Flash::default()
            };
            render(p, &headers, &session, &user, flash, failed(&e)).await
        }
    }
}

pub async fn change_password(
    State(s): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    request: Request,
) -> Response {
    let p = &s.provider;
    let (headers, session, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let reset_link = p.config.issuer.endpoint(portcullis_core::paths::RESET);
    let changed = profile::change_password(
        p,
        &user,
        &form.current_password,
        &form.new_password,
        &ip,
        &reset_link,
        crate::ui::lang(),
    )
    .await;
    match changed {
        // Every session ended, this one too: sign this browser in again.
        Ok(user) => {
            super::flow::signed_in(p, &headers, None, &user, StepKind::Password, || {
                super::authorize::redirect(StatusCode::SEE_OTHER, "/u/account?changed=password")
            })
            .await
        }
        Err(e) => {
            let message = e.to_string();
            let mut flash = Flash::default();
            match &e {
                AccountError::Field { field, .. } if *field == "current_password" => {
                    flash.current_error = Some(&message)
                }
                AccountError::Field { .. } => flash.new_error = Some(&message),
                _ => flash.error = Some(&message),
            }
            render(p, &headers, &session, &user, flash, failed(&e)).await
        }
    }
}

/// `POST /u/account/password/add`: a user without a password chooses one; it is added once the
/// mailed link is opened in this browser ([`add_password`]).
pub async fn add_password_request(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, session, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let confirm = |token: &str| {
        p.config
            .issuer
            .endpoint(&format!("u/account/password/confirm?token={token}"))
    };
    let account = p.config.issuer.endpoint("u/account");
    let links = add_password::Links {
        confirm: &confirm,
        account: &account,
    };
    match add_password::request(p, &user, &form.new_password, links, crate::ui::lang()).await {
        Ok(()) => {
            let sent = crate::ui::f("account.add_password_sent", "email", &user.email);
            let flash = Flash {
                notice: Some(&sent),
                ..Flash::default()
            };
            render(p, &headers, &session, &user, flash, StatusCode::OK).await
        }
        Err(e) => {
            let message = e.to_string();
            let mut flash = Flash::default();
            match &e {
                AccountError::Field { .. } => flash.new_error = Some(&message),
                _ => flash.error = Some(&message),
            }
            render(p, &headers, &session, &user, flash, failed(&e)).await
        }
    }
}

/// The mailed link that adds the password: a page with one button, for the signed-in user.
pub async fn add_password_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let p = &s.provider;
    let (session, user) = match signed_in(p, &headers).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let token = q.token.unwrap_or_default();
    let form = FormToken::issue(p, &headers, &session.session_id);
    let mut r = html::render(
        StatusCode::OK,
        &html::AddPasswordConfirmPage {
            email: &user.email,
            token: &token,
            csrf: &form.token,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

/// `POST /u/account/password/confirm`: adds the password the link's token holds.
pub async fn add_password_confirm(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, session, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match add_password::confirm(p, &user, &form.token).await {
        Ok(user) => {
            let flash = Flash {
                notice: Some(crate::ui::t("account.password_added")),
                ..Flash::default()
            };
            render(p, &headers, &session, &user, flash, StatusCode::OK).await
        }
        Err(e) => html::render(
            failed(&e),
            &MessagePage {
                title: crate::ui::t("link.unusable_title"),
                text: &e.to_string(),
                link: None,
            },
        ),
    }
}

#[derive(Deserialize)]
pub struct ChangedQuery {
    changed: Option<String>,
    /// A connection just linked.
    linked: Option<String>,
}

/// The account page (`?changed=password` after a password change).
pub async fn account_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ChangedQuery>,
) -> Response {
    let p = &s.provider;
    let (session, user) = match signed_in(p, &headers).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let linked = match &q.linked {
        Some(name) => match portcullis_core::upstream::find(p, name).await {
            Ok(Some(c)) => Some(crate::ui::f("account.linked", "name", &c.display_name)),
            _ => None,
        },
        None => None,
    };
    let notice = match q.changed.as_deref() {
        Some("password") => Some(crate::ui::t("account.password_changed")),
        Some("mfa") => Some(crate::ui::t("account.mfa_removed")),
        Some("passkey") => Some(crate::ui::t("account.passkey_added")),
        Some("renamed") => Some(crate::ui::t("account.passkey_renamed")),
        _ => linked.as_deref(),
    };
    let flash = Flash {
        notice,
        ..Flash::default()
    };
    render(p, &headers, &session, &user, flash, StatusCode::OK).await
}

pub async fn send_verification(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, session, user, _) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let link = |token: &str| p.config.issuer.endpoint(&format!("u/verify?token={token}"));
    let (message, status) =
        match profile::send_verification(p, &user, &link, crate::ui::lang()).await {
            Ok(()) => (
                crate::ui::f("account.link_sent", "email", &user.email),
                StatusCode::OK,
            ),
            Err(e) => (e.to_string(), failed(&e)),
        };
    let flash = if status == StatusCode::OK {
        Flash {
            notice: Some(&message),
            ..Flash::default()
        }
    } else {
        Flash {
            error: Some(&message),
            ..Flash::default()
        }
    };
    render(p, &headers, &session, &user, flash, status).await
}

pub async fn end_session(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, session, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let notice = match profile::end_session(p, &user, &form.id).await {
        Ok(true) => crate::ui::t("account.session_ended"),
        Ok(false) => crate::ui::t("account.session_gone"),
        Err(e) => return errors::page(OAuthError::server_error(e)),
    };
    let flash = Flash {
        notice: Some(notice),
        ..Flash::default()
    };
    render(p, &headers, &session, &user, flash, StatusCode::OK).await
}

pub async fn revoke_app(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let (headers, session, user, form) = match accept(p, request).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    if let Err(e) = profile::revoke_consent(p, &user, &form.id).await {
        return errors::page(OAuthError::server_error(e));
    }
    let flash = Flash {
        notice: Some(crate::ui::t("account.access_removed")),
        ..Flash::default()
    };
    render(p, &headers, &session, &user, flash, StatusCode::OK).await
}

/// The mailed verification link: a page with one button.
pub async fn verify_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let p = &s.provider;
    let token = q.token.unwrap_or_default();
    let form = FormToken::issue(p, &headers, &token);
    let mut r = html::render(
        StatusCode::OK,
        &html::VerifyEmailPage {
            token: &token,
            csrf: &form.token,
        },
    );
    form.set_cookie_on(p, &mut r);
    r
}

pub async fn verify_submit(State(s): State<AppState>, request: Request) -> Response {
    let p = &s.provider;
    let headers = request.headers().clone();
    let Ok(Form(form)) = Form::<TokenForm>::from_request(request, &()).await else {
        return errors::page(OAuthError::invalid_request("The form was malformed."));
    };
    if let Err(refused) = csrf::check(p, &headers, &form.token, &form.csrf) {
        return refused.into_response();
    }
    match profile::verify_email(p, &form.token).await {
        Ok(user) => html::render(
            StatusCode::OK,
            &MessagePage {
                title: crate::ui::t("confirm.done_title"),
                text: &crate::ui::f("confirm.done_text", "email", &user.email),
                link: None,
            },
        ),
        Err(e) => html::render(
            failed(&e),
            &MessagePage {
                title: crate::ui::t("link.unusable_title"),
                text: &e.to_string(),
                link: None,
            },
        ),
    }
}
