//! The officer's electronic signature on a request (REG-2 p. 14: "the details of the electronic digital signature
//! of the officer who prepared it"). The gateway verifies it against the key registered in the registry for the
//! calling subsystem before anything is forwarded; an unsigned or wrongly signed request is refused and audited.

use chrono::{DateTime, Utc};
use koprik_proto::exchange::CallRequest;
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::SigningKeyPurpose;
use koprik_proto::signing;
use koprik_proto::FieldError;
use sha2::{Digest, Sha256};

use crate::cache::{CachedKey, RegistryCache};
use crate::error::GatewayError;
use crate::mandatory_content::Particulars;

/// Whether a registered key may sign for `owner` at `at`: the refusal names why not.
pub fn usable(key_id: &str, key: &CachedKey, purpose: SigningKeyPurpose, at: DateTime<Utc>) -> Result<(), String> {
    if key.revoked {
        return Err(format!("signing key {key_id} is revoked"));
    }
    if key.purpose != purpose {
        return Err(format!("signing key {key_id} is not registered as an {} key", purpose_name(purpose)));
    }
    if key.valid_from.is_some_and(|from| at < from) || key.valid_until.is_some_and(|until| at >= until) {
        return Err(format!("signing key {key_id} is not valid at the signing time"));
    }
    Ok(())
}

fn purpose_name(purpose: SigningKeyPurpose) -> &'static str {
    match purpose {
        SigningKeyPurpose::Adapter => "adapter",
        _ => "officer",
    }
}

/// A signature that verified: its key, and what identifies the signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The officer's key id, for the audit record.
    pub key_id: String,
    /// Hex SHA-256 of the signed bytes (the canonical encoding, key id included): the same signed request, sent
    /// again, has the same digest ([`crate::replay`]).
    pub digest: String,
}

/// Verifies the officer's signature on `request` from `consumer`.
pub fn verify(
    cache: &RegistryCache,
    consumer: &SubsystemId,
    request: &CallRequest,
    particulars: &Particulars,
) -> Result<Verified, GatewayError> {
    let signature = request.signature.as_ref().ok_or_else(|| {
        FieldError::new("signature", "is required: the officer's electronic signature of the request (REG-2 p. 14)")
    })?;
    if signature.key_id.is_empty() {
        return Err(FieldError::new("signature.key_id", "is required").into());
    }
    let key_id = &signature.key_id;
    let refused = |why: String| GatewayError::BadSignature(format!("the request's signature is not accepted: {why}"));
    let key = cache.signing_key(key_id).ok_or_else(|| refused(format!("signing key {key_id} is not registered")))?;
    if &key.subsystem != consumer {
        return Err(refused(format!("signing key {key_id} is not registered for {consumer}")));
    }
    usable(key_id, &key, SigningKeyPurpose::Officer, particulars.signed_at).map_err(refused)?;
    usable(key_id, &key, SigningKeyPurpose::Officer, Utc::now()).map_err(refused)?;
    if key.holder_name != particulars.officer_name || key.holder_position != particulars.officer_position {
        return Err(refused(format!(
            "particulars name the officer {:?} ({}), but key {key_id} is registered to {:?} ({})",
            particulars.officer_name, particulars.officer_position, key.holder_name, key.holder_position
        )));
    }
    let signed = signing::request_bytes(request, key_id);
    signing::verify(&key.public_key, &signed, &signature.value).map_err(|e| refused(e.to_string()))?;
    Ok(Verified { key_id: key_id.clone(), digest: hex::encode(Sha256::digest(&signed)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::events::registry_event::Entity;
    use koprik_proto::exchange::{RequestParticulars, Signature};
    use koprik_proto::registry::{CredentialStatus, Meta, SignatureAlgorithm, SigningKey};
    use koprik_proto::signing::PrivateKey;
    use koprik_proto::time::timestamp;

    const CONSUMER: &str = "UZ/GOV/200935935/tax-inspection";

    fn setup(status: CredentialStatus) -> (RegistryCache, PrivateKey) {
        let key = PrivateKey::generate();
        let consumer: SubsystemId = CONSUMER.parse().expect("id");
        let cache = RegistryCache::default();
        cache
            .apply(&Entity::SigningKey(SigningKey {
                key_id: "officer-1".into(),
                subsystem: Some((&consumer).into()),
                purpose: SigningKeyPurpose::Officer as i32,
                algorithm: SignatureAlgorithm::Ed25519 as i32,
                public_key: key.public_key(),
                holder_name: "Dilnoza Rahimova".into(),
                holder_position: "chief inspector".into(),
                status: status as i32,
                meta: Some(Meta { revision: 1, ..Meta::default() }),
                ..SigningKey::default()
            }))
            .expect("key");
        (cache, key)
    }

    fn signed(key: &PrivateKey, key_id: &str) -> (CallRequest, Particulars) {
        let now = Utc::now();
        let mut request = CallRequest {
            data_items: vec!["surname".into()],
            particulars: Some(RequestParticulars {
                signed_at: Some(timestamp(now)),
                officer_name: "Dilnoza Rahimova".into(),
                officer_position: "chief inspector".into(),
                ..RequestParticulars::default()
            }),
            ..CallRequest::default()
        };
        let value = key.sign(&signing::request_bytes(&request, key_id));
        request.signature = Some(Signature { key_id: key_id.into(), value });
        let particulars = Particulars {
            public_service_number: 0,
            applicant_request_ref: String::new(),
            signed_at: now,
            officer_name: "Dilnoza Rahimova".into(),
            officer_position: "chief inspector".into(),
        };
        (request, particulars)
    }

    fn consumer() -> SubsystemId {
        CONSUMER.parse().expect("id")
    }

    #[test]
    fn a_correct_signature_is_accepted() {
        let (cache, key) = setup(CredentialStatus::Active);
        let (request, particulars) = signed(&key, "officer-1");
        let verified = verify(&cache, &consumer(), &request, &particulars).expect("verified");
        assert_eq!(verified.key_id, "officer-1");
        let signed = signing::request_bytes(&request, "officer-1");
        assert_eq!(verified.digest, hex::encode(Sha256::digest(&signed)), "the digest of the signed bytes");
    }

    #[test]
    fn the_same_signed_request_has_the_same_digest_and_a_new_signature_another() {
        let (cache, key) = setup(CredentialStatus::Active);
        let (request, particulars) = signed(&key, "officer-1");
        let first = verify(&cache, &consumer(), &request, &particulars).expect("verified");
        let again = verify(&cache, &consumer(), &request.clone(), &particulars).expect("verified");
        assert_eq!(first.digest, again.digest);
        // Signed again (a later signed_at), the same content is another request.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (resigned, particulars) = signed(&key, "officer-1");
        assert_ne!(verify(&cache, &consumer(), &resigned, &particulars).expect("verified").digest, first.digest);
    }

    #[test]
    fn a_tampered_request_is_refused() {
        let (cache, key) = setup(CredentialStatus::Active);
        let (mut request, particulars) = signed(&key, "officer-1");
        request.data_items.push("address".into());
        let err = verify(&cache, &consumer(), &request, &particulars).expect_err("tampered");
        assert!(matches!(&err, GatewayError::BadSignature(m) if m.contains("does not match")), "{err}");
    }

    #[test]
    fn unsigned_unknown_foreign_and_revoked_keys_are_refused() {
        let (cache, key) = setup(CredentialStatus::Active);
        let (mut unsigned, particulars) = signed(&key, "officer-1");
        unsigned.signature = None;
        let err = verify(&cache, &consumer(), &unsigned, &particulars).expect_err("unsigned");
        assert!(matches!(&err, GatewayError::Invalid(f) if f.field == "signature"), "{err}");

        let (unknown, particulars) = signed(&key, "officer-9");
        assert!(verify(&cache, &consumer(), &unknown, &particulars)
            .expect_err("unknown")
            .to_string()
            .contains("not registered"));

        let (request, particulars) = signed(&key, "officer-1");
        let stranger: SubsystemId = "UZ/GOV/300000001/other".parse().expect("id");
        assert!(matches!(verify(&cache, &stranger, &request, &particulars), Err(GatewayError::BadSignature(_))));

        let (revoked_cache, key) = setup(CredentialStatus::Revoked);
        let (request, particulars) = signed(&key, "officer-1");
        let err = verify(&revoked_cache, &consumer(), &request, &particulars).expect_err("revoked");
        assert!(err.to_string().contains("revoked"), "{err}");
    }

    #[test]
    fn the_officer_named_must_hold_the_key() {
        let (cache, key) = setup(CredentialStatus::Active);
        let (request, mut particulars) = signed(&key, "officer-1");
        particulars.officer_name = "Someone Else".into();
        let err = verify(&cache, &consumer(), &request, &particulars).expect_err("other officer");
        assert!(err.to_string().contains("registered to"), "{err}");
    }
}
