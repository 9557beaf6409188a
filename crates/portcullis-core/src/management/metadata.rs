//! Auth0's rules for `app_metadata` and `user_metadata`
//! (<https://auth0.com/docs/manage-users/user-accounts/metadata/metadata-fields-data>):
//! a JSON object, field names without `.` or `$` at any depth, Auth0's reserved names refused at
//! the top of `app_metadata`, and 16 MB for both objects of a user together.

use crate::admin::AdminError;
use portcullis_store::Metadata;
use serde_json::Value;

/// Which of a user's two metadata objects is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataKind {
    App,
    User,
}

impl MetadataKind {
    pub fn field(self) -> &'static str {
        match self {
            MetadataKind::App => "app_metadata",
            MetadataKind::User => "user_metadata",
        }
    }
}

/// Both objects of one user together, serialized as JSON, at most this many bytes (Auth0: 16 MB).
pub const MAX_METADATA_BYTES: usize = 16 * 1024 * 1024;

/// Nesting deeper than this is refused (Auth0 documents no depth; this bounds our own walks).
pub const MAX_METADATA_DEPTH: usize = 64;

/// Names Auth0 refuses at the top of `app_metadata`: they are fields of the user profile.
pub const RESERVED_APP_METADATA_NAMES: &[&str] = &[
    "__tenant",
    "_id",
    "blocked",
    "clientID",
    "created_at",
    "email_verified",
    "email",
    "globalClientID",
    "global_client_id",
    "identities",
    "lastIP",
    "lastLogin",
    "loginsCount",
    "metadata",
    "multifactor_last_modified",
    "multifactor",
    "updated_at",
    "user_id",
];

/// Checks one metadata object: names and depth, and its own size.
pub fn check(kind: MetadataKind, metadata: &Metadata) -> Result<(), AdminError> {
    let field = kind.field();
    if kind == MetadataKind::App
        && let Some(name) = metadata
            .keys()
            .find(|k| RESERVED_APP_METADATA_NAMES.contains(&k.as_str()))
    {
        return Err(AdminError::Invalid {
            field,
            message: format!("{name:?} is a reserved name and cannot be stored in app_metadata"),
        });
    }
    check_object(field, metadata, 1)?;
    check_size(field, serialized_len(metadata))
}

/// Checks a user's two objects: each with [`check`], and their size together.
pub fn check_both(app: &Metadata, user: &Metadata) -> Result<(), AdminError> {
    check(MetadataKind::App, app)?;
    check(MetadataKind::User, user)?;
    check_size(
        "app_metadata and user_metadata",
        serialized_len(app) + serialized_len(user),
    )
}

/// Auth0's merge for `PATCH /api/v2/users/{id}`: each top-level field of `patch` replaces the
/// stored one, and a field set to `null` is removed. An empty `patch` object clears the whole
/// object (Auth0: "`{}` removes all metadata").
pub fn merge(stored: &Metadata, patch: &Metadata) -> Metadata {
    if patch.is_empty() {
        return Metadata::new();
    }
    let mut merged = stored.clone();
    for (name, value) in patch {
        if value.is_null() {
            merged.remove(name);
        } else {
            merged.insert(name.clone(), value.clone());
        }
    }
    merged
}

fn serialized_len(metadata: &Metadata) -> usize {
    serde_json::to_vec(metadata).map_or(usize::MAX, |bytes| bytes.len())
}

fn check_size(field: &'static str, len: usize) -> Result<(), AdminError> {
    if len > MAX_METADATA_BYTES {
        return Err(AdminError::Invalid {
            field,
            message: format!("is larger than {MAX_METADATA_BYTES} bytes"),
        });
    }
    Ok(())
}

fn check_object(field: &'static str, object: &Metadata, depth: usize) -> Result<(), AdminError> {
    if depth > MAX_METADATA_DEPTH {
        return Err(AdminError::Invalid {
            field,
            message: format!("is nested deeper than {MAX_METADATA_DEPTH} levels"),
        });
    }
    for (name, value) in object {
        if name.contains(['.', '$']) {
            return Err(AdminError::Invalid {
                field,
                message: format!("field name {name:?} contains '.' or '$'"),
            });
        }
        check_value(field, value, depth)?;
    }
    Ok(())
}

fn check_value(field: &'static str, value: &Value, depth: usize) -> Result<(), AdminError> {
    match value {
        Value::Object(inner) => check_object(field, inner, depth + 1),
        Value::Array(items) => {
            if depth + 1 > MAX_METADATA_DEPTH {
                return Err(AdminError::Invalid {
                    field,
                    message: format!("is nested deeper than {MAX_METADATA_DEPTH} levels"),
                });
            }
            items
                .iter()
                .try_for_each(|v| check_value(field, v, depth + 1))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Metadata {
        match value {
            Value::Object(map) => map,
            _ => Metadata::new(),
        }
    }

    #[test]
    fn plain_objects_pass() {
        let app = object(json!({"plan": "pro", "roles": ["a"], "nested": {"x-y": 1}}));
        assert!(check(MetadataKind::App, &app).is_ok());
        assert!(check_both(&app, &object(json!({"color": "light.blue"}))).is_ok());
    }

    #[test]
    fn dots_and_dollars_are_refused_at_any_depth() {
        for bad in [
            json!({"preference.color": "pink"}),
            json!({"a": {"$set": 1}}),
            json!({"a": [{"b": {"c.d": 1}}]}),
        ] {
            let err = check(MetadataKind::User, &object(bad.clone())).expect_err("refused");
            assert!(
                err.to_string().starts_with("user_metadata:"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn reserved_names_are_refused_in_app_metadata_only() {
        for name in RESERVED_APP_METADATA_NAMES {
            let meta = object(json!({ *name: true }));
            assert!(check(MetadataKind::App, &meta).is_err(), "{name}");
            assert!(check(MetadataKind::User, &meta).is_ok(), "{name}");
        }
    }

    #[test]
    fn size_is_limited_for_both_together() {
        let half = "x".repeat(MAX_METADATA_BYTES / 2);
        let app = object(json!({ "a": half }));
        let user = object(json!({ "b": half }));
        assert!(check(MetadataKind::App, &app).is_ok());
        assert!(check_both(&app, &user).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut value = json!(1);
        for _ in 0..(MAX_METADATA_DEPTH + 1) {
            value = json!([value]);
        }
        assert!(check(MetadataKind::User, &object(json!({ "deep": value }))).is_err());
    }

    #[test]
    fn merge_replaces_top_level_fields_and_null_removes() {
        let stored = object(json!({"a": 1, "b": {"x": 1}, "c": 3}));
        let patch = object(json!({"b": {"y": 2}, "c": null, "d": 4}));
        assert_eq!(
            merge(&stored, &patch),
            object(json!({"a": 1, "b": {"y": 2}, "d": 4}))
        );
        assert_eq!(merge(&stored, &Metadata::new()), Metadata::new());
    }
}
