//! A peer whose calls keep being refused is refused RESOURCE_EXHAUSTED before identification once its budget of
//! refused calls is spent, counted, while health checks (open to everyone) keep answering it.

use koprik_authz::PeerLimitConfig;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::Code;
use koprik_proto::tonic_health::pb::health_client::HealthClient;
use koprik_proto::tonic_health::pb::HealthCheckRequest;
use koprik_runtime::config::GrpcServerConfig;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{grpc, CancellationToken};
use tokio::net::TcpListener;

#[tokio::test]
async fn a_peer_that_spent_its_refused_calls_is_refused_before_identification() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let metrics = Metrics::new("test");
    let guard = grpc::open_guard(&metrics).limit_peers(PeerLimitConfig { per_second: 1, burst: 5 });
    let (router, _health) =
        grpc::router_with_health(&GrpcServerConfig::plain(addr), &metrics, guard).expect("a server");
    let shutdown = CancellationToken::new();
    tokio::spawn(grpc::serve(router, listener, metrics.readiness(), shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}")).expect("a URI").connect().await.expect("connected");

    // A method that needs a certificate, called without one: refused, spending the budget.
    let mut codes = Vec::new();
    for _ in 0..8 {
        let mut client = koprik_proto::tonic::client::Grpc::new(channel.clone());
        client.ready().await.expect("ready");
        let path = koprik_proto::tonic::codegen::http::uri::PathAndQuery::from_static(
            "/koprik.registry.v1.Registry/CreateGrant",
        );
        let codec = koprik_proto::tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckRequest>::default();
        let answer = client.unary(koprik_proto::tonic::Request::new(HealthCheckRequest::default()), path, codec).await;
        codes.push(answer.expect_err("refused").code());
    }
    assert_eq!(&codes[..5], &[Code::Unauthenticated; 5], "{codes:?}");
    assert!(codes[5..].iter().all(|c| *c == Code::ResourceExhausted), "{codes:?}");

    // Probes still get through.
    HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.expect("health answers");
    let text = metrics.encode();
    assert!(
        text.contains(r#"koprik_test_authz_refusals_total{method="/koprik.registry.v1.Registry/CreateGrant",reason="peer_limited"} 3"#),
        "{text}"
    );
    shutdown.cancel();
}
