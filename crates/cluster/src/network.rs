//! Where a cluster may listen and be reached: loopback, or a network the operator declares
//! private (Ballista's traffic is neither encrypted nor authenticated).

use crate::ClusterError;
use std::net::{SocketAddr, ToSocketAddrs};

/// Set to `1` to allow cluster addresses outside loopback: the network between scheduler,
/// executors and the extracting host is private (or mutual TLS runs in front of it).
pub const PRIVATE_NETWORK_ENV: &str = "HDAB_CLUSTER_PRIVATE_NETWORK";

/// Resolves `address` (`host:port`, or `df://host:port`) and refuses one outside loopback
/// unless `private_network`.
pub fn check_address(address: &str, private_network: bool) -> Result<SocketAddr, ClusterError> {
    let bare = address.strip_prefix("df://").unwrap_or(address);
    let resolved: Vec<SocketAddr> = bare
        .to_socket_addrs()
        .map_err(|e| {
            ClusterError::Address(format!(
                "'{address}' is not a cluster address ({e}): give host:port, for example 127.0.0.1:50050"
            ))
        })?
        .collect();
    let Some(first) = resolved.first().copied() else {
        return Err(ClusterError::Address(format!(
            "'{address}' resolves to no address"
        )));
    };
    if !private_network && !resolved.iter().all(|a| a.ip().is_loopback()) {
        return Err(ClusterError::Address(format!(
            "'{address}' is outside loopback, and a Ballista cluster's traffic has no encryption or authentication of its own: run the cluster on a private network (or behind mutual TLS) and set {PRIVATE_NETWORK_ENV}=1 to say so"
        )));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_allowed_and_other_networks_only_when_declared_private() {
        assert!(check_address("127.0.0.1:50050", false).is_ok());
        assert!(check_address("df://localhost:50050", false).is_ok());
        let refused = check_address("10.1.2.3:50050", false);
        assert!(
            matches!(&refused, Err(ClusterError::Address(m)) if m.contains(PRIVATE_NETWORK_ENV)),
            "{refused:?}"
        );
        assert!(check_address("10.1.2.3:50050", true).is_ok());
        assert!(check_address("no port here", true).is_err());
    }
}
