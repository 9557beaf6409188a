//! The hosted pages' ways out: every page a person can land on leads somewhere.

use crate::support::*;
use reqwest::StatusCode;

const RETURN: &str = "http://localhost:3000/";

#[tokio::test]
async fn stay_signed_in_is_a_button_back_to_the_application() {
    let s = TestServer::start().await;
    let b = browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let html = b
        .get(s.url("oidc/logout"))
        .query(&[
            ("client_id", s.web.client_id.as_str()),
            ("post_logout_redirect_uri", RETURN),
            ("state", "st"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(
            "<a class=\"button secondary\" href=\"{RETURN}?state=st\">Stay signed in</a>"
        )),
        "{html}"
    );
    // Without a return URL there is no application to go back to: our start page.
    let html = b
        .get(s.url("oidc/logout"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<a class=\"button secondary\" href=\"/\">Stay signed in</a>"),
        "{html}"
    );
}

#[tokio::test]
async fn the_error_page_has_a_way_back() {
    let s = TestServer::start().await;
    let r = browser()
        .get(s.url("authorize"))
        .query(&[("client_id", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"back\" hidden>Go back</button>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/\">Portcullis start page</a>"),
        "{html}"
    );
    // The script that shows the button runs under the page's nonce, and only it.
    let nonce = hidden_attr(&html, "nonce");
    assert!(
        csp.contains(&format!("script-src 'nonce-{nonce}'")),
        "{csp}"
    );
}

/// The value of the first `name="…"` attribute in `html`.
fn hidden_attr(html: &str, name: &str) -> String {
    let marker = format!("{name}=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}
