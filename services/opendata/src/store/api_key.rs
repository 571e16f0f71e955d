//! Table `api_keys`: API keys of commercial users (OD §8, §21).

use sea_orm::entity::prelude::*;

/// One row of `api_keys`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// A UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_sha256: String,
    /// The billing contract.
    pub contract_reference: String,
    /// The consumer subsystem using the key; its member is billed.
    pub consumer: String,
    /// What the holder calls it.
    pub label: String,
    /// When it was issued.
    pub created_at: DateTimeUtc,
    /// When it was revoked.
    pub revoked_at: Option<DateTimeUtc>,
    /// Who issued it: the identity of the operator's or the consumer's certificate; null before identities were
    /// certificates.
    pub issued_by: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
