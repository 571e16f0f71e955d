//! Table `client_certificates`: TLS client certificates issued by the platform CA, each naming one role and its
//! principal.

use sea_orm::entity::prelude::*;

/// A stored client certificate.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_certificates")]
pub struct Model {
    /// The serial number, lower-case hex without leading zeros.
    #[sea_orm(primary_key, auto_increment = false)]
    pub serial: String,
    /// Consumer certificates: the canonical id of the subsystem the certificate names (its principal). Empty for
    /// the other roles.
    pub subsystem_id: String,
    /// The role's name, as in the certificate's URI (`consumer`, `operator`, `registry-editor`, ...).
    pub role: String,
    /// The principal within the role, in text (`UZ/GOV/200935935/tax-inspection`, `a.karimov`, ...).
    pub principal: String,
    /// Hex SHA-256 of the DER encoding.
    pub sha256_fingerprint: String,
    pub not_before: DateTimeUtc,
    pub not_after: DateTimeUtc,
    /// Protobuf name of the `CredentialStatus`.
    pub status: String,
    /// Why it was revoked; empty while active.
    pub revocation_reason: String,
    pub revoked_at: Option<DateTimeUtc>,
    /// The certificate, PEM.
    pub pem: String,
    /// Who registered it, then who revoked it.
    pub actor: String,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
