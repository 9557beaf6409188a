//! `portcullis users …`

use super::read_password;
use crate::cli::UsersCommand;
use crate::context::Tenant;
use crate::output::{json, table, time};
use crate::views;
use anyhow::bail;
use portcullis_core::admin::mfa;
use portcullis_core::admin::users::{self, NewUser};
use portcullis_store::User;
use serde_json::Value;

pub async fn run(t: &Tenant, cmd: UsersCommand, as_json: bool) -> anyhow::Result<()> {
    let store = t.store();
    match cmd {
        UsersCommand::Create {
            email,
            password,
            name,
            user_id,
            email_verified,
            phone_number,
            phone_number_verified,
            address,
        } => {
            let address = match address {
                Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("--address must be a JSON object of address members: {e}")
                })?),
                None => None,
            };
            let Some(password) = read_password(&password)? else {
                bail!("give the password with --password-stdin or --password-env VAR");
            };
            let new = NewUser {
                email,
                password: Some(password),
                user_id,
                email_verified,
                name,
                phone_number,
                phone_number_verified,
                address,
                ..NewUser::default()
            };
            let user = users::create_user(store, &t.passwords, new, t.now()).await?;
            show(&user, as_json, "created user");
        }
        UsersCommand::List => {
            let all = users::list_users(store).await?;
            if as_json {
                json(&all.iter().map(views::user).collect());
            } else {
                let rows = all
                    .iter()
                    .map(|u| {
                        vec![
                            u.user_id.clone(),
                            u.email.clone(),
                            u.name.clone().unwrap_or_else(|| "-".into()),
                            if u.blocked { "blocked" } else { "active" }.into(),
                            time(u.created_at),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["USER ID", "EMAIL", "NAME", "STATUS", "CREATED"], &rows);
            }
        }
        UsersCommand::Show { user } => {
            let user = users::find_user(store, &user).await?;
            let identities = portcullis_core::upstream::accounts::identities(store, &user).await?;
            if as_json {
                let mut view = views::user(&user);
                view["identities"] = Value::Array(identities);
                json(&view);
            } else {
                details(&user);
                for id in &identities {
                    let email = id["profileData"]["email"].as_str().unwrap_or("");
                    println!(
                        "  {:<12} {} ({}) {}",
                        "identity",
                        id["connection"].as_str().unwrap_or(""),
                        id["user_id"].as_str().unwrap_or(""),
                        email
                    );
                }
            }
        }
        UsersCommand::SetPassword { user, password } => {
            let Some(password) = read_password(&password)? else {
                bail!("give the new password with --password-stdin or --password-env VAR");
            };
            let out = t.signer().await?;
            let ended = users::set_password(&out.provider, &user, &password).await;
            out.finish().await;
            done(as_json, &user, "password set", ended?);
        }
        UsersCommand::Block { user } => {
            let out = t.signer().await?;
            let u = users::set_blocked(&out.provider, &user, true).await;
            out.finish().await;
            show(&u?, as_json, "blocked user");
        }
        UsersCommand::Unblock { user } => {
            let out = t.signer().await?;
            let u = users::set_blocked(&out.provider, &user, false).await?;
            show(&u, as_json, "unblocked user");
        }
        UsersCommand::Delete { user } => {
            let out = t.signer().await?;
            let u = users::delete_user(&out.provider, &user).await;
            out.finish().await;
            show(&u?, as_json, "deleted user");
        }
        UsersCommand::Factors { user } => {
            let (u, factors, codes) = mfa::list_factors(store, &user).await?;
            if as_json {
                json(&serde_json::json!({
                    "user_id": u.user_id,
                    "factors": factors.iter().map(|f| serde_json::json!({
                        "factor_id": f.factor_id,
                        "type": f.kind.as_str(),
                        "name": f.name,
                        "created_at": f.created_at,
                        "last_used_at": f.last_used_at,
                    })).collect::<Vec<_>>(),
                    "recovery_codes_left": codes,
                }));
            } else {
                let rows = factors
                    .iter()
                    .map(|f| {
                        vec![
                            f.factor_id.clone(),
                            f.kind.as_str().to_owned(),
                            f.name.clone(),
                            time(f.created_at),
                            f.last_used_at.map_or_else(|| "-".into(), time),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["FACTOR ID", "TYPE", "NAME", "ADDED", "LAST USED"], &rows);
                println!("{codes} recovery code(s) left for {}", u.email);
            }
        }
        UsersCommand::ResetMfa { user } => {
            let (u, removed, ended) = mfa::reset(store, &user).await?;
            if as_json {
                json(&serde_json::json!({
                    "user_id": u.user_id,
                    "factors_removed": removed,
                    "sessions_ended": ended,
                }));
            } else {
                println!(
                    "removed {removed} second factor(s) and the recovery codes of {} ({}); {ended} session(s) ended",
                    u.email, u.user_id
                );
            }
        }
    }
    Ok(())
}

fn show(user: &User, as_json: bool, what: &str) {
    if as_json {
        json(&views::user(user));
    } else {
        println!("{what} {} ({})", user.email, user.user_id);
    }
}

/// Every field of a user, one per line (never the password hash).
fn details(u: &User) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let rows = [
        ("user_id", u.user_id.clone()),
        ("email", u.email.clone()),
        ("verified", yes_no(u.email_verified)),
        ("name", opt(&u.name)),
        ("given name", opt(&u.given_name)),
        ("family name", opt(&u.family_name)),
        ("nickname", opt(&u.nickname)),
        ("picture", opt(&u.picture)),
        ("phone", opt(&u.phone_number)),
        ("phone verified", yes_no(u.phone_number_verified)),
        (
            "address",
            u.address
                .as_ref()
                .and_then(|a| serde_json::to_string(a).ok())
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "password",
            if u.password_hash.is_some() {
                "set"
            } else {
                "none"
            }
            .to_owned(),
        ),
        (
            "status",
            if u.blocked { "blocked" } else { "active" }.to_owned(),
        ),
        ("created", time(u.created_at)),
        ("updated", time(u.updated_at)),
    ];
    for (k, v) in rows {
        println!("  {k:<14} {v}");
    }
}

fn done(as_json: bool, user: &str, what: &str, sessions_ended: u64) {
    if as_json {
        json(&serde_json::json!({ "user": user, "sessions_ended": sessions_ended }));
    } else {
        println!("{what} for {user}; {sessions_ended} session(s) ended");
    }
}
