//! How a client certificate names its subsystem: one URI subject alternative name
//! `urn:koprik:subsystem:<canonical subsystem id>` (koprik/registry/v1/credentials.proto).

use koprik_proto::ids::SubsystemId;

use crate::PkiError;

/// The prefix of the subsystem URI.
pub const SUBSYSTEM_URI_PREFIX: &str = "urn:koprik:subsystem:";

/// The URI naming `subsystem`, e.g. `urn:koprik:subsystem:UZ/GOV/200935935/tax-inspection`.
pub fn subsystem_uri(subsystem: &SubsystemId) -> String {
    format!("{SUBSYSTEM_URI_PREFIX}{subsystem}")
}

/// The subsystem a URI names: `None` for a URI of another kind, an error for a malformed subsystem id.
pub fn subsystem_of_uri(uri: &str) -> Result<Option<SubsystemId>, PkiError> {
    let Some(id) = uri.strip_prefix(SUBSYSTEM_URI_PREFIX) else {
        return Ok(None);
    };
    id.parse()
        .map(Some)
        .map_err(|e: koprik_proto::FieldError| PkiError::Invalid(format!("subject alternative name {uri:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip_and_other_uris_are_not_subsystems() {
        let id: SubsystemId = "UZ/GOV/200935935/tax-inspection".parse().expect("valid");
        let uri = subsystem_uri(&id);
        assert_eq!(uri, "urn:koprik:subsystem:UZ/GOV/200935935/tax-inspection");
        assert_eq!(subsystem_of_uri(&uri).expect("valid"), Some(id));
        assert_eq!(subsystem_of_uri("https://example.uz").expect("not ours"), None);
        assert!(subsystem_of_uri("urn:koprik:subsystem:UZ/GOV/1").is_err());
    }
}
