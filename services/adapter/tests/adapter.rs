//! The adapter against a real Tansu broker and a real gRPC backend (a test agency implementing
//! `koprik.provider.v1.DataProvider` in-process): answers, relayed failures, a backend that is down, expired
//! requests and undecodable records, a slow request that does not hold up the others, and answers outside the
//! data items asked for, which are refused.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use koprik_adapter::{run, AdapterConfig, BackendConfig, Listeners, SigningConfig};
use koprik_kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use koprik_kafka::topics::{dead_letters, exchange_requests, TopicSpec};
use koprik_kafka::{KafkaConfig, Producer};
use koprik_proto::common::{applicant_id::Kind, ApplicantId};
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{ExchangeReply, ExchangeRequest, FailureKind};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::provider::data_provider_server::{DataProvider, DataProviderServer};
use koprik_proto::provider::{HandleRequest, HandleResponse};
use koprik_proto::time::timestamp;
use koprik_proto::tonic::{self, transport::Server, Request, Response, Status};
use koprik_runtime::config::{GrpcServerConfig, MetricsConfig};
use koprik_runtime::tls::ClientTlsSettings;
use koprik_runtime::CancellationToken;
use koprik_testkit::kafka::{wait_for_raw, wait_for_record};
use koprik_testkit::Broker;
use tokio::net::TcpListener;

const PROVIDER: &str = "UZ/GOV/201122919";
const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
const REPLIES: &str = "exchange.replies.adapter-test";

/// A PINFL the test agency takes three seconds to answer.
const SLOW_PINFL: &str = "50101010000001";
/// A PINFL for which the test agency answers everything it holds, whatever was asked (the bug of a careless system).
const EVERYTHING_PINFL: &str = "31403850260029";
/// A PINFL for which the test agency's answer declares no data items.
const UNDECLARED_PINFL: &str = "31403850260037";

/// A test agency: answers for one PINFL (declaring the items asked for), refuses another, answers a third slowly,
/// over-answers a fourth, leaves a fifth's items undeclared, fails on the rest; it records what it was asked.
#[derive(Default)]
struct Agency {
    asked: std::sync::Mutex<Vec<Vec<String>>>,
}

#[tonic::async_trait]
impl DataProvider for Agency {
    async fn handle(&self, request: Request<HandleRequest>) -> Result<Response<HandleResponse>, Status> {
        let request = request.into_inner();
        self.asked.lock().expect("not poisoned").push(request.data_items.clone());
        let pinfl = match request.applicants.first().and_then(|a| a.kind.as_ref()) {
            Some(Kind::Pinfl(p)) => p.clone(),
            _ => return Err(Status::invalid_argument("a PINFL is required")),
        };
        let json = |data_items: Vec<String>| {
            Ok(Response::new(HandleResponse {
                payload: format!("{{\"request\":\"{}\",\"surname\":\"Karimov\"}}", request.request_id).into_bytes(),
                content_type: "application/json".into(),
                data_items,
            }))
        };
        match pinfl.as_str() {
            "31403850260011" => json(request.data_items.clone()),
            EVERYTHING_PINFL => json(vec!["surname".into(), "address".into(), "document".into()]),
            UNDECLARED_PINFL => json(Vec::new()),
            "40211921800143" => Err(Status::failed_precondition("the record is sealed by court order")),
            // A slow lookup (an archive on tape): answered after three seconds.
            SLOW_PINFL => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                json(request.data_items.clone())
            }
            _ => Err(Status::internal("db.query failed at persons.rs:42")),
        }
    }
}

async fn start_agency() -> SocketAddr {
    start_recording_agency().await.0
}

/// A test agency and what it was asked: the data items of every `Handle` call, in order.
async fn start_recording_agency() -> (SocketAddr, std::sync::Arc<Agency>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = listener.local_addr().expect("addr");
    let agency = std::sync::Arc::new(Agency::default());
    tokio::spawn(
        Server::builder()
            .add_service(DataProviderServer::from_arc(std::sync::Arc::clone(&agency)))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (addr, agency)
}

struct Harness {
    kafka: KafkaConfig,
    producer: Producer,
    metrics: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// The adapter's public signing key.
    public_key: Vec<u8>,
    _keys: tempfile::TempDir,
    _broker: Broker,
}

async fn start(endpoint: String) -> Harness {
    koprik_testkit::init_logs();
    let broker = Broker::start().await;
    let kafka = broker.kafka_config();
    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let metrics = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let metrics_addr = metrics.local_addr().expect("addr");
    let keys = tempfile::tempdir().expect("temporary directory");
    let key = koprik_proto::signing::PrivateKey::generate();
    let key_file = keys.path().join("adapter.pem");
    std::fs::write(&key_file, key.to_pem().expect("PEM")).expect("key written");
    let config = AdapterConfig {
        provider: PROVIDER.into(),
        backend: BackendConfig::Grpc { endpoint, tls: ClientTlsSettings::default() },
        grpc: GrpcServerConfig::plain(grpc.local_addr().expect("addr")),
        metrics: MetricsConfig { listen: metrics_addr },
        kafka: kafka.clone(),
        signing: SigningConfig { key_file: key_file.clone(), key_id: "adapter-test".into() },
        ..AdapterConfig::default()
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(config, Listeners { grpc, metrics }, shutdown.clone()));
    // The gateway creates its reply topic; here the test stands in for it.
    koprik_kafka::admin::ensure_topics(&kafka, &[TopicSpec::plain(REPLIES)]).await.expect("reply topic");
    let producer = Producer::new(&kafka, "adapter-test").expect("producer");
    Harness {
        kafka,
        producer,
        metrics: metrics_addr,
        shutdown,
        task,
        public_key: key.public_key(),
        _keys: keys,
        _broker: broker,
    }
}

fn request(pinfl: &str, deadline_in: chrono::Duration) -> ExchangeRequest {
    let service: ServiceId = SERVICE.parse().expect("service");
    let consumer: SubsystemId = "UZ/GOV/200935935/tax-inspection".parse().expect("consumer");
    let now = Utc::now();
    ExchangeRequest {
        request_id: uuid::Uuid::now_v7().to_string(),
        consumer: Some((&consumer).into()),
        service: Some((&service).into()),
        applicants: vec![ApplicantId { kind: Some(Kind::Pinfl(pinfl.into())) }],
        data_items: vec!["surname".into()],
        payload: Vec::new(),
        content_type: String::new(),
        received_at: Some(timestamp(now)),
        deadline: Some(timestamp(now + deadline_in)),
        reply_topic: REPLIES.into(),
        ..Default::default()
    }
}

impl Harness {
    async fn send(&self, request: &ExchangeRequest) {
        let topic = exchange_requests("201122919");
        self.producer
            .publish(&topic, &request.request_id, request, &uuid::Uuid::now_v7().to_string(), None)
            .await
            .expect("request produced");
    }

    async fn reply_to(&self, request: &ExchangeRequest) -> ExchangeReply {
        wait_for_record::<ExchangeReply, _>(&self.kafka, REPLIES, Duration::from_secs(15), |r| {
            r.value.request_id == request.request_id
        })
        .await
        .value
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("adapter task").expect("adapter stopped cleanly");
    }
}

fn failure(reply: &ExchangeReply) -> (FailureKind, String) {
    match &reply.outcome {
        Some(Outcome::Failure(f)) => (f.kind(), f.message.clone()),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn answers_and_failures_of_a_grpc_backend_are_relayed() {
    let agency = start_agency().await;
    let h = start(format!("http://{agency}")).await;

    let found = request("31403850260011", chrono::Duration::seconds(10));
    h.send(&found).await;
    let reply = h.reply_to(&found).await;
    match &reply.outcome {
        Some(Outcome::Answer(answer)) => {
            assert_eq!(answer.content_type, "application/json");
            let signature = answer.signature.as_ref().expect("the adapter signs its answers");
            assert_eq!(answer.data_items, ["surname"], "the items the backend declared are relayed");
            let signed = koprik_proto::signing::answer_bytes(
                &reply.request_id,
                reply.service.as_ref(),
                answer,
                reply.answered_at.as_ref(),
                "adapter-test",
            );
            koprik_proto::signing::verify(&h.public_key, &signed, &signature.value).expect("the signature verifies");
            let body = String::from_utf8(answer.payload.clone()).expect("UTF-8");
            assert!(body.contains(&found.request_id), "the backend saw the platform's request id: {body}");
        }
        other => panic!("expected an answer, got {other:?}"),
    }

    let sealed = request("40211921800143", chrono::Duration::seconds(10));
    h.send(&sealed).await;
    assert_eq!(
        failure(&h.reply_to(&sealed).await),
        (FailureKind::Refused, "the record is sealed by court order".into())
    );

    let broken = request("50101010000017", chrono::Duration::seconds(10));
    h.send(&broken).await;
    let (kind, message) = failure(&h.reply_to(&broken).await);
    assert_eq!(kind, FailureKind::Internal);
    assert!(!message.contains("persons.rs"), "internals are not relayed: {message}");
    h.stop().await;
}

#[tokio::test]
async fn a_backend_that_is_down_gives_a_clear_failure_not_a_timeout() {
    let closed = koprik_testkit::net::free_port();
    let h = start(format!("http://127.0.0.1:{closed}")).await;
    let request = request("31403850260011", chrono::Duration::seconds(10));
    h.send(&request).await;
    let (kind, _) = failure(&h.reply_to(&request).await);
    assert_eq!(kind, FailureKind::Unavailable);
    h.stop().await;
}

#[tokio::test]
async fn expired_requests_are_skipped_and_garbage_is_dead_lettered() {
    let agency = start_agency().await;
    let h = start(format!("http://{agency}")).await;

    let expired = request("31403850260011", chrono::Duration::seconds(-1));
    h.send(&expired).await;
    let topic = exchange_requests("201122919");
    let raw: FutureProducer = koprik_kafka::rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &h.kafka.bootstrap_servers)
        .create()
        .expect("raw producer");
    raw.send(FutureRecord::to(&topic).key("garbage").payload(&b"\xff\xfe not protobuf"[..]), Duration::from_secs(5))
        .await
        .expect("garbage produced");
    // A live request after both: once it is answered, both earlier records have been dealt with.
    let live = request("31403850260011", chrono::Duration::seconds(10));
    h.send(&live).await;
    h.reply_to(&live).await;

    let dead = wait_for_raw(&h.kafka, &dead_letters(&topic), Duration::from_secs(10), |r| r.key == b"garbage").await;
    assert_eq!(dead.payload, b"\xff\xfe not protobuf");
    assert!(dead.header("koprik-dlq-reason").is_some_and(|r| r.contains("ExchangeRequest")), "{:?}", dead.headers);
    assert!(dead.header("koprik-dlq-source").is_some_and(|s| s.starts_with(&topic)));

    let metrics = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    assert!(metrics.contains("koprik_adapter_requests_total{outcome=\"expired\"} 1"), "{metrics}");
    assert!(metrics.contains("koprik_adapter_requests_total{outcome=\"dead_lettered\"} 1"), "{metrics}");
    h.stop().await;
}

#[tokio::test]
async fn submitted_requests_are_answered_after_their_deadline_and_without_one() {
    let agency = start_agency().await;
    let h = start(format!("http://{agency}")).await;

    // REG-2 p. 17: a late answer to a submitted request is still delivered (the gateway counts the lateness).
    let late = ExchangeRequest { asynchronous: true, ..request("31403850260011", chrono::Duration::seconds(-60)) };
    h.send(&late).await;
    assert!(matches!(h.reply_to(&late).await.outcome, Some(Outcome::Answer(_))), "answered although late");

    // An archive service's request carries no deadline at all.
    let archive =
        ExchangeRequest { asynchronous: true, deadline: None, ..request("31403850260011", chrono::Duration::zero()) };
    h.send(&archive).await;
    assert!(matches!(h.reply_to(&archive).await.outcome, Some(Outcome::Answer(_))), "answered without a deadline");

    let metrics = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    assert!(!metrics.contains("outcome=\"expired\""), "nothing skipped: {metrics}");
    h.stop().await;
}

#[tokio::test]
async fn a_slow_backend_call_does_not_hold_up_the_requests_behind_it() {
    let agency = start_agency().await;
    let h = start(format!("http://{agency}")).await;
    let started = std::time::Instant::now();
    let slow = request(SLOW_PINFL, chrono::Duration::seconds(20));
    h.send(&slow).await;
    let fast: Vec<ExchangeRequest> = (0..5).map(|_| request("31403850260011", chrono::Duration::seconds(20))).collect();
    for request in &fast {
        h.send(request).await;
    }
    for request in &fast {
        assert!(matches!(h.reply_to(request).await.outcome, Some(Outcome::Answer(_))));
    }
    let fast_done = started.elapsed();
    assert!(fast_done < Duration::from_millis(2500), "the fast requests waited behind the slow one: {fast_done:?}");
    assert!(matches!(h.reply_to(&slow).await.outcome, Some(Outcome::Answer(_))));
    assert!(started.elapsed() >= Duration::from_secs(3), "the slow request was answered after its backend call");
    h.stop().await;
}

#[tokio::test]
async fn the_backend_gets_exactly_the_items_asked_and_answers_outside_them_are_refused() {
    let (agency, asked) = start_recording_agency().await;
    let h = start(format!("http://{agency}")).await;

    // A1 §14-15: the technological instruction is the ceiling. Everything the careless system holds is not
    // delivered: the consumer gets the provider's failure, never the data.
    let greedy = request(EVERYTHING_PINFL, chrono::Duration::seconds(10));
    h.send(&greedy).await;
    let (kind, message) = failure(&h.reply_to(&greedy).await);
    assert_eq!(kind, FailureKind::Internal);
    assert!(message.contains("carries 2 data items not requested"), "{message}");
    assert!(!message.contains("address"), "codes outside the request are not told to the consumer: {message}");

    // An answer that does not say what it carries is not delivered either.
    let undeclared = request(UNDECLARED_PINFL, chrono::Duration::seconds(10));
    h.send(&undeclared).await;
    let (kind, message) = failure(&h.reply_to(&undeclared).await);
    assert_eq!(kind, FailureKind::Internal);
    assert!(message.contains("HandleResponse.data_items is required"), "{message}");

    // A request naming no items (no gateway sends one) is refused without asking the backend.
    let empty = ExchangeRequest { data_items: Vec::new(), ..request("31403850260011", chrono::Duration::seconds(10)) };
    h.send(&empty).await;
    assert_eq!(failure(&h.reply_to(&empty).await).0, FailureKind::InvalidRequest);

    // Exactly the list of each request reached the backend, and the empty one never did.
    let seen = asked.asked.lock().expect("not poisoned").clone();
    assert_eq!(seen, vec![vec!["surname".to_owned()], vec!["surname".to_owned()]]);

    let metrics = koprik_testkit::net::http_get(h.metrics, "/metrics").await;
    assert!(metrics.contains("koprik_adapter_requests_total{outcome=\"answer_refused\"} 2"), "{metrics}");
    h.stop().await;
}
