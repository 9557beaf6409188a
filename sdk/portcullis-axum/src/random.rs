//! Randomness and PKCE.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

pub(crate) fn fill(buf: &mut [u8]) {
    if aws_lc_rs::rand::fill(buf).is_err() {
        // aws-lc's RNG does not fail on supported platforms; refuse to continue with zeros.
        panic!("system random number generator failed");
    }
}

/// 32 random bytes, base64url: for `state`, `nonce` and the PKCE verifier (43 characters).
pub(crate) fn token() -> String {
    let mut buf = [0u8; 32];
    fill(&mut buf);
    B64.encode(buf)
}

/// The S256 code challenge for a verifier (RFC 7636 §4.2).
pub(crate) fn s256(verifier: &str) -> String {
    B64.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn s256_is_base64url_sha256_of_the_verifier() {
        assert_eq!(
            super::s256("dBjftJeZ4CVP-mB92K1uhyUrwyVb8BhpTGs4BXgxLas"),
            // computed independently with Python hashlib + urlsafe_b64encode
            "1FRKZLdc4i_xZoBzXZQ9E3CqEace41J4OyLMT5PMWtw"
        );
        assert_eq!(super::token().len(), 43);
    }
}
