//! Topic creation at start-up: idempotent, so every service can ensure the topics it owns.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaConfig;
use crate::error::KafkaError;
use crate::topics::TopicSpec;

/// Creates the topics that do not exist yet; existing ones are left as they are (and not even asked for, so no
/// create permission is needed once they exist, and Tansu logs no `TopicAlreadyExists` errors). Does nothing when
/// the configuration says topics are managed elsewhere.
pub async fn ensure_topics(config: &KafkaConfig, specs: &[TopicSpec]) -> Result<(), KafkaError> {
    if !config.create_topics || specs.is_empty() {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> =
        config.client("koprik-admin").create().map_err(KafkaError::Client)?;
    let (admin, metadata) = tokio::task::spawn_blocking(move || {
        let metadata = admin.inner().fetch_metadata(None, Duration::from_secs(10));
        (admin, metadata)
    })
    .await?;
    let metadata = metadata.map_err(|e| KafkaError::Admin {
        topic: specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(","),
        reason: format!("cannot list topics: {e}"),
    })?;
    let existing: Vec<&str> = metadata.topics().iter().map(|t| t.name()).collect();
    let specs: Vec<&TopicSpec> = specs.iter().filter(|s| !existing.contains(&s.name.as_str())).collect();
    if specs.is_empty() {
        return Ok(());
    }
    let retention: Vec<Option<String>> = specs.iter().map(|s| s.retention.map(|r| r.as_millis().to_string())).collect();
    let new_topics: Vec<NewTopic<'_>> = specs
        .iter()
        .zip(&retention)
        .map(|(spec, retention)| {
            let mut topic =
                NewTopic::new(&spec.name, config.partitions, TopicReplication::Fixed(config.replication_factor));
            if spec.compacted {
                topic = topic.set("cleanup.policy", "compact");
            }
            if let Some(retention) = retention {
                topic = topic.set("retention.ms", retention);
            }
            topic
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics(&new_topics, &options).await.map_err(|e| KafkaError::Admin {
        topic: specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(","),
        reason: e.to_string(),
    })?;
    for result in results {
        match result {
            Ok(topic) => tracing::info!(topic = %topic, "topic created"),
            Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => {
                tracing::debug!(topic = %topic, "topic exists")
            }
            Err((topic, code)) => return Err(KafkaError::Admin { topic, reason: code.to_string() }),
        }
    }
    Ok(())
}
