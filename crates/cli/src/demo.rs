//! The demo data of the embedded stack, shared by `koprik up` and the end-to-end tests: a civil registry
//! (provider), a tax inspection system (granted IIP consumer), a bank's customer-check system (granted DDP consumer,
//! under a contract, billed per request), the same bank's loan system (a consumer without a grant) and the
//! statistics agency (the open-data supplier). Names are of real kinds of bodies; the STIRs and every person in the
//! fixture are fictional.
//!
//! Each step is taken with the certificate of the role that may take it ([`crate::demo_pki`]): the operator
//! registers the participants, grants and keys; the civil registry's registry editor submits the demo public
//! service and the operator's registry reviewer registers it.
//!
//! Seeding is idempotent: what exists already is left as it is, so `koprik up` can run again on the same data.

use std::path::{Path, PathBuf};

use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::registry::public_services_client::PublicServicesClient;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::signing_keys_client::SigningKeysClient;
use koprik_proto::registry::{
    Contract, CreateGrantRequest, CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest,
    DataClassification, DataItem, Grant, ListEntriesRequest, ListGrantsRequest, Organization, OrganizationRole,
    OrganizationType, RegisterEntryRequest, RegisterSigningKeyRequest, Service, SignatureAlgorithm, SigningKey,
    SigningKeyPurpose, SubmitEntryRequest, Subsystem,
};
use koprik_proto::signing::PrivateKey;
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Status};

use crate::officer::{Officer, Purpose};

/// The provider: the Ministry of Justice's civil registry.
pub const PROVIDER: &str = "UZ/GOV/201122919";
/// The provider's information system.
pub const PROVIDER_SUBSYSTEM: &str = "UZ/GOV/201122919/civil-registry";
/// The demo web service.
pub const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
/// The statistics agency: the demo open-data supplier.
pub const STATISTICS_AGENCY: &str = "UZ/GOV/201122920";
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
/// The tax inspection's officer who signs the demo requests (fictional), and her key id.
pub const OFFICER_KEY_ID: &str = "tax-inspection.officer-1";
/// The officer's full name.
pub const OFFICER_NAME: &str = "Dilnoza Rahimova";
/// The officer's position.
pub const OFFICER_POSITION: &str = "Bosh inspektor (chief inspector)";
/// The demo consumers' officers: subsystem, key id, full name, position (fictional people). In the demo they
/// share one key pair; each is registered for its own subsystem.
pub const OFFICERS: &[(&str, &str, &str, &str)] = &[
    (CONSUMER, OFFICER_KEY_ID, OFFICER_NAME, OFFICER_POSITION),
    (UNGRANTED_CONSUMER, "loan-origination.officer-1", "Jasur Toshmatov", "Kredit mutaxassisi (loan officer)"),
    (DDP_CONSUMER, "kyc-check.officer-1", "Nilufar Qodirova", "Komplayens mutaxassisi (compliance officer)"),
];
/// The key id of the civil registry adapter's answer-signing key.
pub const ADAPTER_KEY_ID: &str = "civil-registry.adapter-1";
/// The applicant's request the demo exchange serves (a fictional my.gov.uz application number).
pub const APPLICANT_REQUEST_REF: &str = "MY.GOV.UZ-DEMO-000001";
/// The demo entry of the Unified Registry of Public Services, the example the operator's guide uses.
const PUBLIC_SERVICE: &str = include_str!("../../../deploy/examples/public-service.toml");

/// The demo officer's and adapter's private keys.
pub struct DemoKeys {
    /// The officer's key.
    pub officer: PrivateKey,
    /// The adapter's key.
    pub adapter: PrivateKey,
}

impl DemoKeys {
    /// Fresh keys, kept in memory (tests).
    pub fn generate() -> Self {
        Self { officer: PrivateKey::generate(), adapter: PrivateKey::generate() }
    }

    /// Where the officer's key lives under `dir`.
    pub fn officer_file(dir: &Path) -> PathBuf {
        dir.join("officer.pem")
    }

    /// Where the adapter's key lives under `dir`.
    pub fn adapter_file(dir: &Path) -> PathBuf {
        dir.join("adapter.pem")
    }

    /// The keys in `dir`, created there the first time (so a restarted stack keeps its registered keys).
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let load = |path: PathBuf| -> anyhow::Result<PrivateKey> {
            if !path.exists() {
                crate::commands::keys::write_private_key(&PrivateKey::generate(), &path)?;
            }
            let pem = std::fs::read_to_string(&path)?;
            PrivateKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        };
        Ok(Self { officer: load(Self::officer_file(dir))?, adapter: load(Self::adapter_file(dir))? })
    }

    /// The officer of the demo consumer `consumer` (the tax inspection's for any other subsystem).
    pub fn officer_for(&self, consumer: &str) -> Officer {
        let (_, key_id, name, position) =
            OFFICERS.iter().find(|(subsystem, ..)| *subsystem == consumer).copied().unwrap_or(OFFICERS[0]);
        Officer { key: self.officer.clone(), key_id: key_id.into(), name: name.into(), position: position.into() }
    }

    /// The tax inspection's officer.
    pub fn officer(&self) -> Officer {
        Officer {
            key: self.officer.clone(),
            key_id: OFFICER_KEY_ID.into(),
            name: OFFICER_NAME.into(),
            position: OFFICER_POSITION.into(),
        }
    }
}

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

/// Registers the demo organisations, subsystems and service, and grants [`CONSUMER`] access to [`SERVICE`], with
/// `client` presenting the operator's certificate. Returns the grant.
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
    // An open-data supplier only: it neither provides nor consumes web services.
    organization(
        client,
        STATISTICS_AGENCY,
        "O'zbekiston Respublikasi Prezidenti huzuridagi Statistika agentligi",
        OrganizationType::StateBody,
        &[],
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

async fn signing_key(
    client: &mut SigningKeysClient<Channel>,
    key_id: &str,
    subsystem: &str,
    purpose: SigningKeyPurpose,
    key: &PrivateKey,
    holder: (&str, &str),
) -> Result<(), Status> {
    let subsystem: SubsystemId = id(subsystem);
    let key = SigningKey {
        key_id: key_id.into(),
        subsystem: Some((&subsystem).into()),
        purpose: purpose as i32,
        algorithm: SignatureAlgorithm::Ed25519 as i32,
        public_key: key.public_key(),
        holder_name: holder.0.into(),
        holder_position: holder.1.into(),
        ..SigningKey::default()
    };
    let request = RegisterSigningKeyRequest { key: Some(key) };
    existing_ok(client.register_signing_key(request).await)
}

/// What the demo requests are for: the demo public service's registry number and the applicant's request.
pub fn purpose(public_service_number: u64) -> Purpose {
    Purpose { public_service_number, applicant_request_ref: APPLICANT_REQUEST_REF.into() }
}

/// Registers what a signed exchange needs besides [`seed`]: the officer's and the adapter's public keys, with
/// `operator` (a registry channel presenting the operator's certificate), and the demo entry of the Unified
/// Registry of Public Services, submitted by the civil registry's registry editor (`editor`, presenting
/// [`crate::demo_pki::REGISTRY_EDITOR`]) and registered by the operator's registry reviewer (`reviewer`, presenting
/// [`crate::demo_pki::REGISTRY_REVIEWER`]). Returns the entry's registry number. Idempotent.
pub async fn seed_exchange(
    operator: Channel,
    editor: Channel,
    reviewer: Channel,
    keys: &DemoKeys,
) -> anyhow::Result<u64> {
    let mut signing_keys = SigningKeysClient::new(operator);
    for (subsystem, key_id, name, position) in OFFICERS {
        let officer = SigningKeyPurpose::Officer;
        signing_key(&mut signing_keys, key_id, subsystem, officer, &keys.officer, (name, position)).await?;
    }
    signing_key(
        &mut signing_keys,
        ADAPTER_KEY_ID,
        PROVIDER_SUBSYSTEM,
        SigningKeyPurpose::Adapter,
        &keys.adapter,
        ("", ""),
    )
    .await?;

    let content = crate::commands::public_services::parse_content(Path::new("public-service.toml"), PUBLIC_SERVICE)?;
    let mut editor = PublicServicesClient::new(editor);
    let provider: MemberId = id(PROVIDER);
    let existing = editor
        .list_entries(ListEntriesRequest { page: None, competent_body: Some((&provider).into()) })
        .await?
        .into_inner()
        .entries;
    if let Some(entry) = existing.iter().find(|e| e.content.as_ref().map(|c| &c.name) == Some(&content.name)) {
        return Ok(entry.number);
    }
    let submitted = editor.submit_entry(SubmitEntryRequest { content: Some(content) }).await?.into_inner();
    let registered = PublicServicesClient::new(reviewer)
        .register_entry(RegisterEntryRequest { application_id: submitted.id })
        .await?
        .into_inner();
    Ok(registered.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_ids_are_valid() {
        let _: MemberId = PROVIDER.parse().expect("provider");
        let _: MemberId = STATISTICS_AGENCY.parse().expect("statistics agency");
        let _: SubsystemId = PROVIDER_SUBSYSTEM.parse().expect("provider subsystem");
        let _: SubsystemId = CONSUMER.parse().expect("consumer");
        let _: SubsystemId = UNGRANTED_CONSUMER.parse().expect("ungranted consumer");
        let _: SubsystemId = DDP_CONSUMER.parse().expect("DDP consumer");
        let service: ServiceId = SERVICE.parse().expect("service");
        assert_eq!(service.subsystem().to_string(), PROVIDER_SUBSYSTEM);
    }
}
