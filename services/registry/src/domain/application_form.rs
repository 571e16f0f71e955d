//! The connection application form (A1 §8 and A1/Ap2, A2 §8 and A2/Ap2): per requested web service the legal
//! basis, the purpose of each data item, the expected maximum requests per month and the working mode; the
//! attestation on citizens' consent and the undertaking to report changes within three days.

use std::collections::HashSet;

use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::{ApplicationForm, Platform, RequestedItem, RequestedService};
use koprik_proto::FieldError;

use super::text;

/// The most services one application may ask for.
pub const MAX_SERVICES: usize = 50;
/// The most items asked for per service (a service declares at most this many).
pub const MAX_ITEMS: usize = super::service::MAX_DATA_ITEMS;

/// A checked form with its ids parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedForm {
    /// The form normalised (text trimmed).
    pub form: ApplicationForm,
    /// The applicant's information system.
    pub consumer: SubsystemId,
    /// IIP or DDP.
    pub platform: Platform,
    /// The services asked for, in the form's order.
    pub services: Vec<ServiceId>,
}

fn service(wire: &RequestedService) -> Result<(ServiceId, RequestedService), FieldError> {
    let id: ServiceId = koprik_proto::field::required(wire.service.as_ref(), "service")?;
    if wire.items.is_empty() || wire.items.len() > MAX_ITEMS {
        return Err(FieldError::new("items", format!("must list 1-{MAX_ITEMS} data items with their purpose")));
    }
    let mut seen = HashSet::new();
    let items = wire
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            if !seen.insert(item.code.as_str()) {
                return Err(FieldError::new("code", format!("{:?} is listed twice", item.code)).at("items", index));
            }
            Ok(RequestedItem {
                code: text::name(&item.code, "code").map_err(|e| e.at("items", index))?,
                purpose: text::name(&item.purpose, "purpose").map_err(|e| e.at("items", index))?,
            })
        })
        .collect::<Result<_, _>>()?;
    if wire.max_requests_per_month == 0 {
        return Err(FieldError::new("max_requests_per_month", "must be at least 1"));
    }
    Ok((
        id.clone(),
        RequestedService {
            service: Some((&id).into()),
            legal_basis: text::name(&wire.legal_basis, "legal_basis")?,
            items,
            max_requests_per_month: wire.max_requests_per_month,
            working_mode: text::name(&wire.working_mode, "working_mode")?,
        },
    ))
}

/// Checks a form as submitted.
pub fn check(wire: Option<&ApplicationForm>) -> Result<CheckedForm, FieldError> {
    let wire = wire.ok_or_else(|| FieldError::missing("form"))?;
    let within = |e: FieldError| e.within("form");
    let consumer: SubsystemId = koprik_proto::field::required(wire.consumer.as_ref(), "consumer").map_err(within)?;
    let platform = Platform::try_from(wire.platform)
        .ok()
        .filter(|p| *p != Platform::Unspecified)
        .ok_or_else(|| within(FieldError::new("platform", "must be IIP or DDP")))?;
    if wire.services.is_empty() || wire.services.len() > MAX_SERVICES {
        return Err(within(FieldError::new("services", format!("must list 1-{MAX_SERVICES} web services"))));
    }
    let mut ids = Vec::with_capacity(wire.services.len());
    let mut services = Vec::with_capacity(wire.services.len());
    for (index, requested) in wire.services.iter().enumerate() {
        let (id, checked) = service(requested).map_err(|e| within(e.at("services", index)))?;
        if ids.contains(&id) {
            return Err(within(FieldError::new("service", format!("{id} is asked for twice")).at("services", index)));
        }
        ids.push(id);
        services.push(checked);
    }
    if !wire.personal_data_consent_attested {
        return Err(within(FieldError::new(
            "personal_data_consent_attested",
            "must be true: the applicant attests that it obtains citizens' consent for personal data",
        )));
    }
    if !wire.changes_reporting_undertaken {
        return Err(within(FieldError::new(
            "changes_reporting_undertaken",
            "must be true: the applicant undertakes to report changes within three days",
        )));
    }
    let form = ApplicationForm {
        consumer: Some((&consumer).into()),
        platform: platform as i32,
        services,
        personal_data_consent_attested: true,
        changes_reporting_undertaken: true,
    };
    Ok(CheckedForm { form, consumer, platform, services: ids })
}
