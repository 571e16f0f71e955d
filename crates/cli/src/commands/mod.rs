//! Operator commands: registry administration, the public-services registry, calling the gateway, reading the
//! audit trail, creating the platform's topics.
//!
//! Every command connects with the client certificate of `--tls-cert` (`KOPRIK_TLS_CERT`): the services identify
//! the caller, and record it as the actor of every step it takes, by that certificate alone, and its role decides
//! what the caller may do (`crates/authz/POLICY.md`).

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

use koprik_proto::tonic::transport::Channel;
use koprik_runtime::tls::ClientTlsSettings;

/// An error as the terminal shows it: its causes joined by ": ", a gRPC status as its code and message
/// (`PermissionDenied: ... may be called by operator, ...`) rather than tonic's code description.
pub fn describe(error: &anyhow::Error) -> String {
    error
        .chain()
        .map(|cause| match cause.downcast_ref::<koprik_proto::tonic::Status>() {
            Some(status) => format!("{:?}: {}", status.code(), status.message()),
            None => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// A channel to a Ko'prik service at `url`, over TLS when `tls` is enabled or the URL is `https://`.
pub async fn connect(url: &str, tls: &ClientTlsSettings) -> anyhow::Result<Channel> {
    tls.endpoint(url)?.connect().await.map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_shown_with_its_code_and_message() {
        let refused = koprik_proto::tonic::Status::permission_denied("StartReview may be called by operator");
        let error = anyhow::Error::new(refused).context("taking the step");
        assert_eq!(describe(&error), "taking the step: PermissionDenied: StartReview may be called by operator");
        assert_eq!(describe(&anyhow::anyhow!("cannot reach x")), "cannot reach x");
    }
}
