//! Operator commands: registry administration, the public-services registry, calling the gateway, reading the
//! audit trail, creating the platform's topics.

pub mod audit;
pub mod call;
pub mod cert;
pub mod grounds;
pub mod keys;
pub mod onboarding;
pub mod public_services;
pub mod registry;
pub mod submit;
pub mod topics;

/// The actor every workflow step records, from `--actor` or `KOPRIK_ACTOR`.
pub fn actor(actor: Option<&str>) -> anyhow::Result<String> {
    actor
        .map(str::to_owned)
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| anyhow::anyhow!("this step records who takes it: pass --actor NAME or set KOPRIK_ACTOR"))
}

use koprik_proto::tonic::transport::Channel;
use koprik_runtime::tls::ClientTlsSettings;

/// A channel to a Ko'prik service at `url`, over TLS when `tls` is enabled or the URL is `https://`.
pub async fn connect(url: &str, tls: &ClientTlsSettings) -> anyhow::Result<Channel> {
    tls.endpoint(url)?.connect().await.map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))
}
