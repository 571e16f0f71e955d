//! Every refusal the guard and the reach checks make: the gRPC status the caller gets (UNAUTHENTICATED without a
//! usable certificate, PERMISSION_DENIED naming the method and the missing role or reach, UNAVAILABLE when
//! revocations cannot be confirmed), and the metric that counts it by method and reason.

use koprik_proto::tonic::Status;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Why a call was refused: the `reason` label of `authz_refusals_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No policy entry for the method.
    Unlisted,
    /// No client certificate was presented.
    NoCertificate,
    /// The certificate cannot be read or names no single identity.
    Unreadable,
    /// The registry has no such certificate (or one with other bytes under the serial).
    Unregistered,
    /// The registry revoked it.
    Revoked,
    /// Outside its validity.
    Expired,
    /// Whether it is revoked cannot be confirmed now.
    DirectoryUnavailable,
    /// Its role may not call the method.
    Role,
    /// What the call reaches does not belong to the caller.
    Reach,
    /// The peer address spent its budget of refused calls ([`crate::peer_limit`]).
    PeerLimited,
}

impl Reason {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Unlisted => "unlisted",
            Reason::NoCertificate => "no_certificate",
            Reason::Unreadable => "unreadable_certificate",
            Reason::Unregistered => "unregistered",
            Reason::Revoked => "revoked",
            Reason::Expired => "expired",
            Reason::DirectoryUnavailable => "directory_unavailable",
            Reason::Role => "role",
            Reason::Reach => "reach",
            Reason::PeerLimited => "peer_limited",
        }
    }

    fn status(self, message: String) -> Status {
        match self {
            Reason::NoCertificate | Reason::Unreadable | Reason::Unregistered | Reason::Revoked | Reason::Expired => {
                Status::unauthenticated(message)
            }
            Reason::DirectoryUnavailable => Status::unavailable(message),
            Reason::Unlisted | Reason::Role | Reason::Reach => Status::permission_denied(message),
            Reason::PeerLimited => Status::resource_exhausted(message),
        }
    }
}

/// The refusal counter, shared by the guard and every [`crate::Access`] it hands out.
#[derive(Clone, Default)]
pub struct Refusals {
    counted: Family<[(&'static str, &'static str); 2], Counter>,
}

impl Refusals {
    /// The counter, registered as `authz_refusals_total{method, reason}`.
    pub fn register(registry: &mut Registry) -> Self {
        let refusals = Self::default();
        registry.register(
            "authz_refusals",
            "gRPC calls refused by the authorization policy, by method and reason",
            refusals.counted.clone(),
        );
        refusals
    }

    /// Counts a refusal of `method` (a policy entry's method, or `unlisted`: the label set stays bounded) and
    /// returns the status the caller gets.
    pub fn refuse(&self, method: &'static str, reason: Reason, message: String) -> Status {
        self.counted.get_or_create(&[("method", method), ("reason", reason.label())]).inc();
        if reason == Reason::PeerLimited {
            // A flood: the counter says how many; a log line each would fill the disk.
            tracing::debug!(method, %message, "call refused");
        } else {
            tracing::info!(method, reason = reason.label(), %message, "call refused");
        }
        reason.status(message)
    }

    /// How many refusals of `method` for `reason` were counted (for tests).
    pub fn count(&self, method: &'static str, reason: Reason) -> u64 {
        self.counted.get_or_create(&[("method", method), ("reason", reason.label())]).get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::tonic::Code;

    #[test]
    fn reasons_map_to_the_codes_callers_expect() {
        let refusals = Refusals::default();
        let method = "/koprik.registry.v1.Registry/CreateGrant";
        assert_eq!(refusals.refuse(method, Reason::NoCertificate, "x".into()).code(), Code::Unauthenticated);
        assert_eq!(refusals.refuse(method, Reason::Revoked, "x".into()).code(), Code::Unauthenticated);
        assert_eq!(refusals.refuse(method, Reason::Role, "x".into()).code(), Code::PermissionDenied);
        assert_eq!(refusals.refuse(method, Reason::Reach, "x".into()).code(), Code::PermissionDenied);
        assert_eq!(refusals.refuse(method, Reason::DirectoryUnavailable, "x".into()).code(), Code::Unavailable);
        assert_eq!(refusals.refuse(method, Reason::PeerLimited, "x".into()).code(), Code::ResourceExhausted);
        assert_eq!(refusals.count(method, Reason::Role), 1);
        assert_eq!(refusals.count(method, Reason::Reach), 1);
    }
}
