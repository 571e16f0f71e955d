//! What a valid subsystem (information system) is.

use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::{InformationSystemForm, Subsystem};
use koprik_proto::FieldError;

use super::{information_system_form, text};

/// A subsystem as submitted, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsystemInput {
    /// Its id; the member must already be registered.
    pub id: SubsystemId,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The application-form fields, when given (complete and checked).
    pub form: Option<InformationSystemForm>,
}

impl TryFrom<&Subsystem> for SubsystemInput {
    type Error = FieldError;

    fn try_from(wire: &Subsystem) -> Result<Self, Self::Error> {
        Ok(Self {
            id: koprik_proto::field::required(wire.id.as_ref(), "id")?,
            name: text::name(&wire.name, "name")?,
            description: text::description(&wire.description, "description")?,
            form: wire
                .form
                .as_ref()
                .map(|form| information_system_form::check(form).map_err(|e| e.within("form")))
                .transpose()?,
        })
    }
}
