//! Mails telling a user that a second factor was added to or removed from their account (so a
//! change they did not make does not go unnoticed).

use crate::Provider;
use crate::error::OAuthResult;
use crate::i18n::Lang;
use crate::mail::{self, templates};
use portcullis_store::User;

/// Which kind of factor changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    AuthenticatorApp,
    Passkey,
}

impl Factor {
    fn key(self) -> &'static str {
        match self {
            Factor::AuthenticatorApp => "mail.mfa.authenticator_app",
            Factor::Passkey => "mail.mfa.passkey",
        }
    }
}

/// "An authenticator app was added to your account."
pub async fn factor_added(
    p: &Provider,
    user: &User,
    lang: Lang,
    factor: Factor,
) -> OAuthResult<()> {
    let link = p.config.issuer.endpoint("u/account");
    mail::enqueue(
        p,
        templates::factor_changed(
            lang,
            &p.config.product_name,
            &user.email,
            lang.text(factor.key()),
            true,
            &link,
        ),
    )
    .await
}

/// "An authenticator app was removed from your account."
pub async fn factor_removed(
    p: &Provider,
    user: &User,
    lang: Lang,
    factor: Factor,
) -> OAuthResult<()> {
    let link = p.config.issuer.endpoint("u/account");
    mail::enqueue(
        p,
        templates::factor_changed(
            lang,
            &p.config.product_name,
            &user.email,
            lang.text(factor.key()),
            false,
            &link,
        ),
    )
    .await
}
