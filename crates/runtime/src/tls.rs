//! TLS for gRPC servers and clients (rustls through tonic). With a client CA the server asks for client
//! certificates (mTLS); who they identify and what they may do is the authorization guard's business
//! (`koprik_authz`).

use std::path::{Path, PathBuf};

use koprik_proto::tonic::transport::{
    Certificate, Channel, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig as TonicServerTls,
};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// TLS of a gRPC server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsConfig {
    /// Serve TLS instead of plain HTTP/2.
    #[serde(default)]
    pub enabled: bool,
    /// PEM certificate chain of the server.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM private key of the server.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// PEM CA bundle; when set, clients must present a certificate issued by it.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: let a client without a certificate complete the handshake (one that presents a
    /// certificate must still chain to `client_ca`), leaving the refusal to the service, which can then answer
    /// and audit it (the gateway answers UNAUTHENTICATED), and keeping health checks reachable for probes.
    #[serde(default)]
    pub client_auth_optional: bool,
}

/// TLS of a gRPC client.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTlsSettings {
    /// Connect with TLS. Also implied by an `https://` endpoint.
    #[serde(default)]
    pub enabled: bool,
    /// PEM CA bundle the server's certificate must chain to; the system roots are not used.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// PEM client certificate, for servers that require mTLS.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM private key of the client certificate.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// The name to expect in the server's certificate, when it differs from the endpoint's host.
    #[serde(default)]
    pub domain: Option<String>,
}

/// Every API of the platform identifies its callers by their client certificates (the authorization policy), so a
/// service's gRPC server must run TLS and ask for them: the check every service's configuration makes.
pub fn require_client_certificates(tls: &ServerTlsConfig) -> Result<(), ConfigError> {
    if !tls.enabled {
        return Err(ConfigError::invalid(
            "grpc.tls.enabled",
            "must be true: every caller is identified by its TLS client certificate (set grpc.tls.cert, key and \
             client_ca)",
        ));
    }
    if tls.client_ca.is_none() {
        return Err(ConfigError::invalid(
            "grpc.tls.client_ca",
            "is required: the platform CA that issues the client certificates every caller is identified by",
        ));
    }
    Ok(())
}

fn read(path: &Path, field: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::invalid(field, format!("cannot read {}: {e}", path.display())))
}

fn required<'a>(value: Option<&'a PathBuf>, field: &str) -> Result<&'a PathBuf, ConfigError> {
    value.ok_or_else(|| ConfigError::invalid(field, "is required when TLS is enabled"))
}

impl ServerTlsConfig {
    /// The tonic TLS settings, or `None` when TLS is off.
    pub fn load(&self) -> Result<Option<TonicServerTls>, ConfigError> {
        if !self.enabled {
            return Ok(None);
        }
        let cert = read(required(self.cert.as_ref(), "tls.cert")?, "tls.cert")?;
        let key = read(required(self.key.as_ref(), "tls.key")?, "tls.key")?;
        let mut tls = TonicServerTls::new().identity(Identity::from_pem(cert, key));
        if let Some(ca) = &self.client_ca {
            tls = tls
                .client_ca_root(Certificate::from_pem(read(ca, "tls.client_ca")?))
                .client_auth_optional(self.client_auth_optional);
        }
        Ok(Some(tls))
    }
}

impl ClientTlsSettings {
    /// An endpoint for `uri` with these TLS settings applied.
    pub fn endpoint(&self, uri: &str) -> Result<Endpoint, ConfigError> {
        let endpoint = Endpoint::from_shared(uri.to_owned())
            .map_err(|e| ConfigError::invalid("endpoint", format!("{uri:?} is not a valid URI: {e}")))?;
        if !self.enabled && !uri.starts_with("https://") {
            return Ok(endpoint);
        }
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &self.ca {
            tls = tls.ca_certificate(Certificate::from_pem(read(ca, "tls.ca")?));
        }
        if let Some(cert) = &self.cert {
            let key = read(required(self.key.as_ref(), "tls.key")?, "tls.key")?;
            tls = tls.identity(Identity::from_pem(read(cert, "tls.cert")?, key));
        }
        if let Some(domain) = &self.domain {
            tls = tls.domain_name(domain.clone());
        }
        endpoint.tls_config(tls).map_err(|e| ConfigError::invalid("tls", format!("cannot configure TLS: {e}")))
    }

    /// A lazily connecting channel to `uri`.
    pub fn channel(&self, uri: &str) -> Result<Channel, ConfigError> {
        Ok(self.endpoint(uri)?.connect_lazy())
    }
}
