//! `koprik audit tail` (the audit trail as one line per exchange) and `koprik audit verify` (every hash chain on
//! `exchange.audit` checked from the first record to the last), read from `exchange.audit`.

use clap::Subcommand;
use koprik_kafka::consumer::{read_range, tail, watermarks};
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_kafka::{decode, KafkaConfig};
use koprik_proto::audit_chain::{Report, Verifier};
use koprik_proto::events::AuditRecord;

use crate::show;

/// The audit commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the audit trail from exchange.audit.
    Tail {
        /// Keep printing new records until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
    /// Check every audit hash chain from the start of exchange.audit to its end; exits non-zero, naming the first
    /// broken link, unless every chain is intact.
    Verify,
}

/// Runs an audit command.
pub async fn run(command: Command, kafka: &KafkaConfig) -> anyhow::Result<()> {
    match command {
        Command::Tail { follow } => tail_audit(kafka, follow).await,
        Command::Verify => {
            let report = verify(kafka).await?;
            println!("{}", render(&report));
            match report.first_break() {
                None => Ok(()),
                Some(broken) => anyhow::bail!("audit trail broken: {broken}"),
            }
        }
    }
}

/// Reads every partition of `exchange.audit` from its first record to the end as it stood when called, and
/// checks every chain on it.
pub async fn verify(kafka: &KafkaConfig) -> anyhow::Result<Report> {
    let mut verifier = Verifier::default();
    let client_id = "koprik-cli.audit-verify";
    for (partition, low, high) in watermarks(kafka, client_id, EXCHANGE_AUDIT).await? {
        read_range(kafka, client_id, EXCHANGE_AUDIT, partition, low, high, |record| {
            verifier.observe(record.partition, record.offset, &record.value);
        })
        .await?;
    }
    Ok(verifier.finish())
}

/// One line per chain, then the verdict.
pub fn render(report: &Report) -> String {
    let mut lines: Vec<String> = report
        .chains
        .iter()
        .map(|c| {
            format!(
                "chain {}  partition {}  records {}  sequences {}..={}  last_sha256 {}  {}",
                c.chain,
                c.partition,
                c.records,
                c.first_sequence,
                c.last_sequence,
                c.last_sha256,
                if c.broken.is_some() { "BROKEN" } else { "intact" }
            )
        })
        .collect();
    if !report.orphans.is_empty() {
        lines.push(format!("{} record(s) belong to no chain", report.orphans.len()));
    }
    lines.push(match report.first_break() {
        None => format!("intact: {} chain(s)", report.chains.len()),
        Some(broken) => format!("first broken link: {broken}"),
    });
    lines.join("\n")
}

/// Prints the audit records on the topic, then (with `follow`) new ones as they come, until Ctrl-C.
pub async fn tail_audit(kafka: &KafkaConfig, follow: bool) -> anyhow::Result<()> {
    let tail = tail(kafka, "koprik-cli", EXCHANGE_AUDIT).await?;
    let mut catch_up = tail.catch_up;
    if catch_up.done() && !follow {
        return Ok(());
    }
    loop {
        let record = tokio::select! {
            record = tail.consumer.recv() => record?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match decode::<AuditRecord>(&record) {
            Ok(received) => println!("{}", show::audit(&received.value)),
            Err(e) => eprintln!("skipping: {e}"),
        }
        let caught_up = catch_up.observe(
            koprik_kafka::rdkafka::Message::partition(&record),
            koprik_kafka::rdkafka::Message::offset(&record),
        );
        if caught_up && !follow {
            return Ok(());
        }
    }
}
