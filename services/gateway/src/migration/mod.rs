//! The gateway's schema, as sea-orm migrations applied at start-up (PostgreSQL and SQLite alike).

use sea_orm_migration::prelude::*;

mod m20261124_000001_exchange_state;
mod m20261208_000002_accepted_signatures;

/// All migrations of the gateway, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_exchange_state::Migration),
            Box::new(m20261208_000002_accepted_signatures::Migration),
        ]
    }
}
