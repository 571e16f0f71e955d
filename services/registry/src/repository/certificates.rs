//! Client certificates: register, revoke, list. Each change is published as `certificate/<serial>`.

use chrono::Utc;
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::{ClientCertificate, CredentialStatus};
use koprik_proto::time::timestamp;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{find, mapping, update_versioned, Repository, Versioned};
use crate::domain::client_certificate::{self, Registration};
use crate::error::{self, RegistryError};
use crate::events;
use crate::store::client_certificate::{ActiveModel, Column, Entity, Model};
use crate::store::subsystem;

impl Versioned for Entity {
    const KIND: &'static str = "certificate";
    const ID: Self::Column = Column::Serial;
    const REVISION: Self::Column = Column::Revision;
    const UPDATED_AT: Self::Column = Column::UpdatedAt;
}

/// A stored certificate as a message.
fn certificate(row: &Model) -> Result<ClientCertificate, RegistryError> {
    let subsystem: SubsystemId = row.subsystem_id.parse().map_err(|e| {
        RegistryError::Database(sea_orm::DbErr::Custom(format!("stored id {:?} is invalid: {e}", row.subsystem_id)))
    })?;
    Ok(ClientCertificate {
        serial: row.serial.clone(),
        subsystem: Some((&subsystem).into()),
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

impl Repository {
    /// Records a certificate for its (registered) subsystem.
    pub async fn register_certificate(
        &self,
        registration: Registration,
        actor: String,
    ) -> Result<ClientCertificate, RegistryError> {
        let serial = registration.certificate.serial.clone();
        let subsystem_id = registration.subsystem.to_string();
        let now = Utc::now();
        let txn = self.begin().await?;
        if subsystem::Entity::find_by_id(subsystem_id.clone()).one(&txn).await?.is_none() {
            return Err(RegistryError::FailedPrecondition(format!(
                "certificate {serial} names subsystem {subsystem_id}, which is not registered"
            )));
        }
        if Entity::find_by_id(serial.clone()).one(&txn).await?.is_some() {
            return Err(RegistryError::AlreadyExists { kind: Entity::KIND, id: serial });
        }
        let row = ActiveModel {
            serial: Set(serial.clone()),
            subsystem_id: Set(subsystem_id.clone()),
            sha256_fingerprint: Set(registration.certificate.sha256_fingerprint.clone()),
            not_before: Set(registration.certificate.not_before),
            not_after: Set(registration.certificate.not_after),
            status: Set(CredentialStatus::Active.as_str_name().to_owned()),
            revocation_reason: Set(String::new()),
            revoked_at: Set(None),
            pem: Set(registration.pem),
            actor: Set(actor),
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
        tracing::info!(serial = %serial, subsystem = %subsystem_id, "client certificate registered");
        Ok(registered)
    }

    /// Revokes an active certificate; final.
    pub async fn revoke_certificate(
        &self,
        serial: &str,
        reason: String,
        actor: String,
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
        tracing::info!(serial = %serial, subsystem = %row.subsystem_id, "client certificate revoked");
        Ok(revoked)
    }

    /// Every certificate, or one subsystem's, by subsystem then registration time.
    pub async fn list_certificates(
        &self,
        subsystem: Option<&SubsystemId>,
    ) -> Result<Vec<ClientCertificate>, RegistryError> {
        let mut query = Entity::find().order_by_asc(Column::SubsystemId).order_by_asc(Column::CreatedAt);
        if let Some(subsystem) = subsystem {
            query = query.filter(Column::SubsystemId.eq(subsystem.to_string()));
        }
        query.all(&self.db).await?.iter().map(certificate).collect()
    }
}
