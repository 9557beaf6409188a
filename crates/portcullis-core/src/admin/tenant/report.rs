//! What applying a tenant file did.

use crate::admin::secret::Secret;
use std::fmt;

/// The kind of record an entry declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Application,
    Api,
    ClientGrant,
    User,
    Role,
    /// A `[tenant]` setting, or the `[[custom_claims]]` rules.
    Setting,
    /// An upstream connection.
    Connection,
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryKind::Application => "application",
            EntryKind::Api => "API",
            EntryKind::ClientGrant => "client grant",
            EntryKind::User => "user",
            EntryKind::Role => "role",
            EntryKind::Setting => "tenant setting",
            EntryKind::Connection => "connection",
        })
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Created,
    /// The fields that changed.
    Updated(Vec<&'static str>),
    Unchanged,
}

/// One record the apply looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: EntryKind,
    /// client_id, API identifier, `client → audience` or email.
    pub key: String,
    pub action: Action,
}

/// The outcome of [`super::apply`].
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    pub changes: Vec<Change>,
    /// Secrets generated for confidential applications that the file gave none for:
    /// `(client_id, secret)`. Show them once; they are stored only as hashes.
    pub generated_secrets: Vec<(String, Secret)>,
    /// Ids of the users the file blocked or gave a new password: sign each out everywhere with
    /// [`crate::sessions::end_all_for_user`] after the apply.
    pub sign_out: Vec<String>,
}

impl ApplyReport {
    /// Whether anything was created or updated.
    pub fn changed_anything(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged)
    }

    /// `(created, updated, unchanged)`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Action) -> bool| self.changes.iter().filter(|c| f(&c.action)).count();
        (
            count(|a| *a == Action::Created),
            count(|a| matches!(a, Action::Updated(_))),
            count(|a| *a == Action::Unchanged),
        )
    }

    /// Records what happened to a record. A record already reported (a grant whose scopes were
    /// pruned when its API changed) keeps one line: an update wins over "unchanged".
    pub(crate) fn push(&mut self, kind: EntryKind, key: impl Into<String>, action: Action) {
        let key = key.into();
        if let Some(prev) = self
            .changes
            .iter_mut()
            .find(|c| c.kind == kind && c.key == key)
        {
            match (&mut prev.action, action) {
                (_, Action::Unchanged) => {}
                (Action::Updated(fields), Action::Updated(more)) => fields.extend(more),
                (slot, action) => *slot = action,
            }
            return;
        }
        self.changes.push(Change { kind, key, action });
    }
}

impl fmt::Display for ApplyReport {
    /// One line per created or updated record, then a summary line. Never prints secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            match &c.action {
                Action::Created => writeln!(f, "created {} {}", c.kind, c.key)?,
                Action::Updated(fields) => {
                    writeln!(f, "updated {} {} ({})", c.kind, c.key, fields.join(", "))?
                }
                Action::Unchanged => {}
            }
        }
        let (created, updated, unchanged) = self.counts();
        if self.changed_anything() {
            write!(
                f,
                "{created} created, {updated} updated, {unchanged} unchanged"
            )
        } else {
            write!(
                f,
                "no changes: the tenant already matches the file ({unchanged} entries)"
            )
        }
    }
}
