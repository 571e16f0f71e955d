//! Client certificates: register, revoke, read, list. Each change is published as `certificate/<serial>`.

use chrono::Utc;
use koprik_pki::identity::{Identity, Role};
use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::registry::{ClientCertificate, CredentialStatus};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{find, mapping, update_versioned, Repository, Versioned};
use crate::domain::client_certificate::{self, KnownPrincipal, Registration};
use crate::error::{self, RegistryError};
use crate::events;
use crate::store::client_certificate::{ActiveModel, Column, Entity, Model};
use crate::store::{organization, subsystem};

impl Versioned for Entity {
    const KIND: &'static str = "certificate";
    const ID: Self::Column = Column::Serial;
    const REVISION: Self::Column = Column::Revision;
    const UPDATED_AT: Self::Column = Column::UpdatedAt;
}

/// A stored value that does not read back means the table was edited by hand.
fn corrupt(row: &Model, what: &str, error: impl std::fmt::Display) -> RegistryError {
    RegistryError::Database(sea_orm::DbErr::Custom(format!(
        "certificate {}: stored {what} is invalid: {error}",
        row.serial
    )))
}

/// The identity a stored certificate was registered with.
fn identity(row: &Model) -> Result<Identity, RegistryError> {
    let role: Role = row.role.parse().map_err(|e| corrupt(row, "role", e))?;
    Identity::new(role, &row.principal).map_err(|e| corrupt(row, "principal", e))
}

/// A stored certificate as a message.
fn certificate(row: &Model) -> Result<ClientCertificate, RegistryError> {
    let identity = identity(row)?;
    Ok(ClientCertificate {
        serial: row.serial.clone(),
        subsystem: identity.subsystem().map(Into::into),
        role: identity.role().wire() as i32,
        principal: identity.principal().to_string(),
        sha256_fingerprint: row.sha256_fingerprint.clone(),
        not_before: Some(timestamp(row.not_before)),
        not_after: Some(timestamp(row.not_after)),
        status: CredentialStatus::from_str_name(&row.status).unwrap_or_default() as i32,
        revocation_reason: row.revocation_reason.clone(),
        revoked_at: row.revoked_at.map(timestamp),
        pem: row.pem.clone(),
        actor: row.actor.clone(),
        meta: Some(mapping::meta(row.revision, row.created_at, row.updated_at)),
    })
}

/// Refuses a certificate whose principal the registry should know and does not.
async fn check_principal<C: ConnectionTrait>(db: &C, registration: &Registration) -> Result<(), RegistryError> {
    let serial = &registration.certificate.serial;
    let identity = &registration.identity;
    match client_certificate::known_principal(identity) {
        KnownPrincipal::Subsystem(id) => {
            if subsystem::Entity::find_by_id(id.to_string()).one(db).await?.is_none() {
                return Err(RegistryError::FailedPrecondition(format!(
                    "certificate {serial} names subsystem {id} ({identity}), which is not registered"
                )));
            }
        }
        KnownPrincipal::Organization(id) => {
            if organization::Entity::find_by_id(id.to_string()).one(db).await?.is_none() {
                return Err(RegistryError::FailedPrecondition(format!(
                    "certificate {serial} names organisation {id} ({identity}), which is not registered"
                )));
            }
        }
        KnownPrincipal::Unchecked => {}
    }
    Ok(())
}

/// Which certificates a list returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct CertificateFilter<'a> {
    /// Only this consumer subsystem's.
    pub subsystem: Option<&'a SubsystemId>,
    /// Only those whose principal is this organisation or one of its subsystems or people.
    pub organization: Option<&'a MemberId>,
}

impl Repository {
    /// Records a certificate for its identity, whose principal must be known where the registry knows it.
    pub async fn register_certificate(
        &self,
        registration: Registration,
        actor: &str,
    ) -> Result<ClientCertificate, RegistryError> {
        let serial = registration.certificate.serial.clone();
        let now = Utc::now();
        let txn = self.begin().await?;
        check_principal(&txn, &registration).await?;
        if Entity::find_by_id(serial.clone()).one(&txn).await?.is_some() {
            return Err(RegistryError::AlreadyExists { kind: Entity::KIND, id: serial });
        }
        let identity = registration.identity;
        let row = ActiveModel {
            serial: Set(serial.clone()),
            subsystem_id: Set(identity.subsystem().map(ToString::to_string).unwrap_or_default()),
            role: Set(identity.role().name().to_owned()),
            principal: Set(identity.principal().to_string()),
            sha256_fingerprint: Set(registration.certificate.sha256_fingerprint.clone()),
            not_before: Set(registration.certificate.not_before),
            not_after: Set(registration.certificate.not_after),
            status: Set(CredentialStatus::Active.as_str_name().to_owned()),
            revocation_reason: Set(String::new()),
            revoked_at: Set(None),
            pem: Set(registration.pem),
            actor: Set(actor.to_owned()),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| error::on_insert(e, Entity::KIND, &serial))?;
        let registered = certificate(&row)?;
        events::enqueue(&txn, &registered).await?;
        self.commit(txn).await?;
        tracing::info!(serial = %serial, identity = %identity, actor, "client certificate registered");
        Ok(registered)
    }

    /// Revokes an active certificate; final.
    pub async fn revoke_certificate(
        &self,
        serial: &str,
        reason: String,
        actor: &str,
    ) -> Result<ClientCertificate, RegistryError> {
        let txn = self.begin().await?;
        let current = find::<Entity, _>(&txn, serial).await?;
        let status = CredentialStatus::from_str_name(&current.status).unwrap_or_default();
        client_certificate::may_revoke(serial, status).map_err(RegistryError::FailedPrecondition)?;
        let changes = Entity::update_many()
            .col_expr(Column::Status, Expr::value(CredentialStatus::Revoked.as_str_name()))
            .col_expr(Column::RevocationReason, Expr::value(reason))
            .col_expr(Column::RevokedAt, Expr::value(Some(Utc::now())))
            .col_expr(Column::Actor, Expr::value(actor));
        let row = update_versioned(&txn, serial, 0, current.revision, changes).await?;
        let revoked = certificate(&row)?;
        events::enqueue(&txn, &revoked).await?;
        self.commit(txn).await?;
        tracing::info!(serial = %serial, role = %row.role, principal = %row.principal, actor, "client certificate revoked");
        Ok(revoked)
    }

    /// The certificate with `serial`, if registered (whatever its status).
    pub async fn find_certificate(&self, serial: &str) -> Result<Option<ClientCertificate>, RegistryError> {
        Entity::find_by_id(serial).one(&self.db).await?.as_ref().map(certificate).transpose()
    }

    /// The certificates `filter` selects, by principal then registration time.
    pub async fn list_certificates(
        &self,
        filter: CertificateFilter<'_>,
    ) -> Result<Vec<ClientCertificate>, RegistryError> {
        let mut query = Entity::find().order_by_asc(Column::Principal).order_by_asc(Column::CreatedAt);
        if let Some(subsystem) = filter.subsystem {
            query = query.filter(Column::SubsystemId.eq(subsystem.to_string()));
        }
        if let Some(member) = filter.organization {
            query = query.filter(
                Condition::any()
                    .add(Column::Principal.eq(member.to_string()))
                    .add(Column::Principal.starts_with(format!("{member}/"))),
            );
        }
        query.all(&self.db).await?.iter().map(certificate).collect()
    }
}
