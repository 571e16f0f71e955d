//! Which address an anonymous request is counted against.
//!
//! The portal runs behind the cluster's ingress, so the TCP peer of most requests is the ingress, not the client;
//! counting the peer would put every anonymous client in one bucket. The ingress appends the address it saw to
//! `X-Forwarded-For`, so that header's *last* entry is the client as the ingress saw it. Its *first* entry is
//! whatever the client chose to send and would let anyone escape the limit by inventing addresses, so it is never
//! used. The header is believed only when the peer is a cluster-internal address (loopback, private, link-local
//! or unique-local: where the ingress lives); from a public peer it is ignored and the peer itself is counted.

use std::net::{IpAddr, SocketAddr};

/// Whether a peer may be a proxy in front of the portal.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The address to count: the last `X-Forwarded-For` entry when the peer is internal, else the peer. Without a
/// peer (the router served without connection info) every request counts against the unspecified address.
pub fn client_ip(peer: Option<SocketAddr>, forwarded_for: Option<&str>) -> IpAddr {
    let unspecified = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    let Some(peer) = peer.map(|p| p.ip()) else {
        return unspecified;
    };
    if !is_internal(peer) {
        return peer;
    }
    forwarded_for.and_then(|header| header.rsplit(',').next()).and_then(parse_entry).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(text: &str) -> Option<SocketAddr> {
        Some(text.parse().expect("a socket address"))
    }

    #[test]
    fn a_public_peer_is_counted_and_its_header_ignored() {
        assert_eq!(client_ip(peer("203.0.113.9:4000"), Some("198.51.100.1")).to_string(), "203.0.113.9");
    }

    #[test]
    fn behind_the_ingress_the_last_forwarded_entry_counts_not_the_first() {
        let ip = client_ip(peer("10.1.2.3:4000"), Some("1.1.1.1, 203.0.113.7"));
        assert_eq!(ip.to_string(), "203.0.113.7");
        let ip = client_ip(peer("127.0.0.1:4000"), Some("[2001:db8::1]:443"));
        assert_eq!(ip.to_string(), "2001:db8::1");
    }

    #[test]
    fn an_internal_peer_without_a_usable_header_is_counted_itself() {
        assert_eq!(client_ip(peer("10.1.2.3:4000"), None).to_string(), "10.1.2.3");
        assert_eq!(client_ip(peer("10.1.2.3:4000"), Some("garbage")).to_string(), "10.1.2.3");
        assert_eq!(client_ip(None, Some("1.2.3.4")).to_string(), "0.0.0.0");
    }
}
