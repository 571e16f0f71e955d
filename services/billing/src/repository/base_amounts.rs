//! The BCA schedule: recording an amount and reading the schedule.

use chrono::{NaiveDate, Utc};
use koprik_proto::billing as pb;
use koprik_proto::time::timestamp;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

use super::{Repository, STATUS_VOID};
use crate::base_amount::{validate_amount, Schedule};
use crate::billing_period::{local_midnight, parse_date, Period};
use crate::error::BillingError;
use crate::store::{base_amount, invoice};

impl Repository {
    /// Records the BCA in force from `effective_from`, as recorded by `actor`. Refused when an invoice of a period
    /// ending on or after that date is issued already, or another amount is recorded for the same date.
    pub async fn set_base_amount(
        &self,
        request: &pb::SetBaseAmountRequest,
        actor: &str,
    ) -> Result<pb::BaseAmount, BillingError> {
        let effective_from = parse_date(&request.effective_from, "effective_from")?;
        validate_amount(request.amount_tiyin)?;
        let decree = request.decree.trim();
        if decree.is_empty() || decree.len() > 200 {
            return Err(koprik_proto::FieldError::new("decree", "must name the decree, 1-200 characters").into());
        }
        let txn = self.begin().await?;
        let affected = invoice::Entity::find()
            .filter(invoice::Column::Period.gte(Period::of(local_midnight(effective_from)).to_string()))
            .filter(invoice::Column::Status.ne(STATUS_VOID))
            .count(&txn)
            .await?;
        if affected > 0 {
            return Err(BillingError::FailedPrecondition(format!(
                "{affected} invoice(s) for periods from {} on are issued already; a BCA from {effective_from} would \
                 change them (void them first)",
                Period::of(local_midnight(effective_from))
            )));
        }
        if let Some(existing) = base_amount::Entity::find_by_id(effective_from.to_string()).one(&txn).await? {
            if existing.amount_tiyin == request.amount_tiyin && existing.decree == decree {
                return Ok(to_proto(existing));
            }
            return Err(BillingError::AlreadyExists(format!(
                "a BCA of {} tiyin is recorded from {effective_from} already (decree {})",
                existing.amount_tiyin, existing.decree
            )));
        }
        let row = base_amount::ActiveModel {
            effective_from: Set(effective_from.to_string()),
            amount_tiyin: Set(request.amount_tiyin),
            decree: Set(decree.to_owned()),
            recorded_at: Set(Utc::now()),
            recorded_by: Set(Some(actor.to_owned())),
        }
        .insert(&txn)
        .await?;
        self.commit(txn).await?;
        tracing::info!(effective_from = %row.effective_from, amount_tiyin = row.amount_tiyin, actor, "base amount recorded");
        Ok(to_proto(row))
    }

    /// Every recorded amount, oldest first.
    pub async fn list_base_amounts(&self) -> Result<Vec<pb::BaseAmount>, BillingError> {
        let rows = base_amount::Entity::find().order_by_asc(base_amount::Column::EffectiveFrom).all(&self.db).await?;
        Ok(rows.into_iter().map(to_proto).collect())
    }

    /// The schedule for pricing.
    pub(super) async fn schedule<C: sea_orm::ConnectionTrait>(db: &C) -> Result<Schedule, BillingError> {
        let rows = base_amount::Entity::find().all(db).await?;
        Ok(Schedule::new(
            rows.into_iter()
                .filter_map(|r| {
                    NaiveDate::parse_from_str(&r.effective_from, "%Y-%m-%d").ok().map(|d| (d, r.amount_tiyin))
                })
                .collect(),
        ))
    }
}

fn to_proto(row: base_amount::Model) -> pb::BaseAmount {
    pb::BaseAmount {
        effective_from: row.effective_from,
        amount_tiyin: row.amount_tiyin,
        decree: row.decree,
        recorded_at: Some(timestamp(row.recorded_at)),
    }
}
