//! Waiting for a call to be refused, and checking how it was: what the revocation and fail-closed tests of every
//! service do (a certificate revoked, the broker gone, the registry silent), written once.

use std::future::Future;
use std::time::{Duration, Instant};

use koprik_proto::tonic::{Code, Status};

/// Calls `call` until it is refused and returns the refusal. Every admission must have been sent less than
/// `admitted_for` after `since` (the moment the cause was set: revocation published, broker killed, heartbeats
/// stopped), or the test fails naming how late it still was; between calls it waits `pause`.
pub async fn first_refusal<T, F, Fut>(since: Instant, admitted_for: Duration, pause: Duration, mut call: F) -> Status
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    loop {
        // Measured when the call is sent: an admission may check a state read just before the cause was set.
        let sent = since.elapsed();
        match call().await {
            Ok(_) => {
                assert!(sent < admitted_for, "still admitted {sent:?} after the cause (allowed: {admitted_for:?})");
                tokio::time::sleep(pause).await;
            }
            Err(status) => return status,
        }
    }
}

/// Asserts that `status` has `code` and names both the `method` and the `rule` that refused it.
pub fn assert_refused(status: &Status, code: Code, method: &str, rule: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(method), "the refusal names the method {method}: {}", status.message());
    assert!(status.message().contains(rule), "the refusal names the rule ({rule}): {}", status.message());
}
