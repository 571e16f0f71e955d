//! Table `public_service_applications`: applications for new entries and amendments, from submission to
//! registration, with the deadlines of their current step.

use sea_orm::entity::prelude::*;

/// A stored application.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service_applications")]
pub struct Model {
    /// A UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Protobuf name of the `EntryApplicationKind`.
    pub kind: String,
    /// The entry: set from the start for an amendment, at registration for a new entry.
    pub number: Option<i64>,
    /// The competent body's canonical member id, as last submitted.
    pub competent_body: String,
    /// Protobuf name of the `EntryApplicationState`.
    pub state: String,
    /// 1 at submission, +1 per resubmission.
    pub submission: i32,
    /// The `public_service_versions` row last submitted.
    pub version_id: i64,
    pub submitted_at: DateTimeUtc,
    pub register_due_by: DateTimeUtc,
    pub refuse_due_by: DateTimeUtc,
    /// Amendments: an encoded `ChangeMark` (date and substance).
    pub change_mark: Option<Vec<u8>>,
    /// Amendments: the grounds.
    pub grounds: String,
    /// The last refusal's reasons, a JSON array of strings.
    pub refusal_reasons: String,
    pub refused_at: Option<DateTimeUtc>,
    pub remediation_due_by: Option<DateTimeUtc>,
    pub remediation_reason: String,
    pub registered_at: Option<DateTimeUtc>,
    pub notice_due_by: Option<DateTimeUtc>,
    pub notice_sent_at: Option<DateTimeUtc>,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
