//! The demo data of the embedded stack, shared by `koprik up` and the end-to-end tests: a civil registry
//! (provider), a tax inspection system (granted IIP consumer), a bank's customer-check system (granted DDP consumer,
//! under a contract, billed per request) and the same bank's loan system (a consumer without a grant).
//! Names are of real kinds of bodies; the STIRs and every person in the fixture are fictional.
//!
//! Seeding is idempotent: what exists already is left as it is, so `koprik up` can run again on the same data.

use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::{
    Contract, CreateGrantRequest, CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest,
    DataClassification, DataItem, Grant, ListGrantsRequest, Organization, OrganizationRole, OrganizationType, Service,
    Subsystem,
};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};

/// The provider: the Ministry of Justice's civil registry.
pub const PROVIDER: &str = "UZ/GOV/201122919";
/// The provider's information system.
pub const PROVIDER_SUBSYSTEM: &str = "UZ/GOV/201122919/civil-registry";
/// The demo web service.
pub const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
/// The granted consumer: the State Tax Committee's inspection system.
pub const CONSUMER: &str = "UZ/GOV/200935935/tax-inspection";
/// A consumer without a grant: a bank's loan origination system (a DDP consumer).
pub const UNGRANTED_CONSUMER: &str = "UZ/COM/207028220/loan-origination";
/// A DDP consumer with a grant under a contract: the same bank's customer due-diligence (KYC) system. Its
/// delivered exchanges are billed (one usage record each).
pub const DDP_CONSUMER: &str = "UZ/COM/207028220/kyc-check";
/// The reference of the demo DDP contract.
pub const DDP_CONTRACT: &str = "DDP-2026/0001";
/// A person in the demo civil registry fixture (fictional).
pub const DEMO_PINFL: &str = "31403850260011";

/// The data items of the demo service, with their names.
const DATA_ITEMS: &[(&str, &str)] = &[
    ("surname", "Familiya / Surname"),
    ("given_name", "Ism / Given name"),
    ("patronymic", "Otasining ismi / Patronymic"),
    ("birth_date", "Tug'ilgan sana / Date of birth"),
    ("gender", "Jinsi / Sex"),
    ("birth_place", "Tug'ilgan joyi / Place of birth"),
    ("citizenship", "Fuqaroligi / Citizenship"),
    ("address", "Doimiy yashash manzili / Permanent address"),
    ("document", "Shaxsni tasdiqlovchi hujjat / Identity document"),
];

fn id<T: std::str::FromStr<Err = koprik_proto::FieldError>>(text: &str) -> T {
    match text.parse() {
        Ok(id) => id,
        // The constants above are checked by the unit test below; this cannot happen for them.
        Err(e) => panic!("demo id {text} is invalid: {e}"),
    }
}

/// Creates, unless it exists, whatever `result` tried to create.
fn existing_ok<T>(result: Result<T, Status>) -> Result<(), Status> {
    match result {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => Err(status),
    }
}

async fn organization(
    client: &mut RegistryClient<Channel>,
    member: &str,
    name: &str,
    kind: OrganizationType,
    roles: &[OrganizationRole],
) -> Result<(), Status> {
    let member: MemberId = id(member);
    existing_ok(
        client
            .create_organization(CreateOrganizationRequest {
                organization: Some(Organization {
                    id: Some((&member).into()),
                    name: name.into(),
                    r#type: kind as i32,
                    roles: roles.iter().map(|r| *r as i32).collect(),
                    meta: None,
                }),
            })
            .await,
    )
}

async fn subsystem(client: &mut RegistryClient<Channel>, subsystem: &str, name: &str) -> Result<(), Status> {
    let subsystem: SubsystemId = id(subsystem);
    existing_ok(
        client
            .create_subsystem(CreateSubsystemRequest {
                subsystem: Some(Subsystem {
                    id: Some((&subsystem).into()),
                    name: name.into(),
                    description: String::new(),
                    meta: None,
                    form: None,
                }),
            })
            .await,
    )
}

/// Registers the demo organisations, subsystems and service, and grants [`CONSUMER`] access to [`SERVICE`].
/// Returns the grant.
pub async fn seed(client: &mut RegistryClient<Channel>) -> Result<Grant, Status> {
    organization(
        client,
        PROVIDER,
        "O'zbekiston Respublikasi Adliya vazirligi",
        OrganizationType::StateBody,
        &[OrganizationRole::Provider],
    )
    .await?;
    organization(
        client,
        "UZ/GOV/200935935",
        "O'zbekiston Respublikasi Davlat soliq qo'mitasi",
        OrganizationType::StateBody,
        &[OrganizationRole::IipConsumer, OrganizationRole::Provider],
    )
    .await?;
    organization(
        client,
        "UZ/COM/207028220",
        "\"Namuna Bank\" ATB",
        OrganizationType::Commercial,
        &[OrganizationRole::DdpConsumer],
    )
    .await?;
    subsystem(client, PROVIDER_SUBSYSTEM, "FHDYo yagona elektron arxivi (civil registry)").await?;
    subsystem(client, CONSUMER, "Soliq tekshiruvi axborot tizimi (tax inspection)").await?;
    subsystem(client, UNGRANTED_CONSUMER, "Kredit berish tizimi (loan origination)").await?;
    subsystem(client, DDP_CONSUMER, "Mijozni tekshirish tizimi (customer due diligence)").await?;

    let service: ServiceId = id(SERVICE);
    existing_ok(
        client
            .create_service(CreateServiceRequest {
                service: Some(Service {
                    id: Some((&service).into()),
                    name: "Jismoniy shaxs ma'lumotlari JShShIR bo'yicha (person by PINFL)".into(),
                    description: "Civil registry record of an individual, found by PINFL.".into(),
                    data_items: DATA_ITEMS
                        .iter()
                        .map(|(code, name)| DataItem {
                            code: (*code).into(),
                            name: (*name).into(),
                            classification: DataClassification::Personal as i32,
                        })
                        .collect(),
                    status: 0,
                    meta: None,
                    archive: false,
                }),
            })
            .await,
    )?;

    let ddp_contract = Contract {
        reference: DDP_CONTRACT.into(),
        price_basis_points: 50,
        valid_from: None,
        valid_until: Some(koprik_proto::time::timestamp(chrono::Utc::now() + chrono::Duration::days(365))),
    };
    grant(client, DDP_CONSUMER, &service, Some(ddp_contract)).await?;
    grant(client, CONSUMER, &service, None).await
}

/// Grants `consumer` access to `service` unless a grant in force exists; returns the grant.
async fn grant(
    client: &mut RegistryClient<Channel>,
    consumer: &str,
    service: &ServiceId,
    contract: Option<Contract>,
) -> Result<Grant, Status> {
    let consumer: SubsystemId = id(consumer);
    match client
        .create_grant(CreateGrantRequest {
            consumer: Some((&consumer).into()),
            service: Some(service.into()),
            actor: "koprik demo-seed".into(),
            contract,
            ..Default::default()
        })
        .await
    {
        Ok(grant) => Ok(grant.into_inner()),
        Err(status) if status.code() == Code::AlreadyExists => {
            let grants = client
                .list_grants(ListGrantsRequest {
                    page: None,
                    consumer: Some((&consumer).into()),
                    service: Some(service.into()),
                })
                .await?
                .into_inner()
                .grants;
            grants.into_iter().next().ok_or_else(|| Status::internal("the demo grant exists but cannot be listed"))
        }
        Err(status) => Err(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_ids_are_valid() {
        let _: MemberId = PROVIDER.parse().expect("provider");
        let _: SubsystemId = PROVIDER_SUBSYSTEM.parse().expect("provider subsystem");
        let _: SubsystemId = CONSUMER.parse().expect("consumer");
        let _: SubsystemId = UNGRANTED_CONSUMER.parse().expect("ungranted consumer");
        let _: SubsystemId = DDP_CONSUMER.parse().expect("DDP consumer");
        let service: ServiceId = SERVICE.parse().expect("service");
        assert_eq!(service.subsystem().to_string(), PROVIDER_SUBSYSTEM);
    }
}
