//! `portcullis connections …`: upstream connections kept in the database. Secrets are read from
//! an environment variable or standard input (never from the command line, where other users of
//! the machine could see them) and never printed.

use crate::cli::{ConnectionArgs, ConnectionsCommand};
use crate::context::Tenant;
use crate::output::{json, table};
use anyhow::{Context as _, bail};
use portcullis_core::upstream::ConnectionDecl;
use portcullis_core::upstream::stored::{self, Change};
use serde_json::{Value, json as j};
use std::io::Read as _;

pub async fn run(t: &Tenant, cmd: ConnectionsCommand, as_json: bool) -> anyhow::Result<()> {
    match cmd {
        ConnectionsCommand::List => list(t, as_json).await,
        ConnectionsCommand::Add(args) => add(t, args, as_json).await,
        ConnectionsCommand::Remove { name } => {
            if !stored::remove(t.store(), &name, t.now()).await? {
                bail!(
                    "no connection {name:?} in the database (connections of the configuration file are changed there)"
                );
            }
            if as_json {
                json(&j!({ "name": name, "removed": true }));
            } else {
                println!("removed connection {name}");
            }
            Ok(())
        }
    }
}

async fn list(t: &Tenant, as_json: bool) -> anyhow::Result<()> {
    let mut rows: Vec<Value> = t
        .config
        .provider
        .connections
        .iter()
        .map(|c| {
            j!({
                "name": c.name, "strategy": c.strategy.as_str(), "client_id": c.client_id,
                "enabled_clients": c.enabled_clients, "source": "configuration",
            })
        })
        .collect();
    for d in stored::declarations(t.store()).await? {
        rows.push(j!({
            "name": d.name, "strategy": d.strategy, "client_id": d.client_id,
            "enabled_clients": d.enabled_clients, "source": "database",
        }));
    }
    if as_json {
        json(&Value::Array(rows));
        return Ok(());
    }
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                text(&r["name"]),
                text(&r["strategy"]),
                text(&r["client_id"]),
                match r["enabled_clients"].as_array() {
                    Some(ids) => ids.iter().map(text).collect::<Vec<_>>().join(","),
                    None => "all".to_owned(),
                },
                text(&r["source"]),
            ]
        })
        .collect();
    table(
        &["NAME", "STRATEGY", "CLIENT ID", "APPLICATIONS", "SOURCE"],
        &cells,
    );
    Ok(())
}

async fn add(t: &Tenant, a: ConnectionArgs, as_json: bool) -> anyhow::Result<()> {
    let secret = if a.client_secret_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the client secret from standard input")?;
        Some(text.lines().next().unwrap_or_default().trim().to_owned())
    } else {
        None
    };
    if secret.is_none() && a.client_secret_env.is_none() {
        bail!("give the client secret with --client-secret-env VAR or --client-secret-stdin");
    }
    let decl = ConnectionDecl {
        name: a.name.clone(),
        strategy: a.strategy,
        client_id: a.client_id,
        client_secret: secret,
        client_secret_env: a.client_secret_env,
        scopes: a
            .scopes
            .map(|s| s.split_whitespace().map(str::to_owned).collect()),
        enabled_clients: (!a.enabled_clients.is_empty()).then_some(a.enabled_clients),
        display_name: a.display_name,
        issuer: a.issuer,
        ..ConnectionDecl::default()
    };
    let env = |v: &str| std::env::var(v).ok();
    let change = stored::put(t.store(), &t.master_key.sealer(), &decl, &env, t.now()).await?;
    let word = match change {
        Change::Created => "created",
        Change::Updated => "updated",
        Change::Unchanged => "unchanged",
    };
    if as_json {
        json(&j!({ "name": a.name, "result": word }));
    } else {
        println!("{word} connection {}", a.name);
        eprintln!(
            "Register {}login/callback as the redirect (callback) URL at the identity provider.",
            t.config.provider.issuer
        );
    }
    Ok(())
}
