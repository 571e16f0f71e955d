//! `make bench`: how fast the exchange is end to end, and what that costs against its parts, on this machine and
//! one Tansu broker. Three loads with the same 200 concurrent callers (closed loop, each waits for its answer):
//!
//! 1. **gateway**: `Exchange.Call` through the gateway → Tansu → the demo adapter → the demo civil registry and
//!    back, with access checks, the audit chain and (for the DDP consumer) the usage record.
//! 2. **bare Kafka**: the same request/reply over the same broker with the same client library and fetch settings
//!    and no gateway logic: callers produce a request keyed by a correlation id and wait for the reply with that
//!    key; one responder consumes the requests and produces the replies the way the adapter does (produce, wait for
//!    the acknowledgement, commit, next).
//!    For comparison (no target), the same loop with a pipelined responder that does not wait for each reply's
//!    acknowledgement: what the broker allows when the provider side is not one-at-a-time.
//! 3. For comparison (no target), the gateway again with the demo adapter replaced by a stand-in that handles
//!    requests concurrently: the gateway's own ceiling when the provider side is not one-at-a-time.
//! 4. **direct gRPC**: the demo civil registry served as a `koprik.provider.v1.DataProvider` and called directly.
//!
//! Also a single caller's latency, and how long a suspension takes to reach the gateway.
//!
//! Targets: the gateway at 200 callers reaches at least 60 % of the bare Kafka loop's throughput with p99 under
//! 50 ms; a suspension is effective within 1 s. The bench exits with code 1 when a target is missed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use koprik_adapter::answer_signing::AnswerSigner;
use koprik_adapter::backend::civil_registry::CivilRegistry;
use koprik_adapter::backend::Backend;
use koprik_e2e::{call_as, demo, person_request, Sandbox};
use koprik_kafka::consumer::{commit, group_consumer, tail_from, Start};
use koprik_kafka::topics::{exchange_requests, TopicSpec};
use koprik_kafka::{decode, KafkaConfig, Producer, RecordHeaders};
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{ExchangeReply, ExchangeRequest, ProviderAnswer, ProviderFailure};
use koprik_proto::ids::MemberId;
use koprik_proto::provider::data_provider_client::DataProviderClient;
use koprik_proto::provider::data_provider_server::{DataProvider, DataProviderServer};
use koprik_proto::provider::{HandleRequest, HandleResponse};
use koprik_proto::registry::{AccessGround, GrantStatus, UpdateGrantRequest};
use koprik_proto::tonic::{self, Code, Request, Response, Status};
use koprik_runtime::CancellationToken;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const CALLERS: usize = 200;
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURED: Duration = Duration::from_secs(10);
const SEQUENTIAL_CALLS: usize = 300;

/// What one load measured.
struct Stats {
    name: &'static str,
    calls: usize,
    errors: u64,
    throughput: f64,
    p50: Duration,
    p99: Duration,
}

impl Stats {
    fn line(&self) -> String {
        format!(
            "{:<12} {CALLERS} callers: {:>6} calls in {MEASURED:?}  {:>7.0} calls/s  p50 {:>8.2?}  p99 {:>8.2?}  errors {}",
            self.name, self.calls, self.throughput, self.p50, self.p99, self.errors
        )
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs `CALLERS` closed-loop callers of `call` for the warm-up and the measured window; only calls that start
/// and end inside the window count.
async fn load<F, Fut>(name: &'static str, call: F) -> Stats
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let start = Instant::now() + WARM_UP;
    let end = start + MEASURED;
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(CALLERS);
    for caller in 0..CALLERS {
        let call = call.clone();
        let errors = Arc::clone(&errors);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let began = Instant::now();
                if began >= end {
                    return latencies;
                }
                let ok = call(caller).await;
                let finished = Instant::now();
                if began >= start && finished <= end {
                    if ok {
                        latencies.push(finished - began);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("caller"));
    }
    latencies.sort();
    Stats {
        name,
        calls: latencies.len(),
        errors: errors.load(Ordering::Relaxed),
        throughput: latencies.len() as f64 / MEASURED.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    }
}

/// Replies waited for by correlation key.
type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

/// The bare Kafka request/reply loop: topics, a responder, a reply reader, and callers correlating by key.
/// `pipelined`: the responder does not wait for each reply's acknowledgement before reading the next request (and
/// so commits before the reply is safe): what the broker can do when the responder is not one-at-a-time.
async fn bare_kafka(kafka: &KafkaConfig, pipelined: bool, shutdown: CancellationToken) -> Stats {
    let (name, requests_topic, replies_topic) = if pipelined {
        ("bare piped", "bench.piped.requests", "bench.piped.replies")
    } else {
        ("bare kafka", "bench.requests", "bench.replies")
    };
    koprik_kafka::admin::ensure_topics(kafka, &[TopicSpec::plain(requests_topic), TopicSpec::plain(replies_topic)])
        .await
        .expect("bench topics");
    let producer = Producer::new(kafka, "bench-caller").expect("producer");
    producer.connect().await.expect("connected");

    // The responder: like the adapter, one request at a time, reply acknowledged before the offset is committed.
    let responder_producer = Producer::new(kafka, "bench-responder").expect("producer");
    responder_producer.connect().await.expect("connected");
    let requests = group_consumer(kafka, &format!("bench-responder-{pipelined}"), &[requests_topic]).expect("consumer");
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let record = tokio::select! {
                () = stop.cancelled() => return,
                record = requests.recv() => record.expect("a request"),
            };
            let key = koprik_kafka::rdkafka::Message::key(&record).unwrap_or_default();
            let key = String::from_utf8_lossy(key).into_owned();
            let value = koprik_kafka::rdkafka::Message::payload(&record).unwrap_or_default().to_vec();
            let reply = responder_producer
                .enqueue_encoded(replies_topic, &key, &value, &RecordHeaders::default())
                .expect("reply enqueued");
            if pipelined {
                tokio::spawn(reply);
            } else {
                reply.await.expect("reply produced");
            }
            commit(&requests, &record).expect("committed");
        }
    });

    // The reply reader: hands each reply to the caller waiting for its key.
    let waiting: Waiting = Arc::default();
    let replies = tail_from(kafka, "bench-caller", replies_topic, Start::End).await.expect("reply reader");
    let reader_waiting = Arc::clone(&waiting);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let record = tokio::select! {
                () = stop.cancelled() => return,
                record = replies.consumer.recv() => record.expect("a reply"),
            };
            let key = koprik_kafka::rdkafka::Message::key(&record).unwrap_or_default();
            let key = String::from_utf8_lossy(key);
            let waiter = reader_waiting.lock().expect("not poisoned").remove(key.as_ref());
            if let Some(waiter) = waiter {
                let _ = waiter.send(());
            }
        }
    });

    // A request the size of an ExchangeRequest for the demo person.
    let payload = Arc::new(vec![b'x'; 300]);
    let sequence = Arc::new(AtomicU64::new(0));
    load(name, move |caller| {
        let (producer, waiting, payload) = (producer.clone(), Arc::clone(&waiting), Arc::clone(&payload));
        let key = format!("{caller}-{}", sequence.fetch_add(1, Ordering::Relaxed));
        async move {
            let (tx, rx) = oneshot::channel();
            waiting.lock().expect("not poisoned").insert(key.clone(), tx);
            if producer.publish_encoded(requests_topic, &key, &payload, RecordHeaders::default()).await.is_err() {
                return false;
            }
            tokio::time::timeout(Duration::from_secs(5), rx).await.is_ok_and(|r| r.is_ok())
        }
    })
    .await
}

/// A stand-in for the demo adapter that handles requests concurrently: reads each request, asks the demo civil
/// registry and produces the reply in a task of its own, so replies are not produced one at a time. (No commits,
/// retries or dead letters: for measuring the gateway when the provider side is not the bottleneck.)
async fn pipelined_adapter(kafka: &KafkaConfig, signer: Arc<AnswerSigner>, shutdown: CancellationToken) {
    let provider: MemberId = demo::PROVIDER.parse().expect("provider id");
    let topic = exchange_requests(provider.member_code());
    let requests = tail_from(kafka, "bench-adapter", &topic, Start::End).await.expect("request reader");
    let producer = Producer::new(kafka, "bench-adapter").expect("producer");
    producer.connect().await.expect("connected");
    let backend = Arc::new(CivilRegistry::built_in().expect("the built-in fixture"));
    tokio::spawn(async move {
        loop {
            let record = tokio::select! {
                () = shutdown.cancelled() => return,
                record = requests.consumer.recv() => record.expect("a request"),
            };
            let request = decode::<ExchangeRequest>(&record).expect("an exchange request").value;
            let (producer, backend, signer) = (producer.clone(), Arc::clone(&backend), Arc::clone(&signer));
            tokio::spawn(async move {
                let handle = HandleRequest {
                    request_id: request.request_id.clone(),
                    consumer: request.consumer.clone(),
                    service: request.service.clone(),
                    applicants: request.applicants.clone(),
                    data_items: request.data_items.clone(),
                    ..Default::default()
                };
                let answered_at = koprik_proto::time::timestamp(chrono::Utc::now());
                let outcome = match backend.handle(handle).await {
                    Ok(answer) => {
                        let mut answer = ProviderAnswer {
                            payload: answer.payload,
                            content_type: answer.content_type,
                            signature: None,
                            data_items: answer.data_items,
                        };
                        signer.sign(&request.request_id, request.service.as_ref(), &mut answer, &answered_at);
                        Outcome::Answer(answer)
                    }
                    Err(f) => Outcome::Failure(ProviderFailure { kind: f.kind as i32, message: f.message }),
                };
                let reply = ExchangeReply {
                    request_id: request.request_id.clone(),
                    service: request.service.clone(),
                    answered_at: Some(answered_at),
                    outcome: Some(outcome),
                };
                let event_id = format!("{}-reply", request.request_id);
                let _ = producer.publish(&request.reply_topic, &request.request_id, &reply, &event_id, None).await;
            });
        }
    });
}

/// The demo civil registry as an agency would serve it.
struct DemoAgency(CivilRegistry);

#[tonic::async_trait]
impl DataProvider for DemoAgency {
    async fn handle(&self, request: Request<HandleRequest>) -> Result<Response<HandleResponse>, Status> {
        self.0.handle(request.into_inner()).await.map(Response::new).map_err(|f| Status::not_found(f.message))
    }
}

/// Calls the demo civil registry directly over gRPC.
async fn direct_grpc(shutdown: CancellationToken) -> Stats {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("bound");
    // An agency's own server (not a platform API, so not behind the platform's authorization guard).
    let agency = DemoAgency(CivilRegistry::built_in().expect("the built-in fixture"));
    let served = tonic::transport::Server::builder().add_service(DataProviderServer::new(agency));
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(async move { served.serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned()).await });
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("URI")
        .connect()
        .await
        .expect("connected");
    let call = person_request(demo::DEMO_PINFL, &["surname", "birth_date"]);
    let request = HandleRequest {
        request_id: "bench".into(),
        service: call.service,
        applicants: call.applicants,
        data_items: call.data_items,
        ..Default::default()
    };
    load("direct grpc", move |_| {
        let mut client = DataProviderClient::new(channel.clone());
        let request = request.clone();
        async move { client.handle(request).await.is_ok() }
    })
    .await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut failures = Vec::new();
    let mut sandbox = Sandbox::start().await;
    // Every call is signed afresh by the DDP consumer's officer, as its system would: a signed request is accepted
    // once (the gateway refuses a replay), so each call is a new request, recorded as accepted. The signing is part
    // of each caller's loop, and so of the latencies measured.
    let request = person_request(demo::DEMO_PINFL, &["surname", "birth_date"]);
    let officer = sandbox.request_signer(demo::DDP_CONSUMER);

    let first = Instant::now();
    sandbox.call_until_delivered(demo::DDP_CONSUMER, request.clone()).await;
    println!("first delivered call after start-up: {:?}", first.elapsed());

    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let start = Instant::now();
        sandbox.call(Some(demo::DDP_CONSUMER), officer.sign(request.clone())).await.expect("delivered");
        latencies.push(start.elapsed());
    }
    latencies.sort();
    println!(
        "one caller:  {SEQUENTIAL_CALLS} calls  p50 {:.2?}  p99 {:.2?}  max {:.2?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );

    // The DDP consumer: the heaviest path (audit chain and usage record).
    let client = sandbox.client_for(demo::DDP_CONSUMER).await;
    let (gateway_request, gateway_officer) = (request.clone(), officer.clone());
    let gateway = load("gateway", move |_| {
        let (mut client, request) = (client.clone(), gateway_officer.sign(gateway_request.clone()));
        async move { call_as(&mut client, request).await.is_ok() }
    })
    .await;
    let shutdown = CancellationToken::new();
    let bare = bare_kafka(&sandbox.broker.kafka_config(), false, shutdown.clone()).await;
    let piped = bare_kafka(&sandbox.broker.kafka_config(), true, shutdown.clone()).await;
    let grpc = direct_grpc(shutdown.clone()).await;

    // The gateway again, with the demo adapter replaced by the pipelined stand-in: the gateway's own ceiling.
    sandbox.stop_adapter().await;
    let signer = Arc::new(AnswerSigner::new(sandbox.keys.adapter.clone(), demo::ADAPTER_KEY_ID));
    pipelined_adapter(&sandbox.broker.kafka_config(), signer, shutdown.clone()).await;
    let client = sandbox.client_for(demo::DDP_CONSUMER).await;
    let gateway_request = request.clone();
    let gateway_piped = load("gw + piped", move |_| {
        let (mut client, request) = (client.clone(), officer.sign(gateway_request.clone()));
        async move { call_as(&mut client, request).await.is_ok() }
    })
    .await;
    shutdown.cancel();
    sandbox.start_adapter().await;
    for stats in [&gateway, &bare, &piped, &gateway_piped, &grpc] {
        println!("{}", stats.line());
    }
    println!(
        "gateway with a pipelined provider side / pipelined bare loop: throughput {:.0} %, p99 {:.1}x",
        gateway_piped.throughput / piped.throughput.max(1.0) * 100.0,
        gateway_piped.p99.as_secs_f64() / piped.p99.as_secs_f64().max(1e-9)
    );
    let ratio = gateway.throughput / bare.throughput.max(1.0);
    println!(
        "gateway / bare kafka: throughput {:.0} %, p50 {:.1}x, p99 {:.1}x",
        ratio * 100.0,
        gateway.p50.as_secs_f64() / bare.p50.as_secs_f64().max(1e-9),
        gateway.p99.as_secs_f64() / bare.p99.as_secs_f64().max(1e-9)
    );
    if ratio < 0.6 {
        failures.push(format!("gateway throughput {:.0} % of the bare Kafka loop < 60 %", ratio * 100.0));
    }
    if gateway.p99 >= Duration::from_millis(50) {
        failures.push(format!("gateway p99 {:.2?} at {CALLERS} callers >= 50 ms", gateway.p99));
    }
    if gateway.errors > 0 {
        failures.push(format!("{} gateway calls failed", gateway.errors));
    }

    let grant = demo::seed(&mut sandbox.registry).await.expect("grant");
    let start = Instant::now();
    sandbox
        .registry
        .update_grant(UpdateGrantRequest {
            id: grant.id,
            status: GrantStatus::Suspended as i32,
            reason: "bench: data used for a purpose not agreed".into(),
            expected_revision: 0,
            ground: AccessGround::SuspendUnagreedPurpose as i32,
            notice: Some(koprik_e2e::notice()),
        })
        .await
        .expect("suspended");
    // The demo grant is the tax inspection's (IIP): its requests are signed by its own officer (`call` signs them).
    loop {
        match sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, &["surname"])).await {
            Err(status) if status.code() == Code::PermissionDenied => break,
            _ if start.elapsed() > Duration::from_secs(5) => break,
            _ => {}
        }
    }
    let propagation = start.elapsed();
    println!("suspension effective at the gateway after {propagation:?}");
    if propagation > Duration::from_secs(1) {
        failures.push(format!("suspension took {propagation:?} > 1s"));
    }
    // Thousands of concurrent calls must still have produced one intact audit chain, in sequence order.
    let started = Instant::now();
    let report = koprik_cli::commands::audit::verify(&sandbox.broker.kafka_config()).await.expect("verified");
    let records: u64 = report.chains.iter().map(|c| c.records).sum();
    println!("audit verify: {records} records in {:?}, intact: {}", started.elapsed(), report.intact());
    if !report.intact() {
        failures.push(format!("audit chain broken: {}", koprik_cli::commands::audit::render(&report)));
    }
    sandbox.stop().await;

    if !failures.is_empty() {
        eprintln!("targets missed: {}", failures.join("; "));
        std::process::exit(1);
    }
}
