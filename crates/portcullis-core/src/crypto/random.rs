use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `bytes` random bytes, base64url without padding: codes, refresh tokens, client secrets,
/// session cookies. 32 bytes gives 256 bits (RFC 6749 §10.10 asks for ≥ 128), in the
/// unreserved character set (RFC 6749 Appendix A).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random identifier with a readable prefix, e.g. `new_id("usr")` → `usr_3fJ9…` (128 bits,
/// alphanumeric so it is safe in URLs, paths and `sub` claims).
pub fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // 256 is not a multiple of 62: reject bytes ≥ 248 to stay unbiased.
    let mut out = String::with_capacity(prefix.len() + 1 + 22);
    out.push_str(prefix);
    out.push('_');
    let mut produced = 0;
    while produced < 22 {
        let mut byte = [0u8; 1];
        fill(&mut byte);
        if byte[0] < 248 {
            out.push(ALPHABET[(byte[0] % 62) as usize] as char);
            produced += 1;
        }
    }
    out
}

fn fill(buf: &mut [u8]) {
    // SystemRandom only fails if the OS RNG is unavailable, in which case nothing is safe.
    #[allow(clippy::expect_used)]
    SystemRandom::new()
        .fill(buf)
        .expect("the operating system's random number generator failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_requested_entropy_and_url_safe_characters() {
        let t = random_token(32);
        assert_eq!(t.len(), 43);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(t, random_token(32));
    }

    #[test]
    fn ids_are_prefixed_and_alphanumeric() {
        let id = new_id("usr");
        assert!(id.starts_with("usr_"));
        assert_eq!(id.len(), 26);
        assert!(id[4..].chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
