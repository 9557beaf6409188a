//! `portcullis keys …`

use crate::cli::KeysCommand;
use crate::context::Tenant;
use crate::output::{json, table, time};
use crate::views;
use portcullis_core::admin::keys::{self, KeyInfo};

pub async fn run(t: &Tenant, cmd: KeysCommand, as_json: bool) -> anyhow::Result<()> {
    let store = t.store();
    let all = match cmd {
        KeysCommand::List => keys::list_keys(store).await?,
        KeysCommand::Rotate => {
            let encryptor = t.master_key.key_encryptor();
            let after = keys::rotate(store, &encryptor, &t.config.provider, t.now()).await?;
            if !as_json {
                println!(
                    "rotated the signing keys; running servers pick the change up within 10 seconds"
                );
            }
            after
        }
    };
    print(&all, as_json);
    Ok(())
}

fn print(all: &[KeyInfo], as_json: bool) {
    if as_json {
        json(&all.iter().map(views::key).collect());
        return;
    }
    let rows = all
        .iter()
        .map(|k| {
            vec![
                k.kid.clone(),
                k.alg.clone(),
                k.state.to_string(),
                time(k.created_at),
                k.retire_at.map(time).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect::<Vec<_>>();
    table(&["KID", "ALG", "STATE", "CREATED", "RETIRE AT"], &rows);
}
