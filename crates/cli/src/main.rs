//! `koprik`: the embedded stack launcher (`koprik up`) and operator commands. Every command but `up` acts as the
//! holder of the client certificate it connects with (`--tls-cert`): the operator's for the operator's steps, a
//! consumer subsystem's for calls and applications, a provider's for consents and announcements, and so on.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use koprik_cli::commands::{self, call::CallArgs, cert, keys, onboarding, public_services, registry, submit::GetArgs};
use koprik_cli::up::{self, UpArgs};
use koprik_kafka::KafkaConfig;

#[derive(Debug, Parser)]
#[command(name = "koprik", about = "Ko'prik: the interagency data-exchange platform")]
struct Cli {
    /// The registry's gRPC address (https:// for TLS).
    #[arg(long, global = true, env = "KOPRIK_REGISTRY_URL", default_value = "https://127.0.0.1:50051")]
    registry: String,
    /// The gateway's gRPC address (https:// for TLS).
    #[arg(long, global = true, env = "KOPRIK_GATEWAY_URL", default_value = "https://127.0.0.1:50052")]
    gateway: String,
    /// The CA (PEM) the servers' certificates must chain to, e.g. var/pki/ca.pem of `koprik up`.
    #[arg(long, global = true, env = "KOPRIK_TLS_CA")]
    tls_ca: Option<PathBuf>,
    /// This client's certificate (PEM), naming one role and principal (`koprik cert issue`): every service
    /// identifies the caller by it, records it as the actor of each step and lets it do what its role may.
    #[arg(long, global = true, env = "KOPRIK_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, global = true, env = "KOPRIK_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The Kafka bootstrap servers.
    #[arg(long, global = true, env = "KOPRIK_KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    kafka: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the embedded stack (broker, registry, gateway, demo adapter) and a demo exchange.
    Up(UpArgs),
    /// Register the demo organisations, services and grant (idempotent; the operator's certificate).
    DemoSeed,
    /// Registry administration.
    #[command(flatten)]
    Registry(registry::Command),
    /// Onboarding, announcements and the working-day calendar.
    #[command(flatten)]
    Onboarding(onboarding::Command),
    /// The Unified Registry of Public Services, Forms and Blanks (REG-1).
    #[command(subcommand)]
    PublicService(public_services::Command),
    /// Officers' and adapters' signing keys.
    #[command(subcommand)]
    Key(keys::Command),
    /// Call a web service through the gateway as an officer who signs the request, for the consumer subsystem
    /// whose client certificate (--tls-cert, --tls-key) the call is made with.
    Call(CallArgs),
    /// The platform CA and client certificates of every role (issue, revoke, list).
    #[command(subcommand)]
    Cert(cert::Command),
    /// The audit trail on exchange.audit: print it, verify its hash chains.
    #[command(subcommand)]
    Audit(commands::audit::Command),
    /// The platform's Kafka topics.
    #[command(subcommand)]
    Topics(commands::topics::Command),
    /// Submit an asynchronous request through the gateway; prints its id and the answer's legal deadline.
    Submit(CallArgs),
    /// The state of a submitted request, and its answer once there is one.
    Get(GetArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", commands::describe(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

impl Cli {
    /// The TLS settings of every gRPC connection: a CA enables TLS (so does an https:// URL).
    fn tls(&self) -> koprik_runtime::tls::ClientTlsSettings {
        koprik_runtime::tls::ClientTlsSettings {
            enabled: self.tls_ca.is_some(),
            ca: self.tls_ca.clone(),
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
            domain: None,
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let tls = cli.tls();
    match cli.command {
        Command::Up(args) => up::up(args).await,
        Command::DemoSeed => {
            let channel = commands::connect(&cli.registry, &tls).await?;
            let grant =
                koprik_cli::demo::seed(&mut koprik_proto::registry::registry_client::RegistryClient::new(channel))
                    .await?;
            println!("{}", koprik_cli::show::grant(&grant));
            Ok(())
        }
        Command::Registry(command) => registry::run(command, commands::connect(&cli.registry, &tls).await?).await,
        Command::Onboarding(command) => onboarding::run(command, commands::connect(&cli.registry, &tls).await?).await,
        Command::PublicService(command) => {
            public_services::run(command, commands::connect(&cli.registry, &tls).await?).await
        }
        Command::Key(keys::Command::Generate { out }) => keys::generate(&out),
        Command::Key(command) => keys::run(command, commands::connect(&cli.registry, &tls).await?).await,
        Command::Call(args) => {
            // The arguments are checked, and the request signed, before anything is sent.
            let request = args.signed_request(cli.tls_cert.as_deref())?;
            let channel = commands::connect(&cli.gateway, &tls).await?;
            match commands::call::call(channel, request, args.timeout()).await? {
                Ok(response) => {
                    println!("{}", commands::call::render(&response));
                    Ok(())
                }
                Err(status) => anyhow::bail!(commands::call::render_status(&status)),
            }
        }
        Command::Cert(command) => {
            let registry =
                if cert::needs_registry(&command) { Some(commands::connect(&cli.registry, &tls).await?) } else { None };
            cert::run(command, registry).await
        }
        Command::Submit(args) => {
            let request = args.signed_request(cli.tls_cert.as_deref())?;
            let channel = commands::connect(&cli.gateway, &tls).await?;
            match commands::submit::submit(channel, request).await? {
                Ok(response) => {
                    println!("{}", commands::submit::render_submitted(&response));
                    Ok(())
                }
                Err(status) => anyhow::bail!(commands::call::render_status(&status)),
            }
        }
        Command::Get(args) => match commands::submit::get(commands::connect(&cli.gateway, &tls).await?, &args).await? {
            Ok(response) => {
                println!("{}", commands::submit::render_get(&response));
                Ok(())
            }
            Err(status) => anyhow::bail!(commands::call::render_status(&status)),
        },
        Command::Audit(command) => commands::audit::run(command, &KafkaConfig::with_brokers(cli.kafka)).await,
        Command::Topics(command) => commands::topics::run(command, KafkaConfig::with_brokers(cli.kafka)).await,
    }
}
