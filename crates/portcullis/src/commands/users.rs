//! `portcullis users …`

use super::read_password;
use crate::cli::UsersCommand;
use crate::context::Tenant;
use crate::output::{json, table, time};
use crate::views;
use anyhow::bail;
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
        } => {
            let Some(password) = read_password(&password)? else {
                bail!("give the password with --password-stdin or --password-env VAR");
            };
            let new = NewUser {
                email,
                password: Some(password),
                user_id,
                email_verified,
                name,
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
            let ended = users::set_password(store, &t.passwords, &user, &password, t.now()).await?;
            done(as_json, &user, "password set", ended);
        }
        UsersCommand::Block { user } => {
            let u = users::set_blocked(store, &user, true, t.now()).await?;
            show(&u, as_json, "blocked user");
        }
        UsersCommand::Unblock { user } => {
            let u = users::set_blocked(store, &user, false, t.now()).await?;
            show(&u, as_json, "unblocked user");
        }
        UsersCommand::Delete { user } => {
            let u = users::delete_user(store, &user).await?;
            show(&u, as_json, "deleted user");
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
        println!("  {k:<12} {v}");
    }
}

fn done(as_json: bool, user: &str, what: &str, sessions_ended: u64) {
    if as_json {
        json(&serde_json::json!({ "user": user, "sessions_ended": sessions_ended }));
    } else {
        println!("{what} for {user}; {sessions_ended} session(s) ended");
    }
}
