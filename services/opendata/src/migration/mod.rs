//! The Open Data Portal's schema, as sea-orm migrations applied at start-up (PostgreSQL and SQLite alike).

use sea_orm_migration::prelude::*;

mod m20261125_000001_opendata;
mod m20261125_000002_authorization;

/// All migrations of the portal, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261125_000001_opendata::Migration), Box::new(m20261125_000002_authorization::Migration)]
    }
}
