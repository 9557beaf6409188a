//! `portcullis apply FILE`

use crate::context::Tenant;
use crate::output::json;
use crate::tenant_file::{apply_file, print_generated_secrets};
use portcullis_core::admin::tenant::{Action, TenantFile};

/// Applies an already read (and checked) tenant file.
pub async fn run(t: &Tenant, parsed: &TenantFile, as_json: bool) -> anyhow::Result<()> {
    let report = apply_file(t, parsed).await?;
    if as_json {
        let changes: Vec<_> = report
            .changes
            .iter()
            .map(|c| {
                let (action, fields) = match &c.action {
                    Action::Created => ("created", vec![]),
                    Action::Updated(f) => ("updated", f.clone()),
                    Action::Unchanged => ("unchanged", vec![]),
                };
                serde_json::json!({ "kind": c.kind.to_string(), "key": c.key, "action": action, "fields": fields })
            })
            .collect();
        let secrets: serde_json::Map<String, serde_json::Value> = report
            .generated_secrets
            .iter()
            .map(|(id, s)| (id.clone(), s.expose().into()))
            .collect();
        json(&serde_json::json!({
            "changed": report.changed_anything(),
            "changes": changes,
            "generated_secrets": secrets,
        }));
    } else {
        println!("{report}");
        print_generated_secrets(&report);
    }
    Ok(())
}
