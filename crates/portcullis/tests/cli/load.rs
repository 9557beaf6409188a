//! Mixed load for the fault tests: workers that sign in, redeem the code, rotate the refresh
//! token and ask for client-credentials tokens, spreading the steps over several servers, and
//! remember what the servers confirmed, so that after a crash the test can check that none of
//! it was lost and that nothing single-use was used twice.

use super::flows::{Failure, PASSWORD, client_credentials, redeem, refresh, sign_in};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A refresh-token family whose every step was answered: `latest` is its one live token.
#[derive(Debug, Clone)]
pub struct Family {
    /// The code redeemed to start it (redeemed once, confirmed).
    pub code: String,
    /// The live refresh token.
    pub latest: String,
    /// The token `latest` replaced, if it was rotated.
    pub previous: Option<String>,
}

/// What the workers saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Families with no request left unanswered.
    pub families: Vec<Family>,
    /// Codes whose redemption was sent but not answered: they may or may not have been used.
    pub uncertain_codes: Vec<String>,
    /// Answered requests, per server.
    pub answered: Vec<usize>,
    /// Answered requests per server after the crash.
    pub answered_after_crash: Vec<usize>,
    /// Requests no server answered, per server.
    pub unreachable: Vec<usize>,
    /// Wrong answers from a running server: (server, step, status, body). Must stay empty.
    pub wrong: Vec<(usize, &'static str, u16, String)>,
}

/// Shared between the workers and the test.
pub struct Load {
    pub bases: Vec<String>,
    /// Set by the test when it has killed a server.
    pub crashed: AtomicBool,
    /// The server killed, which the workers then leave out (as a load balancer does once its
    /// health check fails); `usize::MAX` while all run.
    pub down: AtomicUsize,
    /// Set by the test to stop the workers.
    pub stop: AtomicBool,
    /// Completed rounds (one sign-in, redemption, two rotations, one client-credentials token).
    pub rounds: AtomicUsize,
    /// Wrong answers so far (details in each worker's [`Seen::wrong`]).
    pub wrong: AtomicUsize,
}

impl Load {
    pub fn new(bases: Vec<String>) -> Arc<Load> {
        Arc::new(Load {
            bases,
            crashed: AtomicBool::new(false),
            down: AtomicUsize::new(usize::MAX),
            stop: AtomicBool::new(false),
            rounds: AtomicUsize::new(0),
            wrong: AtomicUsize::new(0),
        })
    }

    /// Records that `server` was killed.
    pub fn crash(&self, server: usize) {
        self.down.store(server, Ordering::SeqCst);
        self.crashed.store(true, Ordering::SeqCst);
    }

    /// Waits (polling the counter) until `n` more rounds have completed. Stops waiting, so the
    /// test can report them, when wrong answers come in, and gives up after 5 minutes.
    pub async fn wait_rounds(&self, n: usize) {
        let target = self.rounds.load(Ordering::SeqCst) + n;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while self.rounds.load(Ordering::SeqCst) < target && self.wrong.load(Ordering::SeqCst) == 0
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the load made {} rounds in 5 minutes",
                self.rounds.load(Ordering::SeqCst)
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// One worker: rounds until told to stop; step `k` of the worker goes to server
/// `(worker + k) % servers` (skipping a server marked down), so every flow crosses servers.
pub async fn worker(load: Arc<Load>, index: usize) -> Seen {
    let n = load.bases.len();
    let mut seen = Seen {
        answered: vec![0; n],
        answered_after_crash: vec![0; n],
        unreachable: vec![0; n],
        ..Seen::default()
    };
    let mut step = index;
    let mut next = || {
        step += 1;
        let down = load.down.load(Ordering::SeqCst);
        if step % n == down && n > 1 {
            step += 1;
        }
        step % n
    };
    while !load.stop.load(Ordering::SeqCst) {
        // Sign in.
        let server = next();
        let code = match sign_in(&load.bases[server], PASSWORD).await {
            Ok(code) => {
                seen.count(&load, server);
                code
            }
            Err(Failure::Unreachable) => {
                seen.unreachable[server] += 1;
                continue;
            }
            Err(Failure::Status(s)) => {
                seen.wrong.push((server, "sign-in", s, String::new()));
                load.wrong.fetch_add(1, Ordering::SeqCst);
                continue;
            }
        };
        // Redeem.
        let server = next();
        let Some(tokens) = seen.answer(
            &load,
            server,
            "redeem",
            redeem(&load.bases[server], &code).await,
        ) else {
            seen.uncertain_codes.push(code);
            continue;
        };
        let mut family = Family {
            code,
            latest: tokens["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            previous: None,
        };
        // Two rotations; a family with an unanswered step is forgotten (its state is unknown).
        let mut certain = true;
        for _ in 0..2 {
            let server = next();
            let answer = refresh(&load.bases[server], &family.latest).await;
            match seen.answer(&load, server, "refresh", answer) {
                Some(tokens) => {
                    let new = tokens["refresh_token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    family.previous = Some(std::mem::replace(&mut family.latest, new));
                }
                None => {
                    certain = false;
                    break;
                }
            }
        }
        if certain {
            seen.families.push(family);
        }
        let server = next();
        let _ = seen.answer(
            &load,
            server,
            "client_credentials",
            client_credentials(&load.bases[server]).await,
        );
        load.rounds.fetch_add(1, Ordering::SeqCst);
    }
    seen
}

impl Seen {
    fn count(&mut self, load: &Load, server: usize) {
        self.answered[server] += 1;
        if load.crashed.load(Ordering::SeqCst) {
            self.answered_after_crash[server] += 1;
        }
    }

    /// A token answer: its body when 200; wrong answers and unreachable servers recorded.
    fn answer(
        &mut self,
        load: &Load,
        server: usize,
        step: &'static str,
        answer: Option<(StatusCode, Value)>,
    ) -> Option<Value> {
        match answer {
            Some((StatusCode::OK, body)) => {
                self.count(load, server);
                Some(body)
            }
            Some((status, body)) => {
                self.wrong
                    .push((server, step, status.as_u16(), body.to_string()));
                None
            }
            None => {
                self.unreachable[server] += 1;
                None
            }
        }
    }

    /// Everything the workers saw, together.
    pub fn merge(all: Vec<Seen>) -> Seen {
        let mut total = Seen::default();
        for s in all {
            total.families.extend(s.families);
            total.uncertain_codes.extend(s.uncertain_codes);
            total.wrong.extend(s.wrong);
            for (into, from) in [
                (&mut total.answered, s.answered),
                (&mut total.answered_after_crash, s.answered_after_crash),
                (&mut total.unreachable, s.unreachable),
            ] {
                into.resize(from.len().max(into.len()), 0);
                for (i, v) in from.into_iter().enumerate() {
                    into[i] += v;
                }
            }
        }
        total
    }
}

/// After the crash and restart, through `base`: every confirmed family has exactly one live
/// token (the latest rotates, the one it replaced is refused), every confirmed code stays
/// redeemed (a replay is refused), and a code whose redemption went unanswered is redeemed at
/// most once more. (Reuse and replays revoke their family, so each check comes last for it.)
pub async fn check_nothing_lost_nothing_reused(base: &str, seen: &Seen) {
    assert!(
        !seen.families.is_empty(),
        "the load completed some families"
    );
    for family in &seen.families {
        let (status, body) = refresh(base, &family.latest)
            .await
            .expect("the server answers");
        assert_eq!(
            status,
            StatusCode::OK,
            "a confirmed refresh token was lost: {body}"
        );
        if let Some(previous) = &family.previous {
            let (status, body) = refresh(base, previous).await.expect("the server answers");
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "a rotated token still works: {body}"
            );
        }
        let (status, body) = redeem(base, &family.code)
            .await
            .expect("the server answers");
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "a code redeemed twice: {body}"
        );
        assert_eq!(body["error"], "invalid_grant");
    }
    for code in &seen.uncertain_codes {
        let _first = redeem(base, code).await.expect("the server answers");
        let (status, body) = redeem(base, code).await.expect("the server answers");
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "a code redeemed twice: {body}"
        );
    }
}

/// The SQL both backends accept: refresh-token families with more than one live token.
pub const FAMILIES_WITH_TWO_LIVE_TOKENS: &str = "SELECT grant_id FROM refresh_tokens \
     WHERE used_at IS NULL AND NOT revoked GROUP BY grant_id HAVING COUNT(*) > 1";
