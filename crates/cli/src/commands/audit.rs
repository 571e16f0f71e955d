//! `koprik audit tail`: the audit trail as one line per exchange, read from `exchange.audit`.

use koprik_kafka::consumer::tail;
use koprik_kafka::topics::EXCHANGE_AUDIT;
use koprik_kafka::{decode, KafkaConfig};
use koprik_proto::events::AuditRecord;

use crate::show;

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
