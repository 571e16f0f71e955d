//! A typed producer: protobuf values with the Ko'prik headers, idempotent, acknowledged by all in-sync replicas.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use koprik_proto::prost::{Message, Name};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

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
///
/// An idempotent producer can be left unable to send anything again: after a record in flight timed out while the
/// broker was unreachable it must bump its epoch, and a broker that refuses that (`PRODUCER_FENCED`, as Tansu
/// answers) fails every later record the same way; librdkafka may also fail it fatally (`fatal_error`). Such a
/// producer is replaced by a new one at the failed send, so that publishing resumes once the broker is back
/// instead of never.
#[derive(Clone)]
pub struct Producer {
    /// The current librdkafka producer; a `std::sync::RwLock` because it is only cloned out (an `Arc` inside) or
    /// replaced, never held across an await.
    inner: Arc<RwLock<FutureProducer>>,
    /// How to make a replacement.
    config: Arc<ClientConfig>,
}

impl Producer {
    /// An idempotent producer (`enable.idempotence`, `acks=all`) with a small linger for low latency.
    pub fn new(config: &KafkaConfig, client_id: &str) -> Result<Self, KafkaError> {
        let mut client = config.client(client_id);
        client
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set("message.timeout.ms", config.delivery_timeout.as_millis().to_string());
        let inner = client.create().map_err(KafkaError::Client)?;
        Ok(Self { inner: Arc::new(RwLock::new(inner)), config: Arc::new(client) })
    }

    /// The librdkafka producer in use now.
    fn current(&self) -> FutureProducer {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// After a send with `used` failed with `error`: if that producer can send nothing more (its id fenced, or a
    /// fatal error), replaces it by a new one (once, however many tasks saw it fail), so that the next send can
    /// succeed. Dropping the last handle of a producer waits for it to purge and stop (up to about half a second),
    /// so `used` is dropped on a blocking thread.
    fn recover(&self, used: FutureProducer, error: &rdkafka::error::KafkaError) {
        self.replace_if_dead(&used, error);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(move || drop(used))),
            Err(_) => drop(used),
        }
    }

    fn replace_if_dead(&self, used: &FutureProducer, error: &rdkafka::error::KafkaError) {
        let fenced = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::ProducerFenced | RDKafkaErrorCode::InvalidProducerEpoch)
        );
        let Some((code, reason)) = used.client().fatal_error().or_else(|| {
            fenced.then(|| (error.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fatal), error.to_string()))
        }) else {
            return;
        };
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if inner.client().native_ptr() != used.client().native_ptr() {
            return;
        }
        match self.config.create::<FutureProducer>() {
            Ok(fresh) => {
                let dead = std::mem::replace(&mut *inner, fresh);
                drop(inner);
                // `used` is a handle of the same producer and outlives this one: the drop that waits is its.
                drop(dead);
                tracing::error!(error = ?code, reason = %reason, "kafka producer can send no more; replaced by a new one");
            }
            Err(e) => {
                tracing::error!(error = %e, reason = %reason, "kafka producer can send no more and cannot be replaced")
            }
        }
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
        let producer = self.current();
        let future = loop {
            match producer.send_result(record) {
                Ok(future) => break future,
                Err((rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if attempts < 1000 =>
                {
                    // Holding the caller's lock is intended: the order of enqueueing is the order on the topic.
                    attempts += 1;
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((source, _)) => {
                    self.recover(producer, &source);
                    return Err(KafkaError::Produce { topic: topic.to_owned(), source });
                }
            }
        };
        let topic = topic.to_owned();
        let this = self.clone();
        Ok(async move {
            match future.await {
                Ok(Ok(delivery)) => Ok(Delivered { partition: delivery.partition, offset: delivery.offset }),
                Ok(Err((source, _))) => {
                    this.recover(producer, &source);
                    Err(KafkaError::Produce { topic, source })
                }
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
        let producer = self.current();
        match producer.send(record, Duration::from_secs(5)).await {
            Ok(delivery) => Ok(Delivered { partition: delivery.partition, offset: delivery.offset }),
            Err((source, _)) => {
                self.recover(producer, &source);
                Err(KafkaError::Produce { topic: topic.to_owned(), source })
            }
        }
    }

    /// Connects to the cluster now rather than on the first record. librdkafka connects lazily and an idempotent
    /// producer must obtain its producer id before the first record goes out, which costs that record about half
    /// a second (measured with Tansu); calling this at start-up moves the cost out of the first request.
    pub async fn connect(&self) -> Result<(), KafkaError> {
        let producer = self.current();
        tokio::task::spawn_blocking(move || producer.client().fetch_metadata(None, Duration::from_secs(10)).map(|_| ()))
            .await?
            .map_err(KafkaError::Client)
    }

    /// Waits up to `timeout` for queued records to be delivered; called on shutdown.
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.current().flush(timeout) {
            tracing::warn!(error = %e, "records still queued at shutdown");
        }
    }
}
