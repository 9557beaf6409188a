//! The background writer: a bounded queue drained in batches, one transaction per batch.

use portcullis_store::{LogEvent, Store};
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Events waiting to be written, at most. Past this the database is far behind (or down) and
/// new events are dropped with a warning rather than slowing requests or growing memory.
const QUEUE: usize = 16_384;
/// Events written per transaction, at most.
const BATCH: usize = 512;

enum Message {
    Event(Box<LogEvent>),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The handle [`super::record`] sends to. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AuditLog {
    queue: mpsc::Sender<Message>,
    dropped: Arc<AtomicU64>,
}

impl AuditLog {
    /// Starts the writer on the current tokio runtime. With `stdout`, every event is also
    /// printed as one JSON line (Auth0's log shape).
    pub fn start(store: Arc<dyn Store>, stdout: bool) -> AuditLog {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(store, receiver, stdout));
        AuditLog {
            queue,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(super) fn submit(&self, event: LogEvent) {
        if self
            .queue
            .try_send(Message::Event(Box::new(event)))
            .is_err()
        {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "audit log queue full: events dropped");
            }
        }
    }

    /// Waits until every event recorded before this call is written (a CLI command before it
    /// exits; a test before it reads the log).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write_loop(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<Message>, stdout: bool) {
    let mut messages = Vec::with_capacity(BATCH);
    let mut names = ClientNames::default();
    while receiver.recv_many(&mut messages, BATCH).await > 0 {
        let mut events = Vec::with_capacity(messages.len());
        let mut flushes = Vec::new();
        for message in messages.drain(..) {
            match message {
                Message::Event(event) => events.push(*event),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if !events.is_empty() {
            names.fill(store.as_ref(), &mut events).await;
            write(store.as_ref(), &events).await;
            if stdout {
                print(&events);
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// One transaction; on failure, a few tries a moment apart, then the batch is given up (and
/// said so in the server log).
async fn write(store: &dyn Store, events: &[LogEvent]) {
    let mut delay = std::time::Duration::from_millis(100);
    for attempt in 1..=5 {
        match store.insert_log_events(events).await {
            Ok(()) => return,
            Err(e) if attempt == 5 => {
                tracing::error!(error = %e, events = events.len(), "audit log events lost");
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, "writing audit log events failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
}

fn print(events: &[LogEvent]) {
    let mut out = std::io::stdout().lock();
    for event in events {
        let _ = writeln!(out, "{}", super::auth0_json(event));
    }
    let _ = out.flush();
}

/// Client names, looked up once per client (and forgotten now and then, so renames show).
#[derive(Default)]
struct ClientNames(HashMap<String, Option<String>>);

impl ClientNames {
    async fn fill(&mut self, store: &dyn Store, events: &mut [LogEvent]) {
        if self.0.len() > 1024 {
            self.0.clear();
        }
        for event in events.iter_mut() {
            let Some(client_id) = &event.client_id else {
                continue;
            };
            if !self.0.contains_key(client_id) {
                let name = store
                    .get_client(client_id)
                    .await
                    .ok()
                    .flatten()
                    .map(|c| c.name);
                self.0.insert(client_id.clone(), name);
            }
            event.client_name = self.0.get(client_id).cloned().flatten();
        }
    }
}

/// A log id that sorts in recording order: the time, a per-process sequence, then randomness
/// so replicas never collide.
pub(super) fn next_log_id(date_ms: i64) -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed) % 1_000_000;
    format!(
        "{:015}{sequence:06}{}",
        date_ms.max(0),
        crate::crypto::random_token(9)
    )
}
