//! `portcullis grants …`

use crate::cli::GrantsCommand;
use crate::context::Tenant;
use crate::output::{json, list, table};
use crate::views;
use portcullis_core::admin::grants;
use portcullis_store::ClientGrant;

pub async fn run(t: &Tenant, cmd: GrantsCommand, as_json: bool) -> anyhow::Result<()> {
    let store = t.store();
    match cmd {
        GrantsCommand::Create {
            client_id,
            audience,
            scopes,
        } => {
            let g =
                grants::create_grant(store, &client_id, &audience, clean(scopes), t.now()).await?;
            show(&g, as_json, "granted");
        }
        GrantsCommand::List => {
            let all = grants::list_grants(store).await?;
            if as_json {
                json(&all.iter().map(views::grant).collect());
            } else {
                let rows = all
                    .iter()
                    .map(|g| vec![g.client_id.clone(), g.audience.clone(), list(&g.scopes)])
                    .collect::<Vec<_>>();
                table(&["CLIENT ID", "AUDIENCE", "SCOPES"], &rows);
            }
        }
        GrantsCommand::Update {
            client_id,
            audience,
            scopes,
        } => {
            let g = grants::update_grant(store, &client_id, &audience, clean(scopes)).await?;
            show(&g, as_json, "updated grant:");
        }
        GrantsCommand::Delete {
            client_id,
            audience,
        } => {
            let g = grants::delete_grant(store, &client_id, &audience).await?;
            show(&g, as_json, "deleted grant:");
        }
    }
    Ok(())
}

fn clean(scopes: Vec<String>) -> Vec<String> {
    scopes
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn show(g: &ClientGrant, as_json: bool, what: &str) {
    if as_json {
        json(&views::grant(g));
    } else {
        println!(
            "{what} {} → {} ({})",
            g.client_id,
            g.audience,
            list(&g.scopes)
        );
    }
}
