//! Operator commands: registry administration, calling the gateway, reading the audit trail.

pub mod audit;
pub mod call;
pub mod registry;

use koprik_proto::tonic::transport::Channel;

/// A channel to a Ko'prik service at `url`.
pub async fn connect(url: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(url.to_owned())?.connect().await.map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))
}
