//! What a signing key must be to be registered. REG-2 p. 14 requires every interagency request to carry the full
//! name and position of the officer who prepared it and the details of their electronic digital signature; the
//! platform verifies that signature against the key registered here for the consumer's subsystem. Providers'
//! adapters sign answers with keys registered the same way, so a consumer can trust what it receives.
//!
//! Keys are Ed25519 (RFC 8032). Uzbekistan's qualified signatures (O'z DSt 1092) would need a certified library and
//! the national CA; the contract's algorithm field leaves room to add them.

use chrono::{DateTime, Utc};
use koprik_proto::registry::{SignatureAlgorithm, SigningKey, SigningKeyPurpose};
use koprik_proto::time::to_datetime;
use koprik_proto::FieldError;

use super::text;

/// A signing key as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedKey {
    /// The key's id.
    pub key_id: String,
    /// Officer or adapter.
    pub purpose: SigningKeyPurpose,
    /// The raw public key.
    pub public_key: Vec<u8>,
    /// The holder's full name and position (officer keys).
    pub holder_name: String,
    /// The holder's position.
    pub holder_position: String,
    /// From when signatures count.
    pub valid_from: DateTime<Utc>,
    /// Until when, if ever.
    pub valid_until: Option<DateTime<Utc>>,
}

/// A key id: 1-64 letters, digits, '.', '_' or '-'.
pub fn key_id(value: &str) -> Result<String, FieldError> {
    let ok = (1..=64).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(FieldError::new("key_id", "must be 1-64 letters, digits, '.', '_' or '-'"));
    }
    Ok(value.to_owned())
}

/// Checks a key for registration at `now` (the subsystem is the repository's business).
pub fn check(key: &SigningKey, now: DateTime<Utc>) -> Result<CheckedKey, FieldError> {
    let key_id = key_id(&key.key_id)?;
    let purpose = SigningKeyPurpose::try_from(key.purpose).unwrap_or_default();
    if purpose == SigningKeyPurpose::Unspecified {
        return Err(FieldError::new("purpose", "must be OFFICER or ADAPTER"));
    }
    if SignatureAlgorithm::try_from(key.algorithm).unwrap_or_default() != SignatureAlgorithm::Ed25519 {
        return Err(FieldError::new("algorithm", "must be ED25519"));
    }
    let raw: [u8; 32] = key
        .public_key
        .as_slice()
        .try_into()
        .map_err(|_| FieldError::new("public_key", "must be a raw 32-byte Ed25519 public key"))?;
    // A point that is not on the curve could never verify anything: refuse it now, not at the first request.
    if koprik_proto::signing::verify(&raw, b"", &[0; 64]) == Err(koprik_proto::signing::SignatureError::BadPublicKey) {
        return Err(FieldError::new("public_key", "is not a valid Ed25519 public key"));
    }
    let (holder_name, holder_position) = if purpose == SigningKeyPurpose::Officer {
        (
            text::name(&key.holder_name, "holder_name").map_err(|e| {
                FieldError::new(e.field, "is required for an officer key: the officer's full name (REG-2 p. 14)")
            })?,
            text::name(&key.holder_position, "holder_position").map_err(|e| {
                FieldError::new(e.field, "is required for an officer key: the officer's position (REG-2 p. 14)")
            })?,
        )
    } else {
        (
            text::description(&key.holder_name, "holder_name")?,
            text::description(&key.holder_position, "holder_position")?,
        )
    };
    let valid_from = key.valid_from.as_ref().map(to_datetime).transpose().map_err(|e| e.within("valid_from"))?;
    let valid_until = key.valid_until.as_ref().map(to_datetime).transpose().map_err(|e| e.within("valid_until"))?;
    let valid_from = valid_from.unwrap_or(now);
    if let Some(until) = valid_until {
        if until <= valid_from {
            return Err(FieldError::new("valid_until", "must be after valid_from"));
        }
        if until <= now {
            return Err(FieldError::new("valid_until", "must be in the future"));
        }
    }
    Ok(CheckedKey { key_id, purpose, public_key: raw.to_vec(), holder_name, holder_position, valid_from, valid_until })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::signing::PrivateKey;

    fn officer() -> SigningKey {
        SigningKey {
            key_id: "tax-officer-1".into(),
            purpose: SigningKeyPurpose::Officer as i32,
            algorithm: SignatureAlgorithm::Ed25519 as i32,
            public_key: PrivateKey::generate().public_key(),
            holder_name: "Dilnoza Rahimova".into(),
            holder_position: "chief inspector".into(),
            ..SigningKey::default()
        }
    }

    #[test]
    fn a_complete_officer_key_passes() {
        let checked = check(&officer(), Utc::now()).expect("valid");
        assert_eq!(checked.holder_name, "Dilnoza Rahimova");
    }

    #[test]
    fn each_rule_names_its_field() {
        type Spoil = fn(&mut SigningKey);
        let cases: Vec<(Spoil, &str)> = vec![
            (|k| k.key_id = "has space".into(), "key_id"),
            (|k| k.purpose = 0, "purpose"),
            (|k| k.algorithm = 0, "algorithm"),
            (|k| k.public_key = vec![1; 31], "public_key"),
            (|k| k.holder_name = " ".into(), "holder_name"),
            (|k| k.holder_position.clear(), "holder_position"),
            (
                |k| {
                    k.valid_until = Some(koprik_proto::time::timestamp(Utc::now() - chrono::Duration::days(1)));
                },
                "valid_until",
            ),
        ];
        for (spoil, field) in cases {
            let mut key = officer();
            spoil(&mut key);
            assert_eq!(check(&key, Utc::now()).expect_err(field).field, field);
        }
    }

    #[test]
    fn adapter_keys_need_no_holder() {
        let mut key = officer();
        key.purpose = SigningKeyPurpose::Adapter as i32;
        key.holder_name.clear();
        key.holder_position.clear();
        assert!(check(&key, Utc::now()).is_ok());
    }
}
