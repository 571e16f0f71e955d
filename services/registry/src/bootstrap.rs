//! The first operator. Every registry call needs a registered certificate, including `RegisterCertificate`
//! itself, so the first operator's certificate cannot be registered through the API: the configuration names a PEM
//! file (`bootstrap_operator`, `KOPRIK_BOOTSTRAP_OPERATOR`; on Kubernetes a Secret mounted into the registry) with
//! one or more operator certificates, and at start-up each one whose serial the registry does not know yet is
//! registered with actor `bootstrap`.
//!
//! Safe to leave in place: a serial already registered is left as it is, so restarts add nothing and a bootstrap
//! certificate revoked since stays revoked. Only operator certificates issued by the platform CA are accepted; a
//! certificate of another role (or an unreadable one) stops the start-up, before anything is registered, with an
//! error naming it.

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use koprik_authz::Role;

use crate::domain::client_certificate::{PlatformCa, Registration};
use crate::repository::Repository;

/// The actor recorded for certificates registered from the bootstrap file.
pub const ACTOR: &str = "bootstrap";

/// Reads the operator certificates of the bootstrap file `path`: every one must be a readable, unexpired operator
/// certificate issued by `ca`.
pub fn read(path: &Path, ca: &PlatformCa) -> anyhow::Result<Vec<Registration>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("bootstrap_operator: cannot read {}", path.display()))?;
    let now = Utc::now();
    let mut registrations = Vec::new();
    for (index, block) in pem_blocks(&text)
        .map_err(|e| anyhow::anyhow!("bootstrap_operator {}: {e}", path.display()))?
        .into_iter()
        .enumerate()
    {
        if block.label != "CERTIFICATE" {
            anyhow::bail!(
                "bootstrap_operator {}: PEM block {index} is a {}, not a CERTIFICATE (never put a private key here)",
                path.display(),
                block.label
            );
        }
        let registration = Registration::read(&block.text, now, ca)
            .map_err(|e| anyhow::anyhow!("bootstrap_operator {}: certificate {index}: {e}", path.display()))?;
        if registration.identity.role() != Role::Operator {
            anyhow::bail!(
                "bootstrap_operator {}: certificate {} names {}; only operator certificates may be bootstrapped \
                 (register the others through RegisterCertificate as an operator)",
                path.display(),
                registration.certificate.serial,
                registration.identity
            );
        }
        registrations.push(registration);
    }
    if registrations.is_empty() {
        anyhow::bail!("bootstrap_operator {}: holds no PEM certificate", path.display());
    }
    Ok(registrations)
}

/// Registers each bootstrap certificate the registry does not know yet; returns how many it registered.
pub async fn register(repository: &Repository, registrations: Vec<Registration>) -> anyhow::Result<usize> {
    let mut registered = 0;
    for registration in registrations {
        let serial = registration.certificate.serial.clone();
        let identity = registration.identity.clone();
        if let Some(known) = repository.find_certificate(&serial).await? {
            let status = known.status().as_str_name();
            tracing::info!(serial, identity = %identity, status, "bootstrap operator certificate already registered; left as it is");
            continue;
        }
        repository
            .register_certificate(registration, ACTOR)
            .await
            .with_context(|| format!("bootstrap_operator: registering certificate {serial} ({identity})"))?;
        tracing::info!(serial, identity = %identity, "bootstrap operator certificate registered");
        registered += 1;
    }
    Ok(registered)
}

/// One PEM block of a file: its label and its text, BEGIN and END lines included.
struct PemBlock {
    label: String,
    text: String,
}

/// The PEM blocks of `text`, in order; text between blocks (comments) is ignored.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    let mut blocks = Vec::new();
    let mut open: Option<PemBlock> = None;
    for line in text.lines().map(str::trim) {
        match &mut open {
            None => {
                if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
                    open = Some(PemBlock { label: label.to_owned(), text: format!("{line}\n") });
                }
            }
            Some(block) => {
                block.text.push_str(line);
                block.text.push('\n');
                if line.starts_with("-----END ") {
                    blocks.extend(open.take());
                }
            }
        }
    }
    match open {
        Some(block) => Err(format!("the PEM block {} has no END line", block.label)),
        None => Ok(blocks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_files_split_into_their_blocks() {
        let text = "# operators\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\n\
                    -----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";
        let blocks = pem_blocks(text).expect("two blocks");
        let labels: Vec<&str> = blocks.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["CERTIFICATE", "PRIVATE KEY"]);
        assert_eq!(blocks[0].text, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assert!(pem_blocks("-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
    }
}
