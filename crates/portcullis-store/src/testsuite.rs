//! The backend-independent conformance suite (feature `testsuite`).
//!
//! Every function here checks one documented behaviour of the storage traits, with panicking
//! asserts, against a fresh and empty store. A backend runs all of them, each as its own named
//! test, with [`conformance_tests!`](crate::conformance_tests):
//!
//! ```text
//! // crates/portcullis-store-sqlite/tests/conformance.rs
//! portcullis_store::conformance_tests!(async {
//!     portcullis_store_sqlite::SqliteStore::in_memory().await.expect("in-memory store")
//! });
//! ```
//!
//! The macro's argument is an async expression, evaluated once per test, that yields either a
//! store or a [`Fixture`] (a store plus whatever must outlive it, such as a temporary directory).
//! Each test runs on its own multi-threaded tokio runtime, so the concurrency tests really race.
//!
//! Times are fixed (`sample::T0` and offsets from it); nothing here reads the wall clock.

// This module is test code: it reports failures by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod accounts;
mod apis;
mod audit;
mod catalog;
mod clients;
mod codes;
mod grants;
mod hostile_keys;
mod identities;
mod jobs;
mod keys;
mod mfa;
mod rate_limits;
mod refresh;
mod roles;
pub mod sample;
mod sessions;
mod tenant;
mod users;

pub use accounts::*;
pub use apis::*;
pub use audit::*;
pub use catalog::*;
pub use clients::*;
pub use codes::*;
pub use grants::*;
pub use hostile_keys::*;
pub use identities::*;
pub use jobs::*;
pub use keys::*;
pub use mfa::*;
pub use rate_limits::*;
pub use refresh::*;
pub use roles::*;
pub use sessions::*;
pub use tenant::*;
pub use users::*;

use crate::{Store, StoreError, StoreResult};
use std::any::Any;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

/// A store under test, plus anything that must live as long as it (a temporary directory holding
/// the database file, a server handle…). Dropped after the test: the store first.
pub struct Fixture {
    store: Arc<dyn Store>,
    _keep_alive: Option<Box<dyn Any + Send + Sync>>,
}

impl Fixture {
    /// Wraps a store.
    pub fn new(store: impl Store + 'static) -> Self {
        Fixture {
            store: Arc::new(store),
            _keep_alive: None,
        }
    }

    /// Keeps `guard` alive until the store is dropped.
    pub fn keep_alive(mut self, guard: impl Any + Send + Sync) -> Self {
        self._keep_alive = Some(Box::new(guard));
        self
    }

    /// The store, shared.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }
}

/// What a `conformance_tests!` expression may yield: a store, or a [`Fixture`].
pub trait IntoFixture {
    /// Converts into a fixture.
    fn into_fixture(self) -> Fixture;
}

impl IntoFixture for Fixture {
    fn into_fixture(self) -> Fixture {
        self
    }
}

impl<S: Store + 'static> IntoFixture for S {
    fn into_fixture(self) -> Fixture {
        Fixture::new(self)
    }
}

/// Runs one test body on a fresh multi-threaded runtime (used by `conformance_tests!`).
#[doc(hidden)]
pub fn run(test: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build a tokio runtime")
        .block_on(test);
}

/// Expands to one `#[test]` per conformance function, each against a fresh store.
///
/// The argument is an async expression yielding a store (`impl Store + 'static`) or a
/// [`Fixture`](crate::testsuite::Fixture); it is evaluated anew for every test. Tests run on a
/// multi-threaded tokio runtime built by the suite, so the calling crate needs no tokio macros.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::__conformance_tests!(@shared $make;
            client_create_get_roundtrip,
            client_duplicate_id_conflicts,
            client_list_ordered_by_creation_then_id,
            client_update_replaces_fields,
            client_update_absent_is_not_found,
            client_delete_absent_is_not_found,
            client_delete_cascades,
            user_create_get_roundtrip,
            user_email_is_stored_lower_cased,
            user_get_by_email_ignores_case,
            user_duplicate_id_conflicts,
            user_duplicate_email_conflicts_ignoring_case,
            user_list_ordered_by_creation_then_id,
            user_update_replaces_fields,
            user_update_absent_is_not_found,
            user_update_to_taken_email_conflicts,
            user_delete_absent_is_not_found,
            user_delete_cascades,
            api_create_get_roundtrip,
            api_duplicate_id_conflicts,
            api_duplicate_identifier_conflicts,
            api_list_ordered_by_creation_then_id,
            api_update_replaces_fields,
            api_update_absent_is_not_found,
            api_delete_absent_is_not_found,
            api_delete_cascades_client_grants,
            client_grant_create_find_roundtrip,
            client_grant_duplicate_pair_conflicts,
            client_grant_list_ordered_by_creation_then_id,
            client_grant_update_replaces_scopes,
            client_grant_update_absent_is_not_found,
            client_grant_delete,
            code_consume_returns_the_code,
            code_consume_is_single_use,
            code_consume_unknown_is_not_found,
            code_redeem_stores_grant_and_refresh_once,
            code_redeem_without_refresh_stores_the_grant,
            code_redeem_conflict_stores_nothing,
            code_get_reads_without_consuming,
            code_in_use_reads_code_user_and_session_factors,
            grant_create_get_roundtrip,
            grant_duplicate_id_conflicts,
            grant_revoke_revokes_its_tokens,
            grant_revoke_unknown_or_twice_is_ok,
            session_grants_revoke_spares_offline,
            session_grants_revoke_including_offline,
            session_client_ids_lists_each_application_once,
            user_grants_revoke_includes_offline_and_spares_others,
            user_client_grants_revoke_only_that_pair,
            access_token_records_roundtrip,
            access_token_live_follows_revocations,
            live_token_user_reads_the_user_of_a_live_token,
            purge_expired_removes_only_expired,
            refresh_token_insert_get_roundtrip,
            refresh_token_in_use_reads_token_grant_and_user,
            refresh_rotate_marks_old_used_and_stores_new,
            refresh_rotate_reuse_is_already_consumed,
            refresh_rotate_unknown_or_revoked_is_not_found,
            refresh_rotate_to_taken_hash_conflicts_and_changes_nothing,
            session_create_get_roundtrip,
            session_touch_moves_idle_deadline,
            session_delete,
            session_delete_user_sessions,
            key_insert_list_in_creation_order,
            key_duplicate_kid_conflicts,
            key_second_current_or_next_conflicts,
            key_rotate_promotes_next,
            key_rotate_without_next_makes_new_current,
            key_rotate_on_empty_store_makes_new_current,
            key_rotate_retires_expired_previous_keys,
            key_rotate_keeps_exactly_one_current,
            key_rotate_to_taken_kid_conflicts_and_changes_nothing,
            key_revoke_retires_previous_only,
            rate_limit_acquire_up_to_the_limit,
            rate_limit_window_ends_and_a_new_one_starts,
            rate_limit_reset,
            rate_limit_keys_are_independent,
            rate_limit_purge_removes_only_ended_windows,
            session_purge_removes_only_expired,
            email_token_put_get_roundtrip,
            email_token_put_replaces_the_previous_one,
            email_token_attempts_and_single_use,
            email_token_purge_removes_only_expired,
            mail_queue_claim_send_fail,
            consent_put_get_list_delete,
            setting_put_get_delete,
            catalog_generation_moves_on_every_catalog_write,
            identity_create_get_list,
            identity_users_share_emails_without_taking_them,
            identity_update_and_delete_with_user,
            identity_user_gets_a_database_password,
            identity_merge_moves_identities_and_deletes_the_upstream_user,
            tenant_changes_apply_in_order,
            tenant_changes_failing_midway_change_nothing,
            lookups_by_keys_holding_nul_find_nothing,
            mfa_factor_create_list_confirm_delete,
            mfa_totp_step_is_accepted_once,
            mfa_recovery_codes_single_use_and_replaced,
            mfa_session_factors_listed_and_deleted_with_session,
            webauthn_state_taken_once_and_expires,
            role_create_get_list_and_conflicts,
            role_update_replaces_fields,
            role_permissions_add_list_remove,
            user_roles_assign_list_and_permissions,
            role_deletes_cascade,
            role_lookups_by_keys_holding_nul_find_nothing,
            log_insert_get_list_filter,
            log_purge_removes_only_older,
            import_users_create_duplicate_upsert,
            job_create_get_update_purge,
        );
        $crate::__conformance_tests!(@owned $make;
            code_consume_concurrently_exactly_one_wins,
            code_redeem_concurrently_exactly_one_wins,
            refresh_rotate_concurrently_exactly_one_wins,
            key_rotate_concurrently_keeps_one_current,
            rate_limit_concurrent_acquires_never_exceed_the_limit,
            email_token_take_concurrently_exactly_one_wins,
            mail_queue_concurrent_claims_never_share_a_mail,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    (@shared $make:expr; $($name:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            $crate::testsuite::run(async {
                let fixture = $crate::testsuite::IntoFixture::into_fixture($make.await);
                $crate::testsuite::$name(&*fixture.store()).await;
            });
        }
    )+};
    (@owned $make:expr; $($name:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            $crate::testsuite::run(async {
                let fixture = $crate::testsuite::IntoFixture::into_fixture($make.await);
                $crate::testsuite::$name(fixture.store()).await;
            });
        }
    )+};
}

/// Starts `n` tasks that each run `f(i)`, released together by a barrier, and collects their
/// results in task order.
async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let task = f(i);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("a racing task panicked"));
    }
    results
}

#[track_caller]
fn assert_conflict<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

#[track_caller]
fn assert_already_consumed<T: Debug>(result: StoreResult<T>, grant_id: &str, what: &str) {
    match result {
        Err(StoreError::AlreadyConsumed { grant_id: got }) if got == grant_id => {}
        other => {
            panic!("{what}: expected AlreadyConsumed {{ grant_id: {grant_id:?} }}, got {other:?}")
        }
    }
}
