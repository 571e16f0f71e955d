//! Every gRPC server counts and times its calls by service, method and status code, whatever the handler does:
//! a served call, a call ending in an error status, and a path the server does not implement (which the
//! authorization policy refuses before routing).

use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic_health::pb::health_client::HealthClient;
use koprik_proto::tonic_health::pb::HealthCheckRequest;
use koprik_runtime::config::GrpcServerConfig;
use koprik_runtime::metrics::Metrics;
use koprik_runtime::{grpc, CancellationToken};
use tokio::net::TcpListener;

#[tokio::test]
async fn calls_are_counted_by_status_code() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let metrics = Metrics::new("test");
    let (router, _health) =
        grpc::router_with_health(&GrpcServerConfig::plain(addr), &metrics, grpc::open_guard(&metrics))
            .expect("a server");
    let shutdown = CancellationToken::new();
    tokio::spawn(grpc::serve(router, listener, metrics.readiness(), shutdown.clone()));

    let channel = Channel::from_shared(format!("http://{addr}")).expect("a URI").connect().await.expect("connected");
    let mut health = HealthClient::new(channel.clone());
    for _ in 0..2 {
        health.check(HealthCheckRequest { service: String::new() }).await.expect("the server is serving");
    }
    let unknown = health.check(HealthCheckRequest { service: "no.such.Service".into() }).await;
    assert_eq!(unknown.expect_err("an unknown service").code(), koprik_proto::tonic::Code::NotFound);

    // A path nobody serves: counted, but not under the path the client made up.
    let mut client = koprik_proto::tonic::client::Grpc::new(channel);
    client.ready().await.expect("ready");
    let path = koprik_proto::tonic::codegen::http::uri::PathAndQuery::from_static("/made.up.Service/Anything");
    let codec = koprik_proto::tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckRequest>::default();
    let made_up = client.unary(koprik_proto::tonic::Request::new(HealthCheckRequest::default()), path, codec).await;
    // Not in the authorization policy, so refused before routing.
    assert_eq!(made_up.expect_err("not served").code(), koprik_proto::tonic::Code::PermissionDenied);

    let text = metrics.encode();
    let handled = |service: &str, method: &str, code: &str| {
        format!(
            "koprik_test_grpc_server_handled_total{{grpc_service=\"{service}\",grpc_method=\"{method}\",grpc_code=\"{code}\"}}"
        )
    };
    assert!(text.contains(&format!("{} 2", handled("grpc.health.v1.Health", "Check", "OK"))), "{text}");
    assert!(text.contains(&format!("{} 1", handled("grpc.health.v1.Health", "Check", "NotFound"))), "{text}");
    assert!(text.contains(&format!("{} 1", handled("unknown", "unknown", "PermissionDenied"))), "{text}");
    assert!(text.contains(r#"koprik_test_authz_refusals_total{method="unlisted",reason="unlisted"} 1"#), "{text}");
    assert!(!text.contains("made.up.Service"), "{text}");
    assert!(
        text.contains(
            "koprik_test_grpc_server_handling_seconds_count{grpc_service=\"grpc.health.v1.Health\",grpc_method=\"Check\"} 3"
        ),
        "{text}"
    );
    shutdown.cancel();
}
