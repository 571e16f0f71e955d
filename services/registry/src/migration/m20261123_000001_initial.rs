//! First schema: organisations, subsystems, services with their data items, grants, and the event outbox.

use sea_orm_migration::prelude::*;

/// Creates the first-cut tables.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_initial"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Instance,
    MemberClass,
    MemberCode,
    Name,
    OrgType,
    Roles,
}

#[derive(DeriveIden)]
enum Subsystems {
    Table,
    Id,
    MemberId,
    SubsystemCode,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    SubsystemId,
    ServiceCode,
    Version,
    Name,
    Description,
    Status,
}

#[derive(DeriveIden)]
enum DataItems {
    Table,
    ServiceId,
    Code,
    Name,
    Classification,
    Position,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    ConsumerId,
    ServiceId,
    Status,
    Reason,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
}

/// The columns every entity table ends with: optimistic-concurrency revision and timestamps.
pub(super) fn meta_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(ColumnDef::new(Alias::new("revision")).big_integer().not_null())
        .col(ColumnDef::new(Alias::new("created_at")).timestamp_with_time_zone().not_null())
        .col(ColumnDef::new(Alias::new("updated_at")).timestamp_with_time_zone().not_null())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(Organizations::Table)
                        .col(ColumnDef::new(Organizations::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(Organizations::Instance).string().not_null())
                        .col(ColumnDef::new(Organizations::MemberClass).string().not_null())
                        .col(ColumnDef::new(Organizations::MemberCode).string().not_null())
                        .col(ColumnDef::new(Organizations::Name).string().not_null())
                        .col(ColumnDef::new(Organizations::OrgType).string().not_null())
                        .col(ColumnDef::new(Organizations::Roles).string().not_null()),
                )
                .to_owned(),
            )
            .await?;
        // A STIR identifies one organisation, and it names the provider's request topic
        // (exchange.requests.<STIR>): two members sharing it would read each other's requests.
        manager
            .create_index(
                Index::create()
                    .name("organizations_member_code")
                    .table(Organizations::Table)
                    .col(Organizations::MemberCode)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(Subsystems::Table)
                        .col(ColumnDef::new(Subsystems::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(Subsystems::MemberId).string().not_null())
                        .col(ColumnDef::new(Subsystems::SubsystemCode).string().not_null())
                        .col(ColumnDef::new(Subsystems::Name).string().not_null())
                        .col(ColumnDef::new(Subsystems::Description).text().not_null())
                        .foreign_key(
                            ForeignKey::create()
                                .from(Subsystems::Table, Subsystems::MemberId)
                                .to(Organizations::Table, Organizations::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("subsystems_member_id")
                    .table(Subsystems::Table)
                    .col(Subsystems::MemberId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(Services::Table)
                        .col(ColumnDef::new(Services::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(Services::SubsystemId).string().not_null())
                        .col(ColumnDef::new(Services::ServiceCode).string().not_null())
                        .col(ColumnDef::new(Services::Version).string().not_null())
                        .col(ColumnDef::new(Services::Name).string().not_null())
                        .col(ColumnDef::new(Services::Description).text().not_null())
                        .col(ColumnDef::new(Services::Status).string().not_null())
                        .foreign_key(
                            ForeignKey::create()
                                .from(Services::Table, Services::SubsystemId)
                                .to(Subsystems::Table, Subsystems::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("services_subsystem_id")
                    .table(Services::Table)
                    .col(Services::SubsystemId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DataItems::Table)
                    .col(ColumnDef::new(DataItems::ServiceId).string().not_null())
                    .col(ColumnDef::new(DataItems::Code).string().not_null())
                    .col(ColumnDef::new(DataItems::Name).string().not_null())
                    .col(ColumnDef::new(DataItems::Classification).string().not_null())
                    .col(ColumnDef::new(DataItems::Position).integer().not_null())
                    .primary_key(Index::create().col(DataItems::ServiceId).col(DataItems::Code))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DataItems::Table, DataItems::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(Grants::Table)
                        .col(ColumnDef::new(Grants::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(Grants::ConsumerId).string().not_null())
                        .col(ColumnDef::new(Grants::ServiceId).string().not_null())
                        .col(ColumnDef::new(Grants::Status).string().not_null())
                        .col(ColumnDef::new(Grants::Reason).text().not_null())
                        .foreign_key(
                            ForeignKey::create()
                                .from(Grants::Table, Grants::ConsumerId)
                                .to(Subsystems::Table, Subsystems::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(Grants::Table, Grants::ServiceId)
                                .to(Services::Table, Services::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("grants_consumer_service")
                    .table(Grants::Table)
                    .col(Grants::ConsumerId)
                    .col(Grants::ServiceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("grants_service_id").table(Grants::Table).col(Grants::ServiceId).to_owned(),
            )
            .await?;

        // The same statement this migration always ran; the outbox table is now defined by koprik-outbox.
        manager.create_table(koprik_outbox::create_table()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Outbox::Table.into_iden(),
            Grants::Table.into_iden(),
            DataItems::Table.into_iden(),
            Services::Table.into_iden(),
            Subsystems::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
