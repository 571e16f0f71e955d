//! The access changes nobody has to type: DDP access is suspended when billing reports an account overdue and
//! reinstated when it is current again (A2 §25, from `billing.account-status`), and terminated when the contract
//! expires (A2 §26, a periodic sweep). Each goes through the same closed-list checks and history as an operator's.

use std::time::Duration;

use chrono::Utc;
use koprik_kafka::consumer::{commit, group_consumer};
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::BorrowedMessage;
use koprik_kafka::rdkafka::Message;
use koprik_kafka::topics::BILLING_ACCOUNT_STATUS;
use koprik_kafka::{decode, KafkaConfig, Producer};
use koprik_proto::events::{AccountStanding, AccountStatusEvent};
use koprik_proto::ids::MemberId;
use koprik_proto::registry::OfficialNotice;
use koprik_proto::time::datetime;
use tokio_util::sync::CancellationToken;

use crate::calendar::local_date;
use crate::config::AccessConfig;
use crate::error::RegistryError;
use crate::repository::Repository;

/// How long to wait before retrying an event whose change could not be stored.
const RETRY: Duration = Duration::from_secs(1);

/// Applies `billing.account-status` events until `shutdown`; each record's offset is committed after its change
/// is stored, and a record that cannot be read goes to the dead-letter topic.
pub async fn follow_account_status(
    kafka: KafkaConfig,
    config: AccessConfig,
    repository: Repository,
    producer: Producer,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let consumer: StreamConsumer = group_consumer(&kafka, &config.account_status_group, &[BILLING_ACCOUNT_STATUS])?;
    loop {
        let record = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            record = consumer.recv() => record,
        };
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                tracing::warn!(%error, "cannot read billing.account-status");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        loop {
            match apply(&repository, &record).await {
                Ok(()) => break,
                Err(Unreadable(reason)) => {
                    tracing::warn!(%reason, offset = record.offset(), "unreadable account status; dead-lettered");
                    if let Err(error) = producer.dead_letter(&record, &reason).await {
                        tracing::error!(%error, "cannot dead-letter; the record will be read again after a restart");
                        return Ok(());
                    }
                    break;
                }
                Err(Failed(error)) => {
                    tracing::warn!(%error, "cannot apply an account status; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(RETRY) => {}
                    }
                }
            }
        }
        if let Err(error) = commit(&consumer, &record) {
            tracing::warn!(%error, "cannot commit; the account status may be applied again (it is idempotent)");
        }
    }
}

enum ApplyError {
    Unreadable(String),
    Failed(RegistryError),
}
use ApplyError::{Failed, Unreadable};

async fn apply(repository: &Repository, record: &BorrowedMessage<'_>) -> Result<(), ApplyError> {
    let event = decode::<AccountStatusEvent>(record).map_err(|e| Unreadable(e.to_string()))?.value;
    let account: MemberId = koprik_proto::field::required(event.account.as_ref(), "account")
        .map_err(|e| Unreadable(format!("AccountStatusEvent.{e}")))?;
    match AccountStanding::try_from(event.standing).unwrap_or_default() {
        AccountStanding::Overdue => {
            let at = event.occurred_at.as_ref().and_then(datetime).unwrap_or_else(Utc::now);
            let notice = OfficialNotice {
                number: format!("billing/{}", event.event_id),
                issued_on: local_date(at).to_string(),
                signed_by: "Ko'prik billing (automatic)".into(),
            };
            let reason =
                if event.reason.trim().is_empty() { "payment under the contract is late" } else { &event.reason };
            let changed = repository.suspend_for_late_payment(&account, reason, &notice).await.map_err(Failed)?;
            tracing::info!(account = %account, suspended = changed, "DDP access suspended for late payment");
        }
        AccountStanding::Current => {
            let changed = repository.reinstate_after_payment(&account).await.map_err(Failed)?;
            tracing::info!(account = %account, reinstated = changed, "late-payment suspensions lifted");
        }
        AccountStanding::Unspecified => return Err(Unreadable("AccountStatusEvent.standing is unspecified".into())),
    }
    Ok(())
}

/// Terminates DDP grants whose contract ended, every `interval` until `shutdown`.
pub async fn sweep_expired_contracts(repository: Repository, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        match repository.terminate_expired_contracts(Utc::now()).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "DDP grants terminated on contract expiry"),
            Err(error) => tracing::warn!(%error, "contract expiry sweep failed; retrying at the next tick"),
        }
    }
}
