//! The headers every Ko'prik record carries: `traceparent` (W3C trace context), `koprik-event-id` (the
//! idempotency key) and `koprik-type` (the full protobuf name of the value).

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
