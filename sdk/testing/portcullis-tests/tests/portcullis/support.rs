//! The real Portcullis, booted in-process by `portcullis-testkit` (a fresh port, an in-memory
//! SQLite store, a clock the test can move, and a small tenant).

pub use portcullis_testkit::rp::*;
