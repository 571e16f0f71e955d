//! Who is calling: the consumer subsystem of the caller's TLS client certificate. The authorization guard in front
//! of the gateway has already checked the certificate (it chains to the platform CA, is registered, active and
//! unexpired) and that its role is `consumer` ([`koprik_authz`]); the gateway adds one check of its own: the
//! subsystem is still registered in its cache of the registry.

use koprik_authz::Access;
use koprik_proto::ids::SubsystemId;

use crate::cache::RegistryCache;
use crate::error::GatewayError;

/// An identified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The consumer subsystem.
    pub subsystem: SubsystemId,
    /// The serial of the client certificate that proved it (for the audit record).
    pub certificate_serial: String,
}

/// The consumer behind `access`, refused (UNAUTHENTICATED) when its certificate names no subsystem or the subsystem
/// is not registered (any more).
pub fn identify(access: &Access, cache: &RegistryCache) -> Result<Caller, GatewayError> {
    let serial = access.certificate_serial();
    let subsystem = access.identity().subsystem().ok_or_else(|| {
        GatewayError::Unauthenticated(format!("client certificate {serial} names no consumer subsystem"))
    })?;
    if !cache.has_subsystem(subsystem) {
        return Err(GatewayError::Unauthenticated(format!(
            "client certificate {serial} names subsystem {subsystem}, which is not registered"
        )));
    }
    Ok(Caller { subsystem: subsystem.clone(), certificate_serial: serial.to_owned() })
}
