//! The authorization response (RFC 6749 §4.1.2 and §4.1.2.1), with `iss` (RFC 9207 §2) and its
//! delivery mode. Rendering (redirect, auto-submitting form, `postMessage` page) is the web
//! layer's.

use crate::Provider;
use crate::error::OAuthError;

/// How the response travels back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ResponseMode {
    /// Redirect with the parameters in the query (RFC 6749 §4.1.2).
    Query,
    /// Redirect with the parameters in the fragment (the default for `id_token`).
    Fragment,
    /// An auto-submitting HTML form POSTed to the redirect URI (OAuth 2.0 Form Post Response Mode).
    FormPost,
    /// A page that `postMessage`s `{type: "authorization_response", response}` to the opener or
    /// parent window, targeted at the redirect URI's origin (Auth0's silent authentication).
    WebMessage,
}

impl ResponseMode {
    /// Every mode, in the order discovery lists them.
    pub const ALL: [ResponseMode; 4] = [
        ResponseMode::Query,
        ResponseMode::Fragment,
        ResponseMode::FormPost,
        ResponseMode::WebMessage,
    ];

    /// The `response_mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
            ResponseMode::WebMessage => "web_message",
        }
    }

    /// The mode named `value`, if supported.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// A response addressed to a validated redirect URI.
#[derive(Debug, Clone)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    /// `code`/`state`/`iss`, or `error`/`error_description`/`state`/`iss`.
    pub params: Vec<(String, String)>,
    /// The error, when this is an error response.
    pub error: Option<OAuthError>,
}

impl AuthorizationResponse {
    /// `code` or `id_token`, then `state` and `iss`.
    pub(crate) fn success(
        p: &Provider,
        redirect_uri: &str,
        mode: ResponseMode,
        credential: (&str, String),
        state: Option<&str>,
    ) -> Self {
        let mut params = vec![(credential.0.to_owned(), credential.1)];
        if let Some(state) = state {
            params.push(("state".to_owned(), state.to_owned()));
        }
        params.push(("iss".to_owned(), p.config.issuer.as_str().to_owned()));
        AuthorizationResponse {
            redirect_uri: redirect_uri.to_owned(),
            mode,
            params,
            error: None,
        }
    }

    /// An error for a redirect URI already validated against the client.
    pub fn error(
        p: &Provider,
        redirect_uri: &str,
        mode: ResponseMode,
        state: Option<&str>,
        error: OAuthError,
    ) -> Self {
        let mut params = vec![
            ("error".to_owned(), error.code.as_str().to_owned()),
            (
                "error_description".to_owned(),
                error.description.to_string(),
            ),
        ];
        if let Some(state) = state {
            params.push(("state".to_owned(), state.to_owned()));
        }
        params.push(("iss".to_owned(), p.config.issuer.as_str().to_owned()));
        AuthorizationResponse {
            redirect_uri: redirect_uri.to_owned(),
            mode,
            params,
            error: Some(error),
        }
    }

    /// The redirect URI with the parameters added to its query (keeping any registered query,
    /// RFC 6749 §3.1.2).
    pub fn query_url(&self) -> String {
        match url::Url::parse(&self.redirect_uri) {
            Ok(mut url) => {
                url.query_pairs_mut().extend_pairs(self.params.iter());
                url.to_string()
            }
            Err(_) => self.redirect_uri.clone(),
        }
    }

    /// The redirect URI with the parameters as its fragment.
    pub fn fragment_url(&self) -> String {
        match url::Url::parse(&self.redirect_uri) {
            Ok(mut url) => {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(self.params.iter())
                    .finish();
                url.set_fragment(Some(&encoded));
                url.to_string()
            }
            Err(_) => self.redirect_uri.clone(),
        }
    }

    /// The origin `postMessage` targets (`web_message`).
    pub fn target_origin(&self) -> String {
        url::Url::parse(&self.redirect_uri)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }
}
