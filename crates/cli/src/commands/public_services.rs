//! `koprik public-service ...`: the Unified Registry of Public Services (REG-1) through the registry's
//! `PublicServices` gRPC API: submit, review, amend, abolish, re-inventory, and read.
//!
//! Every step records who took it: the identity of the client certificate it was taken with (`--tls-cert`). The
//! agency's registry editor (or head) submits, remediates, resubmits, amends and abolishes its own agency's
//! entries; the operator's registry reviewer registers, refuses and sends notices; the head confirms the yearly
//! re-inventory.
//!
//! An entry's content is written in a TOML or JSON file (by extension); the format is documented with an example in
//! `deploy/examples/public-service.toml`. Its shape follows `PublicServiceContent` in
//! `proto/koprik/registry/v1/public_services.proto`, with enums in lower case and ids in their text form.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use koprik_proto::common;
use koprik_proto::ids::{MemberId, ServiceId};
use koprik_proto::registry::public_services_client::PublicServicesClient;
use koprik_proto::registry::{
    price, AbolishEntryRequest, ConfirmInventoryRequest, ContentVersion, DeclareRemediationRequest, DeliveryForm,
    EServiceKind, EntryApplicationState, Free, GetEntryApplicationRequest, GetEntryRequest, GetHistoryRequest,
    ListEntriesRequest, ListEntryApplicationsRequest, LocalizedText, NormativeAct, PublicServiceApplication,
    PublicServiceContent, PublicServiceEntry, RefuseEntryRequest, RegisterEntryRequest, ReinventoryReportRequest,
    ResubmitEntryRequest, SendRegistrationNoticeRequest, ServiceType, Step, SubmitAmendmentRequest, SubmitEntryRequest,
    TranslationStatus,
};
use koprik_proto::tonic::transport::Channel;
use serde::Deserialize;

/// Public-services registry commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Submit an application for a new entry (REG-1 p. 8).
    Submit {
        /// The entry's content, a .toml or .json file (see deploy/examples/public-service.toml).
        #[arg(long)]
        file: PathBuf,
    },
    /// Register an application under review (the registry reviewer; REG-1 p. 12).
    Register {
        /// Application id.
        #[arg(long)]
        application: String,
    },
    /// Refuse an application under review, with reasons (the registry reviewer; REG-1 p. 13).
    Refuse {
        /// Application id.
        #[arg(long)]
        application: String,
        /// A reason (repeatable; at least one).
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
    /// Record that the registration notice was sent (the registry reviewer; REG-1 p. 12).
    Notice {
        /// Application id.
        #[arg(long)]
        application: String,
    },
    /// Declare the body's own remediation date for a refused application (REG-1 p. 13).
    Remediation {
        /// Application id.
        #[arg(long)]
        application: String,
        /// The date the body will resubmit by, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Why (which bodies must agree the fix).
        #[arg(long)]
        reason: String,
    },
    /// Resubmit a refused application with the deficiencies fixed (REG-1 p. 13).
    Resubmit {
        /// Application id.
        #[arg(long)]
        application: String,
        /// The corrected content file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Submit an amendment to a live entry (REG-1 p. 14).
    Amend {
        /// Registry number.
        #[arg(long)]
        number: u64,
        /// The new content file.
        #[arg(long)]
        file: PathBuf,
        /// The date the change took effect, YYYY-MM-DD.
        #[arg(long)]
        change_date: String,
        /// The substance of the change, in Uzbek (the change mark).
        #[arg(long)]
        change: String,
        /// The grounds for the change.
        #[arg(long)]
        grounds: String,
    },
    /// Notify the abolition of a service (REG-1 p. 16); the entry is marked ABOLISHED, never deleted.
    Abolish {
        /// Registry number.
        #[arg(long)]
        number: u64,
        /// Title of the abolishing act, in Uzbek.
        #[arg(long)]
        act_title: String,
        /// Its number.
        #[arg(long, default_value = "")]
        act_number: String,
        /// Its date, YYYY-MM-DD (the date of abolition).
        #[arg(long)]
        act_date: String,
        /// A link to its text.
        #[arg(long, default_value = "")]
        act_link: String,
        /// The basis, in Uzbek.
        #[arg(long)]
        basis: String,
    },
    /// Confirm a body's yearly re-inventory (REG-1 p. 21: by 1 October).
    ConfirmInventory {
        /// The body's member id, e.g. UZ/GOV/201122919.
        #[arg(long)]
        body: String,
        /// The year.
        #[arg(long)]
        year: u32,
    },
    /// Per body: live entries and whether it confirmed the year's re-inventory.
    ReinventoryReport {
        /// The year.
        #[arg(long)]
        year: u32,
    },
    /// One entry.
    Get {
        /// Registry number.
        #[arg(long)]
        number: u64,
    },
    /// Entries in number order, abolished included.
    List {
        /// Only this competent body's.
        #[arg(long)]
        body: Option<String>,
    },
    /// One application.
    Application {
        /// Application id.
        #[arg(long)]
        id: String,
    },
    /// Applications in submission order.
    Applications {
        /// Only those whose pending step is overdue.
        #[arg(long)]
        overdue: bool,
        /// Only this competent body's (an agency's editor or head sees only its own agency's).
        #[arg(long)]
        body: Option<String>,
    },
    /// Every version and step of an entry or an application.
    History {
        /// Registry number.
        #[arg(long, conflicts_with = "application", required_unless_present = "application")]
        number: Option<u64>,
        /// Application id.
        #[arg(long)]
        application: Option<String>,
    },
}

/// A text with its language versions, as written in the file: `{ uz = "...", ru = "...", en = "..." }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFile {
    uz: String,
    #[serde(default)]
    ru: String,
    #[serde(default)]
    en: String,
}

impl From<TextFile> for LocalizedText {
    fn from(t: TextFile) -> Self {
        Self { uz: t.uz, ru: t.ru, en: t.en }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActFile {
    title: TextFile,
    #[serde(default)]
    number: String,
    date: String,
    #[serde(default)]
    link: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentFile {
    name: TextFile,
    #[serde(default)]
    link: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InteragencyFile {
    name: TextFile,
    supplier: String,
    web_service: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormFile {
    name: TextFile,
    sample_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExchangedFile {
    name: TextFile,
    counterpart: String,
    volume: TextFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegulationFile {
    act: ActFile,
    #[serde(default)]
    documents: Vec<DocumentFile>,
}

/// Column 6: exactly one of `free = true`, `som`, `percent`, `bca_multiple`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    #[serde(default)]
    free: bool,
    som: Option<u64>,
    percent: Option<String>,
    bca_multiple: Option<String>,
    note: Option<TextFile>,
}

/// An entry's content file (see `deploy/examples/public-service.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentFile {
    name: TextFile,
    competent_body: String,
    applicant_categories: Vec<TextFile>,
    delivery_forms: Vec<String>,
    price: PriceFile,
    deadlines: TextFile,
    conditions: Option<TextFile>,
    #[serde(default)]
    applicant_documents: Vec<DocumentFile>,
    #[serde(default)]
    interagency_documents: Vec<InteragencyFile>,
    result: TextFile,
    #[serde(default)]
    forms: Vec<FormFile>,
    permanent_link: String,
    regulation: RegulationFile,
    #[serde(default)]
    exchanged_data: Vec<ExchangedFile>,
    service_type: String,
    e_service_kind: String,
    legal_basis: Vec<ActFile>,
    ru: Option<String>,
    en: Option<String>,
}

fn member(text: &str) -> anyhow::Result<common::MemberId> {
    let id: MemberId = text.parse().map_err(|e| anyhow::anyhow!("member id {text:?}: {e}"))?;
    Ok((&id).into())
}

fn act(file: ActFile) -> NormativeAct {
    NormativeAct { title: Some(file.title.into()), number: file.number, date: file.date, link: file.link }
}

fn document(file: DocumentFile) -> koprik_proto::registry::Document {
    koprik_proto::registry::Document { name: Some(file.name.into()), link: file.link }
}

fn enum_value<E: Copy + Into<i32>>(text: &str, field: &str, known: &[(&str, E)]) -> anyhow::Result<i32> {
    known.iter().find(|(name, _)| *name == text).map(|(_, v)| (*v).into()).ok_or_else(|| {
        let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
        anyhow::anyhow!("{field} {text:?}: expected one of {}", names.join(", "))
    })
}

fn translation(text: Option<&str>, field: &str) -> anyhow::Result<i32> {
    match text {
        None => Ok(TranslationStatus::Unspecified as i32),
        Some(text) => enum_value(
            text,
            field,
            &[("equivalent", TranslationStatus::Equivalent), ("abridged", TranslationStatus::Abridged)],
        ),
    }
}

fn price(file: PriceFile) -> anyhow::Result<koprik_proto::registry::Price> {
    let mut kinds = Vec::new();
    if file.free {
        kinds.push(price::Kind::Free(Free {}));
    }
    kinds.extend(file.som.map(price::Kind::Som));
    kinds.extend(file.percent.map(price::Kind::Percent));
    kinds.extend(file.bca_multiple.map(price::Kind::BcaMultiple));
    anyhow::ensure!(kinds.len() == 1, "price: give exactly one of free = true, som, percent, bca_multiple");
    Ok(koprik_proto::registry::Price { kind: kinds.pop(), note: file.note.map(Into::into) })
}

impl TryFrom<ContentFile> for PublicServiceContent {
    type Error = anyhow::Error;

    fn try_from(file: ContentFile) -> anyhow::Result<Self> {
        let forms = [("traditional", DeliveryForm::Traditional), ("electronic", DeliveryForm::Electronic)];
        Ok(Self {
            name: Some(file.name.into()),
            competent_body: Some(member(&file.competent_body)?),
            applicant_categories: file.applicant_categories.into_iter().map(Into::into).collect(),
            delivery_forms: file
                .delivery_forms
                .iter()
                .map(|f| enum_value(f, "delivery_forms", &forms))
                .collect::<anyhow::Result<_>>()?,
            price: Some(price(file.price)?),
            deadlines: Some(file.deadlines.into()),
            conditions: file.conditions.map(Into::into),
            applicant_documents: file.applicant_documents.into_iter().map(document).collect(),
            interagency_documents: file
                .interagency_documents
                .into_iter()
                .map(|d| {
                    let web_service = d
                        .web_service
                        .map(|s| s.parse::<ServiceId>().map_err(|e| anyhow::anyhow!("web_service {s:?}: {e}")))
                        .transpose()?;
                    Ok(koprik_proto::registry::InteragencyDocument {
                        name: Some(d.name.into()),
                        supplier: Some(member(&d.supplier)?),
                        web_service: web_service.as_ref().map(Into::into),
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            result: Some(file.result.into()),
            forms: file
                .forms
                .into_iter()
                .map(|f| koprik_proto::registry::FormBlank { name: Some(f.name.into()), sample_url: f.sample_url })
                .collect(),
            permanent_link: file.permanent_link,
            regulation: Some(koprik_proto::registry::ServiceRegulation {
                act: Some(act(file.regulation.act)),
                documents: file.regulation.documents.into_iter().map(document).collect(),
            }),
            exchanged_data: file
                .exchanged_data
                .into_iter()
                .map(|d| {
                    Ok(koprik_proto::registry::ExchangedData {
                        name: Some(d.name.into()),
                        counterpart: Some(member(&d.counterpart)?),
                        volume: Some(d.volume.into()),
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            service_type: enum_value(
                &file.service_type,
                "service_type",
                &[
                    ("establishing-rights", ServiceType::EstablishingRights),
                    ("establishing-legal-facts", ServiceType::EstablishingLegalFacts),
                    ("providing-information", ServiceType::ProvidingInformation),
                ],
            )?,
            e_service_kind: enum_value(
                &file.e_service_kind,
                "e_service_kind",
                &[("informational", EServiceKind::Informational), ("interactive", EServiceKind::Interactive)],
            )?,
            legal_basis: file.legal_basis.into_iter().map(act).collect(),
            ru: translation(file.ru.as_deref(), "ru")?,
            en: translation(file.en.as_deref(), "en")?,
        })
    }
}

/// Parses a content file: TOML unless its name ends in `.json`.
pub fn parse_content(path: &Path, text: &str) -> anyhow::Result<PublicServiceContent> {
    let file: ContentFile = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
    } else {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
    };
    file.try_into().map_err(|e: anyhow::Error| anyhow::anyhow!("{}: {e}", path.display()))
}

fn read_content(path: &Path) -> anyhow::Result<PublicServiceContent> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    parse_content(path, &text)
}

fn uz(text: Option<&LocalizedText>) -> &str {
    text.map_or("", |t| t.uz.as_str())
}

fn time(value: Option<&koprik_proto::prost_types::Timestamp>) -> String {
    value.and_then(koprik_proto::time::datetime).map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into())
}

fn entry_line(e: &PublicServiceEntry) -> String {
    let content = e.content.as_ref();
    format!(
        "public-service {}  {}  {:?}  body={}  version={}  changes={}",
        e.number,
        e.status().as_str_name().trim_start_matches("ENTRY_STATUS_"),
        uz(content.and_then(|c| c.name.as_ref())),
        crate::show::member(content.and_then(|c| c.competent_body.as_ref())),
        e.content_version,
        e.change_marks.len()
    )
}

fn application_line(a: &PublicServiceApplication) -> String {
    let overdue = if a.overdue { "  OVERDUE" } else { "" };
    format!(
        "application {}  {}  {}  number={}  submission={}  pending={} due_by={}{overdue}",
        a.id,
        a.kind().as_str_name().trim_start_matches("ENTRY_APPLICATION_KIND_"),
        a.state().as_str_name().trim_start_matches("ENTRY_APPLICATION_STATE_"),
        a.number,
        a.submission,
        a.pending().as_str_name().trim_start_matches("PENDING_STEP_"),
        time(a.due_by.as_ref()),
    )
}

fn version_line(v: &ContentVersion) -> String {
    let mark = v.change_mark.as_ref().map(|m| format!("  change {} {:?}", m.date, uz(m.substance.as_ref())));
    format!(
        "  version {}  application {} #{}  {}  by {} at {}{}",
        v.id,
        v.application_id,
        v.submission,
        v.state().as_str_name().trim_start_matches("VERSION_STATE_"),
        v.submitted_by,
        time(v.submitted_at.as_ref()),
        mark.unwrap_or_default()
    )
}

fn step_line(s: &Step) -> String {
    let late = if s.late { "  LATE" } else { "" };
    let detail = if s.detail.is_empty() { String::new() } else { format!("  {:?}", s.detail) };
    format!(
        "  step {}  by {} at {}  due_by={}{late}{detail}",
        s.kind().as_str_name().trim_start_matches("STEP_KIND_"),
        s.actor,
        time(s.at.as_ref()),
        time(s.due_by.as_ref())
    )
}

fn text(uz: String) -> Option<LocalizedText> {
    Some(LocalizedText { uz, ..Default::default() })
}

/// Runs a public-services command against the registry at `channel`.
pub async fn run(command: Command, channel: Channel) -> anyhow::Result<()> {
    let mut client = PublicServicesClient::new(channel);
    match command {
        Command::Submit { file } => {
            let content = Some(read_content(&file)?);
            let reply = client.submit_entry(SubmitEntryRequest { content }).await?;
            println!("{}", application_line(reply.get_ref()));
        }
        Command::Register { application } => {
            let request = RegisterEntryRequest { application_id: application };
            println!("{}", application_line(client.register_entry(request).await?.get_ref()));
        }
        Command::Refuse { application, reasons } => {
            let request = RefuseEntryRequest { application_id: application, reasons };
            println!("{}", application_line(client.refuse_entry(request).await?.get_ref()));
        }
        Command::Notice { application } => {
            let request = SendRegistrationNoticeRequest { application_id: application };
            println!("{}", application_line(client.send_registration_notice(request).await?.get_ref()));
        }
        Command::Remediation { application, date, reason } => {
            let request = DeclareRemediationRequest { application_id: application, remediation_date: date, reason };
            println!("{}", application_line(client.declare_remediation(request).await?.get_ref()));
        }
        Command::Resubmit { application, file } => {
            let content = Some(read_content(&file)?);
            let request = ResubmitEntryRequest { application_id: application, content };
            println!("{}", application_line(client.resubmit_entry(request).await?.get_ref()));
        }
        Command::Amend { number, file, change_date, change, grounds } => {
            let content = Some(read_content(&file)?);
            let request =
                SubmitAmendmentRequest { number, content, change_date, change_substance: text(change), grounds };
            println!("{}", application_line(client.submit_amendment(request).await?.get_ref()));
        }
        Command::Abolish { number, act_title, act_number, act_date, act_link, basis } => {
            let act = NormativeAct { title: text(act_title), number: act_number, date: act_date, link: act_link };
            let request = AbolishEntryRequest { number, act: Some(act), basis: text(basis) };
            println!("{}", entry_line(client.abolish_entry(request).await?.get_ref()));
        }
        Command::ConfirmInventory { body, year } => {
            let request = ConfirmInventoryRequest { body: Some(member(&body)?), year };
            let c = client.confirm_inventory(request).await?.into_inner();
            let late = if c.late { "  LATE" } else { "" };
            println!("inventory {body} {year} confirmed by {} at {}{late}", c.actor, time(c.confirmed_at.as_ref()));
        }
        Command::ReinventoryReport { year } => {
            let report = client.reinventory_report(ReinventoryReportRequest { year }).await?.into_inner();
            println!("re-inventory {year}, due by {}", time(report.due_by.as_ref()));
            for b in &report.bodies {
                let status = match (b.confirmed, b.late, b.missing) {
                    (true, true, _) => {
                        format!("confirmed LATE at {} by {}", time(b.confirmed_at.as_ref()), b.confirmed_by)
                    }
                    (true, false, _) => format!("confirmed at {} by {}", time(b.confirmed_at.as_ref()), b.confirmed_by),
                    (false, _, true) => "MISSING".to_owned(),
                    (false, _, false) => "not yet confirmed".to_owned(),
                };
                let entries: Vec<String> = b.live_entries.iter().map(u64::to_string).collect();
                println!("  {}  entries={}  {status}", crate::show::member(b.body.as_ref()), entries.join(","));
            }
        }
        Command::Get { number } => {
            println!("{}", entry_line(client.get_entry(GetEntryRequest { number }).await?.get_ref()));
        }
        Command::List { body } => {
            let competent_body = body.as_deref().map(member).transpose()?;
            let mut page_token = String::new();
            loop {
                let page = Some(common::PageRequest { page_size: 500, page_token });
                let request = ListEntriesRequest { page, competent_body: competent_body.clone() };
                let reply = client.list_entries(request).await?.into_inner();
                reply.entries.iter().for_each(|e| println!("{}", entry_line(e)));
                if reply.next_page_token.is_empty() {
                    break;
                }
                page_token = reply.next_page_token;
            }
        }
        Command::Application { id } => {
            let request = GetEntryApplicationRequest { application_id: id };
            println!("{}", application_line(client.get_entry_application(request).await?.get_ref()));
        }
        Command::Applications { overdue, body } => {
            let competent_body = body.as_deref().map(member).transpose()?;
            let mut page_token = String::new();
            loop {
                let page = Some(common::PageRequest { page_size: 500, page_token });
                let request = ListEntryApplicationsRequest {
                    page,
                    state: EntryApplicationState::Unspecified as i32,
                    overdue_only: overdue,
                    competent_body: competent_body.clone(),
                };
                let reply = client.list_entry_applications(request).await?.into_inner();
                reply.applications.iter().for_each(|a| println!("{}", application_line(a)));
                if reply.next_page_token.is_empty() {
                    break;
                }
                page_token = reply.next_page_token;
            }
        }
        Command::History { number, application } => {
            let request = GetHistoryRequest {
                number: number.unwrap_or_default(),
                application_id: application.unwrap_or_default(),
            };
            let history = client.get_history(request).await?.into_inner();
            if let Some(entry) = &history.entry {
                println!("{}", entry_line(entry));
            }
            history.versions.iter().for_each(|v| println!("{}", version_line(v)));
            history.steps.iter().for_each(|s| println!("{}", step_line(s)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/examples/public-service.toml"));
        let text = std::fs::read_to_string(path).expect("the example exists");
        let content = parse_content(path, &text).expect("the example is valid");
        assert_eq!(content.competent_body.as_ref().map(|b| b.member_code.as_str()), Some("201122919"));
        assert_eq!(
            content.delivery_forms().collect::<Vec<_>>(),
            vec![DeliveryForm::Traditional, DeliveryForm::Electronic]
        );
        assert_eq!(content.ru(), TranslationStatus::Equivalent);
        assert!(matches!(content.price.and_then(|p| p.kind), Some(price::Kind::BcaMultiple(m)) if m == "0.1"));
    }

    #[test]
    fn a_price_is_exactly_one_kind() {
        let both = PriceFile { free: true, som: Some(1), percent: None, bca_multiple: None, note: None };
        assert!(price(both).is_err());
        let none = PriceFile { free: false, som: None, percent: None, bca_multiple: None, note: None };
        assert!(price(none).is_err());
    }
}
