//! Officers' and adapters' signing keys: register, revoke, list. Every change is published, so the gateway checks
//! signatures against the registry's current word.

use chrono::Utc;
use koprik_proto::ids::{MemberId, SubsystemId};
use koprik_proto::registry::{CredentialStatus, SignatureAlgorithm, SigningKey, SigningKeyPurpose};
use koprik_proto::time::timestamp;
use koprik_proto::FieldError;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};

use super::{find, mapping, Repository};
use crate::domain::{officer_signature_key, text};
use crate::error::{self, RegistryError};
use crate::events;
use crate::store::signing_key::{ActiveModel, Column, Entity, Model};
use crate::store::subsystem;

fn message(row: &Model) -> Result<SigningKey, RegistryError> {
    let subsystem: SubsystemId = row
        .subsystem_id
        .parse()
        .map_err(|e| RegistryError::Database(sea_orm::DbErr::Custom(format!("stored subsystem id is invalid: {e}"))))?;
    Ok(SigningKey {
        key_id: row.key_id.clone(),
        subsystem: Some((&subsystem).into()),
        purpose: SigningKeyPurpose::from_str_name(&row.purpose).unwrap_or_default() as i32,
        algorithm: SignatureAlgorithm::from_str_name(&row.algorithm).unwrap_or_default() as i32,
        public_key: row.public_key.clone(),
        holder_name: row.holder_name.clone(),
        holder_position: row.holder_position.clone(),
        valid_from: Some(timestamp(row.valid_from)),
        valid_until: row.valid_until.map(timestamp),
        status: CredentialStatus::from_str_name(&row.status).unwrap_or_default() as i32,
        revocation_reason: row.revocation_reason.clone(),
        revoked_at: row.revoked_at.map(timestamp),
        actor: row.actor.clone(),
        meta: Some(mapping::meta(row.revision, row.created_at, row.updated_at)),
    })
}

impl Repository {
    /// Registers a public signing key of a registered subsystem; `actor` is who registers it.
    pub async fn register_signing_key(&self, key: &SigningKey, actor: &str) -> Result<SigningKey, RegistryError> {
        let now = Utc::now();
        let checked = officer_signature_key::check(key, now).map_err(|e| e.within("key"))?;
        let subsystem: SubsystemId =
            koprik_proto::field::required(key.subsystem.as_ref(), "subsystem").map_err(|e| e.within("key"))?;
        let txn = self.begin().await?;
        find::<subsystem::Entity, _>(&txn, &subsystem.to_string())
            .await
            .map_err(|_| RegistryError::FailedPrecondition(format!("subsystem {subsystem} is not registered")))?;
        let row = ActiveModel {
            key_id: Set(checked.key_id.clone()),
            subsystem_id: Set(subsystem.to_string()),
            purpose: Set(checked.purpose.as_str_name().to_owned()),
            algorithm: Set(SignatureAlgorithm::Ed25519.as_str_name().to_owned()),
            public_key: Set(checked.public_key),
            holder_name: Set(checked.holder_name),
            holder_position: Set(checked.holder_position),
            valid_from: Set(checked.valid_from),
            valid_until: Set(checked.valid_until),
            status: Set(CredentialStatus::Active.as_str_name().to_owned()),
            revocation_reason: Set(String::new()),
            revoked_at: Set(None),
            actor: Set(actor.to_owned()),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| error::on_insert(e, "signing key", &checked.key_id))?;
        let key = message(&row)?;
        events::enqueue(&txn, &key).await?;
        self.commit(txn).await?;
        tracing::info!(key_id = %row.key_id, subsystem = %subsystem, purpose = %row.purpose, "signing key registered");
        Ok(key)
    }

    /// Revokes a key for good: signatures made with it are refused from the moment the gateway hears of it.
    pub async fn revoke_signing_key(
        &self,
        key_id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<SigningKey, RegistryError> {
        let key_id = officer_signature_key::key_id(key_id)?;
        let reason = text::name(reason, "reason")
            .map_err(|e| FieldError::new(e.field, "is required: why the key is revoked"))?;
        let txn = self.begin().await?;
        let row = Entity::find_by_id(key_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| RegistryError::NotFound { kind: "signing key", id: key_id.clone() })?;
        if row.status == CredentialStatus::Revoked.as_str_name() {
            return Err(RegistryError::FailedPrecondition(format!(
                "signing key {key_id} was revoked already; revocation is final"
            )));
        }
        let now = Utc::now();
        let revision = row.revision + 1;
        let mut change = row.into_active_model();
        change.status = Set(CredentialStatus::Revoked.as_str_name().to_owned());
        change.revocation_reason = Set(reason);
        change.revoked_at = Set(Some(now));
        change.actor = Set(actor.to_owned());
        change.revision = Set(revision);
        change.updated_at = Set(now);
        let row = change.update(&txn).await?;
        let key = message(&row)?;
        events::enqueue(&txn, &key).await?;
        self.commit(txn).await?;
        tracing::info!(key_id = %key_id, actor, "signing key revoked");
        Ok(key)
    }

    /// The key `key_id`, whatever its status.
    pub async fn get_signing_key(&self, key_id: &str) -> Result<SigningKey, RegistryError> {
        let key_id = officer_signature_key::key_id(key_id)?;
        let row = Entity::find_by_id(key_id.clone())
            .one(&self.db)
            .await?
            .ok_or(RegistryError::NotFound { kind: "signing key", id: key_id })?;
        message(&row)
    }

    /// The keys of `subsystem` and/or of the subsystems of `organization`, or every key, in key id order.
    pub async fn list_signing_keys(
        &self,
        subsystem: Option<&SubsystemId>,
        organization: Option<&MemberId>,
    ) -> Result<Vec<SigningKey>, RegistryError> {
        let mut query = Entity::find().order_by_asc(Column::KeyId);
        if let Some(subsystem) = subsystem {
            query = query.filter(Column::SubsystemId.eq(subsystem.to_string()));
        }
        if let Some(member) = organization {
            query = query.filter(Column::SubsystemId.starts_with(format!("{member}/")));
        }
        query.all(&self.db).await?.iter().map(message).collect()
    }
}
