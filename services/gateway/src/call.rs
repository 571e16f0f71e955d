//! A consumer's request, validated: the service, typed applicant identifiers, the data items, the payload.

use koprik_proto::applicant::ApplicantId;
use koprik_proto::exchange::CallRequest;
use koprik_proto::ids::ServiceId;
use koprik_proto::FieldError;

/// The most data items one request may ask for (a service declares at most 200; an empty list asks for every item
/// the grant permits).
pub const MAX_DATA_ITEMS: usize = 200;

/// A request that is well-formed (whether it is allowed is [`crate::access`]'s business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The web service called.
    pub service: ServiceId,
    /// Whom the request is about.
    pub applicants: Vec<ApplicantId>,
    /// The data item codes requested, as the request names them: empty asks for every item the grant's technological
    /// instruction permits, which [`crate::access::authorize`] resolves before anything is forwarded.
    pub data_items: Vec<String>,
}

impl Call {
    /// Validates `request`; `max_payload` bounds the payload size in bytes.
    pub fn validate(request: &CallRequest, max_payload: usize) -> Result<Self, FieldError> {
        let service: ServiceId = koprik_proto::field::required(request.service.as_ref(), "service")?;
        let applicants = request
            .applicants
            .iter()
            .enumerate()
            .map(|(index, a)| ApplicantId::try_from(a).map_err(|e| e.at("applicants", index)))
            .collect::<Result<Vec<_>, _>>()?;
        if request.data_items.len() > MAX_DATA_ITEMS {
            return Err(FieldError::new("data_items", format!("must list at most {MAX_DATA_ITEMS} items")));
        }
        for (index, item) in request.data_items.iter().enumerate() {
            let ok = (1..=63).contains(&item.len())
                && item.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !ok {
                return Err(FieldError::new(
                    format!("data_items[{index}]"),
                    "must be a data item code: 1-63 lower-case letters, digits, '_' or '-'",
                ));
            }
        }
        if request.payload.len() > max_payload {
            return Err(FieldError::new("payload", format!("must be at most {max_payload} bytes")));
        }
        if !request.payload.is_empty() && request.content_type.trim().is_empty() {
            return Err(FieldError::new("content_type", "is required when a payload is sent"));
        }
        if request.applicants.is_empty() && request.payload.is_empty() {
            return Err(FieldError::new(
                "applicants",
                "must name at least one applicant (or send a payload saying what is asked)",
            ));
        }
        Ok(Self { service, applicants, data_items: request.data_items.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::common::{applicant_id::Kind, ApplicantId as WireApplicant};

    fn request() -> CallRequest {
        CallRequest {
            service: Some(
                (&"UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse::<ServiceId>().expect("id")).into(),
            ),
            applicants: vec![WireApplicant { kind: Some(Kind::Pinfl("31403850260011".into())) }],
            data_items: vec!["surname".into()],
            payload: Vec::new(),
            content_type: String::new(),
            ..Default::default()
        }
    }

    #[test]
    fn a_well_formed_request_passes() {
        let call = Call::validate(&request(), 1024).expect("valid");
        assert_eq!(call.applicants, vec![ApplicantId::Pinfl("31403850260011".into())]);
    }

    #[test]
    fn an_empty_request_names_the_service() {
        let err = Call::validate(&CallRequest::default(), 1024).expect_err("empty");
        assert_eq!(err.to_string(), "service: is required");
    }

    #[test]
    fn bad_parts_are_named() {
        let mut bad_pinfl = request();
        bad_pinfl.applicants[0].kind = Some(Kind::Pinfl("123".into()));
        assert_eq!(Call::validate(&bad_pinfl, 1024).expect_err("pinfl").field, "applicants[0].pinfl");

        let mut bad_item = request();
        bad_item.data_items.push("Surname; DROP".into());
        assert_eq!(Call::validate(&bad_item, 1024).expect_err("item").field, "data_items[1]");

        let mut big = request();
        big.payload = vec![b'x'; 2048];
        big.content_type = "application/json".into();
        assert_eq!(Call::validate(&big, 1024).expect_err("size").field, "payload");

        let mut untyped = request();
        untyped.payload = b"{}".to_vec();
        assert_eq!(Call::validate(&untyped, 1024).expect_err("type").field, "content_type");

        let mut greedy = request();
        greedy.data_items = vec!["surname".into(); MAX_DATA_ITEMS + 1];
        assert_eq!(Call::validate(&greedy, 1024).expect_err("too many").field, "data_items");

        let mut nobody = request();
        nobody.applicants.clear();
        assert_eq!(Call::validate(&nobody, 1024).expect_err("nobody").field, "applicants");
    }
}
