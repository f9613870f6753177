//! The address a request is accounted to. Behind a load balancer every connection comes from
//! the balancer, so a key scan through it would throttle every client; when the peer is a
//! configured trusted proxy, the client is read from `X-Forwarded-For` instead.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

/// `server.trusted_proxies`, compiled once at start.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

/// At most this many `X-Forwarded-For` entries are read: the list is client-controlled.
const MAX_FORWARDED_HOPS: usize = 32;

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self { networks }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks.iter().any(|net| net.contains(&address))
    }

    /// The peer itself unless it is a trusted proxy. Otherwise the nearest `X-Forwarded-For`
    /// hop that is not a trusted proxy (entries to its left were written by the client and
    /// prove nothing). An unreadable header falls back to the peer, never to a client claim.
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut hops: Vec<IpAddr> = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(text) = value.to_str() else {
                return Some(peer);
            };
            for entry in text.split(',') {
                let Some(address) = parse_hop(entry) else {
                    return Some(peer);
                };
                hops.push(address);
            }
        }
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
            client = *hop;
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

/// `1.2.3.4`, `[::1]:80`, `1.2.3.4:80` and `::1` all name an address.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    None
}

/// An IPv4 peer on a dual-stack listener shows up as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client_address(ip("203.0.113.9"), &xff("1.1.1.1")), ip("203.0.113.9"));
        assert_eq!(
            TrustedProxies::default().client_address(ip("10.0.0.1"), &xff("1.1.1.1")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_peer_forwards_the_nearest_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8", "fd00::/8"]);
        assert_eq!(
            p.client_address(ip("10.1.2.3"), &xff("198.51.100.7")),
            ip("198.51.100.7")
        );
        // The client wrote 6.6.6.6 itself; the balancer appended the address it saw.
        assert_eq!(
            p.client_address(ip("10.1.2.3"), &xff("6.6.6.6, 198.51.100.7, 10.9.9.9")),
            ip("198.51.100.7")
        );
        assert_eq!(
            p.client_address(ip("::ffff:10.1.2.3"), &xff("[2001:db8::1]:443")),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn a_trusted_peer_without_a_readable_header_is_itself() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client_address(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
        assert_eq!(p.client_address(ip("10.1.2.3"), &xff("not-an-ip")), ip("10.1.2.3"));
        assert_eq!(
            p.client_address(ip("10.1.2.3"), &xff("10.0.0.5, 10.0.0.6")),
            ip("10.0.0.5")
        );
        assert_eq!(p.client_address(None, &xff("1.1.1.1")), None);
    }
}
