//! The demo backend: a civil registry answering "person by PINFL" from a fixture of fictional people.
//!
//! It behaves like a real provider would: one applicant PINFL per request, only the requested data items in
//! the answer (and, as `provider.proto` requires, the list of those it carries), NOT_FOUND for an unknown person,
//! INVALID_REQUEST for an unknown data item or for no data item at all.

use std::collections::HashMap;
use std::path::Path;

use koprik_proto::applicant::ApplicantId;
use koprik_proto::events::FailureKind;
use koprik_proto::ids::ServiceId;
use koprik_proto::provider::{HandleRequest, HandleResponse};
use serde_json::{Map, Value};

use super::{Backend, BackendFailure};

/// The service code the demo answers.
pub const SERVICE_CODE: &str = "person-by-pinfl";
/// Its version.
pub const SERVICE_VERSION: &str = "v1";
/// The data items a person record holds, in the order of the registry's service definition.
pub const DATA_ITEMS: &[&str] = &[
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "gender",
    "birth_place",
    "citizenship",
    "address",
    "document",
];

/// The built-in fixture: twelve fictional people with well-formed PINFLs.
const BUILT_IN: &str = include_str!("../../fixtures/civil-registry.json");

/// People by PINFL.
pub struct CivilRegistry {
    people: HashMap<String, Map<String, Value>>,
}

/// A fixture that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file cannot be read.
    #[error("cannot read fixture {path}: {source}")]
    Read {
        /// The fixture path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The content is not a JSON array of objects with a `pinfl`.
    #[error("fixture: {0}")]
    Invalid(String),
}

impl CivilRegistry {
    /// The demo with the built-in fixture.
    pub fn built_in() -> Result<Self, FixtureError> {
        Self::from_json(BUILT_IN)
    }

    /// The demo with the records in `path`.
    pub fn from_file(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| FixtureError::Read { path: path.display().to_string(), source })?;
        Self::from_json(&text)
    }

    /// The demo with the records in `text`: a JSON array of objects, each with a string `pinfl`.
    pub fn from_json(text: &str) -> Result<Self, FixtureError> {
        let records: Vec<Map<String, Value>> =
            serde_json::from_str(text).map_err(|e| FixtureError::Invalid(e.to_string()))?;
        let mut people = HashMap::with_capacity(records.len());
        for (index, mut record) in records.into_iter().enumerate() {
            let Some(Value::String(pinfl)) = record.remove("pinfl") else {
                return Err(FixtureError::Invalid(format!("record {index} has no string \"pinfl\"")));
            };
            people.insert(pinfl, record);
        }
        Ok(Self { people })
    }

    /// How many people the fixture holds.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// True when the fixture is empty.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The JSON answer to `request` and the data items it carries, in the order asked.
    fn answer(&self, request: &HandleRequest) -> Result<(Value, Vec<String>), BackendFailure> {
        let invalid = |message: String| BackendFailure::new(FailureKind::InvalidRequest, message);
        let service = request
            .service
            .as_ref()
            .map(ServiceId::try_from)
            .transpose()
            .map_err(|e| invalid(format!("service: {e}")))?;
        if !service.is_some_and(|s| s.service_code() == SERVICE_CODE && s.version() == SERVICE_VERSION) {
            return Err(BackendFailure::new(
                FailureKind::UnknownService,
                format!("the civil registry answers only {SERVICE_CODE}/{SERVICE_VERSION}"),
            ));
        }
        let pinfls: Vec<String> = request
            .applicants
            .iter()
            .filter_map(|a| match ApplicantId::try_from(a) {
                Ok(ApplicantId::Pinfl(pinfl)) => Some(pinfl),
                _ => None,
            })
            .collect();
        let [pinfl] = pinfls.as_slice() else {
            return Err(invalid(format!(
                "{SERVICE_CODE} needs exactly one applicant identified by PINFL, got {}",
                pinfls.len()
            )));
        };
        // The platform always names the items to answer; an empty list never means "everything".
        if request.data_items.is_empty() {
            return Err(invalid(format!("{SERVICE_CODE} answers only the data items named, and none were")));
        }
        for item in &request.data_items {
            if !DATA_ITEMS.contains(&item.as_str()) {
                return Err(invalid(format!("data item {item:?} is not part of {SERVICE_CODE}")));
            }
        }
        let person = self
            .people
            .get(pinfl)
            .ok_or_else(|| BackendFailure::new(FailureKind::NotFound, "no person with this PINFL is registered"))?;
        let mut answer = Map::new();
        answer.insert("pinfl".into(), Value::String(pinfl.clone()));
        let mut released = Vec::with_capacity(request.data_items.len());
        for item in &request.data_items {
            if let (false, Some(value)) = (answer.contains_key(item), person.get(item)) {
                answer.insert(item.clone(), value.clone());
                released.push(item.clone());
            }
        }
        if released.is_empty() {
            return Err(BackendFailure::new(
                FailureKind::NotFound,
                "none of the requested data items is held for this person",
            ));
        }
        Ok((Value::Object(answer), released))
    }
}

#[async_trait::async_trait]
impl Backend for CivilRegistry {
    async fn handle(&self, request: HandleRequest) -> Result<HandleResponse, BackendFailure> {
        let (answer, released) = self.answer(&request)?;
        Ok(HandleResponse {
            payload: serde_json::to_vec(&answer)
                .map_err(|e| BackendFailure::new(FailureKind::Internal, format!("cannot encode the answer: {e}")))?,
            content_type: "application/json".into(),
            data_items: released,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::common::{applicant_id::Kind, ApplicantId as WireApplicant};

    fn request(pinfl: &str, items: &[&str]) -> HandleRequest {
        HandleRequest {
            service: Some(
                (&"UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse::<ServiceId>().expect("id")).into(),
            ),
            applicants: vec![WireApplicant { kind: Some(Kind::Pinfl(pinfl.into())) }],
            data_items: items.iter().map(|s| (*s).to_owned()).collect(),
            ..HandleRequest::default()
        }
    }

    #[test]
    fn the_built_in_fixture_has_valid_pinfls() {
        let registry = CivilRegistry::built_in().expect("fixture");
        assert_eq!(registry.len(), 12);
        for pinfl in registry.people.keys() {
            let wire = WireApplicant { kind: Some(Kind::Pinfl(pinfl.clone())) };
            assert!(ApplicantId::try_from(&wire).is_ok(), "{pinfl}");
        }
    }

    #[test]
    fn only_requested_items_are_returned_and_declared() {
        let registry = CivilRegistry::built_in().expect("fixture");
        let (answer, released) =
            registry.answer(&request("31403850260011", &["birth_date", "surname"])).expect("found");
        assert_eq!(
            answer,
            serde_json::json!({"pinfl": "31403850260011", "surname": "Karimov", "birth_date": "1985-03-14"})
        );
        assert_eq!(released, ["birth_date", "surname"], "declared in the order asked");
    }

    #[test]
    fn no_data_item_is_not_everything() {
        let registry = CivilRegistry::built_in().expect("fixture");
        let refused = registry.answer(&request("31403850260011", &[])).expect_err("nothing named");
        assert_eq!(refused.kind, FailureKind::InvalidRequest);
        assert!(refused.message.contains("none were"), "{}", refused.message);
    }

    #[test]
    fn a_person_without_the_items_asked_for_is_not_found() {
        let registry =
            CivilRegistry::from_json(r#"[{"pinfl": "31403850260011", "surname": "Karimov"}]"#).expect("fixture");
        let (_, released) = registry.answer(&request("31403850260011", &["surname", "address"])).expect("found");
        assert_eq!(released, ["surname"], "only what the answer carries is declared");
        let missing = registry.answer(&request("31403850260011", &["address"])).expect_err("not held");
        assert_eq!(missing.kind, FailureKind::NotFound);
    }

    #[test]
    fn unknown_people_and_items_are_refused() {
        let registry = CivilRegistry::built_in().expect("fixture");
        let missing = registry.answer(&request("31403850260028", &["surname"])).expect_err("unknown");
        assert_eq!(missing.kind, FailureKind::NotFound);
        assert!(!missing.message.contains("3140385026"), "the PINFL is not echoed");
        let bad_item = registry.answer(&request("31403850260011", &["salary"])).expect_err("item");
        assert_eq!(bad_item.kind, FailureKind::InvalidRequest);
    }

    #[test]
    fn other_services_are_not_answered() {
        let registry = CivilRegistry::built_in().expect("fixture");
        let mut other = request("31403850260011", &["surname"]);
        other.service =
            Some((&"UZ/GOV/201122919/civil-registry/marriages/v1".parse::<ServiceId>().expect("id")).into());
        assert_eq!(registry.answer(&other).expect_err("other").kind, FailureKind::UnknownService);
    }
}
