//! The one place that reads the wall clock.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// A source of "now" in seconds since the Unix epoch. Inject one in tests to move time.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        #[allow(clippy::disallowed_methods)] // this is the injected clock's system implementation
        let now = std::time::SystemTime::now();
        now.duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs()
    })
}
