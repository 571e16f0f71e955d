//! Forwarding proposals (OD Annex 3: the operator forwards each proposal for a new data set to the supplier
//! within one day of receipt). A proposal not forwarded by its due moment is overdue, and stays visible as such
//! (gRPC `ListProposals`, the `koprik_opendata_proposals_overdue` gauge) until it is forwarded.

use chrono::{DateTime, Utc};

/// The moment a proposal received at `received_at` must be forwarded by.
pub fn forward_due(received_at: DateTime<Utc>, within: std::time::Duration) -> DateTime<Utc> {
    received_at + chrono::Duration::from_std(within).unwrap_or(chrono::Duration::days(1))
}

/// Whether a proposal is overdue at `now`.
pub fn is_overdue(forwarded_at: Option<DateTime<Utc>>, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    forwarded_at.is_none() && now > due
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_proposal_is_overdue_one_day_after_receipt_unless_forwarded() {
        let received = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).single().expect("date");
        let due = forward_due(received, std::time::Duration::from_secs(24 * 3600));
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).single().expect("date"));
        assert!(!is_overdue(None, due, due));
        assert!(is_overdue(None, due, due + chrono::Duration::seconds(1)));
        assert!(!is_overdue(Some(received), due, due + chrono::Duration::days(3)));
    }
}
