//! The platform's topic names and how each is created. One place, so no service spells a topic by hand.

use std::time::Duration;

/// Every change in the registry (compacted: the latest state per entity).
pub const REGISTRY_EVENTS: &str = "registry.events";
/// One record per exchange outcome at the gateway (long retention).
pub const EXCHANGE_AUDIT: &str = "exchange.audit";
/// One `UsageRecord` per delivered DDP exchange, keyed by the consumer's member (the billed account); read by
/// billing, which counts each request id once.
pub const EXCHANGE_USAGE: &str = "exchange.usage";
/// Whether each DDP account is in good standing (compacted: the latest standing per account), from billing.
pub const BILLING_ACCOUNT_STATUS: &str = "billing.account-status";
/// Invoice events (issued, paid, overdue, voided) for finance systems, keyed by account; from billing.
pub const BILLING_INVOICES: &str = "billing.invoices";
/// Every recorded contract (compacted: the latest state per contract reference), from billing; the Open Data
/// Portal reads it to tie API keys to contracts.
pub const BILLING_CONTRACTS: &str = "billing.contracts";
/// Payment events (received, matched, refunded), keyed by account; from billing.
pub const BILLING_PAYMENTS: &str = "billing.payments";
/// Notifications of suppliers by the Open Data Portal (proposals forwarded, updates overdue, users' messages).
pub const OPENDATA_NOTIFICATIONS: &str = "opendata.notifications";

/// Requests for the services of one provider member, read only by that provider's adapter.
pub fn exchange_requests(provider_member_code: &str) -> String {
    format!("exchange.requests.{provider_member_code}")
}

/// Replies addressed to one gateway instance.
pub fn exchange_replies(gateway_instance: &str) -> String {
    format!("exchange.replies.{gateway_instance}")
}

/// The reply "instance" of submitted (asynchronous) requests: their answers go to `exchange.replies.async`,
/// read by every gateway replica in one consumer group. No gateway replica may be named so.
pub const ASYNC_REPLIES_INSTANCE: &str = "async";

/// Where the answers to submitted (asynchronous) requests go.
pub const EXCHANGE_REPLIES_ASYNC: &str = "exchange.replies.async";

/// Answers to submitted requests wait on the topic until a gateway stored them; a day covers a gateway outage.
pub const ASYNC_REPLY_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// True when `topic` is a reply topic `exchange.replies.<instance>` with a well-formed instance name (1-63
/// lower-case letters, digits or '-'): an adapter produces replies nowhere else.
pub fn is_exchange_replies(topic: &str) -> bool {
    topic.strip_prefix("exchange.replies.").is_some_and(|instance| {
        (1..=63).contains(&instance.len())
            && instance.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

/// Where a consumer puts what it could not process from `topic`.
pub fn dead_letters(topic: &str) -> String {
    format!("{topic}.dlq")
}

/// How a topic is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// The topic name.
    pub name: String,
    /// `cleanup.policy=compact`: keep the latest record per key.
    pub compacted: bool,
    /// `retention.ms`; `None` keeps the broker's default.
    pub retention: Option<Duration>,
}

impl TopicSpec {
    /// A topic with the broker's default retention.
    pub fn plain(name: impl Into<String>) -> Self {
        Self { name: name.into(), compacted: false, retention: None }
    }

    /// A compacted topic.
    pub fn compacted(name: impl Into<String>) -> Self {
        Self { compacted: true, ..Self::plain(name) }
    }

    /// A topic whose records are deleted after `retention`.
    pub fn retained(name: impl Into<String>, retention: Duration) -> Self {
        Self { retention: Some(retention), ..Self::plain(name) }
    }
}

/// Request topics carry personal data: keep them an hour, long enough to replay after an adapter restart.
pub const REQUEST_RETENTION: Duration = Duration::from_secs(60 * 60);
/// Replies are only useful while the gateway waits.
pub const REPLY_RETENTION: Duration = Duration::from_secs(60 * 60);
/// Usage records are invoices' evidence: kept as long as the audit trail.
pub const USAGE_RETENTION: Duration = AUDIT_RETENTION;
/// The audit trail outlives everything else: five years.
pub const AUDIT_RETENTION: Duration = Duration::from_secs(5 * 365 * 24 * 60 * 60);

/// Every topic the platform uses, with the specification its owning service would create it with: the fixed
/// topics, each provider's request topic and its dead letters (`providers` are member codes, e.g. `201122919`),
/// and one reply topic per gateway instance. For operators who create topics before the services start
/// (`koprik topics ensure`, or Strimzi `KafkaTopic` resources in the Helm chart, which must list the same).
pub fn platform_topics(providers: &[&str], gateway_instances: &[&str]) -> Vec<TopicSpec> {
    let mut topics = vec![
        TopicSpec::compacted(REGISTRY_EVENTS),
        TopicSpec::retained(EXCHANGE_AUDIT, AUDIT_RETENTION),
        TopicSpec::retained(EXCHANGE_USAGE, USAGE_RETENTION),
        TopicSpec::plain(dead_letters(EXCHANGE_USAGE)),
        TopicSpec::plain(dead_letters(EXCHANGE_AUDIT)),
        TopicSpec::retained(EXCHANGE_REPLIES_ASYNC, ASYNC_REPLY_RETENTION),
        TopicSpec::compacted(BILLING_ACCOUNT_STATUS),
        TopicSpec::plain(dead_letters(BILLING_ACCOUNT_STATUS)),
        TopicSpec::plain(BILLING_INVOICES),
        TopicSpec::plain(BILLING_PAYMENTS),
        TopicSpec::compacted(BILLING_CONTRACTS),
        TopicSpec::plain(OPENDATA_NOTIFICATIONS),
    ];
    for provider in providers {
        let requests = exchange_requests(provider);
        topics.push(TopicSpec::retained(dead_letters(&requests), REQUEST_RETENTION));
        topics.push(TopicSpec::retained(requests, REQUEST_RETENTION));
    }
    for instance in gateway_instances {
        topics.push(TopicSpec::retained(exchange_replies(instance), REPLY_RETENTION));
    }
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_topics_cover_every_provider_and_gateway() {
        let topics = platform_topics(&["201122919"], &["koprik-gateway-0"]);
        let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
        for name in [
            "exchange.requests.201122919",
            "exchange.requests.201122919.dlq",
            "exchange.replies.koprik-gateway-0",
            REGISTRY_EVENTS,
            EXCHANGE_AUDIT,
            "exchange.audit.dlq",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        let audit = topics.iter().find(|t| t.name == EXCHANGE_AUDIT).expect("the audit topic");
        assert_eq!(audit.retention, Some(AUDIT_RETENTION));
        assert!(topics.iter().find(|t| t.name == REGISTRY_EVENTS).is_some_and(|t| t.compacted));
    }

    #[test]
    fn only_well_formed_reply_topics_are_reply_topics() {
        assert!(is_exchange_replies(&exchange_replies("gateway-1")));
        for bad in
            ["exchange.replies.", "exchange.replies.gw.dlq", "exchange.replies.GW", "exchange.audit", "registry.events"]
        {
            assert!(!is_exchange_replies(bad), "{bad}");
        }
    }
}
