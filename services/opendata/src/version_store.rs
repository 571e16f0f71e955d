//! The version store: each published version's canonical CSV, one immutable file named by its SHA-256, in a
//! directory shared by the replicas (a persistent volume). Uploads land in `tmp/` first and are checked from
//! there; only a version that passed every publication check is moved into place, so a refused or interrupted
//! upload never leaves anything behind that looks published.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::error::{OpendataError, Result};
use crate::publication_check::{check_and_canonicalise, CheckedVersion};
use crate::structure::Structure;

/// Where version files live.
#[derive(Debug, Clone)]
pub struct VersionStore {
    dir: PathBuf,
}

/// An upload being received: a temporary file removed when dropped unless checked into the store.
pub struct Upload {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    bytes: u64,
}

impl Upload {
    /// Appends a chunk.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.file.write_all(chunk).await?;
        self.bytes += chunk.len() as u64;
        Ok(())
    }

    /// Bytes received so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl VersionStore {
    /// A store in `dir`, created when missing.
    pub fn open(dir: &Path) -> Result<Self> {
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        // Uploads a crash interrupted: never published, nobody will finish them.
        for entry in std::fs::read_dir(&tmp)? {
            let path = entry?.path();
            if let Err(error) = std::fs::remove_file(&path) {
                tracing::warn!(%error, path = %path.display(), "cannot remove an abandoned upload");
            }
        }
        Ok(Self { dir: dir.to_owned() })
    }

    /// The file of the version with this SHA-256.
    pub fn path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.dir.join(prefix).join(format!("{sha256}.csv"))
    }

    /// Starts receiving an upload.
    pub async fn begin_upload(&self) -> Result<Upload> {
        let (file, path) = tempfile::NamedTempFile::new_in(self.dir.join("tmp"))?.into_parts();
        Ok(Upload { file: tokio::fs::File::from_std(file), path, bytes: 0 })
    }

    /// Checks an upload against `structure` and the personal-data rule, on a blocking thread, streaming; on
    /// success its canonical form is in the store under its SHA-256.
    pub async fn check_in(&self, mut upload: Upload, structure: Structure) -> Result<CheckedVersion> {
        upload.file.flush().await?;
        drop(upload.file);
        let store = self.clone();
        let source = upload.path;
        tokio::task::spawn_blocking(move || store.check_in_blocking(&source, &structure))
            .await
            .map_err(|e| OpendataError::Corrupt(format!("the publication check stopped: {e}")))?
    }

    /// Checks an in-memory CSV (the platform's own data sets, which are small) the same way.
    pub async fn check_in_bytes(&self, csv: Vec<u8>, structure: Structure) -> Result<CheckedVersion> {
        let mut upload = self.begin_upload().await?;
        upload.write(&csv).await?;
        self.check_in(upload, structure).await
    }

    fn check_in_blocking(&self, source: &Path, structure: &Structure) -> Result<CheckedVersion> {
        let input = BufReader::with_capacity(1 << 20, File::open(source)?);
        let canonical = tempfile::NamedTempFile::new_in(self.dir.join("tmp"))?;
        let checked = {
            let mut output = BufWriter::with_capacity(1 << 20, canonical.as_file());
            let checked = check_and_canonicalise(structure, input, &mut output)?;
            std::io::Write::flush(&mut output)?;
            checked
        };
        canonical.as_file().sync_all()?;
        let target = self.path(&checked.sha256);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // The same content may already be stored (an unchanged re-publication): the file is the same either way.
        canonical.persist(&target).map_err(|e| e.error)?;
        // The rename itself must survive a power loss before the database says the version exists.
        if let Some(parent) = target.parent() {
            File::open(parent)?.sync_all()?;
        }
        Ok(checked)
    }

    /// Opens a stored version for reading.
    pub fn open_version(&self, sha256: &str) -> Result<File> {
        File::open(self.path(sha256))
            .map_err(|e| OpendataError::Corrupt(format!("the file of version {sha256} cannot be opened: {e}")))
    }
}
