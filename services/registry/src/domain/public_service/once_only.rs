//! LAW Art. 8 ("once only"), REG-1 p. 11: what the body obtains itself through interagency cooperation (column 10)
//! is never asked of the applicant (column 9). An entry listing the same document in both columns is refused.

use koprik_proto::registry::{Document, InteragencyDocument, LocalizedText};
use koprik_proto::FieldError;

/// A name reduced to what identifies it: letters and digits in lower case, words separated by one space, so that
/// "Pasport  nusxasi." and "pasport nusxasi" are the same document. The apostrophe variants of Uzbek Latin
/// (o', o‘, oʻ, oʼ) all separate alike.
pub fn normalise(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric() || matches!(c, 'ʻ' | 'ʼ'))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether two texts name the same document in any language both give.
fn same(a: &LocalizedText, b: &LocalizedText) -> bool {
    [(&a.uz, &b.uz), (&a.ru, &b.ru), (&a.en, &b.en)]
        .into_iter()
        .any(|(x, y)| !x.is_empty() && !y.is_empty() && normalise(x) == normalise(y))
}

/// LAW Art. 8: no column 10 item may appear in column 9. The error names both fields.
pub fn check(applicant: &[Document], interagency: &[InteragencyDocument]) -> Result<(), FieldError> {
    for (i, document) in applicant.iter().enumerate() {
        let Some(name) = document.name.as_ref() else { continue };
        for (j, obtained) in interagency.iter().enumerate() {
            let Some(other) = obtained.name.as_ref() else { continue };
            if same(name, other) {
                return Err(FieldError::new(
                    format!("applicant_documents[{i}].name"),
                    format!(
                        "{:?} is also in interagency_documents[{j}]: what the body obtains through interagency \
                         cooperation is never asked of the applicant (LAW Art. 8, once only)",
                        name.uz
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(uz: &str, ru: &str) -> Document {
        Document { name: Some(LocalizedText { uz: uz.into(), ru: ru.into(), en: String::new() }), link: String::new() }
    }

    fn obtained(uz: &str, ru: &str) -> InteragencyDocument {
        InteragencyDocument { name: doc(uz, ru).name, supplier: None, web_service: None }
    }

    #[test]
    fn names_are_compared_normalised() {
        assert_eq!(normalise("  Pasport   NUSXASI. "), "pasport nusxasi");
        assert_eq!(normalise("Tug‘ilganlik haqida guvohnoma"), normalise("Tug'ilganlik haqida guvohnoma"));
        assert_eq!(normalise("Tugʻilganlik"), normalise("tug'ilganlik"));
    }

    #[test]
    fn law_art8_an_item_obtained_by_the_body_is_not_asked_of_the_applicant() {
        let err = check(
            &[doc("Ariza", ""), doc("Pasport nusxasi.", "")],
            &[obtained("Soliq qarzi yo'qligi", ""), obtained("pasport  nusxasi", "")],
        )
        .expect_err("twice");
        assert_eq!(err.field, "applicant_documents[1].name");
        assert!(err.rule.contains("interagency_documents[1]"), "{}", err.rule);
    }

    #[test]
    fn any_shared_language_counts_and_distinct_documents_pass() {
        assert!(check(&[doc("Ariza", "Справка о доходах")], &[obtained("Daromad", "справка  о доходах")]).is_err());
        assert!(check(&[doc("Ariza", "")], &[obtained("Pasport ma'lumotlari", "")]).is_ok());
    }
}
