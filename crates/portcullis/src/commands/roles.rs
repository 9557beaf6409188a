//! `portcullis roles …`

use crate::cli::RolesCommand;
use crate::context::Tenant;
use crate::output::{json, list, table};
use crate::views;
use portcullis_core::admin::roles::{self, NewRole, RoleUpdate};
use portcullis_store::{Permission, Role};
use serde_json::json as value;

pub async fn run(t: &Tenant, cmd: RolesCommand, as_json: bool) -> anyhow::Result<()> {
    let store = t.store();
    match cmd {
        RolesCommand::Create { name, description } => {
            let role = roles::create_role(store, NewRole { name, description }, t.now()).await?;
            show(&role, as_json, "created");
        }
        RolesCommand::List => {
            let all = roles::list_roles(store).await?;
            if as_json {
                json(&all.iter().map(views::role).collect());
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|r| vec![r.role_id.clone(), r.name.clone(), r.description.clone()])
                    .collect();
                table(&["ID", "NAME", "DESCRIPTION"], &rows);
            }
        }
        RolesCommand::Show { role } => {
            let role = roles::get_role(store, &role).await?;
            let permissions = roles::role_permissions(store, &role.role_id).await?;
            let users = roles::role_users(store, &role.role_id).await?;
            if as_json {
                let mut v = views::role(&role);
                v["permissions"] = permissions.iter().map(views::permission).collect();
                v["users"] = users.iter().map(|u| value!(u.user_id)).collect();
                json(&v);
            } else {
                show(&role, false, "role");
                println!("  permissions  {}", list(&labels(&permissions)));
                let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
                println!("  users        {}", list(&emails));
            }
        }
        RolesCommand::Update {
            role,
            name,
            description,
        } => {
            let update = RoleUpdate { name, description };
            let role = roles::update_role(store, &role, update, t.now()).await?;
            show(&role, as_json, "updated");
        }
        RolesCommand::Delete { role } => {
            let role = roles::delete_role(store, &role).await?;
            show(&role, as_json, "deleted");
        }
        RolesCommand::AddPermissions {
            role,
            api,
            permissions,
        } => {
            let wanted = of_api(&api, &permissions);
            let role = roles::add_permissions(store, &role, &wanted).await?;
            permissions_now(t, &role, as_json, "added to").await?;
        }
        RolesCommand::RemovePermissions {
            role,
            api,
            permissions,
        } => {
            let gone = of_api(&api, &permissions);
            let role = roles::remove_permissions(store, &role, &gone).await?;
            permissions_now(t, &role, as_json, "removed from").await?;
        }
        RolesCommand::Assign { user, roles: keys } => {
            let (user, given) = roles::assign_roles(store, &user, &keys).await?;
            let names: Vec<&str> = given.iter().map(|r| r.name.as_str()).collect();
            if as_json {
                json(&value!({"user_id": user.user_id, "assigned": names}));
            } else {
                println!("assigned {} to {}", list(&names), user.email);
            }
        }
        RolesCommand::Unassign { user, roles: keys } => {
            let (user, taken) = roles::remove_roles(store, &user, &keys).await?;
            let names: Vec<&str> = taken.iter().map(|r| r.name.as_str()).collect();
            if as_json {
                json(&value!({"user_id": user.user_id, "removed": names}));
            } else {
                println!("removed {} from {}", list(&names), user.email);
            }
        }
        RolesCommand::User { user } => {
            let (user, held_roles) = roles::user_roles(store, &user).await?;
            let (_, held) = roles::user_permissions(store, &user.user_id).await?;
            if as_json {
                json(&value!({
                    "user_id": user.user_id,
                    "roles": held_roles.iter().map(views::role).collect::<Vec<_>>(),
                    "permissions": held.iter().map(views::user_permission).collect::<Vec<_>>(),
                }));
            } else {
                let names: Vec<&str> = held_roles.iter().map(|r| r.name.as_str()).collect();
                println!("user {} ({})", user.email, user.user_id);
                println!("  roles        {}", list(&names));
                let mut perms: Vec<Permission> = held.into_iter().map(|h| h.permission).collect();
                perms.dedup();
                println!("  permissions  {}", list(&labels(&perms)));
            }
        }
    }
    Ok(())
}

/// Permissions of one API.
fn of_api(api: &str, names: &[String]) -> Vec<Permission> {
    names
        .iter()
        .map(|n| Permission::new(api.trim(), n.trim()))
        .collect()
}

/// `scope (api)` labels.
fn labels(permissions: &[Permission]) -> Vec<String> {
    permissions
        .iter()
        .map(|p| format!("{} ({})", p.permission_name, p.resource_server_identifier))
        .collect()
}

/// Prints a role's permissions after a change.
async fn permissions_now(t: &Tenant, role: &Role, as_json: bool, what: &str) -> anyhow::Result<()> {
    let now = roles::role_permissions(t.store(), &role.role_id).await?;
    if as_json {
        let mut v = views::role(role);
        v["permissions"] = now.iter().map(views::permission).collect();
        json(&v);
    } else {
        println!("permissions {what} role {}", role.name);
        println!("  permissions  {}", list(&labels(&now)));
    }
    Ok(())
}

fn show(role: &Role, as_json: bool, what: &str) {
    if as_json {
        json(&views::role(role));
        return;
    }
    println!("{what} role {} ({})", role.name, role.role_id);
    if !role.description.is_empty() {
        println!("  description  {}", role.description);
    }
}
