//! The mandatory content of an interagency request (REG-2 p. 14): the requesting body, the addressee, the public
//! service with its registry number, a reference to the applicant's request, the date, and the full name and
//! position of the officer who prepared it (the signature is [`crate::request_signature`]'s). Applicant identifiers
//! and data items are checked by [`crate::call`].

use chrono::{DateTime, Duration, Utc};
use koprik_proto::exchange::RequestParticulars;
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::time::to_datetime;
use koprik_proto::FieldError;

use crate::cache::RegistryCache;
use crate::error::GatewayError;

/// How far ahead of the platform's clock a signing time may be (clocks drift). How old it may be is the gateway's
/// `signed_request_max_age`.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// The longest applicant request reference.
pub const MAX_REFERENCE: usize = 128;
/// The longest officer name or position.
pub const MAX_OFFICER_TEXT: usize = 200;

/// The particulars of a request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Particulars {
    /// The registry number of the public service.
    pub public_service_number: u64,
    /// The applicant's request reference.
    pub applicant_request_ref: String,
    /// When the officer signed.
    pub signed_at: DateTime<Utc>,
    /// The officer's full name.
    pub officer_name: String,
    /// The officer's position.
    pub officer_position: String,
}

fn field(name: &str, rule: impl Into<String>) -> FieldError {
    FieldError::new(format!("particulars.{name}"), rule)
}

fn member(wire: Option<&koprik_proto::common::MemberId>, name: &str) -> Result<MemberId, FieldError> {
    koprik_proto::field::required(wire, name).map_err(|e| e.within("particulars"))
}

fn text(value: &str, name: &str, max: usize, what: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(field(name, format!("is required: {what} (REG-2 p. 14)")));
    }
    if trimmed.chars().count() > max || trimmed.chars().any(char::is_control) {
        return Err(field(name, format!("must be at most {max} printable characters")));
    }
    Ok(trimmed.to_owned())
}

/// `age` in words, for refusals: "15 minutes", "24 hours", "90 seconds".
fn in_words(age: Duration) -> String {
    let seconds = age.num_seconds();
    let (amount, unit) = match seconds {
        s if s > 0 && s % 3600 == 0 => (s / 3600, "hour"),
        s if s > 0 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{amount} {unit}{}", if amount == 1 { "" } else { "s" })
}

/// Checks the particulars of a request by `consumer` for `service`, received at `now`; the officer's signing time
/// may be at most `max_age` old.
pub fn validate(
    wire: Option<&RequestParticulars>,
    consumer: &SubsystemId,
    service: &ServiceId,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<Particulars, FieldError> {
    let wire = wire.ok_or_else(|| {
        FieldError::new("particulars", "is required: the mandatory content of an interagency request (REG-2 p. 14)")
    })?;
    let requesting_body = member(wire.requesting_body.as_ref(), "requesting_body")?;
    if &requesting_body != consumer.member() {
        return Err(field(
            "requesting_body",
            format!("must be the calling subsystem's organisation {}, not {requesting_body}", consumer.member()),
        ));
    }
    let addressee = member(wire.addressee.as_ref(), "addressee")?;
    if &addressee != service.provider() {
        return Err(field(
            "addressee",
            format!("must be the organisation offering the service, {}, not {addressee}", service.provider()),
        ));
    }
    if wire.public_service_number == 0 {
        return Err(field(
            "public_service_number",
            "is required: the registry number of the public service the data is requested for (REG-2 p. 14)",
        ));
    }
    let applicant_request_ref = text(
        &wire.applicant_request_ref,
        "applicant_request_ref",
        MAX_REFERENCE,
        "the reference of the applicant's request",
    )?;
    let signed_at = wire
        .signed_at
        .as_ref()
        .ok_or_else(|| field("signed_at", "is required: the date of the request (REG-2 p. 14)"))
        .and_then(|t| to_datetime(t).map_err(|e| e.within("signed_at").within("particulars")))?;
    if signed_at > now + MAX_CLOCK_SKEW {
        return Err(field(
            "signed_at",
            "must not be in the future (more than 5 minutes ahead of the platform's clock)",
        ));
    }
    if signed_at < now - max_age {
        return Err(field(
            "signed_at",
            format!("must be at most {} old: the officer signs each request as it is sent", in_words(max_age)),
        ));
    }
    let officer_name = text(&wire.officer_name, "officer_name", MAX_OFFICER_TEXT, "the officer's full name")?;
    let officer_position =
        text(&wire.officer_position, "officer_position", MAX_OFFICER_TEXT, "the officer's position")?;
    Ok(Particulars {
        public_service_number: wire.public_service_number,
        applicant_request_ref,
        signed_at,
        officer_name,
        officer_position,
    })
}

/// The public service named must be in the Unified Registry and not abolished (REG-1 pp. 16-17).
pub fn check_public_service(cache: &RegistryCache, number: u64) -> Result<(), GatewayError> {
    match cache.public_service_abolished(number) {
        Some(false) => Ok(()),
        Some(true) => Err(GatewayError::Refused(format!(
            "public service No. {number} was abolished: no data may be requested for it"
        ))),
        None => {
            Err(field("public_service_number", format!("{number} is not in the Unified Registry of Public Services"))
                .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::time::timestamp;

    pub(crate) const CONSUMER: &str = "UZ/GOV/200935935/tax-inspection";
    pub(crate) const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";

    fn wire(now: DateTime<Utc>) -> RequestParticulars {
        let consumer: SubsystemId = CONSUMER.parse().expect("id");
        let service: ServiceId = SERVICE.parse().expect("id");
        RequestParticulars {
            requesting_body: Some(consumer.member().into()),
            addressee: Some(service.provider().into()),
            public_service_number: 12,
            applicant_request_ref: "MY.GOV.UZ-2026-000123".into(),
            signed_at: Some(timestamp(now)),
            officer_name: "Dilnoza Rahimova".into(),
            officer_position: "chief inspector".into(),
        }
    }

    fn check(particulars: Option<&RequestParticulars>, now: DateTime<Utc>) -> Result<Particulars, FieldError> {
        validate(particulars, &CONSUMER.parse().expect("id"), &SERVICE.parse().expect("id"), now, Duration::minutes(15))
    }

    #[test]
    fn complete_particulars_pass() {
        let now = Utc::now();
        let particulars = check(Some(&wire(now)), now).expect("valid");
        assert_eq!(particulars.public_service_number, 12);
        assert_eq!(particulars.officer_name, "Dilnoza Rahimova");
    }

    #[test]
    fn each_missing_or_wrong_part_is_named() {
        let now = Utc::now();
        assert_eq!(check(None, now).expect_err("none").field, "particulars");
        let other: MemberId = "UZ/GOV/300000001".parse().expect("id");
        type Spoil<'a> = Box<dyn Fn(&mut RequestParticulars) + 'a>;
        let cases: Vec<(Spoil, &str)> = vec![
            (Box::new(|p| p.requesting_body = None), "particulars.requesting_body"),
            (Box::new(|p| p.requesting_body = Some((&other).into())), "particulars.requesting_body"),
            (Box::new(|p| p.addressee = Some((&other).into())), "particulars.addressee"),
            (Box::new(|p| p.public_service_number = 0), "particulars.public_service_number"),
            (Box::new(|p| p.applicant_request_ref = " ".into()), "particulars.applicant_request_ref"),
            (Box::new(|p| p.applicant_request_ref = "x".repeat(129)), "particulars.applicant_request_ref"),
            (Box::new(|p| p.signed_at = None), "particulars.signed_at"),
            (Box::new(move |p| p.signed_at = Some(timestamp(now + Duration::minutes(6)))), "particulars.signed_at"),
            (Box::new(move |p| p.signed_at = Some(timestamp(now - Duration::minutes(16)))), "particulars.signed_at"),
            (Box::new(|p| p.officer_name.clear()), "particulars.officer_name"),
            (Box::new(|p| p.officer_position = "a\nb".into()), "particulars.officer_position"),
        ];
        for (spoil, expected) in cases {
            let mut particulars = wire(now);
            spoil(&mut particulars);
            assert_eq!(check(Some(&particulars), now).expect_err(expected).field, expected);
        }
    }

    #[test]
    fn the_signing_window_is_the_configured_one_and_named_in_the_refusal() {
        let now = Utc::now();
        let mut particulars = wire(now);
        particulars.signed_at = Some(timestamp(now - Duration::minutes(14)));
        assert!(check(Some(&particulars), now).is_ok(), "within 15 minutes");
        particulars.signed_at = Some(timestamp(now - Duration::minutes(16)));
        let err = check(Some(&particulars), now).expect_err("too old");
        assert_eq!(
            err.to_string(),
            "particulars.signed_at: must be at most 15 minutes old: the officer signs each request as it is sent"
        );
        particulars.signed_at = Some(timestamp(now + Duration::minutes(4)));
        assert!(check(Some(&particulars), now).is_ok(), "a clock a little ahead");
        let wide = validate(
            Some(&wire(now - Duration::hours(23))),
            &CONSUMER.parse().expect("id"),
            &SERVICE.parse().expect("id"),
            now,
            Duration::hours(24),
        );
        assert!(wide.is_ok(), "a window of a day, if configured");
        assert_eq!(in_words(Duration::hours(1)), "1 hour");
        assert_eq!(in_words(Duration::seconds(90)), "90 seconds");
    }
}
