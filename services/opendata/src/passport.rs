//! The data set passport (OD Annex 2): identifier, full name, description, composition, methodology, supplier,
//! update frequency, unit of measurement, links to other resources and keywords. The remaining passport entries
//! (format, first publication, last change and what changed, link to the previous version, the responsible
//! person) are kept by the portal from the versions and the supplier, never typed in.

use serde::{Deserialize, Serialize};

use crate::multilingual::Multilingual;
use crate::update_frequency::UpdateFrequency;
use crate::url_name::{is_url_name, URL_NAME_RULE};

/// The licence of a data set whose passport names none: open data is free to reuse with attribution.
pub const DEFAULT_LICENSE: &str = "cc-by-4.0";

/// Keywords per language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Keywords {
    /// Uzbek (Latin).
    pub uz: Vec<String>,
    /// Russian.
    pub ru: Vec<String>,
    /// English.
    pub en: Vec<String>,
}

impl Keywords {
    /// Every keyword once, in the order uz, ru, en: the data set's tags.
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        for keyword in self.uz.iter().chain(&self.ru).chain(&self.en) {
            if !tags.contains(keyword) {
                tags.push(keyword.clone());
            }
        }
        tags
    }
}

/// What a supplier declares about a data set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passport {
    /// The URL name and identifier.
    pub name: String,
    /// The supplier's URL name.
    pub supplier: String,
    /// The full name.
    pub title: Multilingual,
    /// The description.
    pub description: Multilingual,
    /// What the data set is made of.
    pub composition: Multilingual,
    /// How the data are collected and computed.
    pub methodology: Multilingual,
    /// How often it is updated.
    pub update_frequency: UpdateFrequency,
    /// The unit of measurement, when the data set as a whole has one.
    pub unit: String,
    /// Links to other resources.
    pub related_links: Vec<String>,
    /// Keywords in the three languages.
    pub keywords: Keywords,
    /// The licence id.
    pub license_id: String,
}

/// Why a passport is refused; the message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("passport.{field}: {rule}")]
pub struct PassportError {
    /// The field, e.g. "title.ru".
    pub field: String,
    /// The rule it breaks.
    pub rule: String,
}

fn refuse(field: impl Into<String>, rule: impl Into<String>) -> PassportError {
    PassportError { field: field.into(), rule: rule.into() }
}

/// Whether a keyword is acceptable: 2-100 characters, lower-case letters (any script), digits, space, `-`, `_`, `.`.
pub fn is_keyword(keyword: &str) -> bool {
    let length = keyword.chars().count();
    (2..=100).contains(&length)
        && keyword.trim() == keyword
        && keyword
            .chars()
            .all(|c| (c.is_alphabetic() && !c.is_uppercase()) || c.is_ascii_digit() || " -_.'ʻʼ".contains(c))
}

impl Passport {
    /// Checks the passport rules and fills the licence default.
    pub fn validate(&mut self) -> Result<(), PassportError> {
        if !is_url_name(&self.name) {
            return Err(refuse("name", URL_NAME_RULE));
        }
        if !is_url_name(&self.supplier) {
            return Err(refuse("supplier", URL_NAME_RULE));
        }
        for (field, text) in [("title", &self.title), ("description", &self.description)] {
            if let Some(language) = text.missing_language() {
                return Err(refuse(format!("{field}.{language}"), "is required in uz, ru and en (OD Annex 3)"));
            }
        }
        for (field, text) in [("composition", &self.composition), ("methodology", &self.methodology)] {
            if text.uz.trim().is_empty() {
                return Err(refuse(format!("{field}.uz"), "is required (OD Annex 2)"));
            }
        }
        if self.title.uz.chars().count() > 500 {
            return Err(refuse("title.uz", "must be at most 500 characters"));
        }
        for (index, link) in self.related_links.iter().enumerate() {
            let rest = link.strip_prefix("https://").or_else(|| link.strip_prefix("http://"));
            if rest.is_none_or(|rest| rest.is_empty() || rest.contains(char::is_whitespace)) {
                return Err(refuse(format!("related_links[{index}]"), "must be an http or https URL"));
            }
        }
        for (language, keywords) in [("uz", &self.keywords.uz), ("ru", &self.keywords.ru), ("en", &self.keywords.en)] {
            if let Some(index) = keywords.iter().position(|keyword| !is_keyword(keyword)) {
                return Err(refuse(
                    format!("keywords_{language}[{index}]"),
                    "must be 2-100 lower-case letters, digits, spaces, '-', '_' or '.'",
                ));
            }
        }
        if self.license_id.is_empty() {
            self.license_id = DEFAULT_LICENSE.to_owned();
        } else if !is_url_name(&self.license_id.replace('.', "-")) {
            return Err(refuse("license_id", "must be a licence id such as \"cc-by-4.0\""));
        }
        Ok(())
    }

    /// What free-text search looks in: titles (Uzbek first, so that ordering by it orders by the Uzbek title),
    /// the name, the supplier, descriptions and keywords, lower-cased.
    pub fn search_text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.title.search_text(),
            self.name,
            self.supplier,
            self.description.search_text(),
            self.keywords.tags().join(" ").to_lowercase()
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid passport for tests.
    pub(crate) fn passport(name: &str, supplier: &str) -> Passport {
        Passport {
            name: name.into(),
            supplier: supplier.into(),
            title: Multilingual::new("Aholi soni", "Численность населения", "Population"),
            description: Multilingual::new("Viloyatlar kesimida", "По регионам", "By region"),
            composition: Multilingual::new("Viloyat, yil, aholi", "", ""),
            methodology: Multilingual::new("Joriy hisob", "", ""),
            update_frequency: UpdateFrequency::Yearly,
            unit: "ming kishi".into(),
            related_links: vec!["https://stat.uz/uz/rasmiy-statistika".into()],
            keywords: Keywords {
                uz: vec!["aholi".into()],
                ru: vec!["население".into()],
                en: vec!["population".into()],
            },
            license_id: String::new(),
        }
    }

    #[test]
    fn a_valid_passport_gets_the_default_licence() {
        let mut p = passport("aholi-soni", "stat");
        p.validate().expect("valid");
        assert_eq!(p.license_id, DEFAULT_LICENSE);
        assert_eq!(p.keywords.tags(), vec!["aholi", "население", "population"]);
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut p = passport("aholi-soni", "stat");
        p.title.ru.clear();
        assert_eq!(p.validate().expect_err("refused").field, "title.ru");
        let mut p = passport("Aholi", "stat");
        assert_eq!(p.validate().expect_err("refused").field, "name");
        let mut p = passport("aholi-soni", "stat");
        p.related_links.push("ftp://x".into());
        assert_eq!(p.validate().expect_err("refused").field, "related_links[1]");
        let mut p = passport("aholi-soni", "stat");
        p.keywords.en.push("Population".into());
        assert_eq!(p.validate().expect_err("refused").field, "keywords_en[1]");
    }
}
