//! A typed producer: protobuf values with the Ko'prik headers, idempotent, acknowledged by all in-sync replicas.

use std::time::Duration;

use koprik_proto::prost::{Message, Name};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaConfig;
use crate::error::KafkaError;
use crate::headers::RecordHeaders;
use crate::topics;

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The partition it was written to.
    pub partition: i32,
    /// Its offset in that partition.
    pub offset: i64,
}

/// A producer shared by all tasks of a service (it is cheap to clone).
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
}

impl Producer {
    /// An idempotent producer (`enable.idempotence`, `acks=all`) with a small linger for low latency.
    pub fn new(config: &KafkaConfig, client_id: &str) -> Result<Self, KafkaError> {
        let inner = config
            .client(client_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set("message.timeout.ms", config.delivery_timeout.as_millis().to_string())
            .create()
            .map_err(KafkaError::Client)?;
        Ok(Self { inner })
    }

    /// Produces `message` to `topic` under `key`, with the headers `koprik-event-id` = `event_id`,
    /// `koprik-type` = the message's full protobuf name and, when given, `traceparent`.
    /// Resolves once the broker has acknowledged the record.
    pub async fn publish<M: Message + Name>(
        &self,
        topic: &str,
        key: &str,
        message: &M,
        event_id: &str,
        traceparent: Option<&str>,
    ) -> Result<Delivered, KafkaError> {
        let headers = RecordHeaders {
            event_id: Some(event_id.to_owned()),
            event_type: Some(M::full_name()),
            traceparent: traceparent.map(str::to_owned),
        };
        self.send(topic, Some(key.as_bytes()), &message.encode_to_vec(), headers.to_owned_headers()).await
    }

    /// Hands an already encoded value to librdkafka's queue now, synchronously, and returns the future of its
    /// acknowledgement. Records enqueued one after another under the same key keep that order on the partition
    /// (the producer is idempotent, so retries never reorder them): a writer that must order records, like the
    /// audit chain, enqueues inside its critical section and awaits the acknowledgement outside it. A full queue
    /// is retried for up to a second before it is reported.
    pub fn enqueue_encoded(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        headers: &RecordHeaders,
    ) -> Result<impl std::future::Future<Output = Result<Delivered, KafkaError>> + Send + 'static, KafkaError> {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic)
            .key(key.as_bytes())
            .payload(payload)
            .headers(headers.to_owned_headers());
        let mut attempts = 0;
        let future = loop {
            match self.inner.send_result(record) {
                Ok(future) => break future,
                Err((rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if attempts < 1000 =>
                {
                    // Holding the caller's lock is intended: the order of enqueueing is the order on the topic.
                    attempts += 1;
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((source, _)) => return Err(KafkaError::Produce { topic: topic.to_owned(), source }),
            }
        };
        let topic = topic.to_owned();
        Ok(async move {
            match future.await {
                Ok(Ok(delivery)) => Ok(Delivered { partition: delivery.partition, offset: delivery.offset }),
                Ok(Err((source, _))) => Err(KafkaError::Produce { topic, source }),
                Err(_) => Err(KafkaError::Produce { topic, source: rdkafka::error::KafkaError::Canceled }),
            }
        })
    }

    /// Produces an already encoded value with the given headers: for outbox relays, which store the encoded
    /// event and its headers in the database.
    pub async fn publish_encoded(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        headers: RecordHeaders,
    ) -> Result<Delivered, KafkaError> {
        self.send(topic, Some(key.as_bytes()), payload, headers.to_owned_headers()).await
    }

    /// Copies a record this service could not process to `<topic>.dlq`, with its original key, value and
    /// headers, plus `koprik-dlq-reason` and `koprik-dlq-source` (`topic[partition]@offset`).
    pub async fn dead_letter(&self, record: &impl rdkafka::Message, reason: &str) -> Result<Delivered, KafkaError> {
        let source = format!("{}[{}]@{}", record.topic(), record.partition(), record.offset());
        let mut headers = OwnedHeaders::new();
        if let Some(original) = record.headers() {
            for header in original.iter() {
                headers = headers.insert(Header { key: header.key, value: header.value });
            }
        }
        let headers = headers
            .insert(Header { key: "koprik-dlq-reason", value: Some(reason) })
            .insert(Header { key: "koprik-dlq-source", value: Some(source.as_str()) });
        let topic = topics::dead_letters(record.topic());
        tracing::warn!(source = %source, dlq = %topic, reason, "record sent to the dead-letter topic");
        self.send(&topic, record.key(), record.payload().unwrap_or_default(), headers).await
    }

    /// [`Producer::dead_letter`], retried with a growing pause (0.1 s up to 5 s) until the broker takes it: a
    /// record that cannot be processed must not be lost either. False only when `stopped` (e.g. a shutdown token's
    /// `cancelled()`) completed first; the caller must then leave the record uncommitted.
    pub async fn dead_letter_retrying(
        &self,
        record: &impl rdkafka::Message,
        reason: &str,
        stopped: impl std::future::Future<Output = ()>,
    ) -> bool {
        tokio::pin!(stopped);
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.dead_letter(record, reason).await {
                Ok(_) => return true,
                Err(e) => tracing::error!(error = %e, reason, retry_in = ?backoff, "cannot dead-letter a record"),
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = &mut stopped => return false,
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        payload: &[u8],
        headers: OwnedHeaders,
    ) -> Result<Delivered, KafkaError> {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic).payload(payload).headers(headers);
        if let Some(key) = key {
            record = record.key(key);
        }
        match self.inner.send(record, Duration::from_secs(5)).await {
            Ok(delivery) => Ok(Delivered { partition: delivery.partition, offset: delivery.offset }),
            Err((source, _)) => Err(KafkaError::Produce { topic: topic.to_owned(), source }),
        }
    }

    /// Connects to the cluster now rather than on the first record. librdkafka connects lazily and an idempotent
    /// producer must obtain its producer id before the first record goes out, which costs that record about half
    /// a second (measured with Tansu); calling this at start-up moves the cost out of the first request.
    pub async fn connect(&self) -> Result<(), KafkaError> {
        let producer = self.inner.clone();
        tokio::task::spawn_blocking(move || producer.client().fetch_metadata(None, Duration::from_secs(10)).map(|_| ()))
            .await?
            .map_err(KafkaError::Client)
    }

    /// Waits up to `timeout` for queued records to be delivered; called on shutdown.
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.inner.flush(timeout) {
            tracing::warn!(error = %e, "records still queued at shutdown");
        }
    }
}
