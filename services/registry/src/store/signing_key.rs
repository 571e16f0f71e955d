//! Table `signing_keys`: officers' and adapters' public signing keys. Rows are never deleted; revocation is final.

use sea_orm::entity::prelude::*;

/// A stored signing key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    /// The key id chosen at registration.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_id: String,
    /// The subsystem's canonical id.
    pub subsystem_id: String,
    /// Protobuf name of the `SigningKeyPurpose`.
    pub purpose: String,
    /// Protobuf name of the `SignatureAlgorithm`.
    pub algorithm: String,
    /// The raw public key.
    pub public_key: Vec<u8>,
    pub holder_name: String,
    pub holder_position: String,
    pub valid_from: DateTimeUtc,
    pub valid_until: Option<DateTimeUtc>,
    /// Protobuf name of the `CredentialStatus`.
    pub status: String,
    pub revocation_reason: String,
    pub revoked_at: Option<DateTimeUtc>,
    pub actor: String,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
