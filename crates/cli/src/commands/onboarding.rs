//! `koprik application-*`, `subsystem-form`, `announce`, `calendar-*`: the onboarding workflow, provider
//! announcements and the working-day calendar from a terminal, so an operator can run a whole connection. Each step
//! is taken with the certificate of whoever takes it: the applicant's subsystem submits (consumer), the operator
//! reviews, approves, agrees and connects, the provider consents and announces (provider).

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Subcommand, ValueEnum};
use koprik_proto::ids::{ServiceId, SubsystemId};
use koprik_proto::registry::announcements_client::AnnouncementsClient;
use koprik_proto::registry::onboarding_client::OnboardingClient;
use koprik_proto::registry::registry_client::RegistryClient;
use koprik_proto::registry::working_calendar_client::WorkingCalendarClient;
use koprik_proto::registry::{
    AgreeInstructionRequest, Announcement, AnnouncementKind, ApplicationActionRequest, ApplicationForm,
    ApplicationState, ComputeDeadlineRequest, ConnectApplicationRequest, ConsentDecision, Contract,
    CreateAnnouncementRequest, GetApplicationRequest, GetSubsystemRequest, InformationSystemForm,
    ListAnnouncementsRequest, ListApplicationsRequest, ListCalendarYearsRequest, LoadCalendarYearRequest, Platform,
    RecordProviderConsentRequest, RefuseApplicationRequest, RequestedItem, RequestedService,
    ResubmitApplicationRequest, ServicePermission, SubmitApplicationRequest, SystemUser, TechnologicalInstruction,
    UpdateSubsystemRequest,
};
use koprik_proto::time::timestamp;
use koprik_proto::tonic::transport::Channel;
use serde::Deserialize;

use super::grounds;
use crate::show;

/// Announcement kinds as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// A planned change to the web service (at least two weeks ahead).
    PlannedChange,
    /// Technical works (at least three working days ahead).
    TechnicalWorks,
}

/// Onboarding, announcement and calendar commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record the application-form fields of an information system (A1/Ap2, A2/Ap2).
    SubsystemForm {
        /// Subsystem id.
        #[arg(long)]
        id: String,
        /// Purpose of the system.
        #[arg(long)]
        purpose: String,
        /// Its tasks.
        #[arg(long)]
        tasks: String,
        /// Technical-support e-mail.
        #[arg(long)]
        email: String,
        /// Responsible employee's phone, +998 and nine digits.
        #[arg(long)]
        phone: String,
        /// Network address (host or IP, optionally with a port).
        #[arg(long)]
        address: String,
        /// Operating hours per day, 1-24.
        #[arg(long)]
        hours: u32,
        /// Composition of the data processed.
        #[arg(long)]
        data: String,
        /// Web services the system offers, described.
        #[arg(long, default_value = "")]
        services: String,
        /// A user as "Full name;Position;Appointment order" (repeatable).
        #[arg(long = "user", required = true)]
        users: Vec<String>,
    },
    /// Submit a connection application from a TOML file (see deploy/examples/application.toml).
    ApplicationSubmit {
        /// The application file.
        file: std::path::PathBuf,
    },
    /// Resubmit a refused application, corrected, from its TOML file.
    ApplicationResubmit {
        /// Application id.
        #[arg(long)]
        id: String,
        /// The corrected application file.
        file: std::path::PathBuf,
    },
    /// Take a submitted application into review.
    ApplicationReview {
        /// Application id.
        #[arg(long)]
        id: String,
    },
    /// Approve an application (DDP: after the provider's consent).
    ApplicationApprove {
        /// Application id.
        #[arg(long)]
        id: String,
    },
    /// Refuse an application on a ground of the closed list, with reasons.
    ApplicationRefuse {
        /// Application id.
        #[arg(long)]
        id: String,
        /// incomplete, false-information, not-on-interagency-network (IIP), provider-refused (DDP),
        /// no-technical-solution.
        #[arg(long)]
        ground: String,
        /// The reasons stated to the applicant.
        #[arg(long)]
        reasons: String,
    },
    /// Record a data provider's consent or refusal for one service of a DDP application (the provider's
    /// certificate).
    ApplicationConsent {
        /// Application id.
        #[arg(long)]
        id: String,
        /// The service.
        #[arg(long)]
        service: String,
        /// Refuse instead of consenting.
        #[arg(long)]
        refuse: bool,
        /// Reasons (required when refusing).
        #[arg(long, default_value = "")]
        reasons: String,
        /// The provider's letter.
        #[arg(long)]
        document: String,
    },
    /// Agree the technological instruction: the permitted items per service.
    ApplicationAgreeTi {
        /// Application id.
        #[arg(long)]
        id: String,
        /// The instruction's number.
        #[arg(long)]
        reference: String,
        /// SERVICE=item,item (repeatable).
        #[arg(long = "permit", required = true)]
        permits: Vec<String>,
    },
    /// Connect the system: creates its grants (DDP: with the contract).
    ApplicationConnect {
        /// Application id.
        #[arg(long)]
        id: String,
        /// DDP contract number.
        #[arg(long)]
        contract: Option<String>,
        /// DDP price per request in basis points of the base calculation amount (10-200).
        #[arg(long, default_value_t = 0)]
        price_bp: u32,
        /// DDP contract end, YYYY-MM-DD.
        #[arg(long)]
        valid_until: Option<String>,
    },
    /// Show an application and its steps.
    ApplicationShow {
        /// Application id.
        #[arg(long)]
        id: String,
    },
    /// List applications.
    ApplicationList {
        /// Only those whose next step is overdue.
        #[arg(long)]
        overdue: bool,
        /// Only this consumer subsystem's (a consumer's certificate sees only its own).
        #[arg(long)]
        consumer: Option<String>,
    },
    /// Announce a planned change or technical works on a web service (A1 §23).
    Announce {
        /// The service.
        #[arg(long)]
        service: String,
        /// What is announced.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Start, RFC 3339 (e.g. 2026-12-10T22:00:00+05:00).
        #[arg(long)]
        starts: String,
        /// End, RFC 3339 (required for technical works).
        #[arg(long)]
        ends: Option<String>,
        /// What changes, or what the works are.
        #[arg(long)]
        summary: String,
        /// The written notice: letter number and date.
        #[arg(long)]
        letter: String,
    },
    /// Announcements of a service, or of every service a consumer subsystem has access to.
    Announcements {
        /// The service.
        #[arg(long)]
        service: Option<String>,
        /// The consumer subsystem.
        #[arg(long)]
        consumer: Option<String>,
    },
    /// Load (or replace) a working-day calendar year from its TOML file.
    CalendarLoad {
        /// The year file (format: crates/calendar/years/2026.toml).
        file: std::path::PathBuf,
    },
    /// Show the calendar years in force.
    CalendarShow,
    /// The end of the N-th working day after a moment (default: now).
    Deadline {
        /// Working days.
        #[arg(long)]
        working_days: u32,
        /// From, RFC 3339.
        #[arg(long)]
        from: Option<String>,
    },
}

/// An application file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationFile {
    consumer: String,
    platform: String,
    personal_data_consent_attested: bool,
    changes_reporting_undertaken: bool,
    services: Vec<ServiceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceFile {
    service: String,
    legal_basis: String,
    max_requests_per_month: u32,
    working_mode: String,
    items: Vec<ItemFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    code: String,
    purpose: String,
}

fn parse<T: std::str::FromStr<Err = koprik_proto::FieldError>>(what: &str, text: &str) -> anyhow::Result<T> {
    text.parse().map_err(|e| anyhow::anyhow!("{what} {text:?}: {e}"))
}

fn instant(flag: &str, text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| anyhow::anyhow!("--{flag} {text:?}: not an RFC 3339 time: {e}"))
}

/// Reads an application file into a form.
fn application_form(path: &std::path::Path) -> anyhow::Result<ApplicationForm> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let file: ApplicationFile = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let consumer: SubsystemId = parse("consumer", &file.consumer)?;
    let platform = match file.platform.to_lowercase().as_str() {
        "iip" => Platform::Iip,
        "ddp" => Platform::Ddp,
        other => anyhow::bail!("{}: platform {other:?} must be \"iip\" or \"ddp\"", path.display()),
    };
    let services = file
        .services
        .into_iter()
        .map(|s| {
            let service: ServiceId = parse("service", &s.service)?;
            Ok(RequestedService {
                service: Some((&service).into()),
                legal_basis: s.legal_basis,
                items: s.items.into_iter().map(|i| RequestedItem { code: i.code, purpose: i.purpose }).collect(),
                max_requests_per_month: s.max_requests_per_month,
                working_mode: s.working_mode,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(ApplicationForm {
        consumer: Some((&consumer).into()),
        platform: platform as i32,
        services,
        personal_data_consent_attested: file.personal_data_consent_attested,
        changes_reporting_undertaken: file.changes_reporting_undertaken,
    })
}

fn user(text: &str) -> anyhow::Result<SystemUser> {
    let parts: Vec<&str> = text.splitn(3, ';').map(str::trim).collect();
    match parts.as_slice() {
        [full_name, position, order] => Ok(SystemUser {
            full_name: (*full_name).into(),
            position: (*position).into(),
            appointment_order: (*order).into(),
        }),
        _ => anyhow::bail!("--user {text:?}: expected \"Full name;Position;Appointment order\""),
    }
}

fn permission(text: &str) -> anyhow::Result<ServicePermission> {
    let (service, items) =
        text.split_once('=').ok_or_else(|| anyhow::anyhow!("--permit {text:?}: expected SERVICE=item,item"))?;
    let service: ServiceId = parse("--permit", service)?;
    Ok(ServicePermission {
        service: Some((&service).into()),
        data_items: items.split(',').map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect(),
        approvals: vec![],
    })
}

/// Runs an onboarding command against the registry at `channel`.
pub async fn run(command: Command, channel: Channel) -> anyhow::Result<()> {
    let mut onboarding = OnboardingClient::new(channel.clone());
    let step = |id: String| ApplicationActionRequest { id, expected_revision: 0 };
    let application = match command {
        Command::SubsystemForm { id, purpose, tasks, email, phone, address, hours, data, services, users } => {
            let id: SubsystemId = parse("--id", &id)?;
            let mut registry = RegistryClient::new(channel);
            let mut subsystem =
                registry.get_subsystem(GetSubsystemRequest { id: Some((&id).into()) }).await?.into_inner();
            let expected_revision = subsystem.meta.take().map_or(0, |m| m.revision);
            subsystem.form = Some(InformationSystemForm {
                purpose,
                tasks,
                support_email: email,
                responsible_phone: phone,
                services_description: services,
                data_composition: data,
                network_address: address,
                operating_hours_per_day: hours,
                users: users.iter().map(|u| user(u)).collect::<anyhow::Result<_>>()?,
            });
            let updated = registry
                .update_subsystem(UpdateSubsystemRequest { subsystem: Some(subsystem), expected_revision })
                .await?;
            println!("{}", show::subsystem(updated.get_ref()));
            return Ok(());
        }
        Command::ApplicationSubmit { file } => {
            let request = SubmitApplicationRequest { form: Some(application_form(&file)?) };
            onboarding.submit_application(request).await?
        }
        Command::ApplicationResubmit { id, file } => {
            let form = Some(application_form(&file)?);
            let request = ResubmitApplicationRequest { id, form, expected_revision: 0 };
            onboarding.resubmit_application(request).await?
        }
        Command::ApplicationReview { id } => onboarding.start_review(step(id)).await?,
        Command::ApplicationApprove { id } => onboarding.approve_application(step(id)).await?,
        Command::ApplicationRefuse { id, ground, reasons } => {
            let ground = grounds::refusal_ground(&ground)? as i32;
            let request = RefuseApplicationRequest { id, ground, reasons, expected_revision: 0 };
            onboarding.refuse_application(request).await?
        }
        Command::ApplicationConsent { id, service, refuse, reasons, document } => {
            let service: ServiceId = parse("--service", &service)?;
            let decision = if refuse { ConsentDecision::Refused } else { ConsentDecision::Given };
            let request = RecordProviderConsentRequest {
                id,
                service: Some((&service).into()),
                decision: decision as i32,
                reasons,
                document_reference: document,
            };
            onboarding.record_provider_consent(request).await?
        }
        Command::ApplicationAgreeTi { id, reference, permits } => {
            let permissions = permits.iter().map(|p| permission(p)).collect::<anyhow::Result<_>>()?;
            let instruction = Some(TechnologicalInstruction { reference, permissions });
            let request = AgreeInstructionRequest { id, instruction, expected_revision: 0 };
            onboarding.agree_instruction(request).await?
        }
        Command::ApplicationConnect { id, contract, price_bp, valid_until } => {
            let contract = match (contract, valid_until) {
                (Some(reference), Some(until)) => {
                    let until = NaiveDate::parse_from_str(&until, "%Y-%m-%d")
                        .map_err(|_| anyhow::anyhow!("--valid-until {until:?}: expected YYYY-MM-DD"))?;
                    let end = until.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc() - chrono::Duration::hours(5);
                    Some(Contract {
                        reference,
                        price_basis_points: price_bp,
                        valid_from: None,
                        valid_until: Some(timestamp(end)),
                    })
                }
                (None, None) => None,
                _ => anyhow::bail!("--contract and --valid-until go together"),
            };
            let request = ConnectApplicationRequest { id, contract, expected_revision: 0 };
            onboarding.connect_application(request).await?
        }
        Command::ApplicationShow { id } => onboarding.get_application(GetApplicationRequest { id }).await?,
        Command::ApplicationList { overdue, consumer } => {
            let consumer: Option<SubsystemId> = consumer.map(|c| parse("--consumer", &c)).transpose()?;
            let request = ListApplicationsRequest {
                overdue_only: overdue,
                consumer: consumer.as_ref().map(Into::into),
                ..Default::default()
            };
            let list = onboarding.list_applications(request).await?.into_inner();
            for a in &list.applications {
                let state = ApplicationState::try_from(a.state).unwrap_or_default();
                println!("{}  {}{}", a.id, state.as_str_name(), if a.overdue { "  OVERDUE" } else { "" });
            }
            return Ok(());
        }
        Command::Announce { service, kind, starts, ends, summary, letter } => {
            let service: ServiceId = parse("--service", &service)?;
            let kind = match kind {
                Kind::PlannedChange => AnnouncementKind::PlannedChange,
                Kind::TechnicalWorks => AnnouncementKind::TechnicalWorks,
            };
            let announcement = Announcement {
                service: Some((&service).into()),
                kind: kind as i32,
                starts_at: Some(timestamp(instant("starts", &starts)?)),
                ends_at: ends.as_deref().map(|e| instant("ends", e)).transpose()?.map(timestamp),
                summary,
                letter_reference: letter,
                ..Default::default()
            };
            let request = CreateAnnouncementRequest { announcement: Some(announcement) };
            let created = AnnouncementsClient::new(channel).create_announcement(request).await?;
            println!("{}", show::announcement(created.get_ref()));
            return Ok(());
        }
        Command::Announcements { service, consumer } => {
            let service: Option<ServiceId> = service.map(|s| parse("--service", &s)).transpose()?;
            let consumer: Option<SubsystemId> = consumer.map(|c| parse("--consumer", &c)).transpose()?;
            let request = ListAnnouncementsRequest {
                service: service.as_ref().map(Into::into),
                consumer: consumer.as_ref().map(Into::into),
                include_past: false,
            };
            let list = AnnouncementsClient::new(channel).list_announcements(request).await?.into_inner();
            list.announcements.iter().for_each(|a| println!("{}", show::announcement(a)));
            return Ok(());
        }
        Command::CalendarLoad { file } => {
            let content = std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let request = LoadCalendarYearRequest { content };
            let loaded = WorkingCalendarClient::new(channel).load_calendar_year(request).await?;
            println!("{}", show::calendar_year(loaded.get_ref()));
            return Ok(());
        }
        Command::CalendarShow => {
            let years = WorkingCalendarClient::new(channel).list_calendar_years(ListCalendarYearsRequest {}).await?;
            years.get_ref().years.iter().for_each(|y| println!("{}", show::calendar_year(y)));
            return Ok(());
        }
        Command::Deadline { working_days, from } => {
            let from = from.as_deref().map(|f| instant("from", f)).transpose()?.map(timestamp);
            let request = ComputeDeadlineRequest { from, working_days };
            let due = WorkingCalendarClient::new(channel).compute_deadline(request).await?.into_inner();
            let due = due.due_by.as_ref().and_then(koprik_proto::time::datetime);
            let tashkent = chrono::FixedOffset::east_opt(5 * 3600).ok_or_else(|| anyhow::anyhow!("UTC+5"))?;
            println!("{}", due.map_or_else(|| "-".into(), |d| d.with_timezone(&tashkent).to_rfc3339()));
            return Ok(());
        }
    };
    println!("{}", show::application(application.get_ref()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_application_file_is_valid() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/examples/application.toml");
        let form = application_form(&path).expect("example parses");
        assert_eq!(form.platform(), Platform::Iip);
        assert_eq!(form.services[0].items.len(), 2);
    }

    #[test]
    fn users_and_permissions_are_parsed() {
        assert_eq!(user("A. Karimov; Inspector; No. 12-k").expect("valid").position, "Inspector");
        assert!(user("A. Karimov").is_err());
        let permit = permission("UZ/GOV/201122919/civil-registry/person-by-pinfl/v1=surname, region").expect("valid");
        assert_eq!(permit.data_items, ["surname", "region"]);
        assert!(permission("surname").is_err());
    }
}
