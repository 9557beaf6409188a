//! `portcullis logs`: the audit log, newest first, filtered; `--follow` keeps printing new
//! events; `--id` shows one. `--json` prints Auth0's log shape (one object per event).

use crate::cli::LogsArgs;
use crate::context::Tenant;
use crate::output::{json, table};
use anyhow::{Context as _, bail};
use portcullis_core::audit::{auth0_json, iso_date};
use portcullis_store::{LogEvent, LogFilter, LogOrder};
use serde_json::Value;
use std::time::Duration;

/// How often `--follow` looks for new events.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

pub async fn run(t: &Tenant, args: LogsArgs, as_json: bool) -> anyhow::Result<()> {
    if let Some(id) = &args.id {
        let Some(event) = t.store().get_log_event(id).await? else {
            bail!("no log event {id:?}");
        };
        if as_json {
            json(&auth0_json(&event));
        } else {
            show(&event);
        }
        return Ok(());
    }
    let mut filter = LogFilter {
        event_types: args.types.iter().map(|t| t.trim().to_owned()).collect(),
        user_id: args.user.clone(),
        client_id: args.client.clone(),
        since_ms: None,
        after_log_id: None,
    };
    if let Some(since) = &args.since {
        let secs = parse_duration(since)
            .with_context(|| format!("--since {since:?}: use a duration like 30s, 15m, 2h, 7d"))?;
        filter.since_ms = Some(t.now().saturating_sub(secs).saturating_mul(1000));
    }
    let mut events = t
        .store()
        .list_log_events(
            &filter,
            LogOrder::NewestFirst,
            0,
            args.limit.clamp(1, 10_000),
        )
        .await?;
    if !args.follow {
        if as_json {
            json(&Value::Array(events.iter().map(auth0_json).collect()));
        } else {
            print_table(&events);
        }
        return Ok(());
    }
    // Follow: what exists, oldest first, then whatever comes after the last id seen.
    events.reverse();
    let mut last = events.last().map(|e| e.log_id.clone());
    print_lines(&events, as_json);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
        }
        filter.after_log_id = last.clone();
        let new = t
            .store()
            .list_log_events(&filter, LogOrder::OldestFirst, 0, 1000)
            .await?;
        if let Some(e) = new.last() {
            last = Some(e.log_id.clone());
        }
        print_lines(&new, as_json);
    }
}

/// `30s`, `15m`, `2h`, `7d` in seconds.
fn parse_duration(text: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("unknown unit"),
    };
    if n < 0 {
        bail!("negative duration");
    }
    Ok(n.saturating_mul(unit))
}

fn who(e: &LogEvent) -> String {
    e.user_name
        .clone()
        .or_else(|| e.user_id.clone())
        .unwrap_or_else(|| "-".to_owned())
}

fn app(e: &LogEvent) -> String {
    e.client_name
        .clone()
        .or_else(|| e.client_id.clone())
        .unwrap_or_else(|| "-".to_owned())
}

fn row(e: &LogEvent) -> Vec<String> {
    vec![
        iso_date(e.date_ms),
        e.event_type.clone(),
        who(e),
        app(e),
        e.ip.clone().unwrap_or_else(|| "-".to_owned()),
        e.description.clone().unwrap_or_default(),
    ]
}

const HEADERS: [&str; 6] = ["DATE", "TYPE", "USER", "APPLICATION", "IP", "DESCRIPTION"];

fn print_table(events: &[LogEvent]) {
    table(&HEADERS, &events.iter().map(row).collect::<Vec<_>>());
}

fn print_lines(events: &[LogEvent], as_json: bool) {
    for e in events {
        if as_json {
            println!("{}", auth0_json(e));
        } else {
            println!("{}", row(e).join("  "));
        }
    }
}

fn show(e: &LogEvent) {
    let field = |name: &str, value: Option<&str>| println!("{name:<12} {}", value.unwrap_or("-"));
    field("log_id", Some(&e.log_id));
    field("date", Some(&iso_date(e.date_ms)));
    field("type", Some(&e.event_type));
    field("description", e.description.as_deref());
    field("client_id", e.client_id.as_deref());
    field("client_name", e.client_name.as_deref());
    field("user_id", e.user_id.as_deref());
    field("user_name", e.user_name.as_deref());
    field("ip", e.ip.as_deref());
    field("user_agent", e.user_agent.as_deref());
    field("details", e.details.as_deref());
}
