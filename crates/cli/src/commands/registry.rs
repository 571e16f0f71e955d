//! `koprik org|subsystem|service|grant ...`: registry administration through its gRPC API.

use clap::{Subcommand, ValueEnum};
use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::{
    CreateGrantRequest, CreateOrganizationRequest, CreateServiceRequest, CreateSubsystemRequest, DataClassification,
    DataItem, GrantStatus, ListGrantsRequest, ListOrganizationsRequest, ListServicesRequest, ListSubsystemsRequest,
    Organization, OrganizationRole, OrganizationType, Service, Subsystem, UpdateGrantRequest,
};
use koprik_proto::tonic::transport::Channel;

use crate::show;

/// Organisation types as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrgType {
    /// A state body.
    StateBody,
    /// A state organisation.
    StateOrganization,
    /// A commercial organisation.
    Commercial,
    /// Another business entity.
    OtherBusiness,
}

/// Roles as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    /// Provides web services.
    Provider,
    /// Consumes on the IIP.
    IipConsumer,
    /// Consumes on the DDP.
    DdpConsumer,
    /// Bills through the UBS.
    UbsClient,
}

/// Grant statuses as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Status {
    /// In force.
    Active,
    /// Temporarily not in force.
    Suspended,
    /// Ended for good.
    Revoked,
}

/// Registry commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register an organisation.
    OrgCreate {
        /// Member id, INSTANCE/CLASS/STIR, e.g. UZ/GOV/201122919.
        #[arg(long)]
        id: String,
        /// Official name.
        #[arg(long)]
        name: String,
        /// Organisation type.
        #[arg(long, value_enum)]
        r#type: OrgType,
        /// Roles (repeatable).
        #[arg(long = "role", value_enum)]
        roles: Vec<Role>,
    },
    /// List organisations.
    OrgList,
    /// Register an information system (subsystem).
    SubsystemCreate {
        /// Subsystem id, INSTANCE/CLASS/STIR/CODE.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List subsystems.
    SubsystemList,
    /// Register a web service.
    ServiceCreate {
        /// Service id, INSTANCE/CLASS/STIR/SUBSYSTEM/SERVICE/VERSION.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Data items as code=Name:classification, classification one of ordinary, personal, bank-secret,
        /// protected-persons, state-secret (repeatable).
        #[arg(long = "item", required = true)]
        items: Vec<String>,
    },
    /// List web services.
    ServiceList,
    /// Grant a consumer subsystem access to a web service directly (outside an application).
    GrantCreate {
        /// Consumer subsystem id.
        #[arg(long)]
        consumer: String,
        /// Service id.
        #[arg(long)]
        service: String,
        /// Permitted data item codes (repeatable; default: every ordinary and personal item).
        #[arg(long = "item")]
        items: Vec<String>,
    },
    /// Suspend, reinstate or terminate (revoke) a grant.
    GrantSetStatus {
        /// Grant id.
        #[arg(long)]
        id: String,
        /// New status.
        #[arg(long, value_enum)]
        status: Status,
        /// Reasons (required to suspend or revoke).
        #[arg(long, default_value = "")]
        reason: String,
        /// The ground from the closed list, e.g. suspend-unagreed-purpose, terminate-contract-expiry (required to
        /// suspend or revoke; a wrong one is answered with the list).
        #[arg(long)]
        ground: Option<String>,
        /// The official notice as NUMBER,YYYY-MM-DD,SIGNED BY (required to suspend or revoke).
        #[arg(long)]
        notice: Option<String>,
    },
    /// List grants.
    GrantList {
        /// Only this consumer subsystem's.
        #[arg(long)]
        consumer: Option<String>,
    },
}

fn parse<T: std::str::FromStr<Err = koprik_proto::FieldError>>(flag: &str, text: &str) -> anyhow::Result<T> {
    text.parse().map_err(|e| anyhow::anyhow!("--{flag} {text:?}: {e}"))
}

fn data_item(text: &str) -> anyhow::Result<DataItem> {
    let (code, rest) =
        text.split_once('=').ok_or_else(|| anyhow::anyhow!("--item {text:?}: expected code=Name:classification"))?;
    let (name, class) =
        rest.rsplit_once(':').ok_or_else(|| anyhow::anyhow!("--item {text:?}: expected code=Name:classification"))?;
    let classification = match class {
        "ordinary" => DataClassification::Ordinary,
        "personal" => DataClassification::Personal,
        "bank-secret" => DataClassification::BankSecret,
        "protected-persons" => DataClassification::ProtectedPersons,
        "state-secret" => DataClassification::StateSecret,
        other => anyhow::bail!("--item {text:?}: unknown classification {other:?}"),
    };
    Ok(DataItem { code: code.into(), name: name.into(), classification: classification as i32 })
}

/// Runs a registry command against the registry at `channel` (creating and changing are the operator's).
pub async fn run(command: Command, channel: Channel) -> anyhow::Result<()> {
    let mut client = RegistryClient::new(channel);
    match command {
        Command::OrgCreate { id, name, r#type, roles } => {
            let id: MemberId = parse("id", &id)?;
            let org_type = match r#type {
                OrgType::StateBody => OrganizationType::StateBody,
                OrgType::StateOrganization => OrganizationType::StateOrganization,
                OrgType::Commercial => OrganizationType::Commercial,
                OrgType::OtherBusiness => OrganizationType::OtherBusiness,
            };
            let roles = roles
                .iter()
                .map(|r| match r {
                    Role::Provider => OrganizationRole::Provider,
                    Role::IipConsumer => OrganizationRole::IipConsumer,
                    Role::DdpConsumer => OrganizationRole::DdpConsumer,
                    Role::UbsClient => OrganizationRole::UbsClient,
                } as i32)
                .collect();
            let organization =
                Organization { id: Some((&id).into()), name, r#type: org_type as i32, roles, meta: None };
            let created =
                client.create_organization(CreateOrganizationRequest { organization: Some(organization) }).await?;
            println!("{}", show::organization(created.get_ref()));
        }
        Command::OrgList => {
            let list = client.list_organizations(ListOrganizationsRequest { page: None }).await?;
            list.get_ref().organizations.iter().for_each(|o| println!("{}", show::organization(o)));
        }
        Command::SubsystemCreate { id, name, description } => {
            let id: SubsystemId = parse("id", &id)?;
            let subsystem = Subsystem { id: Some((&id).into()), name, description, meta: None, form: None };
            let created = client.create_subsystem(CreateSubsystemRequest { subsystem: Some(subsystem) }).await?;
            println!("{}", show::subsystem(created.get_ref()));
        }
        Command::SubsystemList => {
            let list = client.list_subsystems(ListSubsystemsRequest { page: None, member: None }).await?;
            list.get_ref().subsystems.iter().for_each(|s| println!("{}", show::subsystem(s)));
        }
        Command::ServiceCreate { id, name, items } => {
            let id: ServiceId = parse("id", &id)?;
            let service = Service {
                id: Some((&id).into()),
                name,
                description: String::new(),
                data_items: items.iter().map(|i| data_item(i)).collect::<anyhow::Result<_>>()?,
                status: 0,
                meta: None,
                archive: false,
            };
            let created = client.create_service(CreateServiceRequest { service: Some(service) }).await?;
            println!("{}", show::service(created.get_ref()));
        }
        Command::ServiceList => {
            let list = client.list_services(ListServicesRequest { page: None, provider: None }).await?;
            list.get_ref().services.iter().for_each(|s| println!("{}", show::service(s)));
        }
        Command::GrantCreate { consumer, service, items } => {
            let consumer: SubsystemId = parse("consumer", &consumer)?;
            let service: ServiceId = parse("service", &service)?;
            let created = client
                .create_grant(CreateGrantRequest {
                    consumer: Some((&consumer).into()),
                    service: Some((&service).into()),
                    permitted_items: items,
                    ..Default::default()
                })
                .await?;
            println!("{}", show::grant(created.get_ref()));
        }
        Command::GrantSetStatus { id, status, reason, ground, notice } => {
            let status = match status {
                Status::Active => GrantStatus::Active,
                Status::Suspended => GrantStatus::Suspended,
                Status::Revoked => GrantStatus::Revoked,
            };
            let ground = ground.as_deref().map(super::grounds::access_ground).transpose()?;
            let updated = client
                .update_grant(UpdateGrantRequest {
                    id,
                    status: status as i32,
                    reason,
                    expected_revision: 0,
                    ground: ground.map_or(0, |g| g as i32),
                    notice: notice.as_deref().map(super::grounds::notice).transpose()?,
                })
                .await?;
            println!("{}", show::grant(updated.get_ref()));
        }
        Command::GrantList { consumer } => {
            let consumer: Option<SubsystemId> = consumer.map(|c| parse("consumer", &c)).transpose()?;
            let list = client
                .list_grants(ListGrantsRequest {
                    page: None,
                    consumer: consumer.as_ref().map(Into::into),
                    service: None,
                })
                .await?;
            list.get_ref().grants.iter().for_each(|g| println!("{}", show::grant(g)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_items_are_parsed_from_the_command_line() {
        let item = data_item("birth_date=Date of birth: DD.MM.YYYY:personal").expect("valid");
        assert_eq!(item.code, "birth_date");
        assert_eq!(item.name, "Date of birth: DD.MM.YYYY");
        assert_eq!(item.classification(), DataClassification::Personal);
        assert!(data_item("surname").is_err());
        assert!(data_item("surname=Surname:secretish").is_err());
    }
}
