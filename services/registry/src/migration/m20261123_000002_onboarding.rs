//! Second schema: the application-form fields of information systems, grant terms (platform, permitted items,
//! contract, grounds and their history), connection applications, provider announcements and loaded calendar
//! years. Grants made before it get the platform of their consumer and the items they could already request.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use super::m20261123_000001_initial::meta_columns;

/// Adds the onboarding tables and columns.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_onboarding"
    }
}

#[derive(DeriveIden)]
enum Subsystems {
    Table,
    Form,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    ConsumerId,
    ServiceId,
    Platform,
    PermittedItems,
    ApplicationId,
    Ground,
    ValidUntil,
    Terms,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    Platform,
    ApplicantId,
    ConsumerId,
    State,
    DueBy,
    Document,
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    ServiceId,
    Kind,
    StartsAt,
    EndsAt,
    Summary,
    LetterReference,
    Actor,
    AnnouncedAt,
}

#[derive(DeriveIden)]
enum CalendarYears {
    Table,
    Year,
    Content,
    LoadedBy,
    LoadedAt,
}

#[derive(DeriveIden)]
enum DataItems {
    Table,
    ServiceId,
    Code,
    Classification,
    Position,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Roles,
}

/// Adds one column (SQLite alters one column per statement).
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, Subsystems::Table, ColumnDef::new(Subsystems::Form).binary().null().to_owned()).await?;

        let text = |column: Grants| ColumnDef::new(column).text().not_null().default("").to_owned();
        add_column(manager, Grants::Table, text(Grants::Platform)).await?;
        add_column(manager, Grants::Table, text(Grants::PermittedItems)).await?;
        add_column(manager, Grants::Table, text(Grants::ApplicationId)).await?;
        add_column(manager, Grants::Table, text(Grants::Ground)).await?;
        add_column(
            manager,
            Grants::Table,
            ColumnDef::new(Grants::ValidUntil).timestamp_with_time_zone().null().to_owned(),
        )
        .await?;
        add_column(manager, Grants::Table, ColumnDef::new(Grants::Terms).binary().null().to_owned()).await?;
        backfill_grants(manager).await?;
        // A revoked grant stays as a record; a new connection creates a new grant. Only one live grant per pair.
        manager.drop_index(Index::drop().name("grants_consumer_service").table(Grants::Table).to_owned()).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX grants_live_consumer_service ON grants (consumer_id, service_id) \
                 WHERE status <> 'GRANT_STATUS_REVOKED'",
            )
            .await?;

        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(Applications::Table)
                        .col(ColumnDef::new(Applications::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(Applications::Platform).string().not_null())
                        .col(ColumnDef::new(Applications::ApplicantId).string().not_null())
                        .col(ColumnDef::new(Applications::ConsumerId).string().not_null())
                        .col(ColumnDef::new(Applications::State).string().not_null())
                        .col(ColumnDef::new(Applications::DueBy).timestamp_with_time_zone().null())
                        .col(ColumnDef::new(Applications::Document).binary().not_null()),
                )
                .to_owned(),
            )
            .await?;
        for (name, column) in
            [("applications_state_due", Applications::State), ("applications_applicant", Applications::ApplicantId)]
        {
            manager.create_index(Index::create().name(name).table(Applications::Table).col(column).to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .col(ColumnDef::new(Announcements::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(Announcements::ServiceId).string().not_null())
                    .col(ColumnDef::new(Announcements::Kind).string().not_null())
                    .col(ColumnDef::new(Announcements::StartsAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Announcements::EndsAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Announcements::Summary).text().not_null())
                    .col(ColumnDef::new(Announcements::LetterReference).string().not_null())
                    .col(ColumnDef::new(Announcements::Actor).string().not_null())
                    .col(ColumnDef::new(Announcements::AnnouncedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("announcements_service")
                    .table(Announcements::Table)
                    .col(Announcements::ServiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarYears::Table)
                    .col(ColumnDef::new(CalendarYears::Year).integer().not_null().primary_key())
                    .col(ColumnDef::new(CalendarYears::Content).text().not_null())
                    .col(ColumnDef::new(CalendarYears::LoadedBy).string().not_null())
                    .col(ColumnDef::new(CalendarYears::LoadedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [CalendarYears::Table.into_iden(), Announcements::Table.into_iden(), Applications::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// Gives each existing grant its consumer's platform and, as permitted items, the ordinary and personal items of
/// its service: what it could request before the technological instruction was enforced.
async fn backfill_grants(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let grants = db
        .query_all(
            backend.build(
                Query::select().columns([Grants::Id, Grants::ConsumerId, Grants::ServiceId]).from(Grants::Table),
            ),
        )
        .await?;
    for grant in grants {
        let id: String = grant.try_get("", "id")?;
        let consumer: String = grant.try_get("", "consumer_id")?;
        let service: String = grant.try_get("", "service_id")?;
        let member = consumer.rsplit_once('/').map_or(consumer.as_str(), |(member, _)| member);
        let roles = db
            .query_one(
                backend.build(
                    Query::select()
                        .column(Organizations::Roles)
                        .from(Organizations::Table)
                        .and_where(Expr::col(Organizations::Id).eq(member)),
                ),
            )
            .await?
            .map(|row| row.try_get::<String>("", "roles"))
            .transpose()?
            .unwrap_or_default();
        let platform = if roles.contains("ORGANIZATION_ROLE_DDP_CONSUMER") { "PLATFORM_DDP" } else { "PLATFORM_IIP" };
        let items = db
            .query_all(
                backend.build(
                    Query::select()
                        .column(DataItems::Code)
                        .from(DataItems::Table)
                        .and_where(Expr::col(DataItems::ServiceId).eq(service.as_str()))
                        .and_where(
                            Expr::col(DataItems::Classification)
                                .is_in(["DATA_CLASSIFICATION_ORDINARY", "DATA_CLASSIFICATION_PERSONAL"]),
                        )
                        .order_by(DataItems::Position, Order::Asc),
                ),
            )
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "code"))
            .collect::<Result<Vec<_>, _>>()?;
        let update = Query::update()
            .table(Grants::Table)
            .values([(Grants::Platform, platform.into()), (Grants::PermittedItems, items.join(",").into())])
            .and_where(Expr::col(Grants::Id).eq(id))
            .to_owned();
        db.execute(backend.build(&update)).await?;
    }
    Ok(())
}
