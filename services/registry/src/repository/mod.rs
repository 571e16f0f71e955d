//! Reads and writes of registry entities. Every change runs in one database transaction together with its
//! `registry.events` outbox entry, then wakes the relay.

mod announcements;
mod applications;
mod calendar;
mod certificates;
mod grants;
pub mod mapping;
mod organizations;
pub mod public_services;
mod services;
mod signing_keys;
mod subsystems;

use std::sync::Arc;

use chrono::Utc;
use koprik_proto::ids::MemberId;
use koprik_proto::registry::OrganizationRole;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PrimaryKeyTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, TransactionTrait, UpdateMany,
};
use tokio::sync::Notify;

use crate::domain::paging::Page;
use crate::error::RegistryError;
use crate::store::organization;

pub use applications::{ApplicationFilter, StepRequest};
pub use certificates::CertificateFilter;
pub use grants::GrantRequest;

/// The registry's data access, shared by all gRPC calls.
#[derive(Clone)]
pub struct Repository {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

impl Repository {
    /// A repository over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    async fn begin(&self) -> Result<DatabaseTransaction, RegistryError> {
        Ok(self.db.begin().await?)
    }

    /// Commits a change and tells the relay there is something to publish.
    async fn commit(&self, txn: DatabaseTransaction) -> Result<(), RegistryError> {
        txn.commit().await?;
        self.relay.notify_one();
        Ok(())
    }

    /// Writes the registry's heartbeat, timed now, to the outbox behind everything committed so far, and wakes
    /// the relay ([`crate::heartbeat`]).
    pub async fn heartbeat(&self) -> Result<(), RegistryError> {
        let txn = self.begin().await?;
        crate::events::enqueue_heartbeat(&txn, Utc::now()).await?;
        self.commit(txn).await
    }
}

/// A table of entities keyed by canonical text id, with the `revision` and `updated_at` columns of optimistic
/// concurrency.
trait Versioned: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType = String>> {
    /// The entity kind as named in errors and event keys.
    const KIND: &'static str;
    /// The primary key column.
    const ID: Self::Column;
    /// The revision column.
    const REVISION: Self::Column;
    /// The last-change time column.
    const UPDATED_AT: Self::Column;
}

/// The query for one page of `E`: in id order, after the page token, at most the page size. Callers add filters.
fn page_query<E: Versioned>(page: &Page) -> Select<E> {
    let query = E::find().order_by_asc(E::ID).limit(page.size);
    match &page.after {
        Some(after) => query.filter(E::ID.gt(after.as_str())),
        None => query,
    }
}

/// Runs a page query and maps its rows; returns them with the next page's token.
async fn fetch_page<E: Versioned, T>(
    db: &DatabaseConnection,
    page: &Page,
    query: Select<E>,
    id: impl Fn(&E::Model) -> &str,
    map: impl Fn(&E::Model) -> Result<T, RegistryError>,
) -> Result<(Vec<T>, String), RegistryError> {
    let rows = query.all(db).await?;
    let next = page.next_token(rows.len(), rows.last().map(&id));
    let items = rows.iter().map(map).collect::<Result<_, _>>()?;
    Ok((items, next))
}

/// The row with primary key `id`, or `NotFound`.
async fn find<E: Versioned, C: ConnectionTrait>(db: &C, id: &str) -> Result<E::Model, RegistryError> {
    E::find_by_id(id).one(db).await?.ok_or_else(|| RegistryError::NotFound { kind: E::KIND, id: id.to_owned() })
}

/// Applies `changes` to the row `id` read at revision `read`, bumping the revision, and returns the new row.
///
/// Refused with `RevisionMismatch` when the caller expected another revision (`expected` 0 means "don't check")
/// or when a concurrent change got there first (the revision guard in the `WHERE` clause matched nothing).
async fn update_versioned<E: Versioned>(
    txn: &DatabaseTransaction,
    id: &str,
    expected: i64,
    read: i64,
    changes: UpdateMany<E>,
) -> Result<E::Model, RegistryError> {
    let mismatch = |actual| RegistryError::RevisionMismatch {
        kind: E::KIND,
        id: id.to_owned(),
        expected: if expected == 0 { read } else { expected },
        actual,
    };
    if expected != 0 && expected != read {
        return Err(mismatch(read));
    }
    let updated = changes
        .col_expr(E::REVISION, Expr::value(read + 1))
        .col_expr(E::UPDATED_AT, Expr::value(Utc::now()))
        .filter(E::ID.eq(id))
        .filter(E::REVISION.eq(read))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(mismatch(read + 1));
    }
    find::<E, _>(txn, id).await
}

macro_rules! versioned {
    ($module:ident, $kind:literal) => {
        impl Versioned for crate::store::$module::Entity {
            const KIND: &'static str = $kind;
            const ID: Self::Column = crate::store::$module::Column::Id;
            const REVISION: Self::Column = crate::store::$module::Column::Revision;
            const UPDATED_AT: Self::Column = crate::store::$module::Column::UpdatedAt;
        }
    };
}

versioned!(organization, "organization");
versioned!(subsystem, "subsystem");
versioned!(service, "service");
versioned!(grant, "grant");
versioned!(application, "application");

/// The roles of a registered member, or a precondition failure naming it.
async fn member_roles<C: ConnectionTrait>(db: &C, member: &MemberId) -> Result<Vec<OrganizationRole>, RegistryError> {
    let row = organization::Entity::find_by_id(member.to_string())
        .one(db)
        .await?
        .ok_or_else(|| RegistryError::FailedPrecondition(format!("organisation {member} is not registered")))?;
    Ok(row.roles.split(',').filter_map(OrganizationRole::from_str_name).collect())
}
