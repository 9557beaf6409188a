//! The query strings and form bodies the hosted pages share.

use serde::Deserialize;

/// `?state=` of a page inside a sign-in (the sealed transaction).
#[derive(Deserialize)]
pub struct StateQuery {
    pub state: Option<String>,
}

/// `?token=` of a mailed link.
#[derive(Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// The one-button form a mailed link opens: the link's token and the CSRF token bound to it.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub csrf: String,
}
