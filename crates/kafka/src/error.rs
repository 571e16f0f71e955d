//! Kafka errors, carrying the topic (and partition and offset when known) they happened on.

/// A Kafka operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// A client could not be created from the configuration.
    #[error("kafka client configuration: {0}")]
    Client(#[source] rdkafka::error::KafkaError),
    /// The broker did not accept a record.
    #[error("producing to {topic}: {source}")]
    Produce {
        /// The topic produced to.
        topic: String,
        /// What librdkafka reported.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// Reading, assigning or committing failed.
    #[error("consuming {topic}: {source}")]
    Consume {
        /// The topic consumed.
        topic: String,
        /// What librdkafka reported.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// Creating topics failed.
    #[error("creating topic {topic}: {reason}")]
    Admin {
        /// The topic being created.
        topic: String,
        /// What the broker or librdkafka reported.
        reason: String,
    },
    /// A topic that must exist does not.
    #[error("topic {topic} does not exist or has no partitions")]
    MissingTopic {
        /// The topic.
        topic: String,
    },
    /// A blocking librdkafka call could not be run.
    #[error("kafka worker thread: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A record that is not what its topic promises.
#[derive(Debug, thiserror::Error)]
#[error("{topic}[{partition}]@{offset}: {reason}")]
pub struct DecodeError {
    /// Where the record is.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Why it could not be decoded.
    pub reason: String,
}
