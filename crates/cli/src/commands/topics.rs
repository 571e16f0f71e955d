//! `koprik topics ensure`: creates every topic the platform uses before the services start, for clusters where
//! the services may not create topics (the Helm chart's topic Job).

use clap::{Args, Subcommand};
use koprik_kafka::topics::{exchange_replies, is_exchange_replies, platform_topics};
use koprik_kafka::KafkaConfig;
use koprik_proto::ids::MemberId;

/// Topic administration.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the platform's topics that are missing (existing topics are left as they are).
    Ensure(EnsureArgs),
}

/// What `ensure` creates.
#[derive(Debug, Args)]
pub struct EnsureArgs {
    /// Partitions of each new topic.
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    /// Replication factor of each new topic (3 in production).
    #[arg(long, default_value_t = 1)]
    replication_factor: i32,
    /// A provider whose adapter connects: its member code (`201122919`) or id (`UZ/GOV/201122919`). Repeatable.
    #[arg(long = "provider")]
    providers: Vec<String>,
    /// A gateway instance name (e.g. `koprik-gateway-0`), whose reply topic is created. Repeatable.
    #[arg(long = "gateway-instance")]
    gateway_instances: Vec<String>,
}

/// Runs `command` against the brokers in `kafka`.
pub async fn run(command: Command, kafka: KafkaConfig) -> anyhow::Result<()> {
    let Command::Ensure(args) = command;
    anyhow::ensure!(args.partitions >= 1, "--partitions must be at least 1, not {}", args.partitions);
    anyhow::ensure!(
        args.replication_factor >= 1,
        "--replication-factor must be at least 1, not {}",
        args.replication_factor
    );
    let providers = args.providers.iter().map(|p| member_code(p)).collect::<anyhow::Result<Vec<_>>>()?;
    for instance in &args.gateway_instances {
        anyhow::ensure!(
            is_exchange_replies(&exchange_replies(instance)),
            "--gateway-instance {instance:?} must be 1-63 lower-case letters, digits or '-'"
        );
    }
    let instances: Vec<&str> = args.gateway_instances.iter().map(String::as_str).collect();
    let codes: Vec<&str> = providers.iter().map(String::as_str).collect();
    let topics = platform_topics(&codes, &instances);
    let config = KafkaConfig {
        create_topics: true,
        partitions: args.partitions,
        replication_factor: args.replication_factor,
        ..kafka
    };
    koprik_kafka::admin::ensure_topics(&config, &topics).await?;
    for topic in &topics {
        println!("{}", topic.name);
    }
    Ok(())
}

/// The member code of `--provider`, given as a code or a full member id.
fn member_code(provider: &str) -> anyhow::Result<String> {
    let id = if provider.contains('/') { provider.to_owned() } else { format!("UZ/GOV/{provider}") };
    let member: MemberId =
        id.parse().map_err(|e| anyhow::anyhow!("--provider {provider:?} is not a member code or id: {e}"))?;
    Ok(member.member_code().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_given_by_code_or_id() {
        assert_eq!(member_code("201122919").expect("a code"), "201122919");
        assert_eq!(member_code("UZ/GOV/201122919").expect("an id"), "201122919");
        let refused = member_code("civil-registry").expect_err("not a code");
        assert!(refused.to_string().contains("--provider"), "{refused}");
    }
}
