//! Usage records: one `UsageRecord` on `exchange.usage` for every delivered DDP exchange, the evidence billing
//! prices by the consumer's contract (A2 §11, R516 §4b: DDP access is paid per request). IIP exchanges are free
//! and refused or failed ones are not delivered, so neither produces one.
//!
//! Written before the audit record and before the answer is returned: a usage record that cannot be written fails
//! the call (nothing unbilled is delivered), and its audit record then says PLATFORM_ERROR.

use chrono::{DateTime, Utc};
use koprik_kafka::topics::EXCHANGE_USAGE;
use koprik_kafka::{KafkaError, Producer};
use koprik_proto::events::UsageRecord;
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::Platform;
use koprik_proto::time::timestamp;

use crate::cache::CachedGrant;

/// The usage record of a delivered exchange under `grant`, or `None` when the grant is not on the DDP.
pub fn record(
    gateway: &str,
    request_id: &str,
    consumer: &SubsystemId,
    service: &ServiceId,
    grant: &CachedGrant,
    data_items: &[String],
    received_at: DateTime<Utc>,
) -> Option<UsageRecord> {
    if grant.platform != Platform::Ddp {
        return None;
    }
    Some(UsageRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: request_id.to_owned(),
        account: Some(consumer.member().into()),
        consumer: Some(consumer.into()),
        service: Some(service.into()),
        provider: Some(service.provider().into()),
        grant_id: grant.id.clone(),
        contract_reference: grant.contract_reference.clone(),
        data_items: data_items.to_vec(),
        received_at: Some(timestamp(received_at)),
        answered_at: Some(timestamp(Utc::now())),
        gateway: gateway.to_owned(),
    })
}

/// Writes usage records, waiting for the broker's acknowledgement.
#[derive(Clone)]
pub struct UsageWriter {
    producer: Producer,
}

impl UsageWriter {
    /// A writer producing with `producer`.
    pub fn new(producer: Producer) -> Self {
        Self { producer }
    }

    /// Publishes `record` of `consumer`'s call keyed by the billed account, the consumer's member id.
    pub async fn write(
        &self,
        consumer: &SubsystemId,
        record: &UsageRecord,
        traceparent: &str,
    ) -> Result<(), KafkaError> {
        let account = consumer.member().to_string();
        self.producer.publish(EXCHANGE_USAGE, &account, record, &record.event_id, Some(traceparent)).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(platform: Platform) -> CachedGrant {
        CachedGrant {
            id: "grant-1".into(),
            status: koprik_proto::registry::GrantStatus::Active,
            reason: String::new(),
            ground: String::new(),
            permitted_items: vec!["surname".into()],
            platform,
            contract_reference: "DDP-2026/17".into(),
            max_requests_per_month: 0,
            revision: 1,
        }
    }

    #[test]
    fn only_ddp_grants_produce_usage_attributed_to_account_provider_and_contract() {
        let consumer: SubsystemId = "UZ/COM/207028220/kyc-check".parse().expect("consumer");
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("service");
        let items = vec!["surname".to_owned()];
        let now = Utc::now();
        assert!(record("gw", "r-1", &consumer, &service, &grant(Platform::Iip), &items, now).is_none());
        let usage = record("gw", "r-1", &consumer, &service, &grant(Platform::Ddp), &items, now).expect("DDP");
        assert_eq!(usage.request_id, "r-1");
        assert_eq!(usage.account.expect("account").member_code, "207028220");
        assert_eq!(usage.provider.expect("provider").member_code, "201122919");
        assert_eq!((usage.grant_id.as_str(), usage.contract_reference.as_str()), ("grant-1", "DDP-2026/17"));
        assert_eq!(usage.data_items, items);
        assert_eq!(usage.gateway, "gw");
    }
}
