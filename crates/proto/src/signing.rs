//! Signatures over the exchange contract: the canonical encodings of a request (what the consumer's officer signs,
//! REG-2 p. 14) and of a provider's answer (what the adapter signs), and Ed25519 signing and verification.
//!
//! The encodings are specified in `proto/koprik/exchange/v1/exchange.proto` ("Signatures"): a domain separator,
//! then each field as a 4-byte big-endian length and its UTF-8 bytes. Length prefixes make the encoding
//! unambiguous (no field can spill into the next), and the payload enters as its SHA-256, so a signer need not
//! hold large payloads twice.

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, Verifier};
use prost_types::Timestamp;
use sha2::{Digest, Sha256};

use crate::common::applicant_id::Kind;
use crate::common::{MemberId, ServiceId};
use crate::events::ProviderAnswer;
use crate::exchange::{CallRequest, RequestParticulars};

/// Domain separator of the request encoding.
pub const REQUEST_DOMAIN: &str = "koprik.exchange.v1.CallRequest/1";
/// Domain separator of the answer encoding. Version 2 covers the data items the answer carries; a version 1
/// signature (without them) never verifies as a version 2 one.
pub const ANSWER_DOMAIN: &str = "koprik.events.v1.ProviderAnswer/2";

/// Why a signature does not verify or a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The registered public key is not an Ed25519 key.
    #[error("the registered public key is not a 32-byte Ed25519 key")]
    BadPublicKey,
    /// The signature is not 64 bytes.
    #[error("the signature must be 64 bytes (Ed25519), got {0}")]
    BadLength(usize),
    /// The signature does not match the signed content.
    #[error("the signature does not match the signed content")]
    Mismatch,
    /// A private key file that is not a PKCS#8 Ed25519 key.
    #[error("not a PKCS#8 Ed25519 private key: {0}")]
    BadPrivateKey(String),
}

/// Builds a canonical encoding field by field.
struct Canonical(Vec<u8>);

impl Canonical {
    fn new(domain: &str) -> Self {
        let mut encoding = Self(Vec::with_capacity(512));
        encoding.field(domain);
        encoding
    }

    fn field(&mut self, value: &str) {
        // Fields are bounded far below 4 GiB by the validation before any signature is checked.
        let length = u32::try_from(value.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&length.to_be_bytes());
        self.0.extend_from_slice(value.as_bytes());
    }

    fn timestamp(&mut self, at: Option<&Timestamp>) {
        let at = at.copied().unwrap_or_default();
        self.field(&at.seconds.to_string());
        self.field(&at.nanos.to_string());
    }
}

fn member(id: Option<&MemberId>) -> String {
    id.map(|m| format!("{}/{}/{}", m.instance, m.member_class, m.member_code)).unwrap_or_default()
}

fn service(id: Option<&ServiceId>) -> String {
    let Some(id) = id else { return String::new() };
    let subsystem = id.subsystem.as_ref();
    format!(
        "{}/{}/{}/{}",
        member(subsystem.and_then(|s| s.member.as_ref())),
        subsystem.map(|s| s.subsystem_code.as_str()).unwrap_or_default(),
        id.service_code,
        id.version
    )
}

/// Hex SHA-256 of a payload; empty for none.
pub fn payload_digest(payload: &[u8]) -> String {
    if payload.is_empty() {
        String::new()
    } else {
        hex::encode(Sha256::digest(payload))
    }
}

/// The bytes the officer signs for `request`, with the signature's `key_id`.
pub fn request_bytes(request: &CallRequest, key_id: &str) -> Vec<u8> {
    let mut encoding = Canonical::new(REQUEST_DOMAIN);
    encoding.field(&service(request.service.as_ref()));
    encoding.field(&request.applicants.len().to_string());
    for applicant in &request.applicants {
        let (kind, value) = match &applicant.kind {
            Some(Kind::Pinfl(v)) => ("pinfl", v.as_str()),
            Some(Kind::Stir(v)) => ("stir", v.as_str()),
            Some(Kind::CadastralNumber(v)) => ("cadastral_number", v.as_str()),
            None => ("", ""),
        };
        encoding.field(&format!("{kind}:{value}"));
    }
    encoding.field(&request.data_items.len().to_string());
    for item in &request.data_items {
        encoding.field(item);
    }
    encoding.field(&payload_digest(&request.payload));
    encoding.field(&request.content_type);
    let default = RequestParticulars::default();
    let particulars = request.particulars.as_ref().unwrap_or(&default);
    encoding.field(&member(particulars.requesting_body.as_ref()));
    encoding.field(&member(particulars.addressee.as_ref()));
    encoding.field(&particulars.public_service_number.to_string());
    encoding.field(&particulars.applicant_request_ref);
    encoding.timestamp(particulars.signed_at.as_ref());
    encoding.field(&particulars.officer_name);
    encoding.field(&particulars.officer_position);
    encoding.field(key_id);
    encoding.0
}

/// The bytes the adapter signs for `answer` to `request_id` on `service`, at `answered_at`, with `key_id`: the data
/// items the answer declares are signed with its payload, so nobody on the way can add to or remove from them.
pub fn answer_bytes(
    request_id: &str,
    service_id: Option<&ServiceId>,
    answer: &ProviderAnswer,
    answered_at: Option<&Timestamp>,
    key_id: &str,
) -> Vec<u8> {
    let mut encoding = Canonical::new(ANSWER_DOMAIN);
    encoding.field(request_id);
    encoding.field(&service(service_id));
    encoding.field(&answer.data_items.len().to_string());
    for item in &answer.data_items {
        encoding.field(item);
    }
    encoding.field(&payload_digest(&answer.payload));
    encoding.field(&answer.content_type);
    encoding.timestamp(answered_at);
    encoding.field(key_id);
    encoding.0
}

/// An Ed25519 private key, for officers' tools and adapters.
#[derive(Clone)]
pub struct PrivateKey(ed25519_dalek::SigningKey);

impl PrivateKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap_or_else(|e| panic!("the operating system has no randomness: {e}"));
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Reads a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as `openssl genpkey -algorithm ed25519` writes it.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(|e| SignatureError::BadPrivateKey(e.to_string()))
    }

    /// The key as PKCS#8 v1 PEM (the form `openssl genpkey -algorithm ed25519` writes, which every toolkit
    /// reads; the v2 form with the public key appended is refused by OpenSSL 3.0).
    pub fn to_pem(&self) -> Result<String, SignatureError> {
        ed25519_dalek::pkcs8::KeypairBytes { secret_key: self.0.to_bytes(), public_key: None }
            .to_pkcs8_pem(Default::default())
            .map(|pem| pem.to_string())
            .map_err(|e| SignatureError::BadPrivateKey(e.to_string()))
    }

    /// The raw 32-byte public key, as registered in the registry.
    pub fn public_key(&self) -> Vec<u8> {
        self.0.verifying_key().to_bytes().to_vec()
    }

    /// The 64-byte signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_bytes().to_vec()
    }
}

/// Checks `signature` over `message` with the raw Ed25519 `public_key`.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
    let key: [u8; 32] = public_key.try_into().map_err(|_| SignatureError::BadPublicKey)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| SignatureError::BadPublicKey)?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| SignatureError::BadLength(signature.len()))?;
    key.verify(message, &ed25519_dalek::Signature::from_bytes(&signature)).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::{ApplicantId, SubsystemId};

    fn request() -> CallRequest {
        let member = MemberId { instance: "UZ".into(), member_class: "GOV".into(), member_code: "201122919".into() };
        CallRequest {
            service: Some(ServiceId {
                subsystem: Some(SubsystemId { member: Some(member.clone()), subsystem_code: "civil-registry".into() }),
                service_code: "person-by-pinfl".into(),
                version: "v1".into(),
            }),
            applicants: vec![ApplicantId { kind: Some(Kind::Pinfl("31403850260011".into())) }],
            data_items: vec!["surname".into(), "birth_date".into()],
            particulars: Some(RequestParticulars {
                requesting_body: Some(MemberId { member_code: "200935935".into(), ..member.clone() }),
                addressee: Some(member),
                public_service_number: 7,
                applicant_request_ref: "MY.GOV.UZ-2026-000123".into(),
                signed_at: Some(Timestamp { seconds: 1_795_000_000, nanos: 5 }),
                officer_name: "Dilnoza Rahimova".into(),
                officer_position: "chief inspector".into(),
            }),
            ..CallRequest::default()
        }
    }

    #[test]
    fn the_request_encoding_is_length_prefixed_in_the_documented_order() {
        let bytes = request_bytes(&request(), "officer-1");
        let expected = [
            REQUEST_DOMAIN,
            "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1",
            "1",
            "pinfl:31403850260011",
            "2",
            "surname",
            "birth_date",
            "",
            "",
            "UZ/GOV/200935935",
            "UZ/GOV/201122919",
            "7",
            "MY.GOV.UZ-2026-000123",
            "1795000000",
            "5",
            "Dilnoza Rahimova",
            "chief inspector",
            "officer-1",
        ];
        assert_eq!(fields(&bytes), expected);
    }

    #[test]
    fn a_signature_verifies_only_for_the_signed_content_and_key() {
        let key = PrivateKey::generate();
        let signature = key.sign(&request_bytes(&request(), "officer-1"));
        assert_eq!(verify(&key.public_key(), &request_bytes(&request(), "officer-1"), &signature), Ok(()));

        let mut changed = request();
        changed.data_items.push("address".into());
        assert_eq!(
            verify(&key.public_key(), &request_bytes(&changed, "officer-1"), &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&key.public_key(), &request_bytes(&request(), "officer-2"), &signature),
            Err(SignatureError::Mismatch)
        );
        let other = PrivateKey::generate();
        assert_eq!(
            verify(&other.public_key(), &request_bytes(&request(), "officer-1"), &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(&key.public_key(), b"x", &signature[..10]), Err(SignatureError::BadLength(10)));
        assert_eq!(verify(&[1, 2, 3], b"x", &signature), Err(SignatureError::BadPublicKey));
    }

    #[test]
    fn keys_round_trip_through_pkcs8_pem() {
        let key = PrivateKey::generate();
        let pem = key.to_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        assert_eq!(PrivateKey::from_pem(&pem).expect("reads back").public_key(), key.public_key());
        assert!(PrivateKey::from_pem("not a key").is_err());
        // What `openssl genpkey -algorithm ed25519` writes reads too.
        let openssl = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILGCTHuznhpf2UgiuS2BT0HGOlAWhkRYVsu0HU9pXtbJ\n-----END PRIVATE KEY-----\n";
        assert!(PrivateKey::from_pem(openssl).is_ok());
        assert!(pem.len() < 130, "v1, without the public key: {pem}");
    }

    fn answer() -> ProviderAnswer {
        ProviderAnswer {
            payload: b"{}".to_vec(),
            content_type: "application/json".into(),
            signature: None,
            data_items: vec!["surname".into(), "birth_date".into()],
        }
    }

    /// The length-prefixed fields of `bytes`.
    fn fields(bytes: &[u8]) -> Vec<String> {
        let mut fields = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (length, tail) = rest.split_at(4);
            let length = u32::from_be_bytes(length.try_into().expect("4 bytes")) as usize;
            fields.push(String::from_utf8(tail[..length].to_vec()).expect("UTF-8"));
            rest = &tail[length..];
        }
        fields
    }

    #[test]
    fn the_answer_encoding_is_length_prefixed_in_the_documented_order() {
        let at = Timestamp { seconds: 1_795_000_001, nanos: 7 };
        let bytes = answer_bytes("r-1", request().service.as_ref(), &answer(), Some(&at), "adapter-1");
        let expected = [
            ANSWER_DOMAIN,
            "r-1",
            "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1",
            "2",
            "surname",
            "birth_date",
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            "application/json",
            "1795000001",
            "7",
            "adapter-1",
        ];
        assert_eq!(fields(&bytes), expected);
    }

    #[test]
    fn answers_bind_request_id_service_items_payload_and_time() {
        let key = PrivateKey::generate();
        let answer = answer();
        let at = Timestamp { seconds: 10, nanos: 0 };
        let signed = answer_bytes("r-1", request().service.as_ref(), &answer, Some(&at), "adapter-1");
        let signature = key.sign(&signed);
        assert!(verify(&key.public_key(), &signed, &signature).is_ok());
        let other_request = answer_bytes("r-2", request().service.as_ref(), &answer, Some(&at), "adapter-1");
        assert!(verify(&key.public_key(), &other_request, &signature).is_err());
        // An item added to (or dropped from) the declared list on the way breaks the signature.
        let mut more = answer.clone();
        more.data_items.push("address".into());
        let more = answer_bytes("r-1", request().service.as_ref(), &more, Some(&at), "adapter-1");
        assert_eq!(verify(&key.public_key(), &more, &signature), Err(SignatureError::Mismatch));
        let mut fewer = answer;
        fewer.data_items.pop();
        let fewer = answer_bytes("r-1", request().service.as_ref(), &fewer, Some(&at), "adapter-1");
        assert_eq!(verify(&key.public_key(), &fewer, &signature), Err(SignatureError::Mismatch));
    }
}
