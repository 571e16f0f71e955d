//! Structure versions (OD Annex 3: every field of a data set is described; a structure change creates a new
//! structure version with its own link, and earlier versions stay available).
//!
//! A structure is the ordered list of a tabular data set's fields. Field names are the CSV header and the keys
//! of every other format, so they are restricted to `[a-z][a-z0-9_]{0,62}`: valid as XML element names, JSON
//! keys, spreadsheet headers and RDF local names without escaping.

use serde::{Deserialize, Serialize};

use crate::multilingual::Multilingual;

/// The type of one field's values. An empty cell is "no value" (allowed unless the field is required).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Any text.
    String,
    /// A whole number, optionally signed, within i64.
    Integer,
    /// A decimal number with a `.` separator (`-12.50`); no exponent, no thousands separator.
    Decimal,
    /// `true` or `false`.
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A moment, RFC 3339 (`2026-11-24T09:30:00+05:00`).
    DateTime,
}

impl FieldType {
    /// The name used in the API and in published metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
        }
    }

    /// Parses [`FieldType::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "decimal" => FieldType::Decimal,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            _ => return None,
        })
    }
}

/// One described field (column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The column name: `[a-z][a-z0-9_]{0,62}`.
    pub name: String,
    /// The values' type.
    pub field_type: FieldType,
    /// Whether every row must have a value.
    pub required: bool,
    /// The field's title in the three languages.
    pub title: Multilingual,
    /// What the field holds, in the three languages (may be empty).
    pub description: Multilingual,
    /// The unit of measurement, when the values have one (e.g. "so'm", "ming kishi").
    pub unit: String,
}

/// The ordered fields of one structure version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Structure {
    /// In column order.
    pub fields: Vec<Field>,
}

/// Why a structure is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StructureError {
    /// No fields at all.
    #[error("structure.fields: a structure must describe at least one field")]
    Empty,
    /// More fields than any format handles well.
    #[error("structure.fields: at most {max} fields, got {got}")]
    TooManyFields {
        /// The limit.
        max: usize,
        /// What was given.
        got: usize,
    },
    /// A field name breaks the naming rule.
    #[error("structure.fields[{index}].name: {name:?} must match [a-z][a-z0-9_]{{0,62}}")]
    BadName {
        /// The field's position.
        index: usize,
        /// The name given.
        name: String,
    },
    /// Two fields share a name.
    #[error("structure.fields[{index}].name: {name:?} is used by an earlier field")]
    DuplicateName {
        /// The second field's position.
        index: usize,
        /// The repeated name.
        name: String,
    },
    /// A field lacks its title in one of the languages.
    #[error("structure.fields[{index}].title.{language}: every field is described in uz, ru and en")]
    MissingTitle {
        /// The field's position.
        index: usize,
        /// The missing language.
        language: &'static str,
    },
}

/// The most fields a structure may have.
pub const MAX_FIELDS: usize = 500;

impl Structure {
    /// Checks the structure rules: at least one field, unique well-formed names, titles in all three languages.
    pub fn validate(&self) -> Result<(), StructureError> {
        if self.fields.is_empty() {
            return Err(StructureError::Empty);
        }
        if self.fields.len() > MAX_FIELDS {
            return Err(StructureError::TooManyFields { max: MAX_FIELDS, got: self.fields.len() });
        }
        for (index, field) in self.fields.iter().enumerate() {
            if !is_field_name(&field.name) {
                return Err(StructureError::BadName { index, name: field.name.clone() });
            }
            if self.fields[..index].iter().any(|earlier| earlier.name == field.name) {
                return Err(StructureError::DuplicateName { index, name: field.name.clone() });
            }
            if let Some(language) = field.title.missing_language() {
                return Err(StructureError::MissingTitle { index, language });
            }
        }
        Ok(())
    }

    /// The column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|field| field.name.as_str())
    }
}

/// `[a-z][a-z0-9_]{0,62}`.
pub fn is_field_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> Field {
        Field {
            name: name.into(),
            field_type: FieldType::String,
            required: false,
            title: Multilingual::new("nomi", "название", "name"),
            description: Multilingual::default(),
            unit: String::new(),
        }
    }

    #[test]
    fn names_must_be_lowercase_identifiers() {
        assert!(is_field_name("region_code2"));
        for bad in ["", "Region", "2nd", "a-b", "ism familiya", &"a".repeat(64)] {
            assert!(!is_field_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_repeated_name_is_refused_with_its_position() {
        let structure = Structure { fields: vec![field("a"), field("b"), field("a")] };
        assert_eq!(structure.validate(), Err(StructureError::DuplicateName { index: 2, name: "a".into() }));
    }

    #[test]
    fn every_field_has_a_title_in_three_languages() {
        let mut untitled = field("a");
        untitled.title.en.clear();
        let structure = Structure { fields: vec![untitled] };
        assert_eq!(structure.validate(), Err(StructureError::MissingTitle { index: 0, language: "en" }));
        assert_eq!(Structure::default().validate(), Err(StructureError::Empty));
    }
}
