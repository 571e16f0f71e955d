//! The tower layer in front of every gRPC server's routes that enforces [`crate::policy`]:
//!
//! 1. a method with no policy entry is refused (PERMISSION_DENIED); an open method (health, reflection) passes;
//! 2. the caller is the TLS client certificate it presented (the handshake checked that it chains to the platform
//!    CA): without one, or with one that names no single identity, the call is refused (UNAUTHENTICATED);
//! 3. the certificate must be the one the registry registered under its serial (same SHA-256), not revoked, and
//!    valid now, by the registry's record and its own dates (UNAUTHENTICATED); when the service cannot confirm
//!    that (its directory is stale) the call is refused (UNAVAILABLE);
//! 4. its role must be allowed for the method (PERMISSION_DENIED naming the method, the role and the roles
//!    allowed);
//! 5. the handler receives an [`Access`] in the request's extensions; if the role's reach is `Own` and the
//!    handler answers without having checked what it reached, the answer is replaced by PERMISSION_DENIED and an
//!    error is logged, so a forgotten check fails closed.
//!
//! Every refusal is counted in `authz_refusals_total{method, reason}`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::Utc;
use koprik_proto::registry::CredentialStatus;
use koprik_proto::tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use prometheus_client::registry::Registry;
use tower_layer::Layer;
use tower_service::Service;

use crate::access::Access;
use crate::directory::{Directory, DirectoryError, NoCertificates};
use crate::peer_limit::{PeerLimit, PeerLimitConfig};
use crate::policy::{self, Allow, Entry, Rule};
use crate::refusal::{Reason, Refusals};

/// The authorization layer of one server.
#[derive(Clone)]
pub struct Guard {
    directory: Arc<dyn Directory>,
    refusals: Refusals,
    /// Each peer address's budget of refused calls, spent before identification.
    peers: Option<Arc<PeerLimit>>,
}

impl Guard {
    /// A guard checking certificates against `directory`, its refusals counted in `registry`.
    pub fn new(directory: Arc<dyn Directory>, registry: &mut Registry) -> Self {
        let peers = Some(Arc::new(PeerLimit::new(PeerLimitConfig::default())));
        Self { directory, refusals: Refusals::register(registry), peers }
    }

    /// The guard with another budget of refused calls per peer address (the default is
    /// [`PeerLimitConfig::default`]): a peer that spent it is refused RESOURCE_EXHAUSTED before identification until
    /// it refills.
    #[must_use]
    pub fn limit_peers(mut self, config: PeerLimitConfig) -> Self {
        self.peers = Some(Arc::new(PeerLimit::new(config)));
        self
    }

    /// A guard for a server that serves only open methods (health, reflection): everything else is refused.
    pub fn open_only(registry: &mut Registry) -> Self {
        Self::new(Arc::new(NoCertificates), registry)
    }

    /// The refusal counter (for tests and for services that refuse on their own terms).
    pub fn refusals(&self) -> &Refusals {
        &self.refusals
    }

    /// Identifies the caller of `entry` from `certificate` (the leaf's DER) and checks its role.
    pub async fn admit(
        &self,
        entry: &'static Entry,
        allowed: &[Allow],
        certificate: Option<&[u8]>,
    ) -> Result<Access, koprik_proto::tonic::Status> {
        let method = entry.method;
        let name = method.trim_start_matches('/');
        let refuse = |reason: Reason, message: String| self.refusals.refuse(method, reason, message);
        let Some(der) = certificate else {
            return Err(refuse(
                Reason::NoCertificate,
                format!(
                    "{name} needs a TLS client certificate issued by the platform CA to one of the roles {}; none was presented",
                    entry.role_names()
                ),
            ));
        };
        let presented = koprik_pki::parse_der(der)
            .and_then(|parsed| parsed.identity().map(|identity| (parsed, identity)))
            .map_err(|e| refuse(Reason::Unreadable, format!("the TLS client certificate cannot be used: {e}")));
        let (presented, identity) = presented?;
        let serial = presented.serial.as_str();
        let registered = match self.directory.certificate(serial).await {
            Ok(found) => {
                found.filter(|r| r.sha256_fingerprint == presented.sha256_fingerprint && r.identity == identity)
            }
            Err(e) => {
                let message = format!("{name}: certificate revocations cannot be confirmed now ({e}); retry shortly");
                if !matches!(e, DirectoryError::Unreadable(_)) {
                    tracing::warn!(error = %e, "refusing calls: certificate directory not current");
                }
                return Err(refuse(Reason::DirectoryUnavailable, message));
            }
        };
        let Some(registered) = registered else {
            return Err(refuse(
                Reason::Unregistered,
                format!("client certificate {serial} ({identity}) is not registered"),
            ));
        };
        if registered.status != CredentialStatus::Active {
            let reason = &registered.revocation_reason;
            return Err(refuse(
                Reason::Revoked,
                format!("client certificate {serial} ({identity}) is revoked: {reason}"),
            ));
        }
        let now = Utc::now();
        let not_after = registered.not_after.map_or(presented.not_after, |t| t.min(presented.not_after));
        if now > not_after || now < presented.not_before {
            return Err(refuse(
                Reason::Expired,
                format!("client certificate {serial} ({identity}) is not valid now (valid until {not_after})"),
            ));
        }
        let Some(allow) = allowed.iter().find(|a| a.role == identity.role()) else {
            return Err(refuse(
                Reason::Role,
                format!(
                    "{name} is not permitted to the role {} ({identity}); it needs one of the roles {}",
                    identity.role(),
                    entry.role_names()
                ),
            ));
        };
        Ok(Access::new(identity, serial.to_owned(), method, allow.reach, self.refusals.clone()))
    }
}

impl<S> Layer<S> for Guard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded { inner, guard: self.clone() }
    }
}

/// The service [`Guard`] wraps around a server's routes.
#[derive(Clone)]
pub struct Guarded<S> {
    inner: S,
    guard: Guard,
}

/// The address of the peer that sent `request`, over TLS or not.
fn peer_address<B>(request: &http::Request<B>) -> Option<std::net::IpAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(|info| info.get_ref().remote_addr())
        .or_else(|| extensions.get::<TcpConnectInfo>().and_then(TcpConnectInfo::remote_addr))
        .map(|address| address.ip())
}

/// The leaf certificate the client presented in the TLS handshake, DER.
fn peer_certificate<B>(request: &http::Request<B>) -> Option<Vec<u8>> {
    let certificates = request.extensions().get::<TlsConnectInfo<TcpConnectInfo>>()?.peer_certs()?;
    certificates.first().map(|leaf| leaf.to_vec())
}

/// Whether a response is a gRPC error (a trailers-only response carries `grpc-status` in its headers; a success
/// carries it in its trailers).
fn is_error<B>(response: &http::Response<B>) -> bool {
    response.headers().get("grpc-status").is_some_and(|status| status != "0")
}

impl<S, B, ResBody> Service<http::Request<B>> for Guarded<S>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The clone is not ready; the instance that was polled ready goes into the future (tower's usual swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move {
            let entry = policy::lookup(request.uri().path());
            if entry.is_some_and(|entry| entry.rule == Rule::Open) {
                return inner.call(request).await;
            }
            // A peer that spent its budget of refused calls is not identified again until it refills.
            let peer = guard.peers.as_ref().zip(peer_address(&request));
            if let Some((limit, address)) = &peer {
                if let Err(wait) = limit.admits(*address) {
                    let message =
                        format!("too many refused calls from {address}: retry in {} ms", wait.as_millis().max(1));
                    let method = entry.map_or("unlisted", |entry| entry.method);
                    return Ok(guard.refusals.refuse(method, Reason::PeerLimited, message).into_http());
                }
            }
            let spend = || {
                if let Some((limit, address)) = &peer {
                    limit.spend(*address);
                }
            };
            let Some(entry) = entry else {
                spend();
                let message = format!("{} has no entry in the authorization policy: refused", request.uri().path());
                return Ok(guard.refusals.refuse("unlisted", Reason::Unlisted, message).into_http());
            };
            let Rule::Roles(allowed) = entry.rule else {
                return inner.call(request).await;
            };
            let certificate = peer_certificate(&request);
            let access = match guard.admit(entry, allowed, certificate.as_deref()).await {
                Ok(access) => access,
                Err(status) => {
                    spend();
                    return Ok(status.into_http());
                }
            };
            request.extensions_mut().insert(access.clone());
            let response = inner.call(request).await?;
            if access.reaches_all() || access.was_checked() || is_error(&response) {
                return Ok(response);
            }
            tracing::error!(method = entry.method, caller = %access.identity(), "answer withheld: the handler did not check the caller's reach");
            let message = format!(
                "{}: what this call reaches was not checked against {}; refused",
                entry.method.trim_start_matches('/'),
                access.identity()
            );
            Ok(guard.refusals.refuse(entry.method, Reason::Reach, message).into_http())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{MemoryDirectory, RegisteredCertificate};
    use koprik_pki::{CertificateAuthority, Identity};
    use koprik_proto::registry::{ClientCertificate, Meta};
    use koprik_proto::time::timestamp;
    use koprik_proto::tonic::Code;

    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

    fn entry(method: &str) -> &'static Entry {
        policy::lookup(method).expect("listed")
    }

    fn allowed(entry: &'static Entry) -> &'static [Allow] {
        match entry.rule {
            Rule::Roles(allowed) => allowed,
            Rule::Open => panic!("{} is open", entry.method),
        }
    }

    /// A certificate of `identity` and the directory's record of it, with `status`.
    fn issued(
        ca: &CertificateAuthority,
        identity: &str,
        status: CredentialStatus,
        revision: i64,
    ) -> (Vec<u8>, ClientCertificate) {
        let identity: Identity = identity.parse().expect("valid");
        let issued = ca.issue_client(&identity, HOUR).expect("issued");
        let der = koprik_pki::der_of_pem(&issued.cert_pem).expect("PEM");
        let parsed = koprik_pki::parse_der(&der).expect("parses");
        let record = ClientCertificate {
            serial: parsed.serial,
            role: identity.role().wire() as i32,
            principal: identity.principal().to_string(),
            sha256_fingerprint: parsed.sha256_fingerprint,
            not_after: Some(timestamp(parsed.not_after)),
            status: status as i32,
            revocation_reason: if status == CredentialStatus::Revoked { "key lost".into() } else { String::new() },
            meta: Some(Meta { revision, ..Meta::default() }),
            ..ClientCertificate::default()
        };
        (der, record)
    }

    fn guard_with(records: &[&ClientCertificate]) -> Guard {
        let directory = MemoryDirectory::new(HOUR);
        for record in records {
            directory.apply(record).expect("valid");
        }
        directory.freshness().observe(&[], std::time::Instant::now());
        directory.freshness().heartbeat(chrono::Utc::now());
        Guard::new(Arc::new(directory), &mut Registry::default())
    }

    #[tokio::test]
    async fn a_registered_certificate_of_an_allowed_role_is_admitted_with_its_reach() {
        let ca = CertificateAuthority::generate("test").expect("CA");
        let (der, record) = issued(&ca, "consumer:UZ/COM/207028220/kyc-check", CredentialStatus::Active, 1);
        let guard = guard_with(&[&record]);
        let grants = entry("/koprik.registry.v1.Registry/ListGrants");
        let access = guard.admit(grants, allowed(grants), Some(&der)).await.expect("admitted");
        assert_eq!(access.actor(), "consumer:UZ/COM/207028220/kyc-check");
        assert!(!access.reaches_all());
        let create = entry("/koprik.registry.v1.Registry/CreateGrant");
        let refused = guard.admit(create, allowed(create), Some(&der)).await.expect_err("not an operator");
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(
            refused.message(),
            "koprik.registry.v1.Registry/CreateGrant is not permitted to the role consumer \
             (consumer:UZ/COM/207028220/kyc-check); it needs one of the roles operator"
        );
        assert_eq!(guard.refusals().count(create.method, Reason::Role), 1);
    }

    #[tokio::test]
    async fn missing_unregistered_forged_and_revoked_certificates_are_unauthenticated() {
        let ca = CertificateAuthority::generate("test").expect("CA");
        let (der, record) = issued(&ca, "operator:a.karimov", CredentialStatus::Active, 1);
        let (other_der, _) = issued(&ca, "operator:a.karimov", CredentialStatus::Active, 1);
        let create = entry("/koprik.registry.v1.Registry/CreateGrant");
        let guard = guard_with(&[&record]);
        assert!(guard.admit(create, allowed(create), Some(&der)).await.is_ok());

        let none = guard.admit(create, allowed(create), None).await.expect_err("no certificate");
        assert_eq!(none.code(), Code::Unauthenticated);
        assert!(none.message().contains("one of the roles operator"), "{}", none.message());
        let unregistered = guard.admit(create, allowed(create), Some(&other_der)).await.expect_err("unregistered");
        assert!(unregistered.message().ends_with("is not registered"), "{}", unregistered.message());
        // The same serial registered for another identity is not this certificate.
        let mut claimed = record.clone();
        claimed.principal = "b.tursunov".into();
        let guard_b = guard_with(&[&claimed]);
        assert!(guard_b.admit(create, allowed(create), Some(&der)).await.is_err());
        let garbage = guard.admit(create, allowed(create), Some(b"not a certificate")).await.expect_err("garbage");
        assert_eq!(garbage.code(), Code::Unauthenticated);

        let revoked = ClientCertificate {
            status: CredentialStatus::Revoked as i32,
            revocation_reason: "key lost".into(),
            meta: Some(Meta { revision: 2, ..Meta::default() }),
            ..record.clone()
        };
        let guard = guard_with(&[&record, &revoked]);
        let refused = guard.admit(create, allowed(create), Some(&der)).await.expect_err("revoked");
        assert_eq!(refused.code(), Code::Unauthenticated);
        assert!(refused.message().ends_with("is revoked: key lost"), "{}", refused.message());
    }

    #[tokio::test]
    async fn a_stale_directory_refuses_everyone_as_unavailable() {
        let ca = CertificateAuthority::generate("test").expect("CA");
        let (der, record) = issued(&ca, "operator:a.karimov", CredentialStatus::Active, 1);
        let directory = MemoryDirectory::new(std::time::Duration::from_millis(10));
        directory.apply(&record).expect("valid");
        let guard = Guard::new(Arc::new(directory), &mut Registry::default());
        let create = entry("/koprik.registry.v1.Registry/CreateGrant");
        let refused = guard.admit(create, allowed(create), Some(&der)).await.expect_err("never current");
        assert_eq!(refused.code(), Code::Unavailable);
        assert!(refused.message().contains("have not been read yet"), "{}", refused.message());
        let _ = RegisteredCertificate::try_from(&record).expect("valid");
    }
}
