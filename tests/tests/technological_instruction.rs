//! End to end: the technological instruction is the ceiling (A1 §14-15; issue 15, item 1). A request naming no data
//! item receives the items its grant permits and nothing more, by Call and by Submit; the audit trail records the
//! items requested and the items released. An answer carrying an item not asked for is never delivered: the adapter
//! refuses it from a provider's system that over-answers, and the gateway refuses it from an adapter that signs one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use koprik_adapter::answer_signing::AnswerSigner;
use koprik_adapter::BackendConfig;
use koprik_e2e::{demo, person_request, request_id_of, Sandbox};
use koprik_kafka::consumer::{tail_from, Start};
use koprik_kafka::topics::{exchange_requests, EXCHANGE_AUDIT};
use koprik_kafka::{decode, Producer};
use koprik_proto::events::exchange_reply::Outcome;
use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep, ExchangeReply, ExchangeRequest, ProviderAnswer};
use koprik_proto::exchange::{GetRequest, RequestState};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::provider::data_provider_server::{DataProvider, DataProviderServer};
use koprik_proto::provider::{HandleRequest, HandleResponse};
use koprik_proto::registry::{CreateGrantRequest, CreateSubsystemRequest, Subsystem};
use koprik_proto::tonic::{self, Code, Request, Response, Status};
use koprik_runtime::tls::ClientTlsSettings;
use koprik_runtime::CancellationToken;
use koprik_testkit::kafka::wait_for_record;
use tokio::net::TcpListener;

/// A subsystem of the demo consumer whose grant's technological instruction permits two of the service's nine items.
const NARROW: &str = "UZ/GOV/200935935/ti-ceiling";
/// What its grant permits.
const PERMITTED: [&str; 2] = ["surname", "birth_date"];

/// Registers [`NARROW`], grants it [`PERMITTED`] of the demo service, and registers its officer.
async fn narrow_grant(sandbox: &mut Sandbox) {
    let narrow: SubsystemId = NARROW.parse().expect("subsystem id");
    let service: ServiceId = demo::SERVICE.parse().expect("service id");
    let subsystem = Subsystem { id: Some((&narrow).into()), name: "TI ceiling test".into(), ..Subsystem::default() };
    sandbox.registry.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await.expect("subsystem");
    sandbox
        .registry
        .create_grant(CreateGrantRequest {
            consumer: Some((&narrow).into()),
            service: Some((&service).into()),
            permitted_items: PERMITTED.iter().map(|item| (*item).to_owned()).collect(),
            ..CreateGrantRequest::default()
        })
        .await
        .expect("a grant permitting two items");
    sandbox.add_officer(NARROW).await;
}

/// The audit record of `request_id` at `step`.
async fn audit_step(sandbox: &Sandbox, request_id: &str, step: AuditStep) -> AuditRecord {
    wait_for_record::<AuditRecord, _>(&sandbox.broker.kafka_config(), EXCHANGE_AUDIT, Duration::from_secs(10), |r| {
        r.value.request_id == request_id && r.value.step() == step
    })
    .await
    .value
}

#[tokio::test]
async fn an_empty_item_list_receives_only_the_granted_items_and_the_audit_names_them() {
    let mut sandbox = Sandbox::start().await;
    narrow_grant(&mut sandbox).await;

    // A1 §14-15: no item named asks for what the TI permits, not for everything the service returns.
    let response = sandbox.call_until_delivered(NARROW, person_request(demo::DEMO_PINFL, &[])).await;
    let person: serde_json::Value = serde_json::from_slice(&response.payload).expect("JSON answer");
    assert_eq!(
        person,
        serde_json::json!({"pinfl": demo::DEMO_PINFL, "surname": "Karimov", "birth_date": "1985-03-14"}),
        "only the two permitted items of the nine the civil registry holds"
    );
    let audit = sandbox.audit_record(&response.request_id).await;
    assert_eq!(audit.outcome(), AuditOutcome::Delivered);
    assert_eq!(audit.data_items, PERMITTED, "the items requested: the grant's, resolved before forwarding");
    assert_eq!(audit.released_items, PERMITTED, "the items released, as the adapter declared and signed them");

    // A named item outside the TI is still refused.
    let status =
        sandbox.call(Some(NARROW), person_request(demo::DEMO_PINFL, &["address"])).await.expect_err("outside the TI");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("\"address\" is not permitted"), "{}", status.message());

    // Submit resolves alike: the stored answer carries the permitted items, and the ANSWERED record says so.
    let mut client = sandbox.client_for(NARROW).await;
    let submitted = client
        .submit(Request::new(sandbox.signed(NARROW, person_request(demo::DEMO_PINFL, &[]))))
        .await
        .expect("accepted")
        .into_inner();
    let started = Instant::now();
    let answered = loop {
        let got = client
            .get(Request::new(GetRequest { request_id: submitted.request_id.clone() }))
            .await
            .expect("its own request")
            .into_inner();
        if got.state() != RequestState::Pending {
            break got;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no answer: {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(answered.state(), RequestState::Answered, "{answered:?}");
    let person: serde_json::Value = serde_json::from_slice(&answered.payload).expect("JSON answer");
    assert_eq!(person.as_object().map(|o| o.len()), Some(3), "pinfl and the two permitted items: {person}");
    let submitted_audit = audit_step(&sandbox, &submitted.request_id, AuditStep::Submitted).await;
    assert_eq!(submitted_audit.data_items, PERMITTED);
    assert!(submitted_audit.released_items.is_empty(), "nothing released at submission");
    let answered_audit = audit_step(&sandbox, &submitted.request_id, AuditStep::Answered).await;
    assert_eq!(answered_audit.data_items, PERMITTED);
    assert_eq!(answered_audit.released_items, PERMITTED);
    sandbox.stop().await;
}

/// A provider's system that answers everything it holds about the person, whatever was asked, and says so.
struct OverAnsweringAgency;

#[tonic::async_trait]
impl DataProvider for OverAnsweringAgency {
    async fn handle(&self, _request: Request<HandleRequest>) -> Result<Response<HandleResponse>, Status> {
        let everything = ["surname", "given_name", "address", "document"];
        Ok(Response::new(HandleResponse {
            payload: br#"{"surname":"Karimov","given_name":"Aziz","address":"...","document":"..."}"#.to_vec(),
            content_type: "application/json".into(),
            data_items: everything.iter().map(|item| (*item).to_owned()).collect(),
        }))
    }
}

/// Serves `agency` on a free port.
async fn serve_agency(agency: OverAnsweringAgency) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("bound");
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(
        tonic::transport::Server::builder().add_service(DataProviderServer::new(agency)).serve_with_incoming(incoming),
    );
    addr
}

/// Calls as the demo consumer (each attempt signed afresh) until the gateway answers with something other than a
/// timeout (the adapter just started may miss the first requests); panics after ten seconds.
async fn first_answer(sandbox: &mut Sandbox, items: &[&str]) -> Status {
    let started = Instant::now();
    loop {
        match sandbox.call(Some(demo::CONSUMER), person_request(demo::DEMO_PINFL, items)).await {
            Err(status) if status.code() == Code::DeadlineExceeded && started.elapsed() < Duration::from_secs(10) => {}
            Err(status) => return status,
            Ok(response) => panic!("delivered: {response:?}"),
        }
    }
}

#[tokio::test]
async fn an_answer_carrying_items_not_asked_for_is_not_delivered_by_the_adapter() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"])).await;
    sandbox.stop_adapter().await;
    let agency = serve_agency(OverAnsweringAgency).await;
    let backend = BackendConfig::Grpc { endpoint: format!("http://{agency}"), tls: ClientTlsSettings::default() };
    sandbox.start_adapter_with_backend(backend).await;

    let status = first_answer(&mut sandbox, &["surname"]).await;
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.metadata().get("koprik-error-source").and_then(|v| v.to_str().ok()), Some("provider"));
    assert!(status.message().contains("carries 3 data items not requested"), "{}", status.message());
    assert!(!status.message().contains("address"), "codes outside the TI are not told: {}", status.message());
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::ProviderError);
    assert_eq!(audit.data_items, ["surname"]);
    assert!(audit.released_items.is_empty() && audit.response_sha256.is_empty(), "nothing released: {audit:?}");
    sandbox.stop().await;
}

/// A forged adapter (it holds the provider's registered adapter key) answering each request with one item more
/// than asked — or, for [`UNDECLARED_PINFL`], without saying which items it carries.
async fn forged_adapter(sandbox: &Sandbox, shutdown: CancellationToken) {
    let kafka = sandbox.broker.kafka_config();
    let provider: MemberId = demo::PROVIDER.parse().expect("provider id");
    let requests = tail_from(&kafka, "forged-adapter", &exchange_requests(provider.member_code()), Start::End)
        .await
        .expect("request reader");
    let producer = Producer::new(&kafka, "forged-adapter").expect("producer");
    let signer = Arc::new(AnswerSigner::new(sandbox.keys.adapter.clone(), demo::ADAPTER_KEY_ID));
    tokio::spawn(async move {
        loop {
            let record = tokio::select! {
                () = shutdown.cancelled() => return,
                record = requests.consumer.recv() => record.expect("a request"),
            };
            let request = decode::<ExchangeRequest>(&record).expect("an exchange request").value;
            let undeclared = request
                .applicants
                .iter()
                .any(|a| a.kind == Some(koprik_proto::common::applicant_id::Kind::Pinfl(UNDECLARED_PINFL.into())));
            let mut data_items = request.data_items.clone();
            if undeclared {
                data_items.clear();
            } else {
                data_items.push("address".into());
            }
            let answered_at = koprik_proto::time::timestamp(chrono::Utc::now());
            let mut answer = ProviderAnswer {
                payload: br#"{"surname":"Karimov","address":"..."}"#.to_vec(),
                content_type: "application/json".into(),
                signature: None,
                data_items,
            };
            signer.sign(&request.request_id, request.service.as_ref(), &mut answer, &answered_at);
            let reply = ExchangeReply {
                request_id: request.request_id.clone(),
                service: request.service.clone(),
                answered_at: Some(answered_at),
                outcome: Some(Outcome::Answer(answer)),
            };
            let event_id = uuid::Uuid::now_v7().to_string();
            producer.publish(&request.reply_topic, &request.request_id, &reply, &event_id, None).await.expect("reply");
        }
    });
}

/// A person of the demo fixture for whom the forged adapter declares no items.
const UNDECLARED_PINFL: &str = "31403850260029";

#[tokio::test]
async fn a_signed_answer_releasing_more_than_asked_is_not_delivered_by_the_gateway() {
    let mut sandbox = Sandbox::start().await;
    sandbox.call_until_delivered(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname"])).await;
    sandbox.stop_adapter().await;
    let shutdown = CancellationToken::new();
    forged_adapter(&sandbox, shutdown.clone()).await;

    // Defence in depth: the signature verifies (the key is the provider's), the items do not fit the request.
    let status = first_answer(&mut sandbox, &["surname"]).await;
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("carries 1 data item not requested"), "{}", status.message());
    let audit = sandbox.audit_record(&request_id_of(&status)).await;
    assert_eq!(audit.outcome(), AuditOutcome::ProviderError);
    assert_eq!(audit.provider_key_id, demo::ADAPTER_KEY_ID, "the key that signed the refused answer is named");
    assert!(audit.released_items.is_empty() && audit.response_sha256.is_empty(), "nothing released: {audit:?}");

    // An answer that does not say which items it carries is not delivered either.
    let started = Instant::now();
    let status = loop {
        match sandbox.call(Some(demo::CONSUMER), person_request(UNDECLARED_PINFL, &["surname"])).await {
            Err(status) if status.code() == Code::DeadlineExceeded && started.elapsed() < Duration::from_secs(10) => {}
            other => break other.expect_err("not delivered"),
        }
    };
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("does not declare which data items"), "{}", status.message());
    shutdown.cancel();
    sandbox.stop().await;
}
