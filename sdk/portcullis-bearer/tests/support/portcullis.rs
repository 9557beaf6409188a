//! The real Portcullis, booted in-process for this crate's tests by `portcullis-testkit` (a
//! fresh port, an in-memory SQLite store, a clock the test can move, and a small tenant). Only the
//! tests depend on the server crates; the SDK crates never do.

pub use portcullis_testkit::rp::*;
