//! `koprik`: the embedded stack launcher (`koprik up`) and operator commands.

use clap::{Parser, Subcommand};
use koprik_cli::commands::{self, call::CallArgs, onboarding, public_services, registry, submit::GetArgs};
use koprik_cli::up::{self, UpArgs};
use koprik_kafka::KafkaConfig;

#[derive(Debug, Parser)]
#[command(name = "koprik", about = "Ko'prik: the interagency data-exchange platform")]
struct Cli {
    /// The registry's gRPC address.
    #[arg(long, global = true, env = "KOPRIK_REGISTRY_URL", default_value = "http://127.0.0.1:50051")]
    registry: String,
    /// The gateway's gRPC address.
    #[arg(long, global = true, env = "KOPRIK_GATEWAY_URL", default_value = "http://127.0.0.1:50052")]
    gateway: String,
    /// The Kafka bootstrap servers.
    #[arg(long, global = true, env = "KOPRIK_KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    kafka: String,
    /// Who takes workflow steps (recorded with each step).
    #[arg(long, global = true, env = "KOPRIK_ACTOR")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the embedded stack (broker, registry, gateway, demo adapter) and a demo exchange.
    Up(UpArgs),
    /// Register the demo organisations, services and grant (idempotent).
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
    /// Call a web service through the gateway.
    Call(CallArgs),
    /// Submit an asynchronous request through the gateway; prints its id and the answer's legal deadline.
    Submit(CallArgs),
    /// The state of a submitted request, and its answer once there is one.
    Get(GetArgs),
    /// Print the audit trail from exchange.audit.
    AuditTail {
        /// Keep printing new records until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => up::up(args).await,
        Command::DemoSeed => {
            let channel = commands::connect(&cli.registry).await?;
            let grant =
                koprik_cli::demo::seed(&mut koprik_proto::registry::registry_client::RegistryClient::new(channel))
                    .await?;
            println!("{}", koprik_cli::show::grant(&grant));
            Ok(())
        }
        Command::Registry(command) => {
            registry::run(command, commands::connect(&cli.registry).await?, cli.actor.as_deref()).await
        }
        Command::Onboarding(command) => {
            onboarding::run(command, commands::connect(&cli.registry).await?, cli.actor.as_deref()).await
        }
        Command::PublicService(command) => {
            public_services::run(command, commands::connect(&cli.registry).await?, cli.actor.as_deref()).await
        }
        Command::Call(args) => {
            // The arguments are checked before anything is sent.
            let request = args.request()?;
            let channel = commands::connect(&cli.gateway).await?;
            match commands::call::call(channel, &args.consumer, request, args.timeout()).await? {
                Ok(response) => {
                    println!("{}", commands::call::render(&response));
                    Ok(())
                }
                Err(status) => anyhow::bail!(commands::call::render_status(&status)),
            }
        }
        Command::Submit(args) => {
            let request = args.request()?;
            let channel = commands::connect(&cli.gateway).await?;
            match commands::submit::submit(channel, &args.consumer, request).await? {
                Ok(response) => {
                    println!("{}", commands::submit::render_submitted(&response));
                    Ok(())
                }
                Err(status) => anyhow::bail!(commands::call::render_status(&status)),
            }
        }
        Command::Get(args) => match commands::submit::get(commands::connect(&cli.gateway).await?, &args).await? {
            Ok(response) => {
                println!("{}", commands::submit::render_get(&response));
                Ok(())
            }
            Err(status) => anyhow::bail!(commands::call::render_status(&status)),
        },
        Command::AuditTail { follow } => {
            commands::audit::tail_audit(&KafkaConfig::with_brokers(cli.kafka), follow).await
        }
    }
}
