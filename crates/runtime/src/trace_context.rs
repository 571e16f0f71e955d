//! W3C trace context across process boundaries: a span continues the trace named by an incoming `traceparent`
//! (gRPC metadata, a Kafka header), and the `traceparent` passed on names the span that sends it. One consumer
//! call is thereby one trace: gateway → request topic → adapter → backend → reply topic → gateway, with the usage
//! record and billing's metering in the same trace.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use rand::Rng;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header and metadata key.
pub const TRACEPARENT: &str = "traceparent";

/// Makes `span` a child of the remote span `traceparent` names. An absent or malformed value leaves `span` where
/// it is (a new trace, or under the current span).
pub fn continue_from(span: &Span, traceparent: Option<&str>) {
    let Some(remote) = remote_context(traceparent) else { return };
    // Fails only when the span was already started or traces are not installed: nothing to do about either.
    drop(span.set_parent(remote));
}

/// Adds a link from `span` to the remote span `traceparent` names: for work done for many traces at once.
pub fn link_to(span: &Span, traceparent: Option<&str>) {
    if let Some(remote) = remote_context(traceparent) {
        span.add_link(remote.span().span_context().clone());
    }
}

/// The `traceparent` to pass on from `span`: the span's own, or, in a process without traces installed, a child of
/// `incoming` (a new trace when it is absent or malformed), so a caller's trace survives a process that exports
/// nothing.
pub fn pass_on(span: &Span, incoming: Option<&str>) -> String {
    traceparent_of(span).unwrap_or_else(|| child_traceparent(incoming))
}

/// A new W3C `traceparent` starting a trace: version 00, random trace and span ids, sampled.
pub fn new_traceparent() -> String {
    let mut rng = rand::rng();
    let trace: u128 = rng.random_range(1..=u128::MAX);
    let span: u64 = rng.random_range(1..=u64::MAX);
    format!("00-{trace:032x}-{span:016x}-01")
}

/// The same trace as `parent` with a new span id, or a new trace when `parent` is not a valid `traceparent`.
pub fn child_traceparent(parent: Option<&str>) -> String {
    let Some(parent) = parent.filter(|p| is_valid_traceparent(p)) else {
        return new_traceparent();
    };
    let span: u64 = rand::rng().random_range(1..=u64::MAX);
    format!("{}-{span:016x}-{}", &parent[..35], &parent[53..])
}

/// `00-<32 hex trace id, not all zero>-<16 hex span id, not all zero>-<2 hex flags>`.
pub fn is_valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex =
        |s: &str, len: usize| s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    parts.len() == 4
        && parts[0] == "00"
        && hex(parts[1], 32)
        && parts[1].chars().any(|c| c != '0')
        && hex(parts[2], 16)
        && parts[2].chars().any(|c| c != '0')
        && hex(parts[3], 2)
}

/// The `traceparent` naming `span`, to pass on; `None` when traces are not installed in this process.
pub fn traceparent_of(span: &Span) -> Option<String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The trace id of `span` as 32 hex digits, for logs; `None` when traces are not installed.
pub fn trace_id_of(span: &Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| span_context.trace_id().to_string())
}

fn remote_context(traceparent: Option<&str>) -> Option<opentelemetry::Context> {
    let value = traceparent?;
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), value.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn traced<T>(f: impl FnOnce() -> T) -> T {
        use opentelemetry::trace::TracerProvider as _;
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, f)
    }

    #[test]
    fn new_traceparents_are_valid() {
        for _ in 0..100 {
            let value = new_traceparent();
            assert!(is_valid_traceparent(&value), "{value}");
        }
    }

    #[test]
    fn a_child_keeps_the_trace_and_changes_the_span() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let child = child_traceparent(Some(parent));
        assert!(is_valid_traceparent(&child));
        assert_eq!(&child[..35], &parent[..35]);
        assert_ne!(&child[36..52], &parent[36..52]);
        assert_eq!(&child[53..], "01");
    }

    #[test]
    fn invalid_parents_start_a_new_trace() {
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-0000-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert!(!is_valid_traceparent(bad), "{bad}");
            assert!(is_valid_traceparent(&child_traceparent(Some(bad))));
        }
    }

    #[test]
    fn without_traces_installed_a_child_of_the_incoming_trace_is_passed_on() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let outgoing = pass_on(&tracing::info_span!("work"), Some(incoming));
        assert_eq!(&outgoing[..36], &incoming[..36]);
        assert_ne!(outgoing, incoming);
    }

    #[test]
    fn a_span_continues_the_incoming_trace_and_names_itself_onwards() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let outgoing = traced(|| {
            let span = tracing::info_span!("work");
            continue_from(&span, Some(incoming));
            traceparent_of(&span)
        })
        .expect("a traceparent");
        assert!(outgoing.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{outgoing}");
        assert!(!outgoing.contains("00f067aa0ba902b7"), "a new span id: {outgoing}");
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace() {
        let outgoing = traced(|| {
            let span = tracing::info_span!("work");
            continue_from(&span, Some("not-a-traceparent"));
            traceparent_of(&span)
        })
        .expect("a traceparent");
        assert!(is_valid_traceparent(&outgoing), "{outgoing}");
    }

    #[test]
    fn without_traces_installed_nothing_is_passed_on() {
        let span = tracing::info_span!("work");
        assert_eq!(traceparent_of(&span), None);
    }
}
