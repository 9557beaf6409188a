//! `portcullis apis …`

use crate::cli::ApisCommand;
use crate::context::Tenant;
use crate::output::{json, list, table};
use crate::views;
use portcullis_core::admin::apis::{self, ApiUpdate, NewApi};
use portcullis_store::{Api, ApiScope};

pub async fn run(t: &Tenant, cmd: ApisCommand, as_json: bool) -> anyhow::Result<()> {
    let store = t.store();
    match cmd {
        ApisCommand::Create {
            identifier,
            name,
            scopes,
            token_lifetime,
            no_offline_access,
            introspection_clients,
            enforce_policies,
            token_dialect,
        } => {
            let new = NewApi {
                identifier,
                name,
                scopes: scopes.iter().map(|s| parse_scope(s)).collect(),
                token_lifetime,
                allow_offline_access: Some(!no_offline_access),
                introspection_clients,
                enforce_policies: Some(enforce_policies),
                token_dialect,
            };
            let api = apis::create_api(store, new, t.now()).await?;
            show(&api, as_json, "created");
        }
        ApisCommand::List => {
            let all = apis::list_apis(store).await?;
            if as_json {
                json(&all.iter().map(views::api).collect());
            } else {
                let rows = all
                    .iter()
                    .map(|a| {
                        let scopes: Vec<&str> = a.scopes.iter().map(|s| s.value.as_str()).collect();
                        vec![
                            a.identifier.clone(),
                            a.name.clone(),
                            list(&scopes),
                            a.token_lifetime.to_string(),
                            if a.allow_offline_access { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(
                    &["IDENTIFIER", "NAME", "SCOPES", "TOKEN LIFETIME", "OFFLINE"],
                    &rows,
                );
            }
        }
        ApisCommand::Update {
            api,
            name,
            scopes,
            token_lifetime,
            allow_offline_access,
            introspection_clients,
            enforce_policies,
            token_dialect,
        } => {
            let update = ApiUpdate {
                name,
                scopes: scopes.map(|s| s.iter().map(|s| parse_scope(s)).collect()),
                token_lifetime,
                allow_offline_access,
                introspection_clients,
                enforce_policies,
                token_dialect,
            };
            let updated = apis::update_api(store, &api, update, t.now()).await?;
            show(&updated.api, as_json, "updated");
            if !as_json {
                for (client_id, gone) in &updated.pruned_grants {
                    println!("  removed {} from the grant of {client_id}", list(gone));
                }
            }
        }
        ApisCommand::Delete { api } => {
            let api = apis::delete_api(store, &api).await?;
            show(&api, as_json, "deleted");
        }
    }
    Ok(())
}

/// `value` or `value=description`.
fn parse_scope(text: &str) -> ApiScope {
    match text.split_once('=') {
        Some((value, description)) => ApiScope {
            value: value.trim().to_owned(),
            description: description.trim().to_owned(),
        },
        None => ApiScope {
            value: text.trim().to_owned(),
            description: String::new(),
        },
    }
}

fn show(api: &Api, as_json: bool, what: &str) {
    if as_json {
        json(&views::api(api));
        return;
    }
    let scopes: Vec<&str> = api.scopes.iter().map(|s| s.value.as_str()).collect();
    println!("{what} API {} ({})", api.identifier, api.name);
    println!("  scopes          {}", list(&scopes));
    println!("  token lifetime  {} s", api.token_lifetime);
    println!(
        "  offline access  {}",
        if api.allow_offline_access {
            "allowed"
        } else {
            "not allowed"
        }
    );
    println!(
        "  RBAC            {}",
        if api.enforce_policies {
            format!("enforced, token dialect {}", api.token_dialect)
        } else {
            "off".to_owned()
        }
    );
    if !api.introspection_clients.is_empty() {
        println!("  introspection   {}", list(&api.introspection_clients));
    }
}
