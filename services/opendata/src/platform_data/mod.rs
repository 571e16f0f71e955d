//! The platform's own data as open data (OD Annex 3: "the registries themselves are open resources and belong on
//! the portal"): the Unified Registry of Public Services and the catalogue of web services, read from
//! `registry.events`, and daily anonymised exchange statistics, folded from `exchange.audit`, are published as
//! data sets of the platform operator and kept current without anyone uploading anything.
//!
//! # Layout
//! - this module: [`ensure`] (the operator as a supplier, the three data sets with passports and structures),
//!   [`run`] (both consumers until shutdown), and what they share: building a CSV, scrubbing cells that look like
//!   personal data, publishing a version only when its content changed, reading Kafka in batches.
//! - [`registry_datasets`]: `public-services-registry` and `web-services-catalogue`, one row per registry entity,
//!   republished at most every `republish_interval`.
//! - [`exchange_statistics`]: `exchange-statistics`, one row per Tashkent day, provider and service, folded
//!   exactly once per audit record and published once a day has closed.

pub mod exchange_statistics;
pub mod registry_datasets;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt as _;
use koprik_kafka::consumer::next_batch;
use koprik_kafka::offsets::commit_offsets;
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_kafka::topics::{TopicSpec, AUDIT_RETENTION, EXCHANGE_AUDIT, REGISTRY_EVENTS};
use koprik_kafka::KafkaConfig;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::config::PlatformConfig;
use crate::error::{OpendataError, Result};
use crate::multilingual::Multilingual;
use crate::passport::{Keywords, Passport, DEFAULT_LICENSE};
use crate::publishing::Publisher;
use crate::repository::{Repository, VersionRecord};
use crate::structure::{Field, FieldType, Structure};
use crate::supplier::{ResponsiblePerson, Supplier};
use crate::update_frequency::UpdateFrequency;

/// The URL name of the Unified Registry of Public Services data set.
pub const PUBLIC_SERVICES_REGISTRY: &str = "public-services-registry";
/// The URL name of the catalogue of web services.
pub const WEB_SERVICES_CATALOGUE: &str = "web-services-catalogue";
/// The URL name of the daily exchange statistics.
pub const EXCHANGE_STATISTICS: &str = "exchange-statistics";

/// The most records taken into one batch (one database transaction).
const BATCH_SIZE: usize = 500;
/// How long a batch waits for more records after its first one.
const BATCH_LINGER: Duration = Duration::from_millis(20);
/// The longest pause between retries of a failing database.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One platform data set as [`ensure`] creates it.
pub struct Definition {
    /// Its passport (the supplier is filled in from the configuration).
    pub passport: Passport,
    /// Its fields.
    pub structure: Structure,
}

/// The three platform data sets, in the order they are created.
pub fn definitions(config: &PlatformConfig) -> Vec<Definition> {
    let supplier = &config.supplier.name;
    vec![
        registry_datasets::public_services_definition(supplier),
        registry_datasets::web_services_definition(supplier),
        exchange_statistics::definition(supplier, config.consumer_threshold),
    ]
}

/// The operator as a supplier, from the configuration.
pub fn platform_supplier(config: &PlatformConfig) -> Supplier {
    let supplier = &config.supplier;
    let [uz, ru, en] = supplier.title.clone();
    Supplier {
        name: supplier.name.clone(),
        member: supplier.member.clone(),
        title: Multilingual::new(uz, ru, en),
        domain: supplier.domain.clone(),
        responsible: ResponsiblePerson {
            full_name: supplier.responsible_name.clone(),
            position: String::new(),
            phone: supplier.responsible_phone.clone(),
            email: supplier.responsible_email.clone(),
        },
    }
}

/// Makes sure the platform supplier and its three data sets exist, each with its passport and its current
/// structure. Idempotent: run at every start. A passport or structure changed in a new release of the portal is
/// applied (a changed structure becomes the next structure version; the data set's next version follows it).
pub async fn ensure(repository: &Repository, config: &PlatformConfig) -> Result<()> {
    let supplier = platform_supplier(config);
    supplier.validate().map_err(|e| OpendataError::invalid(format!("platform.{}", e.field), e.rule))?;
    let now = Utc::now();
    match repository.supplier(&supplier.name).await {
        Ok(_) => {}
        Err(OpendataError::NotFound(_)) => match repository.register_supplier(&supplier, now).await {
            Ok(_) => tracing::info!(supplier = %supplier.name, "platform supplier registered"),
            // Another replica registered it a moment ago; anything else (the member taken by another name) fails.
            Err(OpendataError::AlreadyExists(what)) => {
                repository.supplier(&supplier.name).await.map_err(|_| OpendataError::AlreadyExists(what))?;
            }
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    }
    for Definition { mut passport, structure } in definitions(config) {
        passport.validate().map_err(|e| OpendataError::invalid(format!("platform.passport.{}", e.field), e.rule))?;
        structure.validate().map_err(|e| OpendataError::invalid("platform.structure", e.to_string()))?;
        let name = passport.name.clone();
        match repository.dataset(&name).await {
            Ok(existing) if existing.passport != passport => {
                repository.update_passport(&passport).await?;
                tracing::info!(dataset = %name, "platform data set passport updated");
            }
            Ok(_) => {}
            Err(OpendataError::NotFound(_)) => match repository.create_dataset(&passport, true, now).await {
                Ok(_) => tracing::info!(dataset = %name, "platform data set created"),
                Err(OpendataError::AlreadyExists(_)) => {}
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
        repository.define_structure(&name, &structure, now).await?;
    }
    Ok(())
}

/// Publishes the platform data sets until `shutdown`: [`ensure`]s them (retrying while the database is
/// unreachable), then consumes `registry.events` (group `registry_group`) and `exchange.audit` (group
/// `audit_group`), each on its own task. A record that cannot be read is logged and skipped; a database that is
/// down is retried with a growing pause. Returns at once when `config.enabled` is off.
pub async fn run(
    repository: Repository,
    publisher: Publisher,
    kafka: KafkaConfig,
    config: PlatformConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if !config.enabled {
        tracing::info!("platform data sets are off (platform.enabled = false)");
        return Ok(());
    }
    if !ensure_retrying(&repository, &config, &shutdown).await? {
        return Ok(());
    }
    // The registry and the gateway own these topics; creating them here too (with their specifications) means a
    // portal started first still gets its partitions assigned without waiting for a metadata refresh. Not fatal:
    // the consumers wait for the topics either way.
    let topics = [TopicSpec::compacted(REGISTRY_EVENTS), TopicSpec::retained(EXCHANGE_AUDIT, AUDIT_RETENTION)];
    if let Err(e) = koprik_kafka::admin::ensure_topics(&kafka, &topics).await {
        tracing::warn!(error = %e, "cannot make sure the platform data topics exist");
    }
    let registry_consumer =
        Arc::new(koprik_kafka::consumer::group_consumer(&kafka, &config.registry_group, &[REGISTRY_EVENTS])?);
    let audit_consumer =
        Arc::new(koprik_kafka::consumer::group_consumer(&kafka, &config.audit_group, &[EXCHANGE_AUDIT])?);

    // A task that fails stops its siblings through this child token, not the caller's shutdown.
    let stop = shutdown.child_token();
    let (registry_reader, registry_batches) = spawn_reader(Arc::clone(&registry_consumer), stop.clone());
    let (audit_reader, audit_batches) = spawn_reader(Arc::clone(&audit_consumer), stop.clone());
    let mut tasks = JoinSet::new();
    tasks.spawn(async move { registry_reader.await.map(|()| "registry.events reader") });
    tasks.spawn(async move { audit_reader.await.map(|()| "exchange.audit reader") });
    tasks.spawn(
        registry_datasets::run(
            registry_consumer,
            registry_batches,
            repository.clone(),
            publisher.clone(),
            config.clone(),
            stop.clone(),
        )
        .map(|()| Ok("registry data sets")),
    );
    tasks.spawn(
        exchange_statistics::run(audit_consumer, audit_batches, repository, publisher, config, stop.clone())
            .map(|()| Ok("exchange statistics")),
    );
    let mut failed = None;
    while let Some(finished) = tasks.join_next().await {
        match finished {
            Ok(Ok(name)) => tracing::debug!(task = name, "platform data task stopped"),
            Ok(Err(e)) | Err(e) => {
                tracing::error!(error = %e, "a platform data task failed");
                stop.cancel();
                failed.get_or_insert_with(|| anyhow::anyhow!("a platform data task failed: {e}"));
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

/// [`ensure`], retried while the failure is the database's or the store's. False when shutdown came first.
async fn ensure_retrying(
    repository: &Repository,
    config: &PlatformConfig,
    shutdown: &CancellationToken,
) -> anyhow::Result<bool> {
    let mut backoff = Duration::from_millis(200);
    loop {
        match ensure(repository, config).await {
            Ok(()) => return Ok(true),
            Err(
                e @ (OpendataError::Database(_) | OpendataError::Storage(_) | OpendataError::FailedPrecondition(_)),
            ) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot set up the platform data sets; retrying");
            }
            Err(e) => return Err(anyhow::anyhow!("the platform data sets cannot be set up: {e}")),
        }
        if !pause(backoff, shutdown).await {
            return Ok(false);
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Sleeps `duration`; false when `shutdown` came first.
async fn pause(duration: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(duration) => true,
    }
}

/// Retries `attempt` with a growing pause until it succeeds; None when shutdown came first. Used for database
/// writes whose batch must not be skipped (its offsets are committed only after it succeeded).
pub(crate) async fn retry<T, F, Fut>(what: &str, shutdown: &CancellationToken, mut attempt: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut backoff = Duration::from_millis(100);
    loop {
        match attempt().await {
            Ok(value) => return Some(value),
            Err(e) => tracing::warn!(error = %e, retry_in = ?backoff, "cannot {what}; retrying"),
        }
        if !pause(backoff, shutdown).await {
            return None;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Reads batches from `consumer` on a task of its own and hands them over a one-slot channel. The reader is
/// never cancelled in the middle of a batch (only between reads), so no record it took is lost to a `select!`.
fn spawn_reader(
    consumer: Arc<StreamConsumer>,
    shutdown: CancellationToken,
) -> (JoinHandle<()>, mpsc::Receiver<Vec<OwnedMessage>>) {
    let (sender, receiver) = mpsc::channel(1);
    let task = tokio::spawn(async move {
        while let Some(batch) = next_batch(&consumer, BATCH_SIZE, BATCH_LINGER, &shutdown).await {
            tokio::select! {
                () = shutdown.cancelled() => return,
                sent = sender.send(batch) => if sent.is_err() { return },
            }
        }
    });
    (task, receiver)
}

/// Per topic and partition, the offset after the last record of `batch`: what to commit once it is stored.
fn next_offsets(batch: &[OwnedMessage]) -> BTreeMap<(String, i32), i64> {
    let mut offsets = BTreeMap::new();
    for record in batch {
        let next = offsets.entry((record.topic().to_owned(), record.partition())).or_insert(0);
        *next = (*next).max(record.offset() + 1);
    }
    offsets
}

/// Commits a stored batch's offsets. Best effort: a failed commit only means the batch is read again after a
/// restart, which stores nothing twice.
pub(crate) fn commit_batch(consumer: &StreamConsumer, batch: &[OwnedMessage]) {
    if let Err(e) = commit_offsets(consumer, &next_offsets(batch)) {
        tracing::warn!(error = %e, "cannot commit offsets; the batch is read again after a restart");
    }
}

/// How often the publishing loops look whether something is due: often enough that a data set is republished
/// soon after its interval passes, never busier than every 10 ms.
fn tick_period(interval: Duration) -> Duration {
    (interval / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// A field of a platform data set's structure.
/// What every platform data set's passport shares: published by the operator, under the default licence, with no
/// unit and no related links; `keywords` in uz, ru, en. The texts are filled in by each data set.
pub(crate) fn platform_passport(
    name: &str,
    supplier: &str,
    update_frequency: UpdateFrequency,
    keywords: [&[&str]; 3],
) -> Passport {
    let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect();
    Passport {
        name: name.to_owned(),
        supplier: supplier.to_owned(),
        title: Multilingual::default(),
        description: Multilingual::default(),
        composition: Multilingual::default(),
        methodology: Multilingual::default(),
        update_frequency,
        unit: String::new(),
        related_links: Vec::new(),
        keywords: Keywords { uz: words(keywords[0]), ru: words(keywords[1]), en: words(keywords[2]) },
        license_id: DEFAULT_LICENSE.to_owned(),
    }
}

fn field(name: &str, field_type: FieldType, required: bool, title: [&str; 3], unit: &str) -> Field {
    let [uz, ru, en] = title;
    Field {
        name: name.to_owned(),
        field_type,
        required,
        title: Multilingual::new(uz, ru, en),
        description: Multilingual::default(),
        unit: unit.to_owned(),
    }
}

/// Blanks every cell that looks like personal data of an individual (OD Annex 3), so that one registry entry
/// whose free text holds, say, a mobile number cannot stop the whole data set from being published. Returns the
/// names of the columns blanked (never their values) for the log.
pub fn scrub(structure: &Structure, cells: &mut [String]) -> Vec<String> {
    let mut blanked = Vec::new();
    for (field, cell) in structure.fields.iter().zip(cells.iter_mut()) {
        if crate::personal_data::detect(cell).is_some() {
            cell.clear();
            blanked.push(field.name.clone());
        }
    }
    blanked
}

/// The first required field whose cell is empty, if any: such a row would make the publication check refuse
/// the whole data set.
pub fn missing_required<'a>(structure: &'a Structure, cells: &[String]) -> Option<&'a str> {
    structure
        .fields
        .iter()
        .zip(cells.iter().map(Some).chain(std::iter::repeat(None)))
        .find(|(field, cell)| field.required && cell.is_none_or(|cell| cell.trim().is_empty()))
        .map(|(field, _)| field.name.as_str())
}

/// A CSV with the structure's field names as header and one record per row, in the portal's canonical shape
/// (minimal quoting, `\n` after every record).
pub fn csv_bytes<'a>(structure: &Structure, rows: impl IntoIterator<Item = &'a Vec<String>>) -> Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let failed = |e: csv::Error| OpendataError::Storage(std::io::Error::other(e));
    writer.write_record(structure.names()).map_err(failed)?;
    for row in rows {
        writer.write_record(row).map_err(failed)?;
    }
    writer.into_inner().map_err(|e| OpendataError::Storage(e.into_error()))
}

/// Publishes `csv` as the next version of the platform data set `dataset`, after the same checks every version
/// passes (structure, personal data). Nothing is published when the content equals the latest version's, unless
/// `even_if_unchanged` (a daily data set owes a version a day). None when nothing was published.
pub async fn publish_csv(
    repository: &Repository,
    publisher: &Publisher,
    dataset: &str,
    csv: Vec<u8>,
    change_note: &str,
    even_if_unchanged: bool,
    now: DateTime<Utc>,
) -> Result<Option<VersionRecord>> {
    let record = repository.dataset(dataset).await?;
    let structure = repository.structure(dataset, record.structure_version).await?;
    let checked = publisher.store().check_in_bytes(csv, structure.structure).await?;
    if record.version > 0 && !even_if_unchanged {
        let latest = repository.version(&record, record.version).await?;
        if latest.sha256 == checked.sha256 && latest.structure_version == record.structure_version {
            return Ok(None);
        }
    }
    let version =
        repository.publish_version(&record, change_note, &checked, crate::publishing::PLATFORM_ACTOR, now).await?;
    tracing::info!(dataset, version = version.number, rows = version.rows, "platform data set published");
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OpendataConfig;

    #[test]
    fn the_platform_supplier_and_data_sets_are_valid() {
        let config = OpendataConfig::default().platform;
        platform_supplier(&config).validate().expect("the default operator is a valid supplier");
        let definitions = definitions(&config);
        let names: Vec<&str> = definitions.iter().map(|d| d.passport.name.as_str()).collect();
        assert_eq!(names, [PUBLIC_SERVICES_REGISTRY, WEB_SERVICES_CATALOGUE, EXCHANGE_STATISTICS]);
        for Definition { mut passport, structure } in definitions {
            passport.validate().unwrap_or_else(|e| panic!("{}: {e}", passport.name));
            structure.validate().unwrap_or_else(|e| panic!("{}: {e}", passport.name));
            assert_eq!(passport.supplier, config.supplier.name);
        }
    }

    #[test]
    fn a_cell_that_looks_like_personal_data_is_blanked_and_named() {
        let structure = Structure {
            fields: vec![
                field("name", FieldType::String, true, ["a", "b", "c"], ""),
                field("note", FieldType::String, false, ["a", "b", "c"], ""),
            ],
        };
        let mut cells = vec!["Tug'ilganlik haqida ma'lumot".to_owned(), "Murojaat: +998 90 123 45 67".to_owned()];
        assert_eq!(scrub(&structure, &mut cells), ["note"]);
        assert_eq!(cells, ["Tug'ilganlik haqida ma'lumot", ""]);
        assert_eq!(missing_required(&structure, &cells), None);
        assert_eq!(missing_required(&structure, &[" ".to_owned(), "x".to_owned()]), Some("name"));
        assert_eq!(missing_required(&structure, &[]), Some("name"));
    }

    #[test]
    fn the_csv_is_in_canonical_form() {
        let structure = Structure {
            fields: vec![
                field("a", FieldType::String, true, ["a", "b", "c"], ""),
                field("b", FieldType::Integer, false, ["a", "b", "c"], ""),
            ],
        };
        let rows = vec![vec!["x, y".to_owned(), "1".to_owned()], vec!["z".to_owned(), String::new()]];
        let csv = csv_bytes(&structure, &rows).expect("in memory");
        assert_eq!(String::from_utf8(csv.clone()).expect("utf-8"), "a,b\n\"x, y\",1\nz,\n");
        let mut canonical = Vec::new();
        crate::publication_check::check_and_canonicalise(&structure, csv.as_slice(), &mut canonical).expect("valid");
        assert_eq!(canonical, csv);
    }

    #[test]
    fn the_tick_is_a_quarter_of_the_interval_within_bounds() {
        assert_eq!(tick_period(Duration::from_millis(200)), Duration::from_millis(50));
        assert_eq!(tick_period(Duration::from_millis(1)), Duration::from_millis(10));
        assert_eq!(tick_period(Duration::from_secs(60)), Duration::from_secs(1));
    }
}
