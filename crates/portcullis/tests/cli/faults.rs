//! Fault tests (issue #11): `kill -9` under mixed load (sign-ins, code exchanges, refresh
//! rotations, client credentials), then a restart. Nothing the server confirmed is lost, nothing
//! single-use is used twice, no refresh family has two live tokens; with two replicas on
//! PostgreSQL the other replica keeps answering throughout; on SQLite the database file passes
//! `PRAGMA integrity_check`.

use super::flows::{apply_tenant, kill_9, serve};
use super::load::{
    FAMILIES_WITH_TWO_LIVE_TOKENS, Load, Seen, check_nothing_lost_nothing_reused, worker,
};
use super::support::{Sandbox, terminate, wait_for};
use portcullis_store_postgres::testing::TestDatabase;
use sqlx::Connection as _;
use std::sync::atomic::Ordering;

/// Workers running the load.
const WORKERS: usize = 2;

async fn run_workers(load: &std::sync::Arc<Load>) -> Vec<tokio::task::JoinHandle<Seen>> {
    (0..WORKERS)
        .map(|i| tokio::spawn(worker(load.clone(), i)))
        .collect()
}

async fn stop_workers(load: &Load, workers: Vec<tokio::task::JoinHandle<Seen>>) -> Seen {
    load.stop.store(true, Ordering::SeqCst);
    let mut all = Vec::new();
    for w in workers {
        all.push(w.await.unwrap());
    }
    Seen::merge(all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_mid_write_restarts_with_nothing_committed_lost() {
    let sb = Sandbox::new();
    apply_tenant(&sb, &[]);
    let (mut server, base) = serve(&sb, &[]);
    wait_for(&format!("{base}/readyz"), &mut server).await;
    let load = Load::new(vec![base.clone()]);
    let workers = run_workers(&load).await;
    load.wait_rounds(6).await;
    // Requests are in flight on every worker: kill without warning.
    kill_9(&mut server);
    load.crash(0);
    let seen = stop_workers(&load, workers).await;
    assert!(seen.wrong.is_empty(), "wrong answers: {:?}", seen.wrong);

    // The file as the crash left it (with its WAL): sound, and one live token per family.
    let db = sb.data_dir().join("portcullis.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let doubled: Vec<String> = conn
        .prepare(FAMILIES_WITH_TWO_LIVE_TOKENS)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(doubled.is_empty(), "{doubled:?}");
    drop(conn);

    let (mut server, base) = serve(&sb, &[]);
    wait_for(&format!("{base}/readyz"), &mut server).await;
    check_nothing_lost_nothing_reused(&base, &seen).await;
    assert!(terminate(&mut server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_loses_nothing_and_the_other_keeps_answering() {
    let db = TestDatabase::create().await;
    let sb = Sandbox::new();
    let issuer = format!("http://127.0.0.1:{}/", super::support::free_port());
    let env = [
        ("PORTCULLIS_DATABASE_URL", db.url()),
        ("PORTCULLIS_ISSUER", issuer.as_str()),
    ];
    apply_tenant(&sb, &env);
    let (mut a, a_base) = serve(&sb, &env);
    wait_for(&format!("{a_base}/readyz"), &mut a).await;
    let (mut b, b_base) = serve(&sb, &env);
    wait_for(&format!("{b_base}/readyz"), &mut b).await;

    let load = Load::new(vec![a_base.clone(), b_base.clone()]);
    let workers = run_workers(&load).await;
    load.wait_rounds(4).await;
    kill_9(&mut a);
    load.crash(0);
    // B alone carries the load for a while.
    load.wait_rounds(4).await;
    let (mut a, a_base) = serve(&sb, &env);
    wait_for(&format!("{a_base}/readyz"), &mut a).await;
    let seen = stop_workers(&load, workers).await;

    assert!(seen.wrong.is_empty(), "wrong answers: {:?}", seen.wrong);
    assert_eq!(seen.unreachable[1], 0, "B answered every request: {seen:?}");
    assert!(
        seen.answered_after_crash[1] > 0,
        "B answered after A was killed"
    );

    let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let doubled: Vec<String> = sqlx::query_scalar(FAMILIES_WITH_TWO_LIVE_TOKENS)
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(doubled.is_empty(), "{doubled:?}");
    conn.close().await.unwrap();

    // Through the restarted A: everything confirmed by either replica is there.
    check_nothing_lost_nothing_reused(&a_base, &seen).await;
    assert!(terminate(&mut a));
    assert!(terminate(&mut b));
}
