//! `make bench`: how fast the first cut exchanges data, end to end through the gateway, a real Tansu broker and
//! the demo adapter, on this machine. Prints latency percentiles of sequential calls, throughput with concurrent
//! callers, and how long a revocation takes to reach the gateway.
//!
//! Targets (DESIGN: 32,800 DDP requests a day is ~0.4/s on average): p99 of a sequential call under 50 ms,
//! at least 200 calls/s with 16 concurrent callers, revocation effective under 1 s. The bench fails (exit
//! code 1) when a target is missed, so a regression is visible.

use std::time::{Duration, Instant};

use koprik_e2e::{demo, person_request, Sandbox};
use koprik_proto::registry::{AccessGround, GrantStatus, UpdateGrantRequest};
use koprik_proto::tonic::Code;

const SEQUENTIAL_CALLS: usize = 500;
const CONCURRENT_CALLERS: usize = 16;
const CONCURRENT_DURATION: Duration = Duration::from_secs(5);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut failures = Vec::new();
    let mut sandbox = Sandbox::start().await;
    // Signed once: the signature stays valid for 24 hours, longer than the bench runs.
    let request = sandbox.signed(demo::CONSUMER, person_request(demo::DEMO_PINFL, &["surname", "birth_date"]));

    let first = Instant::now();
    sandbox.call_until_delivered(demo::CONSUMER, request.clone()).await;
    println!("first delivered call after start-up: {:?}", first.elapsed());

    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let start = Instant::now();
        sandbox.call(Some(demo::CONSUMER), request.clone()).await.expect("delivered");
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let (p50, p95, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.95), percentile(&latencies, 0.99));
    println!(
        "sequential: {SEQUENTIAL_CALLS} calls, p50 {p50:?}, p95 {p95:?}, p99 {p99:?}, max {:?}",
        latencies[latencies.len() - 1]
    );
    if p99 > Duration::from_millis(50) {
        failures.push(format!("sequential p99 {p99:?} > 50ms"));
    }

    let deadline = Instant::now() + CONCURRENT_DURATION;
    let mut callers = Vec::new();
    for _ in 0..CONCURRENT_CALLERS {
        let mut client = sandbox.gateway.clone();
        let request = request.clone();
        callers.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                // The sandbox's gateway client presents the demo consumer's client certificate (mTLS).
                client.call(koprik_proto::tonic::Request::new(request.clone())).await.expect("delivered");
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for caller in callers {
        total += caller.await.expect("caller");
    }
    let rate = total as f64 / CONCURRENT_DURATION.as_secs_f64();
    println!("concurrent: {CONCURRENT_CALLERS} callers for {CONCURRENT_DURATION:?}: {total} calls, {rate:.0} calls/s");
    if rate < 200.0 {
        failures.push(format!("throughput {rate:.0}/s < 200/s"));
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
            actor: "bench".into(),
        })
        .await
        .expect("suspended");
    loop {
        match sandbox.call(Some(demo::CONSUMER), request.clone()).await {
            Err(status) if status.code() == Code::PermissionDenied => break,
            _ if start.elapsed() > Duration::from_secs(5) => break,
            _ => {}
        }
    }
    let propagation = start.elapsed();
    println!("suspension effective at the gateway after {propagation:?}");
    if propagation > Duration::from_secs(1) {
        failures.push(format!("revocation took {propagation:?} > 1s"));
    }
    sandbox.stop().await;

    if !failures.is_empty() {
        eprintln!("targets missed: {}", failures.join("; "));
        std::process::exit(1);
    }
}
