//! API keys of commercial users and the metering of their requests (OD §8, §21; see
//! [`crate::commercial_access`]).

use chrono::{DateTime, Utc};
use koprik_kafka::topics::EXCHANGE_USAGE;
use koprik_proto::events::UsageRecord;
use koprik_proto::ids::SubsystemId;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Repository;
use crate::commercial_access::{contract_allows, new_secret, secret_hash};
use crate::error::{OpendataError, Result};
use crate::store::api_key;

/// A stored key (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// A UUIDv7.
    pub id: String,
    /// The billing contract.
    pub contract_reference: String,
    /// The consumer subsystem id.
    pub consumer: String,
    /// The holder's label.
    pub label: String,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who issued it (`<role>:<principal>` of the certificate).
    pub issued_by: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// A key just issued, with its secret (shown once).
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// The key.
    pub key: ApiKeyRecord,
    /// The secret.
    pub secret: String,
}

fn record(row: api_key::Model) -> ApiKeyRecord {
    ApiKeyRecord {
        id: row.id,
        contract_reference: row.contract_reference,
        consumer: row.consumer,
        label: row.label,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        issued_by: row.issued_by,
        revoked_by: row.revoked_by,
    }
}

impl Repository {
    /// Issues a key for `consumer` under `contract_reference`, as `actor`: only under a contract billing recorded
    /// whose account is the consumer's organisation and that is in force today, Tashkent time
    /// ([`contract_allows`]); FAILED_PRECONDITION naming `contract_reference` otherwise, and nothing is stored.
    pub async fn issue_api_key(
        &self,
        contract_reference: &str,
        consumer: &SubsystemId,
        label: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedKey> {
        let txn = self.begin().await?;
        let contract = super::contracts::find(&txn, contract_reference).await?;
        let today = koprik_calendar::local_date(now);
        contract_allows(contract_reference, contract.as_ref(), consumer, today)
            .map_err(OpendataError::FailedPrecondition)?;
        let secret = new_secret();
        let row = api_key::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            secret_sha256: Set(secret_hash(&secret)),
            contract_reference: Set(contract_reference.to_owned()),
            consumer: Set(consumer.to_string()),
            label: Set(label.to_owned()),
            created_at: Set(now),
            revoked_at: Set(None),
            issued_by: Set(Some(actor.to_owned())),
            revoked_by: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(key = %row.id, contract = contract_reference, consumer = %consumer, actor, "API key issued");
        Ok(IssuedKey { key: record(row), secret })
    }

    /// The key `id`.
    pub async fn api_key(&self, id: &str) -> Result<ApiKeyRecord> {
        api_key::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .map(record)
            .ok_or_else(|| OpendataError::NotFound(format!("API key {id:?}")))
    }

    /// Revokes a key, as `actor`; revoking a revoked key returns it unchanged.
    pub async fn revoke_api_key(&self, id: &str, actor: &str, now: DateTime<Utc>) -> Result<ApiKeyRecord> {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(now))
            .col_expr(api_key::Column::RevokedBy, Expr::value(actor))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        api_key::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .map(record)
            .ok_or_else(|| OpendataError::NotFound(format!("API key {id:?}")))
    }

    /// Every key, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        Ok(api_key::Entity::find()
            .order_by_desc(api_key::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record)
            .collect())
    }

    /// The live key with this secret. BadApiKey when unknown or revoked.
    pub async fn api_key_by_secret(&self, secret: &str) -> Result<ApiKeyRecord> {
        api_key::Entity::find()
            .filter(api_key::Column::SecretSha256.eq(secret_hash(secret)))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
            .map(record)
            .ok_or(OpendataError::BadApiKey)
    }

    /// Writes a usage record for billing to the outbox (keyed by the billed account, as on `exchange.usage`).
    pub async fn meter(&self, usage: &UsageRecord) -> Result<()> {
        let account = usage
            .account
            .as_ref()
            .map(|m| format!("{}/{}/{}", m.instance, m.member_class, m.member_code))
            .unwrap_or_default();
        let txn = self.begin().await?;
        koprik_outbox::enqueue(&txn, EXCHANGE_USAGE, &account, &usage.event_id, usage, None).await?;
        self.commit(txn).await
    }
}
