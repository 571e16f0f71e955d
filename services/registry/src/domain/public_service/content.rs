//! What a valid entry content is: the columns of REG-1 App. 2 with the regulation, the exchanged data (LAW Art. 19),
//! the service type (REG-1 p. 4), the e-service kind, the legal basis and the language versions (REG-1 p. 5).
//!
//! REG-1 p. 11 asks the information to be complete and reliable; what can be checked mechanically is checked here:
//! every column that the law names is present, identifiers and links are well-formed, and the once-only rule holds.

use std::collections::HashSet;

use koprik_proto::ids::{MemberId, ServiceId};
use koprik_proto::registry::{
    DeliveryForm, Document, EServiceKind, ExchangedData, FormBlank, InteragencyDocument, LocalizedText, NormativeAct,
    PublicServiceContent, ServiceRegulation, ServiceType, TranslationStatus,
};
use koprik_proto::FieldError;

use super::{fields, localized, once_only, price};
use crate::domain::text::{MAX_DESCRIPTION, MAX_NAME};

/// The most items any list of an entry may hold; bounded so that every event fits a Kafka record.
pub const MAX_ITEMS: usize = 100;

/// A checked content: the normalised message (trimmed texts and links) and its competent body.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidContent {
    /// The content as it will be stored and published.
    pub content: PublicServiceContent,
    /// Column 3, parsed.
    pub competent_body: MemberId,
}

fn bounded<T>(items: &[T], field: &str, at_least_one: bool) -> Result<(), FieldError> {
    if at_least_one && items.is_empty() {
        return Err(FieldError::new(field, "must list at least one item (REG-1 App. 2)"));
    }
    if items.len() > MAX_ITEMS {
        return Err(FieldError::new(field, format!("must list at most {MAX_ITEMS} items")));
    }
    Ok(())
}

/// Checks each item of a repeated field with `check`, naming the index on failure.
fn each<T, U>(items: &[T], field: &str, check: impl Fn(&T) -> Result<U, FieldError>) -> Result<Vec<U>, FieldError> {
    items.iter().enumerate().map(|(index, item)| check(item).map_err(|e| e.at(field, index))).collect()
}

fn name(value: Option<&LocalizedText>) -> Result<Option<LocalizedText>, FieldError> {
    localized::text(value, "name", true, MAX_NAME).map(Some)
}

fn optional_text(value: Option<&LocalizedText>, field: &str) -> Result<Option<LocalizedText>, FieldError> {
    Ok(Some(localized::text(value, field, false, MAX_DESCRIPTION)?).filter(|t| !localized::is_empty(t)))
}

fn required_text(value: Option<&LocalizedText>, field: &str) -> Result<Option<LocalizedText>, FieldError> {
    localized::text(value, field, true, MAX_DESCRIPTION).map(Some)
}

fn member(value: Option<&koprik_proto::common::MemberId>, field: &str) -> Result<MemberId, FieldError> {
    koprik_proto::field::required(value, field)
}

/// A normative act: title and date required, number and link optional.
pub fn act(value: Option<&NormativeAct>, field: &str) -> Result<NormativeAct, FieldError> {
    let value = value.ok_or_else(|| FieldError::missing(field))?;
    act_fields(value).map_err(|e| e.within(field))
}

fn act_fields(value: &NormativeAct) -> Result<NormativeAct, FieldError> {
    let number = value.number.trim();
    if number.chars().count() > MAX_NAME {
        return Err(FieldError::new("number", format!("must be at most {MAX_NAME} characters")));
    }
    Ok(NormativeAct {
        title: Some(localized::text(value.title.as_ref(), "title", true, MAX_NAME)?),
        number: number.to_owned(),
        date: fields::date(&value.date, "date")?.to_string(),
        link: fields::link(&value.link, "link", false)?,
    })
}

fn document(value: &Document) -> Result<Document, FieldError> {
    Ok(Document { name: name(value.name.as_ref())?, link: fields::link(&value.link, "link", false)? })
}

fn regulation(value: Option<&ServiceRegulation>) -> Result<ServiceRegulation, FieldError> {
    let value = value.ok_or_else(|| FieldError::missing("regulation"))?;
    bounded(&value.documents, "regulation.documents", false)?;
    Ok(ServiceRegulation {
        act: Some(act(value.act.as_ref(), "regulation.act")?),
        documents: each(&value.documents, "regulation.documents", document)?,
    })
}

fn interagency(value: &InteragencyDocument) -> Result<InteragencyDocument, FieldError> {
    let supplier = member(value.supplier.as_ref(), "supplier")?;
    let web_service =
        value.web_service.as_ref().map(|s| ServiceId::try_from(s).map_err(|e| e.within("web_service"))).transpose()?;
    Ok(InteragencyDocument {
        name: name(value.name.as_ref())?,
        supplier: Some((&supplier).into()),
        web_service: web_service.as_ref().map(Into::into),
    })
}

fn form(value: &FormBlank) -> Result<FormBlank, FieldError> {
    Ok(FormBlank { name: name(value.name.as_ref())?, sample_url: fields::link(&value.sample_url, "sample_url", true)? })
}

fn exchanged(value: &ExchangedData) -> Result<ExchangedData, FieldError> {
    let counterpart = member(value.counterpart.as_ref(), "counterpart")?;
    Ok(ExchangedData {
        name: name(value.name.as_ref())?,
        counterpart: Some((&counterpart).into()),
        volume: required_text(value.volume.as_ref(), "volume")?,
    })
}

fn delivery_forms(values: &[i32]) -> Result<Vec<i32>, FieldError> {
    bounded(values, "delivery_forms", true)?;
    let mut seen = HashSet::new();
    for (index, &value) in values.iter().enumerate() {
        let known = DeliveryForm::try_from(value).ok().filter(|f| *f != DeliveryForm::Unspecified);
        if known.is_none() {
            return Err(FieldError::new("", "must be TRADITIONAL or ELECTRONIC").at("delivery_forms", index));
        }
        if !seen.insert(value) {
            return Err(FieldError::new("", "is listed twice").at("delivery_forms", index));
        }
    }
    Ok(values.to_vec())
}

fn known<E: TryFrom<i32> + PartialEq>(value: i32, unspecified: E, field: &str, names: &str) -> Result<i32, FieldError> {
    match E::try_from(value) {
        Ok(e) if e != unspecified => Ok(value),
        _ => Err(FieldError::new(field, format!("must be one of {names}"))),
    }
}

fn translation(value: i32, field: &str) -> Result<TranslationStatus, FieldError> {
    TranslationStatus::try_from(value)
        .map_err(|_| FieldError::new(field, "must be UNSPECIFIED (no version), EQUIVALENT or ABRIDGED"))
}

/// Every text of a content with its field path, the service name first (see [`localized::check_versions`]).
fn texts<'a>(content: &'a PublicServiceContent) -> Vec<(String, &'a LocalizedText)> {
    let mut all = Vec::new();
    let mut push = |path: String, text: Option<&'a LocalizedText>| {
        if let Some(text) = text.filter(|t| !localized::is_empty(t)) {
            all.push((path, text));
        }
    };
    push("name".into(), content.name.as_ref());
    content
        .applicant_categories
        .iter()
        .enumerate()
        .for_each(|(i, t)| push(format!("applicant_categories[{i}]"), Some(t)));
    push("price.note".into(), content.price.as_ref().and_then(|p| p.note.as_ref()));
    push("deadlines".into(), content.deadlines.as_ref());
    push("conditions".into(), content.conditions.as_ref());
    for (i, d) in content.applicant_documents.iter().enumerate() {
        push(format!("applicant_documents[{i}].name"), d.name.as_ref());
    }
    for (i, d) in content.interagency_documents.iter().enumerate() {
        push(format!("interagency_documents[{i}].name"), d.name.as_ref());
    }
    push("result".into(), content.result.as_ref());
    content.forms.iter().enumerate().for_each(|(i, f)| push(format!("forms[{i}].name"), f.name.as_ref()));
    if let Some(regulation) = &content.regulation {
        push("regulation.act.title".into(), regulation.act.as_ref().and_then(|a| a.title.as_ref()));
        for (i, d) in regulation.documents.iter().enumerate() {
            push(format!("regulation.documents[{i}].name"), d.name.as_ref());
        }
    }
    for (i, d) in content.exchanged_data.iter().enumerate() {
        push(format!("exchanged_data[{i}].name"), d.name.as_ref());
        push(format!("exchanged_data[{i}].volume"), d.volume.as_ref());
    }
    for (i, a) in content.legal_basis.iter().enumerate() {
        push(format!("legal_basis[{i}].title"), a.title.as_ref());
    }
    all
}

impl TryFrom<&PublicServiceContent> for ValidContent {
    type Error = FieldError;

    fn try_from(wire: &PublicServiceContent) -> Result<Self, Self::Error> {
        let competent_body = member(wire.competent_body.as_ref(), "competent_body")?;
        bounded(&wire.applicant_categories, "applicant_categories", true)?;
        bounded(&wire.applicant_documents, "applicant_documents", false)?;
        bounded(&wire.interagency_documents, "interagency_documents", false)?;
        bounded(&wire.forms, "forms", false)?;
        bounded(&wire.exchanged_data, "exchanged_data", false)?;
        bounded(&wire.legal_basis, "legal_basis", true)?;
        let content = PublicServiceContent {
            name: name(wire.name.as_ref())?,
            competent_body: Some((&competent_body).into()),
            applicant_categories: each(&wire.applicant_categories, "applicant_categories", |t| {
                localized::text(Some(t), "", true, MAX_NAME)
            })?,
            delivery_forms: delivery_forms(&wire.delivery_forms)?,
            price: Some(price::price(wire.price.as_ref())?),
            deadlines: required_text(wire.deadlines.as_ref(), "deadlines")?,
            conditions: optional_text(wire.conditions.as_ref(), "conditions")?,
            applicant_documents: each(&wire.applicant_documents, "applicant_documents", document)?,
            interagency_documents: each(&wire.interagency_documents, "interagency_documents", interagency)?,
            result: required_text(wire.result.as_ref(), "result")?,
            forms: each(&wire.forms, "forms", form)?,
            permanent_link: fields::link(&wire.permanent_link, "permanent_link", true)?,
            regulation: Some(regulation(wire.regulation.as_ref())?),
            exchanged_data: each(&wire.exchanged_data, "exchanged_data", exchanged)?,
            service_type: known(
                wire.service_type,
                ServiceType::Unspecified,
                "service_type",
                "ESTABLISHING_RIGHTS, ESTABLISHING_LEGAL_FACTS, PROVIDING_INFORMATION (REG-1 p. 4)",
            )?,
            e_service_kind: known(
                wire.e_service_kind,
                EServiceKind::Unspecified,
                "e_service_kind",
                "INFORMATIONAL, INTERACTIVE",
            )?,
            legal_basis: each(&wire.legal_basis, "legal_basis", act_fields)?,
            ru: translation(wire.ru, "ru")? as i32,
            en: translation(wire.en, "en")? as i32,
        };
        once_only::check(&content.applicant_documents, &content.interagency_documents)?;
        localized::check_versions(content.ru(), content.en(), &texts(&content))?;
        Ok(Self { content, competent_body })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use koprik_proto::common;
    use koprik_proto::registry::{price::Kind, Free, Price};

    fn lt(uz: &str) -> Option<LocalizedText> {
        Some(LocalizedText { uz: uz.into(), ru: String::new(), en: String::new() })
    }

    fn body(code: &str) -> Option<common::MemberId> {
        Some(common::MemberId { instance: "UZ".into(), member_class: "GOV".into(), member_code: code.into() })
    }

    fn act(title: &str) -> NormativeAct {
        NormativeAct { title: lt(title), number: "PQ-1".into(), date: "2026-01-15".into(), link: String::new() }
    }

    /// A complete, valid content.
    pub(crate) fn sample() -> PublicServiceContent {
        PublicServiceContent {
            name: lt("Sudlanganlik to'g'risida ma'lumotnoma berish"),
            competent_body: body("201122919"),
            applicant_categories: vec![LocalizedText { uz: "Jismoniy shaxslar".into(), ..Default::default() }],
            delivery_forms: vec![DeliveryForm::Electronic as i32],
            price: Some(Price { kind: Some(Kind::Free(Free {})), note: None }),
            deadlines: lt("3 ish kuni"),
            conditions: None,
            applicant_documents: vec![Document { name: lt("Ariza"), link: String::new() }],
            interagency_documents: vec![InteragencyDocument {
                name: lt("Pasport ma'lumotlari"),
                supplier: body("200935935"),
                web_service: None,
            }],
            result: lt("Ma'lumotnoma"),
            forms: vec![FormBlank { name: lt("Ariza shakli"), sample_url: "https://my.gov.uz/forms/1.pdf".into() }],
            permanent_link: "https://my.gov.uz/services/1".into(),
            regulation: Some(ServiceRegulation { act: Some(act("Reglament")), documents: vec![] }),
            exchanged_data: vec![],
            service_type: ServiceType::ProvidingInformation as i32,
            e_service_kind: EServiceKind::Interactive as i32,
            legal_basis: vec![act("Qonun")],
            ru: 0,
            en: 0,
        }
    }

    #[test]
    fn a_complete_content_is_valid() {
        let valid = ValidContent::try_from(&sample()).expect("valid");
        assert_eq!(valid.competent_body.to_string(), "UZ/GOV/201122919");
        assert_eq!(valid.content.conditions, None);
    }

    #[test]
    fn the_columns_the_law_names_are_required() {
        type Breakage = fn(&mut PublicServiceContent);
        let cases: Vec<(&str, Breakage)> = vec![
            ("name.uz", |c| c.name = None),
            ("competent_body", |c| c.competent_body = None),
            ("applicant_categories", |c| c.applicant_categories.clear()),
            ("delivery_forms", |c| c.delivery_forms.clear()),
            ("delivery_forms[1]", |c| c.delivery_forms.push(DeliveryForm::Electronic as i32)),
            ("price", |c| c.price = None),
            ("result.uz", |c| c.result = None),
            ("permanent_link", |c| c.permanent_link.clear()),
            ("regulation", |c| c.regulation = None),
            ("service_type", |c| c.service_type = 0),
            ("e_service_kind", |c| c.e_service_kind = 9),
            ("legal_basis", |c| c.legal_basis.clear()),
            ("legal_basis[0].date", |c| c.legal_basis[0].date = "15.01.2026".into()),
            ("forms[0].sample_url", |c| c.forms[0].sample_url.clear()),
            ("interagency_documents[0].supplier", |c| c.interagency_documents[0].supplier = None),
        ];
        for (field, break_it) in cases {
            let mut content = sample();
            break_it(&mut content);
            assert_eq!(ValidContent::try_from(&content).expect_err(field).field, field);
        }
    }

    #[test]
    fn law_art8_column_10_items_are_not_asked_in_column_9() {
        let mut content = sample();
        content.applicant_documents.push(Document { name: lt("pasport ma'lumotlari."), link: String::new() });
        let err = ValidContent::try_from(&content).expect_err("once only");
        assert_eq!(err.field, "applicant_documents[1].name");
        assert!(err.rule.contains("interagency_documents[0]"), "{}", err.rule);
    }

    #[test]
    fn reg1_p5_language_versions_match_the_texts() {
        let mut content = sample();
        content.ru = TranslationStatus::Equivalent as i32;
        content.name.as_mut().expect("name").ru = "Выдача справки о судимости".into();
        let err = ValidContent::try_from(&content).expect_err("untranslated texts");
        assert_eq!(err.field, "applicant_categories[0].ru");
        content.ru = TranslationStatus::Abridged as i32;
        assert!(ValidContent::try_from(&content).is_ok());
    }
}
