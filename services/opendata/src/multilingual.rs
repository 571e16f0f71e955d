//! Texts in the portal's three languages: Uzbek (Latin), Russian and English (OD Annex 3: the portal publishes
//! in all three).

use serde::{Deserialize, Serialize};

/// One text in uz-Latn, ru and en.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Multilingual {
    /// Uzbek, Latin script.
    pub uz: String,
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

impl Multilingual {
    /// The three texts.
    pub fn new(uz: impl Into<String>, ru: impl Into<String>, en: impl Into<String>) -> Self {
        Self { uz: uz.into(), ru: ru.into(), en: en.into() }
    }

    /// The first language ("uz", "ru", "en") whose text is blank, if any.
    pub fn missing_language(&self) -> Option<&'static str> {
        [("uz", &self.uz), ("ru", &self.ru), ("en", &self.en)]
            .into_iter()
            .find(|(_, text)| text.trim().is_empty())
            .map(|(language, _)| language)
    }

    /// The text in `language` ("uz", "ru" or "en"; anything else gives Uzbek, the portal's default).
    pub fn get(&self, language: &str) -> &str {
        match language {
            "ru" => &self.ru,
            "en" => &self.en,
            _ => &self.uz,
        }
    }

    /// The three texts joined, lowercased: what free-text search looks in.
    pub fn search_text(&self) -> String {
        format!("{} {} {}", self.uz, self.ru, self.en).to_lowercase()
    }
}
