//! Whether a consumer may call a service: the rule the gateway enforces on every request before anything is
//! forwarded (A1 §14-17, A2 §14-17: access only through the platform, only with the operator's permission).
//!
//! The consumer subsystem is registered, the service exists and is available, the requested data items belong to
//! the service, an ACTIVE grant links the two, and every requested item is among the items the grant's
//! technological instruction permits (A1 §14-15: a request outside the TI's categories is refused).
//!
//! The TI is the ceiling both ways: a request that names no data item asks for the items its grant permits, never
//! for "everything the service returns" ([`authorize`] resolves the list, which is what is forwarded and audited),
//! and an answer is delivered only when the items it declares are among those asked for ([`check_released`]).
//! Quotas are [`crate::request_quota`]'s.

use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::{GrantStatus, ServiceStatus};
use koprik_proto::released_items;
use koprik_proto::FieldError;

use crate::cache::{CachedGrant, RegistryCache};
use crate::call::Call;
use crate::error::GatewayError;

/// Decides whether `consumer` may make `call`; on refusal the error states the reason. Returns the data items the
/// request may have, to forward: the ones it names, or, when it names none, every item the grant permits that the
/// service still has (in the grant's order). A1 §14-15: the TI is the ceiling, an empty list is never more.
pub fn authorize(cache: &RegistryCache, consumer: &SubsystemId, call: &Call) -> Result<Vec<String>, GatewayError> {
    if !cache.has_subsystem(consumer) {
        return Err(GatewayError::Refused(format!("consumer subsystem {consumer} is not registered")));
    }
    let service = cache.service(&call.service).ok_or_else(|| GatewayError::UnknownService(call.service.to_string()))?;
    match service.status {
        ServiceStatus::Available => {}
        ServiceStatus::Withdrawn => return Err(GatewayError::UnknownService(call.service.to_string())),
        _ => return Err(GatewayError::ServiceUnavailable(format!("service {} is under maintenance", call.service))),
    }
    for (index, item) in call.data_items.iter().enumerate() {
        if !service.data_items.contains(item) {
            return Err(FieldError::new(
                format!("data_items[{index}]"),
                format!("{item:?} is not a data item of service {}", call.service),
            )
            .into());
        }
    }
    let grant = check_grant(cache, consumer, &call.service)?;
    if let Some(item) = call.data_items.iter().find(|item| !grant.permitted_items.contains(item)) {
        return Err(GatewayError::Refused(format!(
            "data item {item:?} is not permitted by the technological instruction of grant {} (A1 §14-15)",
            grant.id
        )));
    }
    if !call.data_items.is_empty() {
        return Ok(call.data_items.clone());
    }
    let permitted: Vec<String> =
        grant.permitted_items.iter().filter(|item| service.data_items.contains(*item)).cloned().collect();
    if permitted.is_empty() {
        return Err(GatewayError::Refused(format!(
            "the technological instruction of grant {} permits no data item of {} (A1 §14-15)",
            grant.id, call.service
        )));
    }
    Ok(permitted)
}

/// An answer may release only data items the request asked for (`asked`, as forwarded), and must say which it
/// carries (`declared`, signed by the provider's adapter): the adapter refuses any other answer, and the gateway
/// checks again before delivering, so a faulty or forged adapter cannot release more than the TI permits. The rule
/// is [`koprik_proto::released_items`]; the caller logs the codes.
pub fn check_released(asked: &[String], declared: &[String]) -> Result<(), GatewayError> {
    released_items::check(asked, declared).map_err(|why| {
        GatewayError::UnverifiedAnswer(format!("the provider's answer was not delivered because {why} (A1 §14-15)"))
    })
}

fn check_grant(
    cache: &RegistryCache,
    consumer: &SubsystemId,
    service: &ServiceId,
) -> Result<CachedGrant, GatewayError> {
    let Some(grant) = cache.grant(consumer, service) else {
        return Err(GatewayError::Refused(format!("{consumer} has no access grant for {service}")));
    };
    let state = match grant.status {
        GrantStatus::Active => return Ok(grant),
        GrantStatus::Suspended => "suspended",
        GrantStatus::Revoked => "revoked",
        GrantStatus::Unspecified => "not in force",
    };
    let ground = if grant.ground.is_empty() { String::new() } else { format!(" ({})", grant.ground) };
    let reason = if grant.reason.is_empty() { String::new() } else { format!(": {}", grant.reason) };
    Err(GatewayError::Refused(format!("the access grant of {consumer} for {service} is {state}{ground}{reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::events::registry_event::Entity;
    use koprik_proto::registry::{DataItem, Grant, Meta, Service, Subsystem};

    const CONSUMER: &str = "UZ/GOV/200935935/tax-inspection";
    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";

    fn meta(revision: i64) -> Option<Meta> {
        Some(Meta { revision, ..Meta::default() })
    }

    fn cache(grant: Option<(GrantStatus, &str)>, status: ServiceStatus) -> RegistryCache {
        let consumer: SubsystemId = CONSUMER.parse().expect("consumer");
        let service: ServiceId = SERVICE.parse().expect("service");
        let cache = RegistryCache::default();
        let subsystem = Subsystem { id: Some((&consumer).into()), meta: meta(1), ..Subsystem::default() };
        cache.apply(&Entity::Subsystem(subsystem)).expect("subsystem");
        let entity = Service {
            id: Some((&service).into()),
            data_items: ["surname", "birth_date"]
                .into_iter()
                .map(|code| DataItem { code: code.into(), ..DataItem::default() })
                .collect(),
            status: status as i32,
            meta: meta(1),
            ..Service::default()
        };
        cache.apply(&Entity::Service(entity)).expect("service");
        if let Some((status, reason)) = grant {
            let grant = Grant {
                id: "g".into(),
                consumer: Some((&consumer).into()),
                service: Some((&service).into()),
                status: status as i32,
                reason: reason.into(),
                permitted_items: vec!["surname".into()],
                meta: meta(1),
                ..Grant::default()
            };
            cache.apply(&Entity::Grant(grant)).expect("grant");
        }
        cache
    }

    fn call(items: &[&str]) -> Call {
        Call {
            service: SERVICE.parse().expect("service"),
            applicants: vec![],
            data_items: items.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn consumer() -> SubsystemId {
        CONSUMER.parse().expect("consumer")
    }

    #[test]
    fn an_active_grant_allows_the_call_with_the_items_it_names() {
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::Available);
        assert_eq!(authorize(&cache, &consumer(), &call(&["surname"])), Ok(vec!["surname".to_owned()]));
    }

    #[test]
    fn no_item_named_asks_for_the_grants_permitted_items_never_everything() {
        // The service has surname and birth_date; the grant's TI permits surname only (A1 §14-15).
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::Available);
        assert_eq!(authorize(&cache, &consumer(), &call(&[])), Ok(vec!["surname".to_owned()]));
    }

    #[test]
    fn permitted_items_the_service_no_longer_has_are_not_asked_for() {
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::Available);
        let service: ServiceId = SERVICE.parse().expect("service");
        let changed = Service {
            id: Some((&service).into()),
            data_items: vec![DataItem { code: "birth_date".into(), ..DataItem::default() }],
            status: ServiceStatus::Available as i32,
            meta: meta(2),
            ..Service::default()
        };
        cache.apply(&Entity::Service(changed)).expect("service");
        let err = authorize(&cache, &consumer(), &call(&[])).expect_err("nothing permitted is left");
        assert!(matches!(&err, GatewayError::Refused(m) if m.contains("permits no data item")), "{err}");
    }

    #[test]
    fn an_answer_releases_only_items_asked_for_and_must_declare_them() {
        let asked = vec!["surname".to_owned(), "birth_date".to_owned()];
        assert_eq!(check_released(&asked, &["birth_date".to_owned()]), Ok(()));
        assert_eq!(check_released(&asked, &asked), Ok(()));
        let extra = check_released(&asked, &["surname".to_owned(), "address".to_owned()]).expect_err("superset");
        assert!(
            matches!(&extra, GatewayError::UnverifiedAnswer(m) if m.contains("carries 1 data item not requested")),
            "{extra}"
        );
        assert!(!extra.to_string().contains("address"), "the code outside the request is not told: {extra}");
        let undeclared = check_released(&asked, &[]).expect_err("undeclared");
        assert!(
            matches!(&undeclared, GatewayError::UnverifiedAnswer(m) if m.contains("does not declare")),
            "{undeclared}"
        );
    }

    #[test]
    fn without_a_grant_the_call_is_refused_with_the_reason() {
        let cache = cache(None, ServiceStatus::Available);
        let err = authorize(&cache, &consumer(), &call(&[])).expect_err("no grant");
        assert_eq!(err.to_string(), format!("{CONSUMER} has no access grant for {SERVICE}"));
    }

    #[test]
    fn a_suspended_grant_states_its_notice() {
        let cache = cache(Some((GrantStatus::Suspended, "notice 12: TI violation")), ServiceStatus::Available);
        let err = authorize(&cache, &consumer(), &call(&[])).expect_err("suspended");
        assert!(err.to_string().ends_with("is suspended: notice 12: TI violation"), "{err}");
    }

    #[test]
    fn unknown_services_and_items_are_named() {
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::Available);
        let mut other = call(&[]);
        other.service = "UZ/GOV/201122919/civil-registry/marriages/v1".parse().expect("id");
        assert!(matches!(authorize(&cache, &consumer(), &other), Err(GatewayError::UnknownService(_))));
        let err = authorize(&cache, &consumer(), &call(&["surname", "salary"])).expect_err("item");
        assert!(matches!(&err, GatewayError::Invalid(f) if f.field == "data_items[1]"), "{err}");
    }

    #[test]
    fn items_outside_the_technological_instruction_are_refused() {
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::Available);
        let err = authorize(&cache, &consumer(), &call(&["surname", "birth_date"])).expect_err("not permitted");
        assert!(matches!(&err, GatewayError::Refused(m) if m.contains("\"birth_date\" is not permitted")), "{err}");
    }

    #[test]
    fn maintenance_makes_the_service_unavailable() {
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::UnderMaintenance);
        assert!(matches!(authorize(&cache, &consumer(), &call(&[])), Err(GatewayError::ServiceUnavailable(_))));
    }

    #[test]
    fn unregistered_consumers_are_refused() {
        let cache = cache(Some((GrantStatus::Active, "")), ServiceStatus::Available);
        let stranger: SubsystemId = "UZ/GOV/300000001/unknown".parse().expect("id");
        assert!(matches!(authorize(&cache, &stranger, &call(&[])), Err(GatewayError::Refused(_))));
    }
}
