//! The authorization request checks, one small function each, run in order by `validate`.

use super::{Prompt, ResponseMode, ResponseType};
use crate::Provider;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::params::{Params, printable};
use crate::pkce;
use crate::scope::{OPENID, Scopes};
use portcullis_store::{Api, Client, TokenEndpointAuthMethod};

/// The longest `state`, `nonce`, hint or challenge accepted.
const MAX_VALUE_LEN: usize = 2048;

/// RFC 6749 §4.1.2.1: an unknown or missing client is shown an error page, never redirected.
pub(super) async fn client(p: &Provider, params: &Params) -> OAuthResult<Client> {
    let id = params.get("client_id").ok_or_else(|| {
        OAuthError::invalid_request("Missing required parameter: client_id.").not_redirectable()
    })?;
    match p.catalog.client(p.store.as_ref(), id).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(OAuthError::invalid_request(format!(
            "The application that sent you here is not registered (unknown client_id {}).",
            printable(id)
        ))
        .not_redirectable()),
        Err(e) => Err(e.not_redirectable()),
    }
}

/// RFC 6749 §3.1.2.3, RFC 9700 §4.1.3, OIDC Core §3.1.2.1: `redirect_uri` is required and must
/// exactly equal a registered one. Loopback redirects of native apps may use any port
/// (RFC 8252 §7.3). For `web_message` an allowed web origin also qualifies.
pub(super) fn redirect_uri(client: &Client, params: &Params) -> OAuthResult<String> {
    let uri = params.get("redirect_uri").ok_or_else(|| {
        OAuthError::invalid_request("Missing required parameter: redirect_uri.").not_redirectable()
    })?;
    let web_message = params.get("response_mode") == Some("web_message");
    if crate::redirect::is_registered(client, uri, web_message) {
        Ok(uri.to_owned())
    } else {
        Err(OAuthError::invalid_request(format!(
            "The application asked to return to an address it has not registered (redirect_uri {}).",
            printable(uri)
        ))
        .not_redirectable())
    }
}

/// `response_mode`: `query` (the default for `code`), `fragment` (the default for `id_token`,
/// which must never travel in a query: OAuth 2.0 Multiple Response Type Encoding Practices §3),
/// `form_post`, or `web_message` (Auth0 silent authentication). A mode that cannot be answered
/// safely is an error page.
pub(super) fn response_mode(params: &Params) -> OAuthResult<ResponseMode> {
    let implicit = params.get("response_type") == Some("id_token");
    let mode = match params.get("response_mode") {
        None if implicit => ResponseMode::Fragment,
        None => ResponseMode::Query,
        Some(value) => ResponseMode::parse(value).ok_or_else(|| {
            OAuthError::invalid_request(format!("Unsupported response_mode: {}.", printable(value)))
                .not_redirectable()
        })?,
    };
    if implicit && mode == ResponseMode::Query {
        return Err(OAuthError::invalid_request(
            "An ID token must not be returned in the query: use response_mode=form_post.",
        )
        .not_redirectable());
    }
    Ok(mode)
}

/// Bounds on free-text values, so nothing unbounded is stored or echoed.
pub(super) fn length_limits(params: &Params) -> OAuthResult<()> {
    for (name, value) in params.iter() {
        if value.len() > MAX_VALUE_LEN {
            return Err(OAuthError::invalid_request(format!(
                "Parameter {} is too long.",
                printable(name)
            )));
        }
    }
    Ok(())
}

/// OIDC Core §6: request objects are not supported.
pub(super) fn no_request_objects(params: &Params) -> OAuthResult<()> {
    if params.contains("request") {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "The request parameter is not supported.",
        ));
    }
    if params.contains("request_uri") {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "The request_uri parameter is not supported.",
        ));
    }
    Ok(())
}

/// RFC 6749 §4.1.1 `response_type=code`, and OIDC Core §3.2 `response_type=id_token` (sign-in
/// only, for applications allowed the implicit grant, with a required `nonce`, §3.2.2.1). The
/// application must be allowed the matching grant.
pub(super) fn response_type(client: &Client, params: &Params) -> OAuthResult<ResponseType> {
    let (response_type, grant) = match params.get("response_type") {
        None => {
            return Err(OAuthError::invalid_request(
                "Missing required parameter: response_type.",
            ));
        }
        Some(value) => match ResponseType::ALL.into_iter().find(|t| t.as_str() == value) {
            Some(t) => (t, t.grant()),
            None => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedResponseType,
                    format!("Unsupported response_type: {}.", printable(value)),
                ));
            }
        },
    };
    if !client.grant_types.contains(&grant) {
        return Err(OAuthError::unauthorized_client(format!(
            "This application may not use the {} grant.",
            grant.as_str()
        )));
    }
    if response_type == ResponseType::IdToken {
        if params.get("nonce").is_none() {
            return Err(OAuthError::invalid_request(
                "nonce is required with response_type=id_token.",
            ));
        }
        if !params
            .get("scope")
            .is_some_and(|s| s.split(' ').any(|v| v == OPENID))
        {
            return Err(OAuthError::invalid_scope(
                "response_type=id_token needs the openid scope.",
            ));
        }
    }
    Ok(response_type)
}

/// OIDC Core §3.1.2.1: `none` must stand alone.
pub(super) fn prompt(params: &Params) -> OAuthResult<Prompt> {
    let mut prompt = Prompt::default();
    let Some(text) = params.get("prompt") else {
        return Ok(prompt);
    };
    for value in text.split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            // Initiating User Registration via OpenID Connect 1.0 §4.
            "create" => prompt.create = true,
            other => {
                return Err(OAuthError::invalid_request(format!(
                    "Unsupported prompt value: {}.",
                    printable(other)
                )));
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account || prompt.create) {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values.",
        ));
    }
    Ok(prompt)
}

/// OIDC Core §3.1.2.1: `max_age` is a non-negative number of seconds.
pub(super) fn max_age(params: &Params) -> OAuthResult<Option<i64>> {
    params
        .get("max_age")
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                OAuthError::invalid_request("max_age must be a non-negative integer.")
            })
        })
        .transpose()
}

/// `audience` names an API by its identifier (Auth0's parameter); see
/// [`crate::audience::for_user`].
pub(super) async fn audience(p: &Provider, params: &Params) -> OAuthResult<Option<Api>> {
    crate::audience::for_user(p, params.get("audience")).await
}

/// RFC 6749 §3.3: the requested scopes that can be granted, OpenID Connect's and the requested
/// API's; others are ignored, or refused with the tenant's `strict_scopes`
/// ([`crate::scope::grantable`]). Without `openid` the request is plain OAuth (no ID token,
/// OIDC Core §3.1.2.2).
pub(super) async fn scopes(
    p: &Provider,
    params: &Params,
    api: Option<&Api>,
) -> OAuthResult<Scopes> {
    let requested = Scopes::parse(params.get("scope").unwrap_or(OPENID))?;
    crate::scope::grantable(&requested, api, crate::scope::strict(p).await?)
}

/// Auth0's `organization` and `invitation` are refused until organizations exist: ignoring them
/// would let an application believe the user belongs to the organization it asked for.
pub(super) fn no_organizations(params: &Params) -> OAuthResult<()> {
    if params.contains("organization") || params.contains("invitation") {
        return Err(OAuthError::invalid_request(
            "organizations are not supported",
        ));
    }
    Ok(())
}

/// RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only (`plain` refused); required for public clients.
pub(super) fn pkce(
    client: &Client,
    params: &Params,
) -> OAuthResult<(Option<String>, Option<String>)> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    match (challenge, method) {
        (None, None) if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None => Err(
            OAuthError::invalid_request("PKCE is required: send code_challenge with method S256."),
        ),
        (None, None) => Ok((None, None)),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method was sent without code_challenge.",
        )),
        (Some(_), None | Some("plain")) => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256; plain is not allowed.",
        )),
        (Some(c), Some(pkce::S256)) if pkce::is_valid_challenge(c) => {
            Ok((Some(c.to_owned()), Some(pkce::S256.to_owned())))
        }
        (Some(_), Some(pkce::S256)) => Err(OAuthError::invalid_request(
            "code_challenge must be 43 base64url characters (RFC 7636 section 4.2).",
        )),
        (Some(_), Some(other)) => Err(OAuthError::invalid_request(format!(
            "Unsupported code_challenge_method: {}.",
            printable(other)
        ))),
    }
}
