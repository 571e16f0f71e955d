//! `koprik cert`: the platform CA and client certificates. Issuing signs with the operator's CA key (which the
//! registry never holds) and then registers the certificate with the registry's `Certificates` service (a step only
//! the operator's certificate may take), after which every service accepts it for what its role may do; revoking
//! is final and every service refuses the certificate within a second.

use std::path::PathBuf;

use clap::Subcommand;
use koprik_pki::identity::{Identity, Role};
use koprik_pki::CertificateAuthority;
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::certificates_client::CertificatesClient;
use koprik_proto::registry::{
    ClientCertificate, CredentialStatus, ListCertificatesRequest, RegisterCertificateRequest, RevokeCertificateRequest,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};
use koprik_runtime::dev_pki::client_stem;

/// Reads `--role`: one of the policy's roles by name.
fn role(text: &str) -> Result<Role, String> {
    text.parse().map_err(|e: koprik_proto::FieldError| e.to_string())
}

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
    /// Issue a client certificate naming one role and principal (URI SAN urn:koprik:ROLE:PRINCIPAL) and
    /// register it (with the operator's certificate).
    Issue {
        /// The role: operator, registry-reviewer, registry-editor, agency-head, auditor, consumer, provider,
        /// supplier or payment-channel.
        #[arg(long, value_parser = role, requires = "principal", required_unless_present = "subsystem")]
        role: Option<Role>,
        /// Whom it speaks for: a person handle (operator, registry-reviewer, auditor), MEMBER/person
        /// (registry-editor, agency-head), a subsystem id (consumer), a member id (provider, supplier) or a
        /// channel name (payment-channel). The organisation or subsystem must be registered.
        #[arg(long, requires = "role")]
        principal: Option<String>,
        /// Shorthand for --role consumer --principal SUBSYSTEM.
        #[arg(long, conflicts_with_all = ["role", "principal"])]
        subsystem: Option<String>,
        /// The CA directory (ca.pem, ca.key).
        #[arg(long)]
        ca_dir: PathBuf,
        /// Where to write ROLE_PRINCIPAL.pem and .key ('/' written as '_').
        #[arg(long)]
        out_dir: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u64,
        /// Only issue and write it, without registering: for the first operator, whose certificate the registry
        /// registers itself at start-up from its bootstrap file (`bootstrap_operator`), since nobody can yet.
        #[arg(long)]
        no_register: bool,
    },
    /// Register a client certificate issued elsewhere (e.g. by cert-manager with the platform CA), PEM.
    Register {
        /// The certificate file.
        #[arg(long)]
        pem: PathBuf,
    },
    /// Issue a server certificate (for a platform gRPC server) without registering it.
    IssueServer {
        /// The file stem: NAME.pem, NAME.key.
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
    /// Revoke a client certificate (final): every service refuses it within a second.
    Revoke {
        /// The serial, hex (as `cert list` or `openssl x509 -serial` prints it).
        serial: String,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
    },
    /// List registered client certificates with their role and principal.
    List {
        /// Only this consumer subsystem's.
        #[arg(long)]
        subsystem: Option<String>,
    },
}

/// Whether the command talks to the registry (the others work offline with the CA files).
pub fn needs_registry(command: &Command) -> bool {
    !matches!(command, Command::InitCa { .. } | Command::IssueServer { .. } | Command::Issue { no_register: true, .. })
}

/// The identity `cert issue` names: `--role` with `--principal`, or `--subsystem` for a consumer.
fn issued_identity(role: Option<Role>, principal: Option<&str>, subsystem: Option<&str>) -> anyhow::Result<Identity> {
    match (role, principal, subsystem) {
        (Some(role), Some(principal), None) => Identity::new(role, principal)
            .map_err(|e| anyhow::anyhow!("--principal {principal:?} for role {role}: {e} ({})", role.principal_form())),
        (None, None, Some(subsystem)) => {
            let subsystem: SubsystemId =
                subsystem.parse().map_err(|e| anyhow::anyhow!("--subsystem {subsystem:?}: {e}"))?;
            Ok(Identity::consumer(&subsystem))
        }
        _ => anyhow::bail!("give --role and --principal, or --subsystem (a consumer's)"),
    }
}

/// Registers a client certificate with the registry at `registry` (whose channel must present the operator's
/// certificate); one registered before counts as registered (`None`).
pub async fn register(registry: Channel, pem: &str) -> Result<Option<ClientCertificate>, Status> {
    let request = RegisterCertificateRequest { pem: pem.to_owned() };
    match CertificatesClient::new(registry).register_certificate(request).await {
        Ok(registered) => Ok(Some(registered.into_inner())),
        Err(status) if status.code() == Code::AlreadyExists => Ok(None),
        Err(status) => Err(status),
    }
}

/// Runs a certificate command; `registry` is connected when [`needs_registry`] says so.
pub async fn run(command: Command, registry: Option<Channel>) -> anyhow::Result<()> {
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
        Command::Issue { role, principal, subsystem, ca_dir, out_dir, days, no_register } => {
            let identity = issued_identity(role, principal.as_deref(), subsystem.as_deref())?;
            let ca = CertificateAuthority::load(&ca_dir)?;
            let issued = ca.issue_client(&identity, std::time::Duration::from_secs(days.saturating_mul(86_400)))?;
            if no_register {
                let (cert, key) = issued.write(&out_dir, &client_stem(&identity))?;
                println!("{identity}: issued, not registered");
                println!("certificate {}", cert.display());
                println!("key         {}", key.display());
                return Ok(());
            }
            let request = RegisterCertificateRequest { pem: issued.cert_pem.clone() };
            // Registered first: a certificate the registry refuses is never written out.
            let registered = client()?.register_certificate(request).await?.into_inner();
            let (cert, key) = issued.write(&out_dir, &client_stem(&identity))?;
            println!("{}", show(&registered));
            println!("certificate {}", cert.display());
            println!("key         {}", key.display());
        }
        Command::Register { pem } => {
            let text = koprik_pki::files::read(&pem)?;
            let request = RegisterCertificateRequest { pem: text };
            println!("{}", show(&client()?.register_certificate(request).await?.into_inner()));
        }
        Command::IssueServer { name, hosts, ca_dir, out_dir } => {
            let ca = CertificateAuthority::load(&ca_dir)?;
            let (cert, key) = ca.issue_server(&hosts)?.write(&out_dir, &name)?;
            println!("certificate {}", cert.display());
            println!("key         {}", key.display());
        }
        Command::Revoke { serial, reason } => {
            let request = RevokeCertificateRequest { serial, reason };
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

/// One line per certificate: serial, role and principal, status, validity (and why it was revoked).
pub fn show(certificate: &ClientCertificate) -> String {
    let role = Role::from_wire(certificate.role).map_or("-", Role::name);
    let principal = match (&certificate.principal, &certificate.subsystem) {
        (principal, _) if !principal.is_empty() => principal.clone(),
        // Recorded before roles: a consumer certificate naming only its subsystem.
        (_, Some(subsystem)) => SubsystemId::try_from(subsystem).map(|s| s.to_string()).unwrap_or_default(),
        _ => "-".to_owned(),
    };
    let date = |t: &Option<koprik_proto::prost_types::Timestamp>| {
        t.as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let status = certificate.status().as_str_name().trim_start_matches("CREDENTIAL_STATUS_").to_ascii_lowercase();
    let mut line = format!(
        "certificate {}  {role}:{principal}  {status}  valid {}..{}",
        certificate.serial,
        date(&certificate.not_before),
        date(&certificate.not_after)
    );
    if certificate.status() == CredentialStatus::Revoked {
        line.push_str(&format!("  revoked {}: {}", date(&certificate.revoked_at), certificate.revocation_reason));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_issued_for_a_role_and_principal_or_a_subsystem() {
        let supplier = issued_identity(Some(Role::Supplier), Some("UZ/GOV/201122920"), None).expect("valid");
        assert_eq!(supplier.to_string(), "supplier:UZ/GOV/201122920");
        let consumer = issued_identity(None, None, Some("UZ/GOV/200935935/tax-inspection")).expect("valid");
        assert_eq!(consumer.to_string(), "consumer:UZ/GOV/200935935/tax-inspection");
        assert_eq!(client_stem(&consumer), "consumer_UZ_GOV_200935935_tax-inspection");
        let refused = issued_identity(Some(Role::Provider), Some("UZ/GOV/201122919/civil-registry"), None)
            .expect_err("a provider's principal is a member");
        assert!(refused.to_string().contains("--principal"), "{refused}");
        assert!(role("payment-channel").is_ok_and(|r| r == Role::PaymentChannel));
        assert!(role("subsystem").is_err_and(|e| e.contains("operator")));
    }

    /// `cert issue` as typed: a role goes with a principal, `--subsystem` with neither.
    #[test]
    fn issue_takes_a_role_and_principal_or_a_subsystem() {
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            command: Command,
        }
        use clap::Parser as _;
        let issue = |args: &[&str]| {
            let mut argv = vec!["koprik", "issue", "--ca-dir", "ca", "--out-dir", "out"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).map(|cli| cli.command)
        };
        let parsed = issue(&["--role", "registry-editor", "--principal", "UZ/GOV/201122919/n.aliyeva"]);
        assert!(matches!(parsed, Ok(Command::Issue { role: Some(Role::RegistryEditor), .. })), "{parsed:?}");
        assert!(issue(&["--subsystem", "UZ/GOV/200935935/tax-inspection"]).is_ok());
        assert!(issue(&["--role", "operator"]).is_err(), "a role needs its principal");
        assert!(issue(&["--principal", "a.karimov"]).is_err(), "a principal needs its role");
        assert!(issue(&["--role", "subsystem", "--principal", "x"]).is_err(), "no such role");
        assert!(issue(&["--subsystem", "UZ/GOV/200935935/tax", "--role", "consumer", "--principal", "x"]).is_err());
        assert!(issue(&[]).is_err(), "whom the certificate is for must be given");
    }

    #[test]
    fn a_certificate_is_shown_with_its_role_and_principal() {
        let certificate = ClientCertificate {
            serial: "1f".into(),
            role: Role::PaymentChannel.wire() as i32,
            principal: "namuna-pay".into(),
            status: CredentialStatus::Revoked as i32,
            revocation_reason: "key lost".into(),
            ..ClientCertificate::default()
        };
        let line = show(&certificate);
        assert!(line.starts_with("certificate 1f  payment-channel:namuna-pay  revoked"), "{line}");
        assert!(line.ends_with("key lost"), "{line}");
    }
}
