//! Texts in the registry's languages (REG-1 p. 5): the registry is kept in the state language, Uzbek in Latin
//! script, which is authoritative; Russian and English versions may be equivalent or abridged.
//!
//! Every human-readable text of an entry is a `LocalizedText` carrying its three versions side by side, so a text
//! and its translations can never drift apart across fields. Whether the Russian and English versions are
//! equivalent or abridged is said once per entry (`ru`, `en`) and checked against the texts here.

use koprik_proto::registry::{LocalizedText, TranslationStatus};
use koprik_proto::FieldError;

/// Trims a text and bounds its versions; the Uzbek version is required whenever the text is (`required`) and
/// whenever a translation is given (a translation of nothing is meaningless).
pub fn text(
    value: Option<&LocalizedText>,
    field: &str,
    required: bool,
    max: usize,
) -> Result<LocalizedText, FieldError> {
    let value = value.cloned().unwrap_or_default();
    let trimmed = LocalizedText {
        uz: value.uz.trim().to_owned(),
        ru: value.ru.trim().to_owned(),
        en: value.en.trim().to_owned(),
    };
    let path = |lang: &str| if field.is_empty() { lang.to_owned() } else { format!("{field}.{lang}") };
    let translated = !trimmed.ru.is_empty() || !trimmed.en.is_empty();
    if trimmed.uz.is_empty() && (required || translated) {
        return Err(FieldError::new(
            path("uz"),
            "is required: Uzbek (Latin) is the registry's authoritative language (REG-1 p. 5)",
        ));
    }
    for (lang, version) in [("uz", &trimmed.uz), ("ru", &trimmed.ru), ("en", &trimmed.en)] {
        if version.chars().count() > max {
            return Err(FieldError::new(path(lang), format!("must be at most {max} characters")));
        }
    }
    Ok(trimmed)
}

/// Whether a text is absent altogether.
pub fn is_empty(text: &LocalizedText) -> bool {
    text.uz.is_empty() && text.ru.is_empty() && text.en.is_empty()
}

/// REG-1 p. 5: the texts agree with what the entry says of its Russian and English versions.
///
/// - none (UNSPECIFIED): no text carries that language;
/// - EQUIVALENT: every text carries it;
/// - ABRIDGED: at least the service name (`texts[0]`, by convention) carries it.
///
/// `texts` lists every text of the entry with its field path, the service name first.
pub fn check_versions(
    ru: TranslationStatus,
    en: TranslationStatus,
    texts: &[(String, &LocalizedText)],
) -> Result<(), FieldError> {
    check_language("ru", "Russian", ru, texts, |t| &t.ru)?;
    check_language("en", "English", en, texts, |t| &t.en)
}

fn check_language(
    lang: &str,
    language: &str,
    status: TranslationStatus,
    texts: &[(String, &LocalizedText)],
    version: impl Fn(&LocalizedText) -> &String,
) -> Result<(), FieldError> {
    match status {
        TranslationStatus::Unspecified => match texts.iter().find(|(_, t)| !version(t).is_empty()) {
            Some((path, _)) => Err(FieldError::new(
                format!("{path}.{lang}"),
                format!("is given but the entry has no {language} version: set {lang} to EQUIVALENT or ABRIDGED"),
            )),
            None => Ok(()),
        },
        TranslationStatus::Equivalent => match texts.iter().find(|(_, t)| version(t).is_empty()) {
            Some((path, _)) => Err(FieldError::new(
                format!("{path}.{lang}"),
                format!("is required: the {language} version is EQUIVALENT, so every text is translated (REG-1 p. 5)"),
            )),
            None => Ok(()),
        },
        TranslationStatus::Abridged => match texts.first() {
            Some((path, name)) if version(name).is_empty() => Err(FieldError::new(
                format!("{path}.{lang}"),
                format!("is required: an ABRIDGED {language} version translates at least the service name"),
            )),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lt(uz: &str, ru: &str, en: &str) -> LocalizedText {
        LocalizedText { uz: uz.into(), ru: ru.into(), en: en.into() }
    }

    #[test]
    fn reg1_p5_uzbek_is_required_and_texts_are_trimmed() {
        let err = text(Some(&lt(" ", "Справка", "")), "name", false, 100).expect_err("no uz");
        assert_eq!(err.field, "name.uz");
        assert!(text(None, "name", true, 100).is_err());
        assert_eq!(text(None, "conditions", false, 100).expect("optional"), LocalizedText::default());
        assert_eq!(text(Some(&lt(" Ma'lumotnoma ", "", "")), "n", true, 100).expect("ok").uz, "Ma'lumotnoma");
        assert_eq!(text(Some(&lt("abc", "", "")), "n", true, 2).expect_err("long").field, "n.uz");
    }

    #[test]
    fn reg1_p5_equivalent_versions_translate_every_text() {
        let (name, result) = (lt("Nomi", "Название", ""), lt("Natija", "", ""));
        let texts = vec![("name".to_owned(), &name), ("result".to_owned(), &result)];
        let err = check_versions(TranslationStatus::Equivalent, TranslationStatus::Unspecified, &texts)
            .expect_err("result untranslated");
        assert_eq!(err.field, "result.ru");
        assert!(check_versions(TranslationStatus::Abridged, TranslationStatus::Unspecified, &texts).is_ok());
        let err = check_versions(TranslationStatus::Unspecified, TranslationStatus::Unspecified, &texts)
            .expect_err("ru given without a version");
        assert_eq!(err.field, "name.ru");
        let err = check_versions(TranslationStatus::Abridged, TranslationStatus::Abridged, &texts)
            .expect_err("no English name");
        assert_eq!(err.field, "name.en");
    }
}
