//! What a valid web service is: its id, its data items with their classification, and its status.

use std::collections::HashSet;

use koprik_proto::ids::ServiceId;
use koprik_proto::registry::{DataClassification, DataItem, Service, ServiceStatus};
use koprik_proto::FieldError;

use super::text;

/// The most data items a web service may declare; bounded so that every event fits a Kafka record.
pub const MAX_DATA_ITEMS: usize = 200;

/// A data item as submitted, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataItemInput {
    /// Unique within the service.
    pub code: String,
    /// What it is.
    pub name: String,
    /// How sensitive it is.
    pub classification: DataClassification,
}

/// A web service as submitted, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInput {
    /// Its id; the provider subsystem must already be registered.
    pub id: ServiceId,
    /// Its name.
    pub name: String,
    /// What it answers.
    pub description: String,
    /// The data set it returns (A1 §2), in declared order.
    pub data_items: Vec<DataItemInput>,
    /// Available unless said otherwise.
    pub status: ServiceStatus,
    /// An archive service (REG-2 p. 17): no legal deadline for its answers.
    pub archive: bool,
}

fn data_item(wire: &DataItem) -> Result<DataItemInput, FieldError> {
    let code = wire.code.as_str();
    let code_ok = (1..=63).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !code_ok {
        return Err(FieldError::new(
            "code",
            "must be 1-63 lower-case letters, digits, '_' or '-', starting with a letter",
        ));
    }
    let classification = DataClassification::try_from(wire.classification)
        .ok()
        .filter(|c| *c != DataClassification::Unspecified)
        .ok_or_else(|| {
            FieldError::new(
                "classification",
                "must be one of ORDINARY, PERSONAL, BANK_SECRET, PROTECTED_PERSONS, STATE_SECRET",
            )
        })?;
    Ok(DataItemInput { code: code.to_owned(), name: text::name(&wire.name, "name")?, classification })
}

impl TryFrom<&Service> for ServiceInput {
    type Error = FieldError;

    fn try_from(wire: &Service) -> Result<Self, Self::Error> {
        let id: ServiceId = koprik_proto::field::required(wire.id.as_ref(), "id")?;
        if wire.data_items.is_empty() {
            return Err(FieldError::new("data_items", "must list at least one data item (A1 §2)"));
        }
        if wire.data_items.len() > MAX_DATA_ITEMS {
            return Err(FieldError::new("data_items", format!("must list at most {MAX_DATA_ITEMS} data items")));
        }
        let mut seen = HashSet::new();
        let mut data_items = Vec::with_capacity(wire.data_items.len());
        for (index, item) in wire.data_items.iter().enumerate() {
            let item = data_item(item).map_err(|e| e.at("data_items", index))?;
            if !seen.insert(item.code.clone()) {
                return Err(
                    FieldError::new("code", format!("duplicates data item {:?}", item.code)).at("data_items", index)
                );
            }
            data_items.push(item);
        }
        let status = match ServiceStatus::try_from(wire.status) {
            Ok(ServiceStatus::Unspecified) => ServiceStatus::Available,
            Ok(status) => status,
            Err(_) => return Err(FieldError::new("status", format!("{} is not a ServiceStatus", wire.status))),
        };
        Ok(Self {
            id,
            name: text::name(&wire.name, "name")?,
            description: text::description(&wire.description, "description")?,
            data_items,
            status,
            archive: wire.archive,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(items: Vec<DataItem>) -> Service {
        Service {
            id: Some((&"UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse::<ServiceId>().expect("id")).into()),
            name: "Person by PINFL".into(),
            description: String::new(),
            data_items: items,
            status: 0,
            meta: None,
            archive: false,
        }
    }

    fn item(code: &str) -> DataItem {
        DataItem { code: code.into(), name: code.into(), classification: DataClassification::Personal as i32 }
    }

    #[test]
    fn a_new_service_is_available() {
        let input = ServiceInput::try_from(&wire(vec![item("surname"), item("birth_date")])).expect("valid");
        assert_eq!(input.status, ServiceStatus::Available);
        assert_eq!(input.data_items.len(), 2);
    }

    #[test]
    fn data_items_are_required_unique_and_classified() {
        assert_eq!(ServiceInput::try_from(&wire(vec![])).expect_err("empty").field, "data_items");
        let err = ServiceInput::try_from(&wire(vec![item("surname"), item("surname")])).expect_err("dup");
        assert_eq!(err.field, "data_items[1].code");
        let mut unclassified = item("surname");
        unclassified.classification = 0;
        let err = ServiceInput::try_from(&wire(vec![unclassified])).expect_err("unclassified");
        assert_eq!(err.field, "data_items[0].classification");
        let err = ServiceInput::try_from(&wire(vec![item("Surname")])).expect_err("upper case");
        assert_eq!(err.field, "data_items[0].code");
    }
}
