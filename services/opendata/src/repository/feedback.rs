//! Users' messages about data sets and proposals for new ones (OD Annex 3). A proposal naming a known supplier is
//! forwarded to it at once; the others wait for the operator, who must forward each within one day of receipt
//! ([`crate::proposal_forwarding`]). Every forwarding and every message notifies the supplier through the outbox.

use chrono::{DateTime, Utc};
use koprik_kafka::topics::OPENDATA_NOTIFICATIONS;
use koprik_proto::events::{opendata_notification, OpendataNotification};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{Repository, SupplierRecord};
use crate::error::{OpendataError, Result};
use crate::proposal_forwarding;
use crate::store::{message, proposal};
use crate::wire;

/// A message as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The data set's URL name.
    pub dataset: String,
    /// Who writes.
    pub author: String,
    /// How to answer.
    pub contact: String,
    /// The text.
    pub body: String,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// A UUIDv7.
    pub id: String,
    /// The data set's URL name.
    pub dataset: String,
    /// Who wrote.
    pub author: String,
    /// How to answer.
    pub contact: String,
    /// The text.
    pub body: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// A proposal as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProposal {
    /// What data is asked for.
    pub title: String,
    /// Why, and in what detail.
    pub description: String,
    /// The supplier the proposer thinks holds it (may be empty).
    pub suggested_supplier: String,
    /// Who proposes.
    pub author: String,
    /// How to answer.
    pub contact: String,
}

/// A stored proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRecord {
    /// A UUIDv7.
    pub id: String,
    /// What data is asked for.
    pub title: String,
    /// Why.
    pub description: String,
    /// The supplier the proposer named.
    pub suggested_supplier: String,
    /// Who proposed.
    pub author: String,
    /// How to answer.
    pub contact: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it must be forwarded by.
    pub forward_due: DateTime<Utc>,
    /// When it was forwarded.
    pub forwarded_at: Option<DateTime<Utc>>,
    /// To whom.
    pub forwarded_to: Option<String>,
}

impl ProposalRecord {
    /// Not forwarded and past its due moment.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        proposal_forwarding::is_overdue(self.forwarded_at, self.forward_due, now)
    }
}

fn proposal_record(row: proposal::Model) -> ProposalRecord {
    ProposalRecord {
        id: row.id,
        title: row.title,
        description: row.description,
        suggested_supplier: row.suggested_supplier,
        author: row.author,
        contact: row.contact,
        received_at: row.received_at,
        forward_due: row.forward_due,
        forwarded_at: row.forwarded_at,
        forwarded_to: row.forwarded_to,
    }
}

/// Writes a notification of `supplier` to the outbox.
pub(super) async fn notify(
    db: &impl ConnectionTrait,
    supplier: &SupplierRecord,
    kind: opendata_notification::Kind,
    now: DateTime<Utc>,
) -> Result<()> {
    let event_id = uuid::Uuid::now_v7().to_string();
    let event = OpendataNotification {
        event_id: event_id.clone(),
        supplier: supplier.supplier.name.clone(),
        recipient: Some(wire::person(&supplier.supplier.responsible)),
        occurred_at: Some(timestamp(now)),
        kind: Some(kind),
    };
    koprik_outbox::enqueue(db, OPENDATA_NOTIFICATIONS, &supplier.supplier.name, &event_id, &event, None).await?;
    Ok(())
}

impl Repository {
    /// Stores a user's message about a published data set and notifies its supplier.
    pub async fn receive_message(&self, new: NewMessage, now: DateTime<Utc>) -> Result<MessageRecord> {
        let dataset = self.dataset(&new.dataset).await?;
        let supplier = self.supplier(&dataset.passport.supplier).await?;
        let record = MessageRecord {
            id: uuid::Uuid::now_v7().to_string(),
            dataset: new.dataset,
            author: new.author,
            contact: new.contact,
            body: new.body,
            received_at: now,
        };
        let txn = self.begin().await?;
        message::ActiveModel {
            id: Set(record.id.clone()),
            dataset_id: Set(dataset.id.clone()),
            author: Set(record.author.clone()),
            contact: Set(record.contact.clone()),
            body: Set(record.body.clone()),
            received_at: Set(now),
        }
        .insert(&txn)
        .await?;
        notify(&txn, &supplier, opendata_notification::Kind::MessageReceived(wire::message(&record)), now).await?;
        self.commit(txn).await?;
        Ok(record)
    }

    /// Messages, newest first; of one data set when given.
    pub async fn messages(&self, dataset: Option<&str>) -> Result<Vec<MessageRecord>> {
        let mut query = message::Entity::find().order_by_desc(message::Column::ReceivedAt);
        let mut name_of = std::collections::HashMap::new();
        if let Some(name) = dataset {
            let record = self.dataset(name).await?;
            query = query.filter(message::Column::DatasetId.eq(record.id.as_str()));
            name_of.insert(record.id, record.passport.name);
        } else {
            for record in self.datasets(None).await? {
                name_of.insert(record.id, record.passport.name);
            }
        }
        Ok(query
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| MessageRecord {
                dataset: name_of.get(&row.dataset_id).cloned().unwrap_or(row.dataset_id),
                id: row.id,
                author: row.author,
                contact: row.contact,
                body: row.body,
                received_at: row.received_at,
            })
            .collect())
    }

    /// Stores a proposal received at `now`, due for forwarding `forward_within` later; a proposal naming a
    /// registered supplier is forwarded to it at once.
    pub async fn receive_proposal(
        &self,
        new: NewProposal,
        now: DateTime<Utc>,
        forward_within: std::time::Duration,
    ) -> Result<ProposalRecord> {
        let supplier = match new.suggested_supplier.as_str() {
            "" => None,
            name => self.supplier(name).await.ok(),
        };
        let due = proposal_forwarding::forward_due(now, forward_within);
        let mut record = ProposalRecord {
            id: uuid::Uuid::now_v7().to_string(),
            title: new.title,
            description: new.description,
            suggested_supplier: new.suggested_supplier,
            author: new.author,
            contact: new.contact,
            received_at: now,
            forward_due: due,
            forwarded_at: None,
            forwarded_to: None,
        };
        if let Some(supplier) = &supplier {
            record.forwarded_at = Some(now);
            record.forwarded_to = Some(supplier.supplier.name.clone());
        }
        let txn = self.begin().await?;
        proposal::ActiveModel {
            id: Set(record.id.clone()),
            title: Set(record.title.clone()),
            description: Set(record.description.clone()),
            suggested_supplier: Set(record.suggested_supplier.clone()),
            author: Set(record.author.clone()),
            contact: Set(record.contact.clone()),
            received_at: Set(record.received_at),
            forward_due: Set(record.forward_due),
            forwarded_at: Set(record.forwarded_at),
            forwarded_to: Set(record.forwarded_to.clone()),
        }
        .insert(&txn)
        .await?;
        if let Some(supplier) = &supplier {
            let kind = opendata_notification::Kind::ProposalForwarded(wire::proposal(&record, now));
            notify(&txn, supplier, kind, now).await?;
        }
        self.commit(txn).await?;
        Ok(record)
    }

    /// Forwards a proposal to a supplier and notifies it. FAILED_PRECONDITION when already forwarded.
    pub async fn forward_proposal(&self, id: &str, supplier: &str, now: DateTime<Utc>) -> Result<ProposalRecord> {
        let supplier = self.supplier(supplier).await?;
        let txn = self.begin().await?;
        let updated = proposal::Entity::update_many()
            .col_expr(proposal::Column::ForwardedAt, Expr::value(now))
            .col_expr(proposal::Column::ForwardedTo, Expr::value(supplier.supplier.name.clone()))
            .filter(proposal::Column::Id.eq(id))
            .filter(proposal::Column::ForwardedAt.is_null())
            .exec(&txn)
            .await?;
        let row = proposal::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| OpendataError::NotFound(format!("proposal {id:?}")))?;
        let record = proposal_record(row);
        if updated.rows_affected != 1 {
            return Err(OpendataError::FailedPrecondition(format!(
                "proposal {id} was already forwarded to {}",
                record.forwarded_to.as_deref().unwrap_or("?")
            )));
        }
        notify(&txn, &supplier, opendata_notification::Kind::ProposalForwarded(wire::proposal(&record, now)), now)
            .await?;
        self.commit(txn).await?;
        Ok(record)
    }

    /// Proposals, newest first; only those overdue at `now` when asked.
    pub async fn proposals(&self, overdue_only: bool, now: DateTime<Utc>) -> Result<Vec<ProposalRecord>> {
        let mut query = proposal::Entity::find().order_by_desc(proposal::Column::ReceivedAt);
        if overdue_only {
            query = query.filter(proposal::Column::ForwardedAt.is_null()).filter(proposal::Column::ForwardDue.lt(now));
        }
        Ok(query.all(&self.db).await?.into_iter().map(proposal_record).collect())
    }
}
