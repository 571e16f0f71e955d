//! The headers every Ko'prik record carries: `traceparent` (W3C trace context), `koprik-event-id` (the
//! idempotency key) and `koprik-type` (the full protobuf name of the value).

use rand::Rng;
use rdkafka::message::{Header, Headers, OwnedHeaders};

/// Header with the W3C trace context of the operation that produced the record.
pub const TRACEPARENT: &str = "traceparent";
/// Header with the record's unique id (UUIDv7); consumers use it to process a record once.
pub const EVENT_ID: &str = "koprik-event-id";
/// Header with the full protobuf message name of the value, e.g. `koprik.events.v1.AuditRecord`.
pub const EVENT_TYPE: &str = "koprik-type";

/// The Ko'prik headers of one record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordHeaders {
    /// `koprik-event-id`.
    pub event_id: Option<String>,
    /// `koprik-type`.
    pub event_type: Option<String>,
    /// `traceparent`.
    pub traceparent: Option<String>,
}

impl RecordHeaders {
    /// Reads the Ko'prik headers, ignoring any others.
    pub fn read(headers: Option<&impl Headers>) -> Self {
        let mut out = Self::default();
        let Some(headers) = headers else { return out };
        for header in headers.iter() {
            let value = header.value.and_then(|v| std::str::from_utf8(v).ok()).map(str::to_owned);
            match header.key {
                EVENT_ID => out.event_id = value,
                EVENT_TYPE => out.event_type = value,
                TRACEPARENT => out.traceparent = value,
                _ => {}
            }
        }
        out
    }

    /// The headers as librdkafka wants them.
    pub(crate) fn to_owned_headers(&self) -> OwnedHeaders {
        let mut headers = OwnedHeaders::new();
        for (key, value) in
            [(TRACEPARENT, &self.traceparent), (EVENT_ID, &self.event_id), (EVENT_TYPE, &self.event_type)]
        {
            if let Some(value) = value {
                headers = headers.insert(Header { key, value: Some(value.as_str()) });
            }
        }
        headers
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
