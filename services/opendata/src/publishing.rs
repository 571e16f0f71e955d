//! Publishing a version: the one path every version takes, whether a supplier uploads it or the platform
//! generates it. The file is checked against the data set's current structure version and for personal data
//! before anything is recorded (OD Annex 3); only then does it become the next version.

use chrono::Utc;

use crate::error::{OpendataError, Result};
use crate::repository::{DatasetRecord, Repository, VersionRecord};
use crate::version_store::{Upload, VersionStore};

/// The longest change note.
pub const MAX_CHANGE_NOTE: usize = 1000;

/// Who the platform's own versions (the registry data sets, exchange statistics) are recorded as published by:
/// the portal itself, which generates them.
pub const PLATFORM_ACTOR: &str = "koprik-opendata";

/// Publishes versions.
#[derive(Clone)]
pub struct Publisher {
    repository: Repository,
    store: VersionStore,
}

impl Publisher {
    /// A publisher over the repository and the version store.
    pub fn new(repository: Repository, store: VersionStore) -> Self {
        Self { repository, store }
    }

    /// The version store.
    pub fn store(&self) -> &VersionStore {
        &self.store
    }

    /// Checks `upload` against structure version `structure_version` of `dataset` (which must be its current
    /// one) and publishes it as the next version, recorded as published by `actor` (the certificate's identity).
    pub async fn publish(
        &self,
        dataset: &str,
        structure_version: u32,
        change_note: &str,
        upload: Upload,
        actor: &str,
    ) -> Result<VersionRecord> {
        let (record, change_note) = self.check_header(dataset, structure_version, change_note).await?;
        let structure = self.repository.structure(dataset, structure_version).await?;
        let checked = self.store.check_in(upload, structure.structure).await?;
        self.repository.publish_version(&record, change_note, &checked, actor, Utc::now()).await
    }

    /// Checks what a version's header names before its file is received: the change note, the data set, and that
    /// the structure version is the data set's current one. Returns the data set and the trimmed note.
    pub async fn check_header<'a>(
        &self,
        dataset: &str,
        structure_version: u32,
        change_note: &'a str,
    ) -> Result<(DatasetRecord, &'a str)> {
        let change_note = change_note.trim();
        if change_note.is_empty() || change_note.chars().count() > MAX_CHANGE_NOTE {
            return Err(OpendataError::invalid(
                "header.change_note",
                format!("say what changed, in 1-{MAX_CHANGE_NOTE} characters (OD Annex 2)"),
            ));
        }
        let record = self.repository.dataset(dataset).await?;
        if record.structure_version == 0 {
            return Err(OpendataError::FailedPrecondition(format!(
                "data set {dataset:?} has no structure yet: define its fields first (DefineStructure)"
            )));
        }
        if structure_version != record.structure_version {
            return Err(OpendataError::FailedPrecondition(format!(
                "header.structure_version: the file must follow the current structure version {} of {dataset:?}, not {structure_version}",
                record.structure_version
            )));
        }
        Ok((record, change_note))
    }
}
