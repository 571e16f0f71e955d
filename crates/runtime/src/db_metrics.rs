//! The database pool as metrics, read at each scrape: connections in use, idle, and the pool's maximum.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

use crate::metrics::Metrics;

/// Registers `koprik_<service>_db_pool_connections{state}` and `…_db_pool_max_connections` for `db`.
pub fn register(metrics: &Metrics, db: &DatabaseConnection) {
    let collector = PoolCollector { db: db.clone() };
    metrics.register(|r| r.register_collector(Box::new(collector)));
}

/// Reads the pool's counts when Prometheus scrapes.
#[derive(Debug)]
struct PoolCollector {
    db: DatabaseConnection,
}

/// A pool's counts at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PoolCounts {
    open: u32,
    idle: u32,
    max: u32,
}

impl PoolCollector {
    fn counts(&self) -> Option<PoolCounts> {
        match self.db.get_database_backend() {
            DatabaseBackend::Postgres => Some(PoolCounts::of(self.db.get_postgres_connection_pool())),
            DatabaseBackend::Sqlite => Some(PoolCounts::of(self.db.get_sqlite_connection_pool())),
            DatabaseBackend::MySql => None,
        }
    }
}

impl PoolCounts {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> Self {
        Self {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(counts) = self.counts() else { return Ok(()) };
        let in_use = ConstGauge::new(i64::from(counts.open.saturating_sub(counts.idle)));
        let idle = ConstGauge::new(i64::from(counts.idle));
        let mut family = encoder.encode_descriptor(
            "db_pool_connections",
            "Database connections by state",
            None,
            in_use.metric_type(),
        )?;
        in_use.encode(family.encode_family(&[("state", "in_use")])?)?;
        idle.encode(family.encode_family(&[("state", "idle")])?)?;
        let max = ConstGauge::new(i64::from(counts.max));
        let descriptor = encoder.encode_descriptor(
            "db_pool_max_connections",
            "The most connections the pool opens",
            None,
            max.metric_type(),
        )?;
        max.encode(descriptor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;

    #[tokio::test]
    async fn the_pool_is_reported_at_each_scrape() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = DatabaseConfig::with_url(format!("sqlite://{}/pool.db", dir.path().display()));
        let db = crate::db::connect(&config).await.expect("SQLite opens");
        let metrics = Metrics::new("test");
        register(&metrics, &db);
        let text = metrics.encode();
        assert!(text.contains("koprik_test_db_pool_max_connections 1"), "{text}");
        assert!(text.contains("koprik_test_db_pool_connections{state=\"in_use\"} 0"), "{text}");
        assert!(text.contains("koprik_test_db_pool_connections{state=\"idle\"}"), "{text}");
    }
}
