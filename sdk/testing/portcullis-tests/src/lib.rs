//! Nothing to link: this crate only holds `tests/portcullis`, the SDKs' tests against the real
//! Portcullis (see the README).
