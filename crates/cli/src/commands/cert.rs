//! `koprik cert`: the platform CA and client certificates. Issuing signs with the operator's CA key (which the
//! registry never holds) and then registers the certificate with the registry's `Certificates` service, after
//! which the gateway accepts it; revoking is final and takes effect at the gateway within a second.

use std::path::PathBuf;

use clap::Subcommand;
use koprik_pki::CertificateAuthority;
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::{
    ClientCertificate, CredentialStatus, ListCertificatesRequest, RegisterCertificateRequest, RevokeCertificateRequest,
};
use koprik_proto::tonic::transport::Channel;

use crate::dev_pki::client_stem;

/// Certificate commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a platform CA (ca.pem, and ca.key readable by its owner only) in a new directory.
    InitCa {
        /// Where to write it; refused if it already holds a CA.
        #[arg(long)]
        dir: PathBuf,
        /// The CA's common name.
        #[arg(long, default_value = "Ko'prik platform CA")]
        name: String,
    },
    /// Issue a client certificate for a subsystem (URI SAN urn:koprik:subsystem:<id>) and register it.
    Issue {
        /// The subsystem, INSTANCE/CLASS/STIR/CODE; it must be registered.
        #[arg(long)]
        subsystem: String,
        /// The CA directory (ca.pem, ca.key).
        #[arg(long)]
        ca_dir: PathBuf,
        /// Where to write <subsystem>.pem and <subsystem>.key ('/' written as '_').
        #[arg(long)]
        out_dir: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
    /// Issue a server certificate (for a platform gRPC server) without registering it.
    IssueServer {
        /// The file stem: <name>.pem, <name>.key.
        #[arg(long)]
        name: String,
        /// A DNS name or IP address the server is reached at (repeatable).
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// The CA directory (ca.pem, ca.key).
        #[arg(long)]
        ca_dir: PathBuf,
        /// Where to write the files.
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// Revoke a client certificate (final): the gateway refuses it within a second.
    Revoke {
        /// The serial, hex (as `cert list` or `openssl x509 -serial` prints it).
        serial: String,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
    },
    /// List registered client certificates.
    List {
        /// Only this subsystem's.
        #[arg(long)]
        subsystem: Option<String>,
    },
}

/// Whether the command talks to the registry (the others work offline with the CA files).
pub fn needs_registry(command: &Command) -> bool {
    !matches!(command, Command::InitCa { .. } | Command::IssueServer { .. })
}

/// Runs a certificate command; `registry` is connected when [`needs_registry`] says so.
pub async fn run(command: Command, registry: Option<Channel>, actor: Option<&str>) -> anyhow::Result<()> {
    let client =
        || registry.clone().map(CertificatesClient::new).ok_or_else(|| anyhow::anyhow!("no registry connection"));
    match command {
        Command::InitCa { dir, name } => {
            anyhow::ensure!(
                !dir.join(koprik_pki::ca::CA_CERT_FILE).exists(),
                "{} already holds a CA; a CA is never overwritten",
                dir.display()
            );
            let cert = CertificateAuthority::generate(&name)?.write(&dir)?;
            println!("CA certificate {}", cert.display());
            println!("CA key         {} (keep it offline)", dir.join(koprik_pki::ca::CA_KEY_FILE).display());
        }
        Command::Issue { subsystem, ca_dir, out_dir, days } => {
            let subsystem: SubsystemId =
                subsystem.parse().map_err(|e| anyhow::anyhow!("--subsystem {subsystem:?}: {e}"))?;
            let actor = super::actor(actor)?;
            let ca = CertificateAuthority::load(&ca_dir)?;
            let issued = ca.issue_client(&subsystem, std::time::Duration::from_secs(days.saturating_mul(86_400)))?;
            let request = RegisterCertificateRequest { pem: issued.cert_pem.clone(), actor };
            // Registered first: a certificate the registry refuses is never written out.
            let registered = client()?.register_certificate(request).await?.into_inner();
            let (cert, key) = issued.write(&out_dir, &client_stem(&subsystem))?;
            println!("{}", show(&registered));
            println!("certificate {}", cert.display());
            println!("key         {}", key.display());
        }
        Command::IssueServer { name, hosts, ca_dir, out_dir } => {
            let ca = CertificateAuthority::load(&ca_dir)?;
            let (cert, key) = ca.issue_server(&hosts)?.write(&out_dir, &name)?;
            println!("certificate {}", cert.display());
            println!("key         {}", key.display());
        }
        Command::Revoke { serial, reason } => {
            let request = RevokeCertificateRequest { serial, reason, actor: super::actor(actor)? };
            println!("{}", show(&client()?.revoke_certificate(request).await?.into_inner()));
        }
        Command::List { subsystem } => {
            let subsystem = subsystem
                .map(|s| s.parse::<SubsystemId>().map_err(|e| anyhow::anyhow!("--subsystem {s:?}: {e}")))
                .transpose()?;
            let request = ListCertificatesRequest { subsystem: subsystem.as_ref().map(Into::into) };
            for certificate in client()?.list_certificates(request).await?.into_inner().certificates {
                println!("{}", show(&certificate));
            }
        }
    }
    Ok(())
}

/// One line per certificate: serial, subsystem, status, validity (and why it was revoked).
pub fn show(certificate: &ClientCertificate) -> String {
    let subsystem = certificate
        .subsystem
        .as_ref()
        .and_then(|s| SubsystemId::try_from(s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let date = |t: &Option<koprik_proto::prost_types::Timestamp>| {
        t.as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let status = certificate.status().as_str_name().trim_start_matches("CREDENTIAL_STATUS_").to_ascii_lowercase();
    let mut line = format!(
        "certificate {}  {}  {}  valid {}..{}",
        certificate.serial,
        subsystem,
        status,
        date(&certificate.not_before),
        date(&certificate.not_after)
    );
    if certificate.status() == CredentialStatus::Revoked {
        line.push_str(&format!("  revoked {}: {}", date(&certificate.revoked_at), certificate.revocation_reason));
    }
    line
}
