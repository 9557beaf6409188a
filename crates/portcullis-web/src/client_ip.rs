//! Who is calling, for throttling: the socket peer address, or — only when that peer is a proxy
//! the operator trusts — the address the proxy reports in `X-Forwarded-For`. Trusting the header
//! from anyone would let every request claim a fresh address and walk past the limits.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// Which proxies may say who the client is.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client address for a request from `peer`: when `peer` is trusted, the right-most
    /// `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy appends the
    /// address it saw, so entries further left were written by the client and prove nothing).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(&peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("?").split(','))
            .map(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect();
        for hop in hops.into_iter().rev() {
            match hop {
                // Something no proxy of ours wrote: nothing from here leftwards is believed.
                None => break,
                Some(ip) if self.contains(&ip) => continue,
                Some(ip) => return ip,
            }
        }
        peer
    }
}

/// The caller's address as a string (`unknown` when the server runs without connect info).
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientIp("unknown".to_owned()));
        };
        Ok(ClientIp(
            state
                .trusted_proxies
                .client(peer.ip(), &parts.headers)
                .to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_taken_at_their_word_only() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.5"), &headers(&["198.51.100.1"])),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let t = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        // A client claiming to be 1.2.3.4, seen by the proxy as 198.51.100.7.
        let h = headers(&["1.2.3.4, 198.51.100.7", "10.0.0.2"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // No header: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
        // Client-written garbage left of the proxy's entry changes nothing...
        assert_eq!(
            t.client(ip("10.0.0.1"), &headers(&["nonsense, 198.51.100.7"])),
            ip("198.51.100.7")
        );
        // ...and garbage where a trusted proxy should have written stops the walk.
        assert_eq!(
            t.client(ip("10.0.0.1"), &headers(&["198.51.100.7, nonsense"])),
            ip("10.0.0.1")
        );
        // Only trusted hops: the left-most proxy's peer is unknown, so the socket peer.
        assert_eq!(
            t.client(ip("10.0.0.1"), &headers(&["10.0.0.9"])),
            ip("10.0.0.1")
        );
    }
}
