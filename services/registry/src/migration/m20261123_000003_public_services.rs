//! The Unified Registry of Public Services (REG-1): the number counter, entries, applications, every submitted
//! content version, every procedural step, and the yearly re-inventory confirmations.

use sea_orm_migration::prelude::*;

/// Creates the public-services tables and the number counter row.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_public_services"
    }
}

#[derive(DeriveIden)]
enum PublicServiceNumbers {
    Table,
    Name,
    Last,
}

#[derive(DeriveIden)]
enum PublicServiceEntries {
    Table,
    Number,
    CompetentBody,
    Status,
    Content,
    ContentVersion,
    VersionId,
    RegisteredAt,
    Abolition,
}

#[derive(DeriveIden)]
enum PublicServiceApplications {
    Table,
    Id,
    Kind,
    Number,
    CompetentBody,
    State,
    Submission,
    VersionId,
    SubmittedAt,
    RegisterDueBy,
    RefuseDueBy,
    ChangeMark,
    Grounds,
    RefusalReasons,
    RefusedAt,
    RemediationDueBy,
    RemediationReason,
    RegisteredAt,
    NoticeDueBy,
    NoticeSentAt,
}

#[derive(DeriveIden)]
enum PublicServiceVersions {
    Table,
    Id,
    ApplicationId,
    Kind,
    Number,
    Submission,
    State,
    Content,
    SubmittedBy,
    SubmittedAt,
    ChangeMark,
    Grounds,
}

#[derive(DeriveIden)]
enum PublicServiceSteps {
    Table,
    Id,
    Kind,
    Actor,
    At,
    DueBy,
    Late,
    ApplicationId,
    Number,
    Detail,
}

#[derive(DeriveIden)]
enum PublicServiceInventories {
    Table,
    Body,
    Year,
    ConfirmedAt,
    Actor,
    DueBy,
    Late,
}

/// The columns every mutable table ends with: optimistic-concurrency revision and timestamps.
fn meta_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(ColumnDef::new(Alias::new("revision")).big_integer().not_null())
        .col(ColumnDef::new(Alias::new("created_at")).timestamp_with_time_zone().not_null())
        .col(ColumnDef::new(Alias::new("updated_at")).timestamp_with_time_zone().not_null())
}

fn time(column: impl IntoIden + 'static) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().not_null().to_owned()
}

fn optional_time(column: impl IntoIden + 'static) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().null().to_owned()
}

fn index(name: &str, table: impl IntoIden + 'static, column: impl IntoIden + 'static) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(column).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PublicServiceNumbers::Table)
                    .col(ColumnDef::new(PublicServiceNumbers::Name).string().not_null().primary_key())
                    .col(ColumnDef::new(PublicServiceNumbers::Last).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Numbers are allocated from this row, never from max(number): see store::public_service_number.
        let counter = Query::insert()
            .into_table(PublicServiceNumbers::Table)
            .columns([PublicServiceNumbers::Name, PublicServiceNumbers::Last])
            .values(["entry".into(), 0i64.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        manager.exec_stmt(counter).await?;

        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(PublicServiceEntries::Table)
                        .col(ColumnDef::new(PublicServiceEntries::Number).big_integer().not_null().primary_key())
                        .col(ColumnDef::new(PublicServiceEntries::CompetentBody).string().not_null())
                        .col(ColumnDef::new(PublicServiceEntries::Status).string().not_null())
                        .col(ColumnDef::new(PublicServiceEntries::Content).binary().not_null())
                        .col(ColumnDef::new(PublicServiceEntries::ContentVersion).integer().not_null())
                        .col(ColumnDef::new(PublicServiceEntries::VersionId).big_integer().not_null())
                        .col(time(PublicServiceEntries::RegisteredAt))
                        .col(ColumnDef::new(PublicServiceEntries::Abolition).binary().null()),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "public_service_entries_competent_body",
                PublicServiceEntries::Table,
                PublicServiceEntries::CompetentBody,
            ))
            .await?;

        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(PublicServiceApplications::Table)
                        .col(ColumnDef::new(PublicServiceApplications::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(PublicServiceApplications::Kind).string().not_null())
                        .col(ColumnDef::new(PublicServiceApplications::Number).big_integer().null())
                        .col(ColumnDef::new(PublicServiceApplications::CompetentBody).string().not_null())
                        .col(ColumnDef::new(PublicServiceApplications::State).string().not_null())
                        .col(ColumnDef::new(PublicServiceApplications::Submission).integer().not_null())
                        .col(ColumnDef::new(PublicServiceApplications::VersionId).big_integer().not_null())
                        .col(time(PublicServiceApplications::SubmittedAt))
                        .col(time(PublicServiceApplications::RegisterDueBy))
                        .col(time(PublicServiceApplications::RefuseDueBy))
                        .col(ColumnDef::new(PublicServiceApplications::ChangeMark).binary().null())
                        .col(ColumnDef::new(PublicServiceApplications::Grounds).text().not_null())
                        .col(ColumnDef::new(PublicServiceApplications::RefusalReasons).text().not_null())
                        .col(optional_time(PublicServiceApplications::RefusedAt))
                        .col(optional_time(PublicServiceApplications::RemediationDueBy))
                        .col(ColumnDef::new(PublicServiceApplications::RemediationReason).text().not_null())
                        .col(optional_time(PublicServiceApplications::RegisteredAt))
                        .col(optional_time(PublicServiceApplications::NoticeDueBy))
                        .col(optional_time(PublicServiceApplications::NoticeSentAt)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "public_service_applications_number",
                PublicServiceApplications::Table,
                PublicServiceApplications::Number,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PublicServiceVersions::Table)
                    .col(
                        ColumnDef::new(PublicServiceVersions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PublicServiceVersions::ApplicationId).string().not_null())
                    .col(ColumnDef::new(PublicServiceVersions::Kind).string().not_null())
                    .col(ColumnDef::new(PublicServiceVersions::Number).big_integer().null())
                    .col(ColumnDef::new(PublicServiceVersions::Submission).integer().not_null())
                    .col(ColumnDef::new(PublicServiceVersions::State).string().not_null())
                    .col(ColumnDef::new(PublicServiceVersions::Content).binary().not_null())
                    .col(ColumnDef::new(PublicServiceVersions::SubmittedBy).string().not_null())
                    .col(time(PublicServiceVersions::SubmittedAt))
                    .col(ColumnDef::new(PublicServiceVersions::ChangeMark).binary().null())
                    .col(ColumnDef::new(PublicServiceVersions::Grounds).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(PublicServiceVersions::Table, PublicServiceVersions::ApplicationId)
                            .to(PublicServiceApplications::Table, PublicServiceApplications::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("public_service_versions_application_id", PublicServiceVersions::ApplicationId),
            ("public_service_versions_number", PublicServiceVersions::Number),
        ] {
            manager.create_index(index(name, PublicServiceVersions::Table, column)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PublicServiceSteps::Table)
                    .col(ColumnDef::new(PublicServiceSteps::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PublicServiceSteps::Kind).string().not_null())
                    .col(ColumnDef::new(PublicServiceSteps::Actor).string().not_null())
                    .col(time(PublicServiceSteps::At))
                    .col(optional_time(PublicServiceSteps::DueBy))
                    .col(ColumnDef::new(PublicServiceSteps::Late).boolean().not_null())
                    .col(ColumnDef::new(PublicServiceSteps::ApplicationId).string().null())
                    .col(ColumnDef::new(PublicServiceSteps::Number).big_integer().null())
                    .col(ColumnDef::new(PublicServiceSteps::Detail).text().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("public_service_steps_application_id", PublicServiceSteps::ApplicationId),
            ("public_service_steps_number", PublicServiceSteps::Number),
        ] {
            manager.create_index(index(name, PublicServiceSteps::Table, column)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PublicServiceInventories::Table)
                    .col(ColumnDef::new(PublicServiceInventories::Body).string().not_null())
                    .col(ColumnDef::new(PublicServiceInventories::Year).integer().not_null())
                    .col(time(PublicServiceInventories::ConfirmedAt))
                    .col(ColumnDef::new(PublicServiceInventories::Actor).string().not_null())
                    .col(time(PublicServiceInventories::DueBy))
                    .col(ColumnDef::new(PublicServiceInventories::Late).boolean().not_null())
                    .primary_key(
                        Index::create().col(PublicServiceInventories::Body).col(PublicServiceInventories::Year),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PublicServiceInventories::Table.into_iden(),
            PublicServiceSteps::Table.into_iden(),
            PublicServiceVersions::Table.into_iden(),
            PublicServiceApplications::Table.into_iden(),
            PublicServiceEntries::Table.into_iden(),
            PublicServiceNumbers::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
