//! Locating Tansu, the Kafka-compatible broker used for development and tests (`cargo install tansu`).

use std::path::PathBuf;

/// The Tansu binary: `TANSU_BIN`, else `~/.cargo/bin/tansu` when it exists, else `tansu` on the `PATH`.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU_BIN") {
        return PathBuf::from(path);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let cargo_bin = PathBuf::from(home).join(".cargo/bin/tansu");
        if cargo_bin.exists() {
            return cargo_bin;
        }
    }
    PathBuf::from("tansu")
}

/// What to tell someone whose machine lacks Tansu.
pub const INSTALL_HINT: &str =
    "install it with `make tansu` (cargo install tansu --version 0.6.0 --locked --features libsql,dynostore) or set TANSU_BIN";
