//! Contracts: recording one (and publishing it on `billing.contracts` in the same transaction) and reading them.

use chrono::Utc;
use koprik_proto::billing as pb;
use koprik_proto::ids::MemberId;
use koprik_proto::prost::Message;
use koprik_proto::time::timestamp;
use koprik_proto::FieldError;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Repository;
use crate::billing_period::parse_date;
use crate::error::{on_insert, BillingError};
use crate::events;
use crate::late_payment::validate_terms;
use crate::store::contract;
use crate::tariff::Tariff;

/// The longest contract reference.
const MAX_REFERENCE: usize = 100;

impl Repository {
    /// Records a contract, as recorded by `actor`; the tariff must be within the legal bounds. The contract is published on
    /// `billing.contracts` through the outbox, in the transaction that records it.
    pub async fn create_contract(
        &self,
        request: &pb::CreateContractRequest,
        actor: &str,
    ) -> Result<pb::Contract, BillingError> {
        let reference = request.reference.trim();
        if reference.is_empty() || reference.len() > MAX_REFERENCE {
            return Err(FieldError::new("reference", format!("must be 1-{MAX_REFERENCE} characters")).into());
        }
        let account: MemberId = koprik_proto::field::required(request.account.as_ref(), "account")?;
        let valid_from = parse_date(&request.valid_from, "valid_from")?;
        let valid_until = parse_date(&request.valid_until, "valid_until")?;
        if valid_until < valid_from {
            return Err(FieldError::new("valid_until", "must not be before valid_from").into());
        }
        let tariff: Tariff = koprik_proto::field::required(request.tariff.as_ref(), "tariff")?;
        validate_terms(request.payment_terms_days)?;
        let now = Utc::now();
        let txn = self.begin().await?;
        let row = contract::ActiveModel {
            reference: Set(reference.to_owned()),
            account: Set(account.to_string()),
            valid_from: Set(valid_from.to_string()),
            valid_until: Set(valid_until.to_string()),
            tariff: Set(tariff.to_proto().encode_to_vec()),
            payment_terms_days: Set(i32::try_from(request.payment_terms_days).unwrap_or(i32::MAX)),
            created_at: Set(now),
            recorded_by: Set(Some(actor.to_owned())),
        }
        .insert(&txn)
        .await
        .map_err(|e| on_insert(e, format!("contract {reference} exists already")))?;
        let recorded = to_proto(row)?;
        events::contract(&txn, &recorded, now).await?;
        self.commit(txn).await?;
        tracing::info!(contract = %recorded.reference, account = %account, actor, "contract recorded");
        Ok(recorded)
    }

    /// One contract.
    pub async fn get_contract(&self, reference: &str) -> Result<pb::Contract, BillingError> {
        to_proto(find(&self.db, reference).await?)
    }

    /// Every contract, or one account's.
    pub async fn list_contracts(&self, account: Option<&MemberId>) -> Result<Vec<pb::Contract>, BillingError> {
        let mut query = contract::Entity::find().order_by_asc(contract::Column::Reference);
        if let Some(account) = account {
            query = query.filter(contract::Column::Account.eq(account.to_string()));
        }
        query.all(&self.db).await?.into_iter().map(to_proto).collect()
    }
}

/// The stored contract `reference`.
pub(super) async fn find<C: ConnectionTrait>(db: &C, reference: &str) -> Result<contract::Model, BillingError> {
    contract::Entity::find_by_id(reference.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| BillingError::NotFound { kind: "contract", id: reference.to_owned() })
}

/// The stored contract's tariff.
pub(super) fn tariff(row: &contract::Model) -> Result<Tariff, BillingError> {
    pb::Tariff::decode(row.tariff.as_slice()).ok().and_then(|t| Tariff::try_from(&t).ok()).ok_or_else(|| {
        BillingError::FailedPrecondition(format!("the stored tariff of contract {} is unreadable", row.reference))
    })
}

/// The wire form of a stored contract.
pub(crate) fn to_proto(row: contract::Model) -> Result<pb::Contract, BillingError> {
    let account: MemberId = row
        .account
        .parse()
        .map_err(|e: FieldError| BillingError::FailedPrecondition(format!("stored contract account: {e}")))?;
    Ok(pb::Contract {
        tariff: Some(tariff(&row)?.to_proto()),
        reference: row.reference,
        account: Some((&account).into()),
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        payment_terms_days: u32::try_from(row.payment_terms_days).unwrap_or_default(),
        currency: "UZS".into(),
        created_at: Some(timestamp(row.created_at)),
    })
}
