//! Access grants: create (directly or at connection), read, list, change status with the closed-list grounds,
//! and the automatic changes: suspension on late payment, reinstatement on payment, termination on expiry.

use chrono::{DateTime, Utc};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::prost::Message;
use koprik_proto::registry::{
    AccessGround, Contract, DataClassification, DataItemApproval, Grant, GrantChange, GrantStatus, OfficialNotice,
    OrganizationRole, Platform,
};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{fetch_page, find, mapping, member_roles, page_query, update_versioned, Repository, Versioned};
use crate::domain::data_item_access::{self, Permission};
use crate::domain::ddp_contract;
use crate::domain::grant_lifecycle::{check_transition, Change, TransitionError};
use crate::domain::organization::may_consume;
use crate::domain::paging::Page;
use crate::error::RegistryError;
use crate::events;
use crate::store::grant::{ActiveModel, Column, Entity, Model};
use crate::store::{data_item, service, subsystem};

/// What a new grant is made of, before the registry checks it.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    /// The consumer subsystem.
    pub consumer: SubsystemId,
    /// The web service.
    pub service: ServiceId,
    /// Item codes asked for (empty: every ordinary and personal item).
    pub permitted_items: Vec<String>,
    /// Approvals for bank-secret and protected-persons items.
    pub approvals: Vec<DataItemApproval>,
    /// DDP: the contract as sent.
    pub contract: Option<Contract>,
    /// The connection application, or empty.
    pub application_id: String,
    /// Who grants it.
    pub actor: String,
    /// The monthly maximum of requests the consumer declared (A1 Ap2, A2 Ap2); 0 for none.
    pub max_requests_per_month: u32,
}

/// The platform a consumer organisation is on, from its role.
pub(super) fn platform_of(roles: &[OrganizationRole]) -> Option<Platform> {
    if roles.contains(&OrganizationRole::IipConsumer) {
        Some(Platform::Iip)
    } else if roles.contains(&OrganizationRole::DdpConsumer) {
        Some(Platform::Ddp)
    } else {
        None
    }
}

/// The data set of a service: item codes and classifications in declared order.
pub(super) async fn service_items<C: ConnectionTrait>(
    db: &C,
    service: &ServiceId,
) -> Result<Vec<(String, DataClassification)>, RegistryError> {
    find::<service::Entity, _>(db, &service.to_string())
        .await
        .map_err(|_| RegistryError::FailedPrecondition(format!("service {service} is not registered")))?;
    Ok(data_item::Entity::find()
        .filter(data_item::Column::ServiceId.eq(service.to_string()))
        .order_by_asc(data_item::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|item| (item.code, DataClassification::from_str_name(&item.classification).unwrap_or_default()))
        .collect())
}

/// The stored terms document of a grant.
fn terms(
    approvals: Vec<DataItemApproval>,
    contract: Option<Contract>,
    notice: Option<OfficialNotice>,
    history: Vec<GrantChange>,
) -> Vec<u8> {
    Grant { approvals, contract, notice, history, ..Default::default() }.encode_to_vec()
}

/// Inserts a checked grant inside `txn` and enqueues its event.
pub(super) async fn insert_grant(txn: &DatabaseTransaction, request: GrantRequest) -> Result<Grant, RegistryError> {
    let GrantRequest { consumer, service, .. } = &request;
    let roles = member_roles(txn, consumer.member()).await?;
    if !may_consume(&roles) {
        return Err(RegistryError::FailedPrecondition(format!(
            "organisation {} has neither the IIP_CONSUMER nor the DDP_CONSUMER role",
            consumer.member()
        )));
    }
    let platform = platform_of(&roles).unwrap_or(Platform::Unspecified);
    find::<subsystem::Entity, _>(txn, &consumer.to_string())
        .await
        .map_err(|_| RegistryError::FailedPrecondition(format!("subsystem {consumer} is not registered")))?;
    let items = service_items(txn, service).await?;
    let Permission { items: permitted, approvals } =
        data_item_access::permit(&items, &request.permitted_items, &request.approvals)?;
    let now = Utc::now();
    let (contract, valid_until) = match platform {
        Platform::Ddp => {
            let (contract, end) = ddp_contract::check(request.contract.as_ref(), now)?;
            (Some(contract), Some(end))
        }
        _ => (None, None),
    };
    let live = Entity::find()
        .filter(Column::ConsumerId.eq(consumer.to_string()))
        .filter(Column::ServiceId.eq(service.to_string()))
        .filter(Column::Status.ne(GrantStatus::Revoked.as_str_name()))
        .one(txn)
        .await?;
    if let Some(live) = live {
        return Err(RegistryError::AlreadyExists {
            kind: Entity::KIND,
            id: format!("{} ({consumer} → {service})", live.id),
        });
    }
    let created = GrantChange {
        status: GrantStatus::Active as i32,
        reason: "granted".into(),
        actor: request.actor.clone(),
        at: Some(timestamp(now)),
        ..Default::default()
    };
    let id = uuid::Uuid::now_v7().to_string();
    let row = ActiveModel {
        id: Set(id.clone()),
        consumer_id: Set(consumer.to_string()),
        service_id: Set(service.to_string()),
        status: Set(GrantStatus::Active.as_str_name().to_owned()),
        reason: Set(String::new()),
        platform: Set(platform.as_str_name().to_owned()),
        permitted_items: Set(permitted.join(",")),
        application_id: Set(request.application_id.clone()),
        ground: Set(String::new()),
        valid_until: Set(valid_until),
        max_requests_per_month: Set(i64::from(request.max_requests_per_month)),
        terms: Set(Some(terms(approvals, contract, None, vec![created]))),
        revision: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| crate::error::on_insert(e, Entity::KIND, &format!("{consumer} → {service}")))?;
    let grant = mapping::grant(&row)?;
    events::enqueue(txn, &grant).await?;
    tracing::info!(grant = %id, consumer = %consumer, service = %service, actor = %request.actor, "access granted");
    Ok(grant)
}

/// Applies a checked status change to `row` inside `txn`, recording it in the grant's history.
async fn change_grant(
    txn: &DatabaseTransaction,
    row: &Model,
    change: Change<'_>,
    actor: &str,
    expected_revision: i64,
) -> Result<Grant, RegistryError> {
    let current = mapping::grant(row)?;
    let platform = Platform::try_from(current.platform).unwrap_or_default();
    let status = GrantStatus::try_from(current.status).unwrap_or_default();
    let checked = check_transition(platform, status, change).map_err(|e| match e {
        TransitionError::Invalid(field) => RegistryError::Invalid(field),
        TransitionError::Final => RegistryError::FailedPrecondition(e.to_string()),
    })?;
    let now = Utc::now();
    if change.next == GrantStatus::Active {
        if let Some(end) = row.valid_until.filter(|end| *end <= now) {
            return Err(RegistryError::FailedPrecondition(format!(
                "the grant's contract expired at {end}; a new contract and connection are needed"
            )));
        }
    }
    let mut history = current.history;
    history.push(GrantChange {
        status: change.next as i32,
        ground: checked.ground as i32,
        reason: change.reason.trim().to_owned(),
        notice: checked.notice.clone(),
        actor: actor.to_owned(),
        at: Some(timestamp(now)),
    });
    let ground = if checked.ground == AccessGround::Unspecified { "" } else { checked.ground.as_str_name() };
    let changes = Entity::update_many()
        .col_expr(Column::Status, Expr::value(change.next.as_str_name()))
        .col_expr(Column::Reason, Expr::value(change.reason.trim()))
        .col_expr(Column::Ground, Expr::value(ground))
        .col_expr(Column::Terms, Expr::value(terms(current.approvals, current.contract, checked.notice, history)));
    let updated = update_versioned(txn, &row.id, expected_revision, row.revision, changes).await?;
    let grant = mapping::grant(&updated)?;
    events::enqueue(txn, &grant).await?;
    tracing::info!(grant = %row.id, status = change.next.as_str_name(), ground, actor, "grant status changed");
    Ok(grant)
}

impl Repository {
    /// Grants access directly (an operator's decision outside an application); the grant starts ACTIVE.
    pub async fn create_grant(&self, request: GrantRequest) -> Result<Grant, RegistryError> {
        let txn = self.begin().await?;
        let grant = insert_grant(&txn, request).await?;
        self.commit(txn).await?;
        Ok(grant)
    }

    /// One grant.
    pub async fn get_grant(&self, id: &str) -> Result<Grant, RegistryError> {
        mapping::grant(&find::<Entity, _>(&self.db, id).await?)
    }

    /// A page of grants in id order, optionally of one consumer and/or one service.
    pub async fn list_grants(
        &self,
        page: &Page,
        consumer: Option<&SubsystemId>,
        service: Option<&ServiceId>,
    ) -> Result<(Vec<Grant>, String), RegistryError> {
        let mut query = page_query::<Entity>(page);
        if let Some(consumer) = consumer {
            query = query.filter(Column::ConsumerId.eq(consumer.to_string()));
        }
        if let Some(service) = service {
            query = query.filter(Column::ServiceId.eq(service.to_string()));
        }
        fetch_page(&self.db, page, query, |r| &r.id, mapping::grant).await
    }

    /// Suspends, reinstates or terminates a grant.
    pub async fn update_grant(
        &self,
        id: &str,
        change: Change<'_>,
        actor: &str,
        expected_revision: i64,
    ) -> Result<Grant, RegistryError> {
        let txn = self.begin().await?;
        let row = find::<Entity, _>(&txn, id).await?;
        let grant = change_grant(&txn, &row, change, actor, expected_revision).await?;
        self.commit(txn).await?;
        Ok(grant)
    }

    /// A2 §25: suspends every active DDP grant of `account`'s systems for late payment. Returns how many.
    pub async fn suspend_for_late_payment(
        &self,
        account: &MemberId,
        reason: &str,
        notice: &OfficialNotice,
    ) -> Result<usize, RegistryError> {
        let change = Change {
            next: GrantStatus::Suspended,
            ground: AccessGround::SuspendLatePayment as i32,
            reason,
            notice: Some(notice),
        };
        self.change_all(account_grants(account, GrantStatus::Active, None), change, "billing").await
    }

    /// Lifts the late-payment suspensions of `account` (and only those) once it is in good standing again.
    pub async fn reinstate_after_payment(&self, account: &MemberId) -> Result<usize, RegistryError> {
        let change = Change { next: GrantStatus::Active, ground: 0, reason: "payment received", notice: None };
        let select = account_grants(account, GrantStatus::Suspended, Some(AccessGround::SuspendLatePayment));
        self.change_all(select, change, "billing").await
    }

    /// A2 §26: terminates every live DDP grant whose contract ended by `now`. Returns how many.
    pub async fn terminate_expired_contracts(&self, now: DateTime<Utc>) -> Result<usize, RegistryError> {
        let select = Entity::find()
            .filter(Column::Status.ne(GrantStatus::Revoked.as_str_name()))
            .filter(Column::ValidUntil.lte(now));
        let notice = OfficialNotice {
            number: "automatic".into(),
            issued_on: crate::calendar::local_date(now).to_string(),
            signed_by: "Ko'prik registry (contract term)".into(),
        };
        let change = Change {
            next: GrantStatus::Revoked,
            ground: AccessGround::TerminateContractExpiry as i32,
            reason: "the contract's validity term ended (A2 §26)",
            notice: Some(&notice),
        };
        self.change_all(select, change, "registry").await
    }

    /// Applies `change` to each grant `select` finds, one transaction each, so one failure stops nothing else.
    async fn change_all(
        &self,
        select: sea_orm::Select<Entity>,
        change: Change<'_>,
        actor: &str,
    ) -> Result<usize, RegistryError> {
        let rows = select.all(&self.db).await?;
        let mut changed = 0;
        for row in rows {
            let txn = self.begin().await?;
            let Some(fresh) = Entity::find_by_id(row.id.clone()).one(&txn).await? else { continue };
            match change_grant(&txn, &fresh, change, actor, 0).await {
                Ok(_) => {
                    self.commit(txn).await?;
                    changed += 1;
                }
                Err(error) => tracing::warn!(grant = %row.id, %error, "automatic grant change not applied"),
            }
        }
        Ok(changed)
    }
}

/// The DDP grants of `account`'s systems in `status` (and with `ground`, when given).
fn account_grants(account: &MemberId, status: GrantStatus, ground: Option<AccessGround>) -> sea_orm::Select<Entity> {
    let mut select = Entity::find()
        .filter(Column::ConsumerId.starts_with(format!("{account}/")))
        .filter(Column::Platform.eq(Platform::Ddp.as_str_name()))
        .filter(Column::Status.eq(status.as_str_name()));
    if let Some(ground) = ground {
        select = select.filter(Column::Ground.eq(ground.as_str_name()));
    }
    select
}
