//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): validate the request, decide
//! whether the user must sign in, and issue the code.

mod checks;
mod decision;
mod response;

pub use decision::{Decision, decide, error, issue_code, needs_login, user_may_sign_in};
pub use response::{AuthorizationResponse, ResponseMode};

use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;
use crate::scope::Scopes;
use portcullis_store::{Api, Client, GrantType};

/// `prompt` (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
    /// Show the sign-up page (Initiating User Registration via OpenID Connect 1.0).
    pub create: bool,
}

/// What the client asked to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// An authorization code (RFC 6749 §4.1).
    Code,
    /// An ID token straight from the authorization endpoint (OIDC Core §3.2, sign-in only).
    IdToken,
}

impl ResponseType {
    /// Every response type, in the order discovery lists them.
    pub const ALL: [ResponseType; 2] = [ResponseType::Code, ResponseType::IdToken];

    /// The `response_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::IdToken => "id_token",
        }
    }

    /// The grant an application must be allowed to ask for this response type.
    pub fn grant(self) -> GrantType {
        match self {
            ResponseType::Code => GrantType::AuthorizationCode,
            ResponseType::IdToken => GrantType::Implicit,
        }
    }
}

/// The `prompt` values understood (OIDC Core §3.1.2.1; `create` from Initiating User
/// Registration via OpenID Connect 1.0 §4).
pub const PROMPT_VALUES: &[&str] = &["none", "login", "consent", "select_account", "create"];

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// Requested scopes that will be granted (OIDC scopes + the API's).
    pub scopes: Scopes,
    pub api: Option<Api>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub screen_hint: Option<String>,
    /// The parameters as received, to resume the request after sign-in.
    pub params: Params,
}

/// Why an authorization request cannot proceed.
#[derive(Debug)]
pub enum AuthorizeFailure {
    /// Show an error page: the client or redirect URI cannot be trusted with a redirect.
    ErrorPage(OAuthError),
    /// Send the error to the client's redirect URI.
    Respond(AuthorizationResponse),
}

/// Validates an authorization request. The checks run in order, each a small function in
/// `checks`: first those about the client and redirect URI (failures are error pages), then the
/// rest (failures go to the redirect URI with `state` and `iss`).
pub async fn validate(p: &Provider, params: Params) -> Result<AuthorizeRequest, AuthorizeFailure> {
    let client = checks::client(p, &params)
        .await
        .map_err(AuthorizeFailure::ErrorPage)?;
    let redirect_uri =
        checks::redirect_uri(&client, &params).map_err(AuthorizeFailure::ErrorPage)?;
    let response_mode = checks::response_mode(&params).map_err(AuthorizeFailure::ErrorPage)?;
    let state = params.get("state").map(str::to_owned);
    let fail = |error: OAuthError| {
        if !error.redirectable {
            return AuthorizeFailure::ErrorPage(error);
        }
        AuthorizeFailure::Respond(AuthorizationResponse::error(
            p,
            &redirect_uri,
            response_mode,
            state.as_deref(),
            error,
        ))
    };
    checks::length_limits(&params).map_err(fail)?;
    checks::no_request_objects(&params).map_err(fail)?;
    checks::no_organizations(&params).map_err(fail)?;
    let response_type = checks::response_type(&client, &params).map_err(fail)?;
    let prompt = checks::prompt(&params).map_err(fail)?;
    let max_age = checks::max_age(&params).map_err(fail)?;
    let api = checks::audience(p, &params).await.map_err(fail)?;
    let scopes = checks::scopes(p, &params, api.as_ref())
        .await
        .map_err(fail)?;
    let (code_challenge, code_challenge_method) = match response_type {
        ResponseType::Code => checks::pkce(&client, &params).map_err(fail)?,
        ResponseType::IdToken => (None, None),
    };
    Ok(AuthorizeRequest {
        redirect_uri: redirect_uri.clone(),
        response_type,
        response_mode,
        state: state.clone(),
        nonce: params.get("nonce").map(str::to_owned),
        scopes,
        api,
        code_challenge,
        code_challenge_method,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        screen_hint: params.get("screen_hint").map(str::to_owned),
        client,
        params,
    })
}

#[cfg(test)]
mod tests;
