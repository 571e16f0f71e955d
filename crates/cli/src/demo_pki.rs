//! The demo's certificates: one per role the demo takes a step in, or that people may want to try, issued by the
//! development CA ([`DevPki`], files `clients/<role>_<principal>.pem|key`) and registered with the registry by the
//! operator. Each is used only for what its role may do (`crates/authz/POLICY.md`):
//!
//! | identity | what the demo does with it |
//! |---|---|
//! | [`OPERATOR`] | registers all below; seeds the registry, billing and the supplier record; the CLI's default |
//! | [`REGISTRY_EDITOR`] | submits the demo entry of the Unified Registry of Public Services for the civil registry |
//! | [`REGISTRY_REVIEWER`] | registers that entry |
//! | the [`CONSUMERS`] | call the demo web service through the gateway |
//! | [`PROVIDER`] | the civil registry: consents and announces works on its services (for people to try) |
//! | [`SUPPLIER`] | the statistics agency: publishes the demo data set |
//! | [`PAYMENT_CHANNEL`] | reports payments to billing (`make interop`) |
//! | [`AUDITOR`] | reads everything, changes nothing (for people to try) |
//!
//! The operator's certificate is registered by the registry itself at start-up (`KOPRIK_BOOTSTRAP_OPERATOR`): someone
//! has to be able to register the first certificate.

use koprik_pki::identity::Identity;
use koprik_proto::tonic::transport::Channel;
use koprik_runtime::dev_pki::{CertFiles, DevPki};

use crate::demo;

/// The platform operator's administrator: every operator step of the demo.
pub const OPERATOR: &str = "operator:koprik-admin";
/// The operator's reviewer of the Unified Registry of Public Services (fictional person).
pub const REGISTRY_REVIEWER: &str = "registry-reviewer:d.yusupova";
/// The civil registry's editor of its entries in that registry (fictional person).
pub const REGISTRY_EDITOR: &str = "registry-editor:UZ/GOV/201122919/n.aliyeva";
/// The civil registry as a provider (and its adapter).
pub const PROVIDER: &str = "provider:UZ/GOV/201122919";
/// The statistics agency as the open-data supplier ([`demo::STATISTICS_AGENCY`]).
pub const SUPPLIER: &str = "supplier:UZ/GOV/201122920";
/// The demo payment organisation reporting payments to billing.
pub const PAYMENT_CHANNEL: &str = "payment-channel:namuna-pay";
/// A finance inspector: read-only access everywhere (fictional person).
pub const AUDITOR: &str = "auditor:s.rahimova";
/// The demo consumer subsystems, each with its certificate.
pub const CONSUMERS: [&str; 3] = [demo::CONSUMER, demo::UNGRANTED_CONSUMER, demo::DDP_CONSUMER];

/// The identity one of the constants above names.
pub fn identity(text: &str) -> Identity {
    match text.parse() {
        Ok(identity) => identity,
        // The constants above are checked by the unit test below; this cannot happen for them.
        Err(e) => panic!("demo identity {text} is invalid: {e}"),
    }
}

/// The identity of the demo consumer subsystem `subsystem` (one of [`CONSUMERS`]).
pub fn consumer(subsystem: &str) -> Identity {
    identity(&format!("consumer:{subsystem}"))
}

/// Every demo identity the operator registers, with what it is for (as `koprik up` prints it), in the order they
/// are registered. Their organisations and subsystems must be registered first ([`demo::seed`]).
pub fn enrolled() -> Vec<(Identity, &'static str)> {
    let mut identities = vec![
        (identity(REGISTRY_EDITOR), "the civil registry's entries in the Unified Registry of Public Services"),
        (identity(REGISTRY_REVIEWER), "registers or refuses entries of the Unified Registry of Public Services"),
        (identity(PROVIDER), "the civil registry: consents and announcements for its own services"),
        (identity(SUPPLIER), "the statistics agency: publishes its own open data sets"),
        (identity(PAYMENT_CHANNEL), "reports payments to billing under its own channel name"),
        (identity(AUDITOR), "reads everything, changes nothing"),
    ];
    for subsystem in CONSUMERS {
        identities.push((consumer(subsystem), "calls web services through the gateway"));
    }
    identities
}

/// The certificate of `identity` from `pki` (issued on first use), registered with the registry at `operator` (a
/// channel presenting the operator's certificate); one registered before counts as registered.
pub async fn enrol(pki: &DevPki, operator: Channel, identity: &Identity) -> anyhow::Result<CertFiles> {
    let files = pki.client(identity)?;
    crate::commands::cert::register(operator, &files.pem()?)
        .await
        .map_err(|status| anyhow::Error::new(status).context(format!("registering the certificate of {identity}")))?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_pki::Role;

    #[test]
    fn demo_identities_are_valid_and_fit_the_demo_data() {
        assert_eq!(identity(OPERATOR).role(), Role::Operator);
        let enrolled = enrolled();
        assert_eq!(enrolled.len(), 6 + CONSUMERS.len());
        assert!(enrolled.iter().all(|(identity, _)| identity.role() != Role::Operator), "the registry registers it");
        // The editor edits the demo entry's competent body; the provider owns the demo service; the supplier is
        // the statistics agency.
        let editor = identity(REGISTRY_EDITOR);
        assert_eq!(editor.organization().map(ToString::to_string).as_deref(), Some(demo::PROVIDER));
        assert_eq!(identity(PROVIDER).organization().map(ToString::to_string).as_deref(), Some(demo::PROVIDER));
        let supplier = identity(SUPPLIER);
        assert_eq!(supplier.organization().map(ToString::to_string).as_deref(), Some(demo::STATISTICS_AGENCY));
        assert_eq!(consumer(demo::CONSUMER).subsystem().map(ToString::to_string).as_deref(), Some(demo::CONSUMER));
    }
}
