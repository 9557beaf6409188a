//! The language and branding of the page being rendered.
//!
//! A middleware ([`scope`]) gives every request a [`Ui`]: the language the browser prefers
//! (`Accept-Language`) and the branding of the provider. A handler that works on a sign-in
//! transaction refines the language with the authorization request's `ui_locales`
//! ([`prefer_transaction`]). Templates read it through the functions of this module, so every
//! page, including error pages built deep inside a handler, speaks the same language.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use portcullis_core::i18n::{self, Lang};
use portcullis_core::interaction::Transaction;
use portcullis_core::mail::templates::escape;
use std::cell::Cell;
use std::sync::Arc;

/// What the pages show of the provider's identity.
#[derive(Debug, Clone, Default)]
pub struct Brand {
    pub product: String,
    /// Shown instead of the built-in logo.
    pub logo_url: Option<String>,
    /// `#rrggbb`, the accent colour of buttons and links.
    pub primary_color: Option<String>,
}

impl Brand {
    pub fn of(config: &portcullis_core::ProviderConfig) -> Self {
        Brand {
            product: config.product_name.clone(),
            logo_url: config.logo_url.clone(),
            primary_color: config.primary_color.clone(),
        }
    }
}

/// The language and branding of one request.
pub struct Ui {
    lang: Cell<Lang>,
    accept_language: Option<String>,
    brand: Arc<Brand>,
}

tokio::task_local! {
    static UI: Ui;
}

/// Middleware: runs the request with its [`Ui`].
pub async fn scope(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let accept_language = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ui = Ui {
        lang: Cell::new(i18n::negotiate(None, accept_language.as_deref())),
        accept_language,
        brand: s.brand.clone(),
    };
    let mut response = UI.scope(ui, next.run(request)).await;
    if response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        response.headers_mut().append(
            header::VARY,
            axum::http::HeaderValue::from_static("Accept-Language"),
        );
    }
    response
}

/// The language of this request.
pub fn lang() -> Lang {
    UI.try_with(|ui| ui.lang.get()).unwrap_or_default()
}

/// Chooses the language by the authorization request's `ui_locales` first.
pub fn prefer_transaction(tx: &Transaction) {
    let ui_locales = tx.params.get("ui_locales");
    let _ = UI.try_with(|ui| {
        ui.lang
            .set(i18n::negotiate(ui_locales, ui.accept_language.as_deref()));
    });
}

/// The branding of this request's provider.
pub fn brand() -> Arc<Brand> {
    UI.try_with(|ui| ui.brand.clone()).unwrap_or_else(|_| {
        Arc::new(Brand {
            product: "Portcullis".to_owned(),
            ..Brand::default()
        })
    })
}

/// The product name.
pub fn product() -> String {
    brand().product.clone()
}

/// The text of `key`.
pub fn t(key: &str) -> &'static str {
    lang().text(key)
}

/// The text of `key` with `{name}` replaced by `value` (escaped by the template).
pub fn f(key: &str, name: &str, value: &str) -> String {
    lang().format(key, &[(name, value)])
}

/// The text of `key` with `{product}` replaced by the product name.
pub fn p(key: &str) -> String {
    lang().format(key, &[("product", &product())])
}

/// A sentence of the core, translated.
pub fn localize(english: &str) -> String {
    lang().localize(english).into_owned()
}

/// HTML: the text of `key`, escaped, with each placeholder as `<strong>value</strong>`.
pub fn strong(key: &str, name: &str, value: &str) -> String {
    strong_all(key, &[(name, value)])
}

/// HTML: as [`strong`], with two placeholders.
pub fn strong2(key: &str, n1: &str, v1: &str, n2: &str, v2: &str) -> String {
    strong_all(key, &[(n1, v1), (n2, v2)])
}

fn strong_all(key: &str, args: &[(&str, &str)]) -> String {
    let html: Vec<(&str, String)> = args
        .iter()
        .map(|(n, v)| (*n, format!("<strong>{}</strong>", escape(v))))
        .collect();
    let refs: Vec<(&str, &str)> = html.iter().map(|(n, v)| (*n, v.as_str())).collect();
    i18n::fill(&escape(t(key)), &refs)
}

/// HTML: the text of `key`, escaped, with `{link}` as a link to `href` labelled `label_key`.
pub fn link(key: &str, href: &str, label_key: &str) -> String {
    let a = format!("<a href=\"{}\">{}</a>", escape(href), escape(t(label_key)));
    i18n::fill(&escape(t(key)), &[("link", &a)])
}

#[cfg(test)]
mod tests {
    use portcullis_core::i18n::Lang;

    /// Every key the templates and handlers use exists (in English, hence in every language:
    /// the core's tests check that).
    #[test]
    fn every_key_used_exists() {
        let sources = [
            include_str!("../templates/base.html"),
            include_str!("../templates/account.html"),
            include_str!("../templates/confirm_email.html"),
            include_str!("../templates/consent.html"),
            include_str!("../templates/error.html"),
            include_str!("../templates/form_post.html"),
            include_str!("../templates/home.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/logout_confirm.html"),
            include_str!("../templates/message.html"),
            include_str!("../templates/reset_password.html"),
            include_str!("../templates/reset_request.html"),
            include_str!("../templates/signed_out.html"),
            include_str!("../templates/signup.html"),
            include_str!("../templates/signup_check.html"),
            include_str!("../templates/verify_email.html"),
            include_str!("../templates/unblock.html"),
            include_str!("html.rs"),
            include_str!("routes/account.rs"),
            include_str!("routes/login.rs"),
            include_str!("routes/reset.rs"),
            include_str!("routes/signup.rs"),
            include_str!("routes/unblock.rs"),
        ];
        let mut checked = 0;
        for source in sources {
            for call in [
                "ui::t(\"",
                "ui::f(\"",
                "ui::p(\"",
                "ui::strong(\"",
                "ui::strong2(\"",
                "ui::link(\"",
            ] {
                for (at, _) in source.match_indices(call) {
                    let rest = &source[at + call.len()..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    assert!(Lang::En.has(key), "unknown key {key:?}");
                    checked += 1;
                }
            }
        }
        for key in [
            "error.slow_down",
            "error.not_found",
            "error.server",
            "error.generic",
            "check.sign_up_again",
        ] {
            assert!(Lang::En.has(key), "unknown key {key:?}");
        }
        assert!(
            checked > 100,
            "only {checked} keys found: is the scan broken?"
        );
    }

    #[test]
    fn html_helpers_escape_values_and_texts() {
        assert_eq!(
            super::strong("login.lede", "app", "<Acme & Co>"),
            "Sign in to continue to <strong>&lt;Acme &amp; Co&gt;</strong>."
        );
        assert_eq!(
            super::link("check.help", "/u/signup?state=a&b", "check.sign_up_again"),
            "No message after a few minutes? Check your spam folder, or <a href=\"/u/signup?state=a&amp;b\">sign up again</a> to get a new code."
        );
    }
}
