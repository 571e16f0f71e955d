//! The registries as open data (OD Annex 3; REG-1 p. 19: the registry of public services is an open resource):
//! `public-services-registry` (one row per entry of the Unified Registry of Public Services) and
//! `web-services-catalogue` (one row per web service on the platform), kept from `registry.events`.
//!
//! Each record of the compacted topic carries an entity's whole state, so the latest record per key is the row:
//! it is upserted into `platform_rows` (a tombstone deletes it), and a data set whose rows changed is marked
//! dirty and republished, as one full CSV ordered by key, at most every `republish_interval`. Only public
//! columns are taken: no applicant, officer or responsible person appears, and a cell that still looks like
//! personal data is blanked ([`super::scrub`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use koprik_kafka::rdkafka::consumer::StreamConsumer;
use koprik_kafka::rdkafka::message::OwnedMessage;
use koprik_kafka::rdkafka::Message as _;
use koprik_proto::events::registry_event::Entity;
use koprik_proto::events::RegistryEvent;
use koprik_proto::ids::{MemberId, ServiceId};
use koprik_proto::prost_types::Timestamp;
use koprik_proto::public_catalogue;
use koprik_proto::registry::{price, NormativeAct, PublicServiceEntry, Service};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::{field, platform_passport, Definition, PUBLIC_SERVICES_REGISTRY, WEB_SERVICES_CATALOGUE};
use crate::config::PlatformConfig;
use crate::error::{OpendataError, Result};
use crate::multilingual::Multilingual;
use crate::passport::Passport;
use crate::publishing::Publisher;
use crate::repository::{PlatformRowChange, Repository, RowCounts};
use crate::structure::{FieldType, Structure};
use crate::update_frequency::UpdateFrequency;

/// The two registry data sets.
const DATASETS: [&str; 2] = [PUBLIC_SERVICES_REGISTRY, WEB_SERVICES_CATALOGUE];

/// The passport and structure of `public-services-registry`.
pub fn public_services_definition(supplier: &str) -> Definition {
    use FieldType::{Date, DateTime, Decimal, Integer, String as Text};
    let passport = Passport {
        title: Multilingual::new(
            "Davlat xizmatlari yagona reyestri",
            "Единый реестр государственных услуг",
            "Unified Registry of Public Services",
        ),
        description: Multilingual::new(
            "Davlat xizmatlari, shakllar va blankalar yagona reyestrining yozuvlari: reyestr raqami, xizmat nomi, \
             vakolatli organ, holati, narxi, natijasi va ro'yxatga olingan sanasi. Reyestrdagi har bir o'zgarishdan \
             keyin avtomatik yangilanadi.",
            "Записи Единого реестра государственных услуг, форм и бланков: реестровый номер, наименование услуги, \
             компетентный орган, статус, стоимость, результат и дата регистрации. Обновляется автоматически после \
             каждого изменения реестра.",
            "Entries of the Unified Registry of Public Services, Forms and Blanks: registry number, service name, \
             competent body, status, price, result and registration date. Updated automatically after every change \
             to the registry.",
        ),
        composition: Multilingual::new(
            "Bir qator reyestrning bitta yozuviga to'g'ri keladi, bekor qilingan xizmatlar ham (ularning raqami \
             qayta ishlatilmaydi).",
            "Одна строка на запись реестра, включая упразднённые услуги (их номера не используются повторно).",
            "One row per registry entry, abolished services included (their numbers are never reused).",
        ),
        methodology: Multilingual::new(
            "Ko'prik platformasining reyestr voqealaridan (registry.events) avtomatik shakllantiriladi. Faqat ochiq \
             ustunlar olinadi; shaxsga doir ma'lumotlar kiritilmaydi.",
            "Формируется автоматически из событий реестра платформы Ko'prik (registry.events). Берутся только \
             открытые графы; персональные данные не включаются.",
            "Generated automatically from the Ko'prik platform's registry events (registry.events). Only public \
             columns are taken; no personal data is included.",
        ),
        ..platform_passport(
            PUBLIC_SERVICES_REGISTRY,
            supplier,
            UpdateFrequency::Irregular,
            [
                &["davlat xizmatlari", "reyestr"],
                &["государственные услуги", "реестр"],
                &["public services", "registry"],
            ],
        )
    };
    let structure = Structure {
        fields: vec![
            field("number", Integer, true, ["Reyestr raqami", "Реестровый номер", "Registry number"], ""),
            field("name_uz", Text, true, ["Xizmat nomi (o'zbekcha)", "Наименование (узб.)", "Name (Uzbek)"], ""),
            field("name_ru", Text, false, ["Xizmat nomi (ruscha)", "Наименование (рус.)", "Name (Russian)"], ""),
            field("name_en", Text, false, ["Xizmat nomi (inglizcha)", "Наименование (англ.)", "Name (English)"], ""),
            field("competent_body", Text, true, ["Vakolatli organ", "Компетентный орган", "Competent body"], ""),
            field("status", Text, true, ["Holati", "Статус", "Status"], ""),
            field("service_type", Text, false, ["Xizmat turi", "Вид услуги", "Service type"], ""),
            field("delivery_forms", Text, false, ["Ko'rsatish shakli", "Форма оказания", "Delivery forms"], ""),
            field("e_service_kind", Text, false, ["Elektron xizmat turi", "Вид эл. услуги", "E-service kind"], ""),
            field("price_kind", Text, false, ["Narx turi", "Вид стоимости", "Price kind"], ""),
            field("price_value", Decimal, false, ["Narx qiymati", "Размер стоимости", "Price value"], ""),
            field("deadlines_uz", Text, false, ["Muddatlar", "Сроки (узб.)", "Deadlines (Uzbek)"], ""),
            field("result_uz", Text, false, ["Natija", "Результат (узб.)", "Result (Uzbek)"], ""),
            field("permanent_link", Text, false, ["Doimiy havola", "Постоянная ссылка", "Permanent link"], ""),
            field("legal_basis", Text, false, ["Huquqiy asos", "Правовое основание", "Legal basis"], ""),
            field("content_version", Integer, true, ["Mazmun versiyasi", "Версия содержания", "Content version"], ""),
            field("registered_at", DateTime, false, ["Ro'yxatga olingan", "Зарегистрирована", "Registered at"], ""),
            field("last_changed_on", Date, false, ["Oxirgi o'zgarish", "Последнее изменение", "Last changed on"], ""),
            field("abolished_on", Date, false, ["Bekor qilingan sana", "Дата упразднения", "Abolished on"], ""),
        ],
    };
    Definition { passport, structure }
}

/// The passport and structure of `web-services-catalogue`.
pub fn web_services_definition(supplier: &str) -> Definition {
    use FieldType::{Boolean, DateTime, String as Text};
    let passport = Passport {
        title: Multilingual::new(
            "Ko'prik platformasi veb-servislari katalogi",
            "Каталог веб-сервисов платформы Ko'prik",
            "Catalogue of web services on the Ko'prik platform",
        ),
        description: Multilingual::new(
            "Idoralararo integratsiya va raqamli ma'lumotlar platformalarida axborot tizimlari taqdim etadigan \
             veb-servislar: identifikatori, ta'minotchi tashkilot, nomi, holati va qaytaradigan ma'lumot \
             elementlari. Reyestrdagi har bir o'zgarishdan keyin avtomatik yangilanadi.",
            "Веб-сервисы, которые информационные системы предоставляют на платформах межведомственной интеграции и \
             цифровых данных: идентификатор, организация-поставщик, наименование, статус и возвращаемые элементы \
             данных. Обновляется автоматически после каждого изменения реестра.",
            "Web services that information systems offer on the interagency integration and digital data \
             platforms: identifier, providing organisation, name, status and the data items returned. Updated \
             automatically after every change to the registry.",
        ),
        composition: Multilingual::new(
            "Bir qator platformada ro'yxatdan o'tgan bitta veb-servisga to'g'ri keladi, chiqarilganlari ham.",
            "Одна строка на веб-сервис, зарегистрированный на платформе, включая выведенные из эксплуатации.",
            "One row per web service registered on the platform, withdrawn ones included.",
        ),
        methodology: Multilingual::new(
            "Ko'prik platformasining reyestr voqealaridan (registry.events) avtomatik shakllantiriladi. Faqat \
             servisning tavsifi olinadi, uning qaytaradigan ma'lumotlari emas.",
            "Формируется автоматически из событий реестра платформы Ko'prik (registry.events). Берётся только \
             описание сервиса, не данные, которые он возвращает.",
            "Generated automatically from the Ko'prik platform's registry events (registry.events). Only the \
             service's description is taken, never the data it returns.",
        ),
        ..platform_passport(
            WEB_SERVICES_CATALOGUE,
            supplier,
            UpdateFrequency::Irregular,
            [&["veb-servislar", "integratsiya"], &["веб-сервисы", "интеграция"], &["web services", "interoperability"]],
        )
    };
    let structure = Structure {
        fields: vec![
            field("service_id", Text, true, ["Servis identifikatori", "Идентификатор сервиса", "Service id"], ""),
            field("provider", Text, true, ["Ta'minotchi", "Поставщик", "Provider member"], ""),
            field("subsystem", Text, true, ["Axborot tizimi", "Информационная система", "Subsystem"], ""),
            field("service_code", Text, true, ["Servis kodi", "Код сервиса", "Service code"], ""),
            field("version", Text, true, ["Versiya", "Версия", "Version"], ""),
            field("name", Text, false, ["Nomi", "Наименование", "Name"], ""),
            field("description", Text, false, ["Tavsifi", "Описание", "Description"], ""),
            field("status", Text, false, ["Holati", "Статус", "Status"], ""),
            field("archive", Boolean, true, ["Arxiv servisi", "Архивный сервис", "Archive service"], ""),
            field("data_items", Text, false, ["Ma'lumot elementlari", "Элементы данных", "Data item codes"], ""),
            field("registered_at", DateTime, false, ["Ro'yxatga olingan", "Зарегистрирован", "Registered at"], ""),
            field("updated_at", DateTime, false, ["O'zgartirilgan", "Изменён", "Updated at"], ""),
        ],
    };
    Definition { passport, structure }
}

/// The platform data set and row key of a `registry.events` key, or None when the entity is not published. Entry
/// numbers are zero-padded so that rows ordered by key are ordered by number.
pub fn row_key(event_key: &str) -> Option<(&'static str, String)> {
    if let Some(number) = event_key.strip_prefix("public-service/") {
        let number: u64 = number.parse().ok()?;
        return Some((PUBLIC_SERVICES_REGISTRY, format!("{number:020}")));
    }
    let service: ServiceId = event_key.strip_prefix("service/")?.parse().ok()?;
    Some((WEB_SERVICES_CATALOGUE, service.to_string()))
}

/// The lower-case name of a protobuf enum value without its prefix (`SERVICE_STATUS_UNDER_MAINTENANCE` →
/// `under_maintenance`); empty for the unspecified value.
fn enum_code(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).filter(|rest| *rest != "UNSPECIFIED").map(str::to_lowercase).unwrap_or_default()
}

/// A moment as published: RFC 3339 in Tashkent time, whole seconds.
fn moment(timestamp: Option<&Timestamp>) -> String {
    timestamp
        .and_then(koprik_proto::time::datetime)
        .map(|at: DateTime<Utc>| {
            at.with_timezone(&koprik_calendar::TASHKENT).to_rfc3339_opts(SecondsFormat::Secs, false)
        })
        .unwrap_or_default()
}

/// A `YYYY-MM-DD` date from the registry, or empty when it is not one.
fn date(text: &str) -> String {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map(|d| d.to_string()).unwrap_or_default()
}

/// A decimal as the registry gives it ("0.5"), or empty when it is not one.
fn decimal(text: &str) -> String {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) && digits(fraction) {
        text.to_owned()
    } else {
        String::new()
    }
}

/// A member id in its canonical form, or empty.
fn member(id: Option<&koprik_proto::common::MemberId>) -> String {
    id.and_then(|id| MemberId::try_from(id).ok()).map(|id| id.to_string()).unwrap_or_default()
}

/// One act of the legal basis, shortly: its number (or Uzbek title) and date.
fn act(act: &NormativeAct) -> String {
    let name =
        if act.number.trim().is_empty() { act.title.as_ref().map_or("", |t| t.uz.trim()) } else { act.number.trim() };
    match date(&act.date) {
        date if date.is_empty() => name.to_owned(),
        date => format!("{name} ({date})"),
    }
}

/// The row of one registry entry (the columns of [`public_services_definition`]).
pub fn public_service_row(entry: &PublicServiceEntry) -> Vec<String> {
    let content = entry.content.clone().unwrap_or_default();
    let name = content.name.clone().unwrap_or_default();
    let localized = |text: &Option<koprik_proto::registry::LocalizedText>| {
        text.as_ref().map(|t| t.uz.trim().to_owned()).unwrap_or_default()
    };
    let delivery_forms: Vec<String> =
        content.delivery_forms().map(|form| enum_code(form.as_str_name(), "DELIVERY_FORM_")).collect();
    let (price_kind, price_value) = match content.price.as_ref().and_then(|price| price.kind.as_ref()) {
        Some(price::Kind::Free(_)) => ("free", String::new()),
        Some(price::Kind::Som(som)) => ("som", som.to_string()),
        Some(price::Kind::Percent(percent)) => ("percent", decimal(percent)),
        Some(price::Kind::BcaMultiple(multiple)) => ("bca_multiple", decimal(multiple)),
        None => ("", String::new()),
    };
    let last_change =
        entry.change_marks.iter().filter_map(|mark| Some(date(&mark.date)).filter(|d| !d.is_empty())).max();
    vec![
        entry.number.to_string(),
        name.uz.trim().to_owned(),
        name.ru.trim().to_owned(),
        name.en.trim().to_owned(),
        member(content.competent_body.as_ref()),
        enum_code(entry.status().as_str_name(), "ENTRY_STATUS_"),
        enum_code(content.service_type().as_str_name(), "SERVICE_TYPE_"),
        delivery_forms.into_iter().filter(|form| !form.is_empty()).collect::<Vec<_>>().join(";"),
        enum_code(content.e_service_kind().as_str_name(), "E_SERVICE_KIND_"),
        price_kind.to_owned(),
        price_value,
        localized(&content.deadlines),
        localized(&content.result),
        content.permanent_link.trim().to_owned(),
        content.legal_basis.iter().map(act).filter(|a| !a.is_empty()).collect::<Vec<_>>().join("; "),
        entry.content_version.to_string(),
        moment(entry.registered_at.as_ref()),
        last_change.unwrap_or_default(),
        entry.abolition.as_ref().map(|abolition| date(&abolition.date)).unwrap_or_default(),
    ]
}

/// The row of one web service (the columns of [`web_services_definition`]); None when its id is not valid. The
/// service is shown as the registry's public catalogue shows it ([`public_catalogue::public_view`]): no
/// STATE_SECRET item, not even its code.
pub fn web_service_row(service: &Service) -> Option<Vec<String>> {
    let service = &public_catalogue::public_view(service);
    let id = ServiceId::try_from(service.id.as_ref()?).ok()?;
    let meta = service.meta.unwrap_or_default();
    Some(vec![
        id.to_string(),
        id.provider().to_string(),
        id.subsystem().subsystem_code().to_owned(),
        id.service_code().to_owned(),
        id.version().to_owned(),
        service.name.trim().to_owned(),
        service.description.trim().to_owned(),
        enum_code(service.status().as_str_name(), "SERVICE_STATUS_"),
        service.archive.to_string(),
        service.data_items.iter().map(|item| item.code.trim()).filter(|c| !c.is_empty()).collect::<Vec<_>>().join(";"),
        moment(meta.created_at.as_ref()),
        moment(meta.updated_at.as_ref()),
    ])
}

/// What one `registry.events` record means for the platform rows: None when it concerns no published entity (the
/// key says which: grants, certificates, the registry's heartbeats under `heartbeat/registry` and every other entity
/// are none of the portal's business). `value` is None for a tombstone (the entity is gone).
pub fn row_change(key: &str, value: Option<&RegistryEvent>) -> Result<Option<PlatformRowChange>, String> {
    let Some((dataset, row_key)) = row_key(key) else { return Ok(None) };
    let Some(event) = value else {
        return Ok(Some(PlatformRowChange::Delete { dataset: dataset.to_owned(), key: row_key }));
    };
    let cells = match (dataset, event.entity.as_ref()) {
        (PUBLIC_SERVICES_REGISTRY, Some(Entity::PublicService(entry))) => public_service_row(entry),
        (WEB_SERVICES_CATALOGUE, Some(Entity::Service(service))) => {
            web_service_row(service).ok_or_else(|| format!("the service under key {key} has no valid id"))?
        }
        _ => return Err(format!("the value under key {key} is not the entity its key names")),
    };
    Ok(Some(PlatformRowChange::Upsert { dataset: dataset.to_owned(), key: row_key, cells }))
}

/// A change note for a republished registry data set.
fn change_note(counts: &RowCounts) -> String {
    let parts: Vec<String> = [(counts.added, "added"), (counts.changed, "changed"), (counts.removed, "removed")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if parts.is_empty() {
        "Brought up to date with the registry".to_owned()
    } else {
        format!("Registry entries {}", parts.join(", "))
    }
}

/// What the loop keeps per data set.
struct DatasetState {
    structure: Structure,
    /// Rows changed since the last publication; Some while the data set must be looked at.
    pending: Option<RowCounts>,
    /// The last publication attempt: the next waits `republish_interval` after it.
    last_attempt: Option<Instant>,
}

/// Consumes `registry.events` batches until `shutdown`, keeping `platform_rows` and republishing the changed data
/// sets.
pub(super) async fn run(
    consumer: Arc<StreamConsumer>,
    mut batches: mpsc::Receiver<Vec<OwnedMessage>>,
    repository: Repository,
    publisher: Publisher,
    config: PlatformConfig,
    shutdown: CancellationToken,
) {
    let supplier = &config.supplier.name;
    let mut states: BTreeMap<&'static str, DatasetState> = BTreeMap::new();
    for (name, definition) in
        DATASETS.into_iter().zip([public_services_definition(supplier), web_services_definition(supplier)])
    {
        // Looked at once at start: a version may be missing (a crash before publishing, a new structure).
        states.insert(
            name,
            DatasetState { structure: definition.structure, pending: Some(RowCounts::default()), last_attempt: None },
        );
    }
    let mut tick = tokio::time::interval(super::tick_period(config.republish_interval));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Biased, and the tick before the batches: a steady stream of batches must not starve publishing.
            biased;
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                for (name, state) in &mut states {
                    if state.last_attempt.is_some_and(|at| at.elapsed() < config.republish_interval) {
                        continue;
                    }
                    if let Some(counts) = state.pending.take() {
                        state.last_attempt = Some(Instant::now());
                        if let Err(e) = publish(&repository, &publisher, name, &state.structure, &counts, &config).await {
                            if matches!(e, OpendataError::Database(_) | OpendataError::Storage(_)) {
                                // Looked at again after the interval.
                                state.pending = Some(counts);
                            }
                            tracing::error!(dataset = name, error = %e, "cannot republish a platform data set");
                        }
                    }
                }
            }
            batch = batches.recv() => {
                let Some(batch) = batch else { return };
                let changes = changes_of(&batch, &states);
                let now = Utc::now();
                let Some(counts) =
                    super::retry("store registry rows", &shutdown, || repository.apply_platform_rows(&changes, now)).await
                else {
                    return;
                };
                super::commit_batch(&consumer, &batch);
                for (dataset, counts) in counts {
                    if let Some(state) = states.get_mut(dataset.as_str()) {
                        state.pending.get_or_insert_with(RowCounts::default).add(&counts);
                    }
                }
            }
        }
    }
}

/// The row changes of a batch, in order; records that cannot be read are logged and skipped.
fn changes_of(batch: &[OwnedMessage], states: &BTreeMap<&'static str, DatasetState>) -> Vec<PlatformRowChange> {
    let mut changes = Vec::new();
    for record in batch {
        let key = record.key().and_then(|k| std::str::from_utf8(k).ok()).unwrap_or_default();
        let tombstone = record.payload().is_none_or(<[u8]>::is_empty);
        let change = if tombstone {
            row_change(key, None)
        } else {
            koprik_kafka::decode::<RegistryEvent>(record)
                .map_err(|e| e.to_string())
                .and_then(|event| row_change(key, Some(&event.value)))
        };
        match change {
            Ok(Some(mut change)) => {
                if let PlatformRowChange::Upsert { dataset, key, cells } = &mut change {
                    if let Some(state) = states.get(dataset.as_str()) {
                        let blanked = super::scrub(&state.structure, cells);
                        if !blanked.is_empty() {
                            tracing::warn!(dataset = %dataset, key = %key, columns = ?blanked, "cells that look like personal data left empty");
                        }
                        if let Some(column) = super::missing_required(&state.structure, cells) {
                            // One unpublishable entity must not hold back the whole data set: it is left out
                            // until a later state of it is complete.
                            tracing::warn!(dataset = %dataset, key = %key, column, "registry entity left out: a required cell is empty");
                            change = PlatformRowChange::Delete { dataset: dataset.clone(), key: key.clone() };
                        }
                    }
                }
                changes.push(change);
            }
            Ok(None) => {}
            Err(reason) => tracing::warn!(
                topic = record.topic(), partition = record.partition(), offset = record.offset(), %reason,
                "registry record skipped"
            ),
        }
    }
    changes
}

/// Republishes one registry data set from its rows, when its content changed.
async fn publish(
    repository: &Repository,
    publisher: &Publisher,
    dataset: &str,
    structure: &Structure,
    counts: &RowCounts,
    config: &PlatformConfig,
) -> Result<()> {
    let rows = repository.platform_rows(dataset).await?;
    if rows.is_empty() {
        tracing::debug!(dataset, "no rows yet; nothing to publish");
        return Ok(());
    }
    let width = structure.fields.len();
    if let Some(stale) = rows.iter().find(|row| row.len() != width) {
        // Rows stored under an earlier structure: they are rebuilt only by reading the topic again.
        return Err(OpendataError::FailedPrecondition(format!(
            "stored rows have {} cells but the structure has {width} fields; reset consumer group {} to the \
             earliest offset so that the rows are rebuilt from registry.events",
            stale.len(),
            config.registry_group
        )));
    }
    let csv = super::csv_bytes(structure, &rows)?;
    super::publish_csv(repository, publisher, dataset, csv, &change_note(counts), false, Utc::now()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use koprik_proto::registry::{
        ChangeMark, DataItem, DeliveryForm, EServiceKind, EntryStatus, LocalizedText, Meta, Price,
        PublicServiceContent, ServiceStatus, ServiceType,
    };

    use crate::publication_check::check_and_canonicalise;

    fn service() -> Service {
        let id: ServiceId = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".parse().expect("a valid id");
        Service {
            id: Some((&id).into()),
            name: "Shaxs ma'lumotlari".into(),
            description: "Fuqaroning asosiy ma'lumotlari, JShShIR bo'yicha".into(),
            data_items: vec![
                DataItem { code: "full_name".into(), name: "F.I.Sh.".into(), classification: 2 },
                DataItem { code: "birth_date".into(), name: "Tug'ilgan sana".into(), classification: 2 },
            ],
            status: ServiceStatus::UnderMaintenance as i32,
            meta: Some(Meta {
                revision: 3,
                created_at: Some(Timestamp { seconds: 1_790_000_000, nanos: 0 }),
                updated_at: None,
            }),
            archive: false,
        }
    }

    fn entry() -> PublicServiceEntry {
        let text = |uz: &str| Some(LocalizedText { uz: uz.into(), ru: String::new(), en: String::new() });
        PublicServiceEntry {
            number: 42,
            status: EntryStatus::Live as i32,
            content: Some(PublicServiceContent {
                name: Some(LocalizedText {
                    uz: "Tug'ilganlik haqida guvohnoma berish".into(),
                    ru: "Выдача свидетельства о рождении".into(),
                    en: String::new(),
                }),
                competent_body: Some((&"UZ/GOV/201122919".parse::<MemberId>().expect("id")).into()),
                applicant_categories: vec![LocalizedText { uz: "Jismoniy shaxslar".into(), ..Default::default() }],
                delivery_forms: vec![DeliveryForm::Traditional as i32, DeliveryForm::Electronic as i32],
                price: Some(Price { kind: Some(price::Kind::BcaMultiple("0.5".into())), note: None }),
                deadlines: text("1 ish kuni"),
                result: text("Guvohnoma"),
                permanent_link: "https://my.gov.uz/oz/service/42".into(),
                service_type: ServiceType::EstablishingLegalFacts as i32,
                e_service_kind: EServiceKind::Interactive as i32,
                legal_basis: vec![NormativeAct {
                    title: text("Vazirlar Mahkamasining qarori"),
                    number: "PQ-2293".into(),
                    date: "2015-02-10".into(),
                    link: String::new(),
                }],
                ..Default::default()
            }),
            content_version: 2,
            registered_at: Some(Timestamp { seconds: 1_790_000_000, nanos: 0 }),
            change_marks: vec![ChangeMark { date: "2026-03-01".into(), ..Default::default() }],
            abolition: None,
            meta: None,
        }
    }

    fn check(definition: &Definition, rows: &[Vec<String>]) -> String {
        let csv = super::super::csv_bytes(&definition.structure, rows).expect("in memory");
        let mut canonical = Vec::new();
        check_and_canonicalise(&definition.structure, csv.as_slice(), &mut canonical).expect("passes the checks");
        String::from_utf8(canonical).expect("utf-8")
    }

    #[test]
    fn a_web_service_becomes_one_public_row() {
        let row = web_service_row(&service()).expect("valid id");
        assert_eq!(
            row,
            [
                "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1",
                "UZ/GOV/201122919",
                "civil-registry",
                "person-by-pinfl",
                "v1",
                "Shaxs ma'lumotlari",
                "Fuqaroning asosiy ma'lumotlari, JShShIR bo'yicha",
                "under_maintenance",
                "false",
                "full_name;birth_date",
                "2026-09-21T19:13:20+05:00",
                "",
            ]
        );
        let csv = check(&web_services_definition("egov-operator"), &[row]);
        assert!(csv.starts_with("service_id,provider,subsystem,service_code,version,name,"), "{csv}");
    }

    /// Issue 15: the data set showed state-secret item codes the registry's public catalogue hides.
    #[test]
    fn a_state_secret_item_is_not_in_the_row() {
        use koprik_proto::registry::DataClassification;
        let mut service = service();
        let secret = DataItem {
            code: "clearance_level".into(),
            name: "Ruxsatnoma darajasi".into(),
            classification: DataClassification::StateSecret as i32,
        };
        service.data_items.insert(1, secret);
        let row = web_service_row(&service).expect("valid id");
        assert_eq!(row[9], "full_name;birth_date");
        assert!(!row.iter().any(|cell| cell.contains("clearance")), "{row:?}");
    }

    #[test]
    fn a_registry_entry_becomes_one_public_row() {
        let row = public_service_row(&entry());
        assert_eq!(row[0], "42");
        assert_eq!(row[1], "Tug'ilganlik haqida guvohnoma berish");
        assert_eq!(row[3], "");
        assert_eq!(row[4], "UZ/GOV/201122919");
        assert_eq!(row[5], "live");
        assert_eq!(row[6], "establishing_legal_facts");
        assert_eq!(row[7], "traditional;electronic");
        assert_eq!(row[8], "interactive");
        assert_eq!((row[9].as_str(), row[10].as_str()), ("bca_multiple", "0.5"));
        assert_eq!(row[14], "PQ-2293 (2015-02-10)");
        assert_eq!(row[15], "2");
        assert_eq!(row[17], "2026-03-01");
        assert_eq!(row[18], "");
        check(&public_services_definition("egov-operator"), &[row]);
    }

    #[test]
    fn an_entry_without_its_required_cells_is_not_publishable() {
        let definition = public_services_definition("egov-operator");
        let row = public_service_row(&PublicServiceEntry { number: 7, ..Default::default() });
        assert_eq!(super::super::missing_required(&definition.structure, &row), Some("name_uz"));
        let mut complete = row.clone();
        complete[1] = "Nomsiz".into();
        complete[4] = "UZ/GOV/201122919".into();
        complete[5] = "live".into();
        assert_eq!(super::super::missing_required(&definition.structure, &complete), None);
        check(&definition, &[complete]);
    }

    #[test]
    fn keys_name_the_data_set_and_order_entries_by_number() {
        assert_eq!(row_key("public-service/42"), Some((PUBLIC_SERVICES_REGISTRY, format!("{:020}", 42))));
        assert!(row_key("public-service/9").expect("a key") < row_key("public-service/10").expect("a key"));
        assert_eq!(
            row_key("service/UZ/GOV/201122919/civil-registry/person-by-pinfl/v1"),
            Some((WEB_SERVICES_CATALOGUE, "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1".to_owned()))
        );
        for other in ["public-service-application/1", "grant/x", "service/bad", "public-service/x", "organization/UZ"] {
            assert_eq!(row_key(other), None, "{other}");
        }
    }

    #[test]
    fn a_tombstone_deletes_and_a_mismatched_value_is_refused() {
        assert_eq!(
            row_change("public-service/3", None),
            Ok(Some(PlatformRowChange::Delete { dataset: PUBLIC_SERVICES_REGISTRY.into(), key: format!("{:020}", 3) }))
        );
        let event = RegistryEvent { entity: Some(Entity::Service(service())), ..Default::default() };
        assert!(row_change("public-service/3", Some(&event)).is_err());
        assert_eq!(row_change("grant/1", Some(&event)), Ok(None));
        let change = row_change("service/UZ/GOV/201122919/civil-registry/person-by-pinfl/v1", Some(&event));
        assert!(matches!(change, Ok(Some(PlatformRowChange::Upsert { .. }))));
    }

    #[test]
    fn the_registrys_heartbeats_change_no_row() {
        let heartbeat = RegistryEvent {
            entity: Some(Entity::Heartbeat(koprik_proto::events::RegistryHeartbeat {
                at: Some(koprik_proto::time::timestamp(Utc::now())),
            })),
            ..Default::default()
        };
        assert_eq!(row_change("heartbeat/registry", Some(&heartbeat)), Ok(None));
        assert_eq!(row_change("heartbeat/registry", None), Ok(None));
        // A heartbeat where a published entity belongs is a mismatch, refused and logged like any other.
        assert!(row_change("public-service/3", Some(&heartbeat)).is_err());
    }

    #[test]
    fn change_notes_count_what_changed() {
        assert_eq!(change_note(&RowCounts { added: 2, changed: 0, removed: 1 }), "Registry entries 2 added, 1 removed");
        assert_eq!(change_note(&RowCounts::default()), "Brought up to date with the registry");
    }
}
