//! The DELIVERED audit record the gateway writes beside a usage record: what billing needs to bill it. Shared by
//! the service tests (`common`) and the metering benchmark (`benches/metering.rs`), which include this file.

use koprik_proto::events::{AuditOutcome, AuditRecord, AuditStep, UsageRecord};

/// The DELIVERED audit record of a synchronous call (step CALL) the gateway writes beside `usage`.
pub fn delivered_audit(usage: &UsageRecord) -> AuditRecord {
    AuditRecord {
        event_id: uuid::Uuid::now_v7().to_string(),
        request_id: usage.request_id.clone(),
        gateway: usage.gateway.clone(),
        consumer: usage.consumer.clone(),
        service: usage.service.clone(),
        outcome: AuditOutcome::Delivered as i32,
        data_items: usage.data_items.clone(),
        received_at: usage.received_at,
        completed_at: usage.answered_at,
        chain: usage.gateway.clone(),
        step: AuditStep::Call as i32,
        ..Default::default()
    }
}
