//! Who is calling: the consumer subsystem named by the caller's TLS client certificate
//! (koprik/registry/v1/credentials.proto). The TLS handshake has already checked that the certificate chains to
//! the platform CA (`grpc.tls.client_ca`); the gateway accepts it only if the registry has it registered, not
//! revoked and not expired, for a registered subsystem. Every refusal is UNAUTHENTICATED and names the serial.
//!
//! Development only: with `identity = "metadata"` the caller names its subsystem in the `koprik-consumer`
//! metadata instead, and nothing proves it (refused at configuration when TLS is on).

use chrono::{DateTime, Utc};
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::CredentialStatus;
use serde::{Deserialize, Serialize};

use crate::cache::RegistryCache;
use crate::error::GatewayError;

/// Metadata naming the calling subsystem, in the development identity mode only.
pub const CONSUMER_HEADER: &str = "koprik-consumer";

/// Where the gateway takes the caller's identity from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentitySource {
    /// The TLS client certificate (mTLS): the only mode for anything but a developer's machine.
    #[default]
    Certificate,
    /// The `koprik-consumer` metadata, unproven: development only.
    Metadata,
}

/// What the gRPC layer knows of the caller.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The DER of the client certificate presented in the TLS handshake (the leaf), if any.
    pub certificate: Option<Vec<u8>>,
    /// The `koprik-consumer` metadata value, if sent.
    pub consumer_header: Option<String>,
}

/// An identified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The consumer subsystem.
    pub subsystem: SubsystemId,
    /// The serial of the client certificate that proved it; empty in the development metadata mode.
    pub certificate_serial: String,
}

/// A refusal, with the serial when a certificate was read (for the audit record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The serial of the presented certificate, if it could be read.
    pub certificate_serial: String,
    /// UNAUTHENTICATED, with the reason.
    pub error: GatewayError,
}

fn refuse(serial: &str, message: String) -> Refusal {
    Refusal { certificate_serial: serial.to_owned(), error: GatewayError::Unauthenticated(message) }
}

/// Identifies the caller from `credentials` as `source` says, checking the certificate against the registry
/// cache at `now`.
pub fn identify(
    source: IdentitySource,
    credentials: &Credentials,
    cache: &RegistryCache,
    now: DateTime<Utc>,
) -> Result<Caller, Refusal> {
    match source {
        IdentitySource::Certificate => by_certificate(credentials.certificate.as_deref(), cache, now),
        IdentitySource::Metadata => by_metadata(credentials.consumer_header.as_deref()),
    }
}

fn by_certificate(der: Option<&[u8]>, cache: &RegistryCache, now: DateTime<Utc>) -> Result<Caller, Refusal> {
    let der = der.ok_or_else(|| {
        refuse(
            "",
            "no TLS client certificate: call the gateway with the client certificate the platform CA issued to your \
             subsystem"
                .into(),
        )
    })?;
    let presented = koprik_pki::parse_der(der)
        .map_err(|e| refuse("", format!("the TLS client certificate cannot be read: {e}")))?;
    let serial = presented.serial.as_str();
    let registered = cache
        .certificate(serial)
        .filter(|c| c.sha256_fingerprint == presented.sha256_fingerprint)
        .ok_or_else(|| refuse(serial, format!("client certificate {serial} is not registered")))?;
    if registered.status != CredentialStatus::Active {
        let reason = registered.revocation_reason.as_str();
        return Err(refuse(serial, format!("client certificate {serial} is revoked: {reason}")));
    }
    let not_after = registered.not_after.map_or(presented.not_after, |t| t.min(presented.not_after));
    if now > not_after || now < presented.not_before {
        return Err(refuse(serial, format!("client certificate {serial} is not valid now (valid until {not_after})")));
    }
    if !cache.has_subsystem(&registered.subsystem) {
        return Err(refuse(
            serial,
            format!("client certificate {serial} names subsystem {}, which is not registered", registered.subsystem),
        ));
    }
    Ok(Caller { subsystem: registered.subsystem, certificate_serial: serial.to_owned() })
}

fn by_metadata(header: Option<&str>) -> Result<Caller, Refusal> {
    let header = header.ok_or_else(|| {
        refuse(
            "",
            format!(
                "the caller is not identified: send the {CONSUMER_HEADER} metadata with your subsystem id \
                 (INSTANCE/CLASS/CODE/SUBSYSTEM)"
            ),
        )
    })?;
    let subsystem =
        header.parse().map_err(|e: koprik_proto::FieldError| refuse("", format!("{CONSUMER_HEADER} metadata: {e}")))?;
    Ok(Caller { subsystem, certificate_serial: String::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_pki::CertificateAuthority;
    use koprik_proto::events::registry_event::Entity;
    use koprik_proto::registry::{ClientCertificate, Meta, Subsystem};
    use koprik_proto::time::timestamp;

    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

    fn subsystem() -> SubsystemId {
        "UZ/GOV/200935935/tax-inspection".parse().expect("valid")
    }

    /// A client certificate's DER and the registry's record of it.
    fn certificate(ca: &CertificateAuthority) -> (Vec<u8>, ClientCertificate) {
        let issued = ca.issue_client(&subsystem(), HOUR).expect("issued");
        let der = koprik_pki::der_of_pem(&issued.cert_pem).expect("PEM");
        let parsed = koprik_pki::parse_der(&der).expect("parses");
        let record = ClientCertificate {
            serial: parsed.serial,
            subsystem: Some((&subsystem()).into()),
            sha256_fingerprint: parsed.sha256_fingerprint,
            not_before: Some(timestamp(parsed.not_before)),
            not_after: Some(timestamp(parsed.not_after)),
            status: CredentialStatus::Active as i32,
            meta: Some(Meta { revision: 1, ..Meta::default() }),
            ..ClientCertificate::default()
        };
        (der, record)
    }

    fn cache_with(record: &ClientCertificate, subsystem_registered: bool) -> RegistryCache {
        let cache = RegistryCache::default();
        if subsystem_registered {
            let subsystem = Subsystem { id: Some((&subsystem()).into()), ..Subsystem::default() };
            cache.apply(&Entity::Subsystem(subsystem)).expect("valid");
        }
        cache.apply(&Entity::Certificate(record.clone())).expect("valid");
        cache
    }

    fn presented(der: &[u8]) -> Credentials {
        Credentials { certificate: Some(der.to_vec()), consumer_header: None }
    }

    fn message(result: Result<Caller, Refusal>) -> (String, String) {
        let refusal = result.expect_err("refused");
        assert!(matches!(refusal.error, GatewayError::Unauthenticated(_)), "{refusal:?}");
        (refusal.certificate_serial, refusal.error.to_string())
    }

    #[test]
    fn a_registered_active_certificate_identifies_its_subsystem() {
        let ca = CertificateAuthority::generate("test").expect("CA");
        let (der, record) = certificate(&ca);
        let cache = cache_with(&record, true);
        let caller = identify(IdentitySource::Certificate, &presented(&der), &cache, Utc::now()).expect("identified");
        assert_eq!(caller, Caller { subsystem: subsystem(), certificate_serial: record.serial });
    }

    #[test]
    fn unregistered_revoked_expired_and_orphaned_certificates_are_refused_by_serial() {
        let ca = CertificateAuthority::generate("test").expect("CA");
        let (der, record) = certificate(&ca);
        let serial = record.serial.clone();
        let now = Utc::now();

        let (other_der, _) = certificate(&ca);
        let (refused, text) =
            message(identify(IdentitySource::Certificate, &presented(&other_der), &cache_with(&record, true), now));
        assert!(text.ends_with("is not registered"), "{text}");
        assert_ne!(refused, serial);

        let revoked = ClientCertificate {
            status: CredentialStatus::Revoked as i32,
            revocation_reason: "key lost".into(),
            meta: Some(Meta { revision: 2, ..Meta::default() }),
            ..record.clone()
        };
        let (refused, text) =
            message(identify(IdentitySource::Certificate, &presented(&der), &cache_with(&revoked, true), now));
        assert_eq!(
            (refused.as_str(), text),
            (serial.as_str(), format!("client certificate {serial} is revoked: key lost"))
        );

        let later = now + chrono::Duration::hours(2);
        let (_, text) =
            message(identify(IdentitySource::Certificate, &presented(&der), &cache_with(&record, true), later));
        assert!(text.contains(&serial) && text.contains("not valid now"), "{text}");

        let (_, text) =
            message(identify(IdentitySource::Certificate, &presented(&der), &cache_with(&record, false), now));
        assert!(text.contains("UZ/GOV/200935935/tax-inspection, which is not registered"), "{text}");

        let (_, text) =
            message(identify(IdentitySource::Certificate, &Credentials::default(), &cache_with(&record, true), now));
        assert!(text.starts_with("no TLS client certificate"), "{text}");
    }

    #[test]
    fn a_certificate_mode_gateway_ignores_the_metadata() {
        let cache = RegistryCache::default();
        let claims = Credentials { certificate: None, consumer_header: Some(subsystem().to_string()) };
        assert!(identify(IdentitySource::Certificate, &claims, &cache, Utc::now()).is_err());
        let caller = identify(IdentitySource::Metadata, &claims, &cache, Utc::now()).expect("development mode");
        assert_eq!(caller.subsystem, subsystem());
        assert_eq!(caller.certificate_serial, "");
    }

    #[test]
    fn the_development_mode_needs_a_valid_subsystem_id() {
        let cache = RegistryCache::default();
        let header = |v: Option<&str>| Credentials { certificate: None, consumer_header: v.map(str::to_owned) };
        let (_, text) = message(identify(IdentitySource::Metadata, &header(None), &cache, Utc::now()));
        assert!(text.contains("koprik-consumer"), "{text}");
        let (_, text) = message(identify(IdentitySource::Metadata, &header(Some("UZ/GOV/123")), &cache, Utc::now()));
        assert!(text.starts_with("koprik-consumer metadata:"), "{text}");
    }
}
