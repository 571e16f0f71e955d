//! The adapter signs every answer it relays, with the provider's adapter key registered in the registry, so the
//! gateway can verify that the answer delivered, and the data items it declares, are the ones the provider's side
//! produced (A1 §22).

use std::path::Path;

use koprik_proto::common::ServiceId;
use koprik_proto::events::ProviderAnswer;
use koprik_proto::exchange::Signature;
use koprik_proto::prost_types::Timestamp;
use koprik_proto::signing::{self, PrivateKey};

/// The adapter's signing key and its registered id.
pub struct AnswerSigner {
    key: PrivateKey,
    key_id: String,
}

impl AnswerSigner {
    /// A signer with `key`, registered as `key_id`.
    pub fn new(key: PrivateKey, key_id: &str) -> Self {
        Self { key, key_id: key_id.to_owned() }
    }

    /// Reads the PKCS#8 PEM key at `path`, registered as `key_id`.
    pub fn from_file(path: &Path, key_id: &str) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "signing.key_file: cannot read {}: {e} (create one with `koprik key generate` and register its public \
                 key as an ADAPTER key of the provider)",
                path.display()
            )
        })?;
        let key =
            PrivateKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("signing.key_file {}: {e}", path.display()))?;
        anyhow::ensure!(!key_id.is_empty(), "signing.key_id: is required: the id the key is registered under");
        Ok(Self { key, key_id: key_id.to_owned() })
    }

    /// Signs `answer` to `request_id` for `service`, answered at `answered_at`.
    pub fn sign(
        &self,
        request_id: &str,
        service: Option<&ServiceId>,
        answer: &mut ProviderAnswer,
        answered_at: &Timestamp,
    ) {
        answer.signature = None;
        let bytes = signing::answer_bytes(request_id, service, answer, Some(answered_at), &self.key_id);
        answer.signature = Some(Signature { key_id: self.key_id.clone(), value: self.key.sign(&bytes) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_answers_verify_with_the_public_key() {
        let key = PrivateKey::generate();
        let public = key.public_key();
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("adapter.pem");
        std::fs::write(&path, key.to_pem().expect("pem")).expect("written");
        let signer = AnswerSigner::from_file(&path, "adapter-1").expect("loads");
        let mut answer = ProviderAnswer {
            payload: b"{}".to_vec(),
            content_type: "application/json".into(),
            signature: None,
            data_items: vec!["surname".into()],
        };
        let at = Timestamp { seconds: 5, nanos: 0 };
        signer.sign("r-1", None, &mut answer, &at);
        let signature = answer.signature.clone().expect("signed");
        assert_eq!(signature.key_id, "adapter-1");
        let bytes = signing::answer_bytes("r-1", None, &answer, Some(&at), "adapter-1");
        assert!(signing::verify(&public, &bytes, &signature.value).is_ok());
        // The declared items are signed too.
        answer.data_items.push("address".into());
        let bytes = signing::answer_bytes("r-1", None, &answer, Some(&at), "adapter-1");
        assert!(signing::verify(&public, &bytes, &signature.value).is_err());
        assert!(AnswerSigner::from_file(&dir.path().join("missing.pem"), "adapter-1").is_err());
    }
}
