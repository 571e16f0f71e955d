//! Conversions between protobuf `Timestamp`s and `chrono` times.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

/// The protobuf timestamp of a UTC time.
pub fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        // Always below 1e9 (a leap second shows as an extra second of nanos, which chrono caps at 1_999_999_999).
        nanos: i32::try_from(time.timestamp_subsec_nanos().min(999_999_999)).unwrap_or(0),
    }
}

/// The UTC time of a protobuf timestamp, or `None` when it is out of range.
pub fn datetime(timestamp: &Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    DateTime::from_timestamp(timestamp.seconds, nanos)
}

/// The UTC time of a timestamp from a request; the error names no field, the caller adds it with `within`.
pub fn to_datetime(timestamp: &Timestamp) -> Result<DateTime<Utc>, crate::FieldError> {
    datetime(timestamp).ok_or_else(|| crate::FieldError::new("", "must be a valid timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_to_the_nanosecond() {
        let now = Utc::now();
        assert_eq!(datetime(&timestamp(now)), Some(now));
    }

    #[test]
    fn negative_nanos_are_out_of_range() {
        assert_eq!(datetime(&Timestamp { seconds: 0, nanos: -1 }), None);
    }
}
