//! The registry's schema, as sea-orm migrations applied at start-up (PostgreSQL and SQLite alike).

use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_onboarding;
mod m20261123_000003_public_services;
mod m20261124_000004_certificates;
mod m20261124_000005_signing_keys;
mod m20261124_000006_exchange_limits;
mod m20261125_000007_certificate_roles;

/// All migrations of the registry, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_onboarding::Migration),
            Box::new(m20261123_000003_public_services::Migration),
            Box::new(m20261124_000004_certificates::Migration),
            Box::new(m20261124_000005_signing_keys::Migration),
            Box::new(m20261124_000006_exchange_limits::Migration),
            Box::new(m20261125_000007_certificate_roles::Migration),
        ]
    }
}
