//! PEM files on disk. Private keys are created readable by their owner only.

use std::path::Path;

use crate::PkiError;

/// Reads a text file.
pub fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io { path: path.to_path_buf(), source })
}

/// Writes a public file (a certificate), creating its directory.
pub fn write_public(path: &Path, contents: &str) -> Result<(), PkiError> {
    create_parent(path)?;
    std::fs::write(path, contents).map_err(|source| PkiError::Io { path: path.to_path_buf(), source })
}

/// Writes a private key, mode 0600 on Unix, creating its directory.
pub fn write_private(path: &Path, contents: &str) -> Result<(), PkiError> {
    use std::io::Write;
    create_parent(path)?;
    let io = |source| PkiError::Io { path: path.to_path_buf(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)
}

fn create_parent(path: &Path) -> Result<(), PkiError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| PkiError::Io { path: dir.to_path_buf(), source })
        }
        _ => Ok(()),
    }
}
