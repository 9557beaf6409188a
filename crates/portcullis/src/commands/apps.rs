//! `portcullis apps …`

use super::print_secret_once;
use crate::cli::{AppSettings, AppTypeArg, AppsCommand, AuthMethodArg, GrantTypeArg};
use crate::context::Tenant;
use crate::output::{json, list, table};
use crate::views;
use portcullis_core::admin::apps::{self, AppUpdate, AppWithSecret, NewApp, type_label};
use portcullis_store::{ApplicationType, Client, GrantType, TokenEndpointAuthMethod};

pub async fn run(t: &Tenant, cmd: AppsCommand, as_json: bool) -> anyhow::Result<()> {
    let store = t.store();
    match cmd {
        AppsCommand::Create {
            name,
            app_type,
            client_id,
            settings,
        } => {
            let mut new = NewApp::new(name, app_type.into());
            new.client_id = client_id;
            new.callbacks = urls(settings.callbacks.clone()).unwrap_or_default();
            new.logout_urls = urls(settings.logout_urls.clone()).unwrap_or_default();
            new.web_origins = urls(settings.web_origins.clone()).unwrap_or_default();
            new.backchannel_logout_uri = settings
                .backchannel_logout_uri
                .clone()
                .filter(|u| !u.is_empty());
            new.first_party = settings.first_party;
            new.grant_types = grants(&settings);
            new.auth_method = settings.auth_method.map(Into::into);
            let created = apps::create_app(store, &t.hasher, new, t.now()).await?;
            report(&created, as_json, "created");
        }
        AppsCommand::List => {
            let all = apps::list_apps(store).await?;
            if as_json {
                json(&all.iter().map(views::app).collect());
            } else {
                let rows = all
                    .iter()
                    .map(|c| {
                        vec![
                            c.client_id.clone(),
                            c.name.clone(),
                            type_label(c.app_type).to_owned(),
                            c.token_endpoint_auth_method.to_string(),
                            list(&c.redirect_uris),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(
                    &["CLIENT ID", "NAME", "TYPE", "AUTH METHOD", "CALLBACKS"],
                    &rows,
                );
            }
        }
        AppsCommand::Show { client_id } => {
            let client = apps::get_app(store, &client_id).await?;
            if as_json {
                json(&views::app(&client));
            } else {
                details(&client);
            }
        }
        AppsCommand::Update {
            client_id,
            name,
            settings,
        } => {
            let update = AppUpdate {
                name,
                callbacks: urls(settings.callbacks.clone()),
                logout_urls: urls(settings.logout_urls.clone()),
                web_origins: urls(settings.web_origins.clone()),
                backchannel_logout_uri: settings
                    .backchannel_logout_uri
                    .clone()
                    .map(|u| Some(u).filter(|u| !u.is_empty())),
                first_party: settings.first_party,
                grant_types: grants(&settings),
                auth_method: settings.auth_method.map(Into::into),
            };
            let updated = apps::update_app(store, &t.hasher, &client_id, update, t.now()).await?;
            report(&updated, as_json, "updated");
        }
        AppsCommand::RotateSecret { client_id } => {
            let secret = apps::rotate_secret(store, &t.hasher, &client_id, t.now()).await?;
            if as_json {
                json(
                    &serde_json::json!({ "client_id": client_id, "client_secret": secret.expose() }),
                );
            } else {
                println!("rotated the secret of {client_id}; the old secret no longer works");
                print_secret_once(&client_id, &secret);
            }
        }
        AppsCommand::Delete { client_id } => {
            apps::delete_app(store, &client_id).await?;
            if as_json {
                json(&serde_json::json!({ "deleted": client_id }));
            } else {
                println!("deleted application {client_id}");
            }
        }
    }
    Ok(())
}

/// Drops empty items, so `--callbacks ""` clears the list.
fn urls(values: Option<Vec<String>>) -> Option<Vec<String>> {
    values.map(|v| {
        v.into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn grants(settings: &AppSettings) -> Option<Vec<GrantType>> {
    settings
        .grant_types
        .as_ref()
        .map(|g| g.iter().map(|g| (*g).into()).collect())
}

fn report(result: &AppWithSecret, as_json: bool, what: &str) {
    if as_json {
        let mut value = views::app(&result.client);
        if let (Some(secret), Some(obj)) = (&result.secret, value.as_object_mut()) {
            obj.insert("client_secret".into(), secret.expose().into());
        }
        json(&value);
        return;
    }
    println!("{what} application {}", result.client.name);
    details(&result.client);
    if let Some(secret) = &result.secret {
        print_secret_once(&result.client.client_id, secret);
    }
}

fn details(c: &Client) {
    let rows = [
        ("client_id", c.client_id.clone()),
        ("name", c.name.clone()),
        ("type", type_label(c.app_type).to_owned()),
        ("auth method", c.token_endpoint_auth_method.to_string()),
        ("grant types", list(&c.grant_types)),
        ("callbacks", list(&c.redirect_uris)),
        ("logout URLs", list(&c.post_logout_redirect_uris)),
        ("web origins", list(&c.web_origins)),
        (
            "back-channel",
            c.backchannel_logout_uri
                .clone()
                .unwrap_or_else(|| "-".into()),
        ),
    ];
    for (k, v) in rows {
        println!("  {k:<12} {v}");
    }
}

impl From<AppTypeArg> for ApplicationType {
    fn from(t: AppTypeArg) -> Self {
        match t {
            AppTypeArg::RegularWeb => ApplicationType::RegularWeb,
            AppTypeArg::Spa => ApplicationType::Spa,
            AppTypeArg::Native => ApplicationType::Native,
            AppTypeArg::M2m => ApplicationType::M2m,
        }
    }
}

impl From<AuthMethodArg> for TokenEndpointAuthMethod {
    fn from(m: AuthMethodArg) -> Self {
        match m {
            AuthMethodArg::ClientSecretPost => TokenEndpointAuthMethod::ClientSecretPost,
            AuthMethodArg::ClientSecretBasic => TokenEndpointAuthMethod::ClientSecretBasic,
            AuthMethodArg::None => TokenEndpointAuthMethod::None,
        }
    }
}

impl From<GrantTypeArg> for GrantType {
    fn from(g: GrantTypeArg) -> Self {
        match g {
            GrantTypeArg::AuthorizationCode => GrantType::AuthorizationCode,
            GrantTypeArg::RefreshToken => GrantType::RefreshToken,
            GrantTypeArg::ClientCredentials => GrantType::ClientCredentials,
            GrantTypeArg::Implicit => GrantType::Implicit,
            GrantTypeArg::Password => GrantType::Password,
            GrantTypeArg::PasswordlessOtp => GrantType::PasswordlessOtp,
        }
    }
}
