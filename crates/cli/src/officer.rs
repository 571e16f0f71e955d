//! An officer of a consumer body preparing a request: filling in the REG-2 p. 14 particulars and signing the
//! canonical encoding with the officer's registered key. What a consumer's information system does for every
//! request; shared by `koprik call`, the demo and the end-to-end tests.

use std::path::Path;

use chrono::Utc;
use koprik_proto::exchange::{CallRequest, RequestParticulars, Signature};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::signing::{self, PrivateKey};
use koprik_proto::time::timestamp;

/// An officer with a registered signing key.
pub struct Officer {
    /// The private key.
    pub key: PrivateKey,
    /// The id it is registered under.
    pub key_id: String,
    /// Full name, as registered with the key.
    pub name: String,
    /// Position, as registered with the key.
    pub position: String,
}

/// What a request is for: the public service rendered and the applicant's request it answers.
#[derive(Debug, Clone)]
pub struct Purpose {
    /// The Unified Registry number of the public service.
    pub public_service_number: u64,
    /// The reference of the applicant's request.
    pub applicant_request_ref: String,
}

impl Officer {
    /// An officer whose PKCS#8 PEM key is in `path`.
    pub fn from_file(path: &Path, key_id: &str, name: &str, position: &str) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the officer's key {}: {e}", path.display()))?;
        let key = PrivateKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(Self { key, key_id: key_id.into(), name: name.into(), position: position.into() })
    }

    /// `request` from `consumer` with its particulars filled in (the addressee is the service's provider) and
    /// signed now. Fails only when the request names no valid service.
    pub fn prepare(
        &self,
        mut request: CallRequest,
        consumer: &SubsystemId,
        purpose: &Purpose,
    ) -> anyhow::Result<CallRequest> {
        let service: ServiceId = request
            .service
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the request names no service"))?
            .try_into()
            .map_err(|e: koprik_proto::FieldError| anyhow::anyhow!("service: {e}"))?;
        request.particulars = Some(RequestParticulars {
            requesting_body: Some(consumer.member().into()),
            addressee: Some(service.provider().into()),
            public_service_number: purpose.public_service_number,
            applicant_request_ref: purpose.applicant_request_ref.clone(),
            signed_at: Some(timestamp(Utc::now())),
            officer_name: self.name.clone(),
            officer_position: self.position.clone(),
        });
        self.sign(&mut request);
        Ok(request)
    }

    /// Signs `request` as it stands (replacing any signature).
    pub fn sign(&self, request: &mut CallRequest) {
        let value = self.key.sign(&signing::request_bytes(request, &self.key_id));
        request.signature = Some(Signature { key_id: self.key_id.clone(), value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_request_carries_particulars_and_a_verifiable_signature() {
        let officer = Officer {
            key: PrivateKey::generate(),
            key_id: "officer-1".into(),
            name: "Dilnoza Rahimova".into(),
            position: "chief inspector".into(),
        };
        let consumer: SubsystemId = "UZ/GOV/200935935/tax-inspection".parse().expect("id");
        let service: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("id");
        let request = CallRequest { service: Some((&service).into()), ..CallRequest::default() };
        let purpose = Purpose { public_service_number: 3, applicant_request_ref: "REF-1".into() };
        let prepared = officer.prepare(request, &consumer, &purpose).expect("prepared");
        let particulars = prepared.particulars.clone().expect("particulars");
        assert_eq!(particulars.addressee, Some(service.provider().into()));
        assert_eq!(particulars.requesting_body, Some(consumer.member().into()));
        let signature = prepared.signature.clone().expect("signed");
        let bytes = signing::request_bytes(&prepared, "officer-1");
        assert!(signing::verify(&officer.key.public_key(), &bytes, &signature.value).is_ok());
    }
}
