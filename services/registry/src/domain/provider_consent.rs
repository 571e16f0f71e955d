//! A data provider's consent to a DDP application (A2 §18-19): the provider of each requested web service gives or
//! refuses its consent to that service's request, and the latest decision recorded counts. A consent answers the
//! request as it stood when it was given: when the applicant resubmits with another request for a service (other
//! data items or purposes, another legal basis, monthly volume or working mode) or no longer asks for it, that
//! consent no longer answers anything and the provider must decide again. A service whose request is unchanged
//! keeps its provider's decision, a refusal included.

use koprik_proto::common::ServiceId;
use koprik_proto::registry::{ApplicationForm, ConsentDecision, ProviderConsent, RequestedService};

/// The latest decision recorded for `service`; `Unspecified` when none is.
pub fn decision(consents: &[ProviderConsent], service: &ServiceId) -> ConsentDecision {
    consents
        .iter()
        .rev()
        .find(|c| c.service.as_ref() == Some(service))
        .and_then(|c| ConsentDecision::try_from(c.decision).ok())
        .unwrap_or_default()
}

/// What a provider consented to: the service's request with its items in a canonical order (the order in which the
/// applicant lists them changes nothing).
fn request_of(form: &ApplicationForm, service: &ServiceId) -> Option<RequestedService> {
    let mut request = form.services.iter().find(|s| s.service.as_ref() == Some(service))?.clone();
    request.items.sort_by(|a, b| a.code.cmp(&b.code));
    Some(request)
}

/// Splits `consents` on a resubmission that replaces the form `before` by `after`: the consents that still answer
/// the request (its service asked for in both, with the same request), and the services whose consents are dropped
/// because their request changed or is withdrawn, each named once, in the order of the consents.
pub fn carried_over(
    consents: Vec<ProviderConsent>,
    before: &ApplicationForm,
    after: &ApplicationForm,
) -> (Vec<ProviderConsent>, Vec<ServiceId>) {
    let mut dropped: Vec<ServiceId> = Vec::new();
    let kept = consents
        .into_iter()
        .filter(|consent| {
            let Some(service) = consent.service.as_ref() else { return false };
            let unchanged = request_of(after, service).is_some_and(|now| request_of(before, service) == Some(now));
            if !unchanged && !dropped.contains(service) {
                dropped.push(service.clone());
            }
            unchanged
        })
        .collect();
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::common::{MemberId, SubsystemId};
    use koprik_proto::registry::RequestedItem;

    fn service(code: &str) -> ServiceId {
        ServiceId {
            subsystem: Some(SubsystemId {
                member: Some(MemberId {
                    instance: "UZ".into(),
                    member_class: "GOV".into(),
                    member_code: "201122919".into(),
                }),
                subsystem_code: "civil-registry".into(),
            }),
            service_code: code.into(),
            version: "v1".into(),
        }
    }

    fn request(code: &str, items: &[&str]) -> RequestedService {
        RequestedService {
            service: Some(service(code)),
            legal_basis: "Tax Code, Art. 86".into(),
            items: items
                .iter()
                .map(|i| RequestedItem { code: (*i).into(), purpose: format!("verify the {i}") })
                .collect(),
            max_requests_per_month: 1_000,
            working_mode: "24/7".into(),
        }
    }

    fn form(services: Vec<RequestedService>) -> ApplicationForm {
        ApplicationForm { services, ..Default::default() }
    }

    fn consent(code: &str, decision: ConsentDecision) -> ProviderConsent {
        ProviderConsent { service: Some(service(code)), decision: decision as i32, ..Default::default() }
    }

    #[test]
    fn the_latest_decision_counts() {
        let consents = [consent("person", ConsentDecision::Refused), consent("person", ConsentDecision::Given)];
        assert_eq!(decision(&consents, &service("person")), ConsentDecision::Given);
        assert_eq!(decision(&consents, &service("address")), ConsentDecision::Unspecified);
    }

    #[test]
    fn a2_s18_a_consent_is_dropped_when_its_services_request_changes_or_is_withdrawn() {
        let before = form(vec![request("person", &["surname"]), request("address", &["region"])]);
        let consents = vec![
            consent("person", ConsentDecision::Given),
            consent("address", ConsentDecision::Given),
            consent("person", ConsentDecision::Given),
        ];
        // More items of the person service, the address service withdrawn.
        let after = form(vec![request("person", &["surname", "account_balance"])]);
        let (kept, dropped) = carried_over(consents.clone(), &before, &after);
        assert!(kept.is_empty(), "{kept:?}");
        assert_eq!(dropped, [service("person"), service("address")]);

        // Another purpose, legal basis or volume is another request too.
        let mut purpose = before.clone();
        purpose.services[0].items[0].purpose = "market research".into();
        let mut volume = before.clone();
        volume.services[0].max_requests_per_month = 1_000_000;
        for after in [purpose, volume] {
            let (kept, dropped) = carried_over(consents.clone(), &before, &after);
            assert_eq!(dropped, [service("person")]);
            assert_eq!(kept, [consent("address", ConsentDecision::Given)]);
        }
    }

    #[test]
    fn an_unchanged_request_keeps_its_decision_whatever_the_order_of_its_items() {
        let before = form(vec![request("person", &["surname", "region"])]);
        let after = form(vec![request("person", &["region", "surname"]), request("address", &["region"])]);
        let consents = vec![consent("person", ConsentDecision::Refused)];
        let (kept, dropped) = carried_over(consents.clone(), &before, &after);
        assert_eq!((kept, dropped), (consents, vec![]));
    }
}
