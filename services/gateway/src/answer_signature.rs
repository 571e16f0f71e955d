//! The provider's answer is signed by its adapter and verified by the gateway before delivery, so a consumer
//! receives only what the provider's side produced and nobody on the way altered (A1 §22: confidentiality and
//! integrity until delivery). The key must be an adapter key registered for a subsystem of the providing member. The
//! signature covers the data items the answer declares, which [`crate::access::check_released`] then checks.

use koprik_proto::events::ProviderAnswer;
use koprik_proto::ids::ServiceId;
use koprik_proto::registry::SigningKeyPurpose;
use koprik_proto::signing;
use koprik_proto::time::datetime;

use crate::cache::RegistryCache;
use crate::error::GatewayError;
use crate::request_signature::usable;

/// Verifies the adapter's signature on `answer` to `request_id` for `service`; returns the key id for the audit.
pub fn verify(
    cache: &RegistryCache,
    request_id: &str,
    service: &ServiceId,
    answer: &ProviderAnswer,
    answered_at: Option<&koprik_proto::prost_types::Timestamp>,
) -> Result<String, GatewayError> {
    let refused = |why: String| {
        GatewayError::UnverifiedAnswer(format!(
            "the provider's answer was not delivered because its signature is not accepted: {why}"
        ))
    };
    let signature = answer.signature.as_ref().ok_or_else(|| refused("the answer is not signed".into()))?;
    let key_id = &signature.key_id;
    let key = cache.signing_key(key_id).ok_or_else(|| refused(format!("signing key {key_id} is not registered")))?;
    if key.subsystem.member() != service.provider() {
        return Err(refused(format!("signing key {key_id} does not belong to the provider {}", service.provider())));
    }
    let at = answered_at.and_then(datetime).unwrap_or_else(chrono::Utc::now);
    usable(key_id, &key, SigningKeyPurpose::Adapter, at).map_err(refused)?;
    let wire_service: koprik_proto::common::ServiceId = service.into();
    let bytes = signing::answer_bytes(request_id, Some(&wire_service), answer, answered_at, key_id);
    signing::verify(&key.public_key, &bytes, &signature.value).map_err(|e| refused(e.to_string()))?;
    Ok(key_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::events::registry_event::Entity;
    use koprik_proto::exchange::Signature;
    use koprik_proto::ids::SubsystemId;
    use koprik_proto::registry::{Meta, SignatureAlgorithm, SigningKey};
    use koprik_proto::signing::PrivateKey;
    use koprik_proto::time::timestamp;

    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";

    fn cache(owner: &str, key: &PrivateKey) -> RegistryCache {
        let owner: SubsystemId = owner.parse().expect("id");
        let cache = RegistryCache::default();
        cache
            .apply(&Entity::SigningKey(SigningKey {
                key_id: "adapter-1".into(),
                subsystem: Some((&owner).into()),
                purpose: SigningKeyPurpose::Adapter as i32,
                algorithm: SignatureAlgorithm::Ed25519 as i32,
                public_key: key.public_key(),
                meta: Some(Meta { revision: 1, ..Meta::default() }),
                ..SigningKey::default()
            }))
            .expect("key");
        cache
    }

    fn signed(key: &PrivateKey, request_id: &str) -> (ProviderAnswer, koprik_proto::prost_types::Timestamp) {
        let service: ServiceId = SERVICE.parse().expect("id");
        let at = timestamp(chrono::Utc::now());
        let mut answer = ProviderAnswer {
            payload: b"{\"surname\":\"X\"}".to_vec(),
            content_type: "application/json".into(),
            signature: None,
            data_items: vec!["surname".into()],
        };
        let bytes = signing::answer_bytes(request_id, Some(&(&service).into()), &answer, Some(&at), "adapter-1");
        answer.signature = Some(Signature { key_id: "adapter-1".into(), value: key.sign(&bytes) });
        (answer, at)
    }

    #[test]
    fn the_providers_signed_answer_is_accepted_and_an_altered_one_refused() {
        let key = PrivateKey::generate();
        let cache = cache("UZ/GOV/201122919/civil-registry", &key);
        let service: ServiceId = SERVICE.parse().expect("id");
        let (answer, at) = signed(&key, "r-1");
        assert_eq!(verify(&cache, "r-1", &service, &answer, Some(&at)), Ok("adapter-1".into()));

        let mut altered = answer.clone();
        altered.payload = b"{\"surname\":\"Y\"}".to_vec();
        assert!(matches!(verify(&cache, "r-1", &service, &altered, Some(&at)), Err(GatewayError::UnverifiedAnswer(_))));
        // The items it declares are signed too: none can be added on the way.
        let mut more = answer.clone();
        more.data_items.push("address".into());
        assert!(matches!(verify(&cache, "r-1", &service, &more, Some(&at)), Err(GatewayError::UnverifiedAnswer(_))));
        // The same answer replayed for another request does not verify either.
        assert!(verify(&cache, "r-2", &service, &answer, Some(&at)).is_err());
        let mut unsigned = answer;
        unsigned.signature = None;
        assert!(verify(&cache, "r-1", &service, &unsigned, Some(&at)).is_err());
    }

    #[test]
    fn another_members_key_cannot_sign_for_the_provider() {
        let key = PrivateKey::generate();
        let cache = cache("UZ/GOV/300000001/elsewhere", &key);
        let (answer, at) = signed(&key, "r-1");
        let err = verify(&cache, "r-1", &SERVICE.parse().expect("id"), &answer, Some(&at)).expect_err("foreign");
        assert!(err.to_string().contains("does not belong to the provider"), "{err}");
    }
}
