//! Access tokens for other APIs or narrower scopes (`Session::access_token_for`), obtained with
//! the session's refresh token (RFC 6749 §6, with Auth0's `audience` parameter) and kept in the
//! session next to the main token set, as nextjs-auth0 v4's `getAccessToken({audience, scope})`.

use serde_json::{Map, Value, json};

use crate::Error;
use crate::auth::PortcullisAuth;
use crate::extract::AccessTokenInfo;
use crate::session::SessionData;

/// Where the extra tokens live in [`SessionData::extra`].
const EXTRA_TOKENS: &str = "accessTokens";

fn matches(entry: &Value, audience: &str, scope: Option<&str>) -> bool {
    entry.get("audience").and_then(Value::as_str) == Some(audience)
        && entry.get("requestedScope").and_then(Value::as_str) == scope
}

impl PortcullisAuth {
    /// A cached token for `audience`/`scope` that is not due for a refresh, else a new one
    /// (the session is changed: `Ok((info, true))`).
    pub(crate) async fn token_for(
        &self,
        data: &mut SessionData,
        audience: &str,
        scope: Option<&str>,
    ) -> Result<(AccessTokenInfo, bool), Error> {
        let config = self.config();
        let now = config.now();
        let due = |expires_at: u64| expires_at <= now + config.refresh_margin.as_secs();
        let cached = match data.extra.get(EXTRA_TOKENS) {
            Some(Value::Array(entries)) => entries
                .iter()
                .find(|e| matches(e, audience, scope))
                .cloned(),
            _ => None,
        };
        if let Some(entry) = cached
            && let (Some(token), Some(expires_at)) = (
                entry.get("accessToken").and_then(Value::as_str),
                entry.get("expiresAt").and_then(Value::as_u64),
            )
            && !due(expires_at)
        {
            return Ok((
                AccessTokenInfo {
                    token: token.to_owned(),
                    scope: entry
                        .get("scope")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    expires_at,
                    expires_in: expires_at.saturating_sub(now),
                    token_type: entry
                        .get("tokenType")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                },
                false,
            ));
        }
        let refresh_token = data
            .token_set
            .refresh_token
            .clone()
            .ok_or(Error::MissingRefreshToken)?;
        let mut form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token),
            ("audience", audience.to_owned()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope.to_owned()));
        }
        let tokens = self.token_request(form).await?;
        // With rotation the old refresh token is spent now: keep the new one.
        if let Some(rotated) = &tokens.refresh_token {
            data.token_set.refresh_token = Some(rotated.clone());
        }
        let expires_at = now + tokens.expires_in();
        let mut entry = Map::new();
        entry.insert("audience".into(), json!(audience));
        entry.insert("requestedScope".into(), json!(scope));
        entry.insert("accessToken".into(), json!(tokens.access_token));
        entry.insert("scope".into(), json!(tokens.scope));
        entry.insert("expiresAt".into(), json!(expires_at));
        entry.insert("tokenType".into(), json!(tokens.token_type));
        let mut entries = match data.extra.remove(EXTRA_TOKENS) {
            Some(Value::Array(entries)) => entries,
            _ => Vec::new(),
        };
        entries.retain(|e| !matches(e, audience, scope));
        entries.push(Value::Object(entry));
        data.extra
            .insert(EXTRA_TOKENS.into(), Value::Array(entries));
        Ok((
            AccessTokenInfo {
                token: tokens.access_token,
                scope: tokens.scope,
                expires_at,
                expires_in: expires_at.saturating_sub(now),
                token_type: tokens.token_type,
            },
            true,
        ))
    }
}
