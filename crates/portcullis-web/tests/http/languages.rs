//! Languages and branding (issue #9): pages chosen by `ui_locales`, then `Accept-Language`;
//! mails in the language of the page that caused them; product name, logo and colour from the
//! configuration.

use crate::support::*;
use portcullis_testkit::Server;
use reqwest::StatusCode;

/// GET /authorize with `extra` and an optional `Accept-Language`; returns the sign-in page.
async fn login_page(
    s: &TestServer,
    b: &reqwest::Client,
    extra: &[(&'static str, &str)],
    accept_language: Option<&str>,
) -> (String, String) {
    let mut params = web_params(s);
    for (k, v) in extra {
        params = with(params, k, v);
    }
    let mut req = b.get(s.url("authorize")).query(&params);
    if let Some(al) = accept_language {
        req = req.header("accept-language", al);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let url = s.url(&location(r.headers()));
    let mut req = b.get(&url);
    if let Some(al) = accept_language {
        req = req.header("accept-language", al);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    (url, r.text().await.unwrap())
}

#[tokio::test]
async fn ui_locales_picks_the_language_of_the_sign_in_page() {
    let s = TestServer::start().await;
    let b = browser();
    // ui_locales wins over the browser's preference.
    let (_, html) = login_page(&s, &b, &[("ui_locales", "ja de-AT fr")], Some("es")).await;
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("<h1>Willkommen</h1>"), "{html}");
    assert!(html.contains("E-Mail-Adresse"), "{html}");
    assert!(html.contains("Passwort vergessen?"), "{html}");
    assert!(html.contains("Geschützt durch Portcullis"), "{html}");
    assert!(!html.contains("Forgot password?"));
}

#[tokio::test]
async fn accept_language_picks_the_language_without_ui_locales() {
    let s = TestServer::start().await;
    let b = browser();
    let (url, html) = login_page(&s, &b, &[], Some("es-ES,es;q=0.9,en;q=0.8")).await;
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(
        html.contains("Inicie sesión para continuar en <strong>web app</strong>."),
        "{html}"
    );
    assert!(html.contains("¿Ha olvidado su contraseña?"), "{html}");
    // A wrong password: the core's message, in Spanish too.
    let r = b
        .post(s.url("u/login"))
        .header("accept-language", "es")
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", "jane@example.com".to_owned()),
            ("password", "not the password".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-language"], "es");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Correo electrónico o contraseña incorrectos."),
        "{html}"
    );
    let _ = url;
}

#[tokio::test]
async fn english_without_a_known_language_and_q0_excluded() {
    let s = TestServer::start().await;
    let b = browser();
    let (_, html) = login_page(&s, &b, &[("ui_locales", "ja")], Some("zh, fr;q=0")).await;
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains("<h1>Welcome</h1>"), "{html}");
    // Error pages too: the 404 page in French.
    let r = b
        .get(s.url("nowhere"))
        .header("accept-language", "fr-FR")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Page introuvable"), "{html}");
    assert!(html.contains("Il n’y a rien à cette adresse."), "{html}");
}

#[tokio::test]
async fn the_sign_up_mail_speaks_the_language_of_the_sign_up_page() {
    let s = TestServer::start().await;
    let b = browser();
    let (_, html) = login_page(
        &s,
        &b,
        &[("ui_locales", "fr-CA"), ("screen_hint", "signup")],
        None,
    )
    .await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Créer votre compte"), "{html}");
    let r = b
        .post(s.url("u/signup"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("email", "amelie@example.com".to_owned()),
            ("name", "Amélie".to_owned()),
            ("password", "plum tractor galaxy 42".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let check = s.url(&location(r.headers()));
    let html = b.get(&check).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Consultez votre boîte de réception"),
        "{html}"
    );
    let mails = s.provider.store.list_mail(100).await.unwrap();
    let mail = mails
        .iter()
        .find(|m| m.to == "amelie@example.com")
        .expect("a sign-up mail");
    assert_eq!(
        mail.subject,
        "Confirmez votre adresse e-mail pour Portcullis"
    );
    assert!(
        mail.text_body.contains("Votre code de vérification est "),
        "{}",
        mail.text_body
    );
    assert!(
        mail.html_body.contains("<html lang=\"fr\">"),
        "{}",
        mail.html_body
    );
    assert!(mail.text_body.contains("Confirmer mon adresse e-mail"));
}

#[tokio::test]
async fn branding_comes_from_the_configuration() {
    let server = Server::start_configured(Default::default(), |c| {
        c.product_name = "Acme ID".to_owned();
        c.logo_url = Some("https://cdn.acme.example/logo.svg".to_owned());
        c.primary_color = Some("#0a7f3f".to_owned());
    })
    .await;
    let s = TestServer::around(server).await;
    let b = browser();
    let (url, html) = login_page(&s, &b, &[], None).await;
    assert!(
        html.contains(
            "<img class=\"logo-img\" src=\"https://cdn.acme.example/logo.svg\" alt=\"Acme ID\">"
        ),
        "{html}"
    );
    assert!(html.contains("Secured by Acme ID"), "{html}");
    assert!(
        html.contains("<link rel=\"stylesheet\" href=\"/assets/brand.css\">"),
        "{html}"
    );
    let r = b.get(&url).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.acme.example;"),
        "{csp}"
    );
    assert!(csp.contains("style-src 'self';"), "{csp}");
    let css = b.get(s.url("assets/brand.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let css = css.text().await.unwrap();
    assert!(css.contains("--accent: #0a7f3f;"), "{css}");
    // The start page says the product name.
    let home = b.get(s.url("")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Acme ID is running"), "{home}");
    // So do the mails, with the logo and the colour on their buttons.
    let r = reqwest::Client::new()
        .post(s.url("dbconnections/change_password"))
        .json(&serde_json::json!({
            "client_id": s.spa.client_id,
            "email": s.user.email,
            "connection": "Username-Password-Authentication",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mail = mails_to(&s, &s.user.email)
        .await
        .pop()
        .expect("a reset mail");
    assert!(mail.subject.contains("Acme ID"), "{}", mail.subject);
    assert!(
        mail.html_body
            .contains("<img src=\"https://cdn.acme.example/logo.svg\" alt=\"Acme ID\""),
        "{}",
        mail.html_body
    );
    assert!(
        mail.html_body.contains("background:#0a7f3f"),
        "{}",
        mail.html_body
    );
}

#[tokio::test]
async fn no_brand_stylesheet_link_without_a_colour() {
    let s = TestServer::start().await;
    let b = browser();
    let (_, html) = login_page(&s, &b, &[], None).await;
    assert!(!html.contains("brand.css"), "{html}");
    assert!(
        html.contains("<span class=\"brand-name\">Portcullis</span>"),
        "{html}"
    );
}
