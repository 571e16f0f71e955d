//! JSON downloads: `{"dataset", "version", "fields": [...], "records": [{...}, ...]}`, written record by record.
//!
//! Values are typed by the structure: integers and decimals are JSON numbers written with the file's own digits
//! (never through `f64`, so `12.50` stays `12.50`), booleans are `true`/`false`, an empty cell is `null`, and
//! everything else (strings, dates, date-times) is a string. A cell that does not parse as its type (the file
//! is validated at publication, so this is not expected) is written as a string rather than as broken JSON.

use std::io::{BufWriter, Read, Write};

use serde::Serialize;

use super::{parse_boolean, Download, FormatError, Number, Rows, BUFFER_BYTES};
use crate::multilingual::Multilingual;
use crate::structure::{Field, FieldType};

/// Writes the JSON document; returns the number of records.
pub(super) fn write(download: &Download<'_>, input: impl Read, output: impl Write) -> Result<u64, FormatError> {
    let mut rows = Rows::open(input, download.structure)?;
    let mut out = BufWriter::with_capacity(BUFFER_BYTES, output);
    let fields = &download.structure.fields;
    out.write_all(b"{\"dataset\":")?;
    write_string(&mut out, download.dataset)?;
    write!(out, ",\"version\":{},\"fields\":", download.version)?;
    let described: Vec<_> = fields.iter().map(FieldDescription::of).collect();
    serde_json::to_writer(&mut out, &described).map_err(std::io::Error::from)?;
    out.write_all(b",\"records\":[")?;
    while let Some((row, record)) = rows.next()? {
        out.write_all(if row == 1 { b"\n{" } else { b",\n{" })?;
        for (index, (field, cell)) in fields.iter().zip(record.iter()).enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            write_string(&mut out, &field.name)?;
            out.write_all(b":")?;
            write_value(&mut out, field.field_type, cell)?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    Ok(rows.count)
}

/// One entry of `fields`, in this key order.
#[derive(Serialize)]
struct FieldDescription<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    field_type: &'static str,
    required: bool,
    title: &'a Multilingual,
    description: &'a Multilingual,
    /// `null` when the field has no unit.
    unit: Option<&'a str>,
}

impl<'a> FieldDescription<'a> {
    fn of(field: &'a Field) -> Self {
        FieldDescription {
            name: &field.name,
            field_type: field.field_type.as_str(),
            required: field.required,
            title: &field.title,
            description: &field.description,
            unit: Some(field.unit.as_str()).filter(|unit| !unit.is_empty()),
        }
    }
}

/// One cell as a typed JSON value.
fn write_value(out: &mut impl Write, field_type: FieldType, cell: &str) -> std::io::Result<()> {
    if cell.is_empty() {
        return out.write_all(b"null");
    }
    let number = match field_type {
        FieldType::Integer => Number::parse(cell, false),
        FieldType::Decimal => Number::parse(cell, true),
        FieldType::Boolean => {
            return match parse_boolean(cell) {
                Some(value) => out.write_all(if value { b"true" } else { b"false" }),
                None => write_string(out, cell),
            };
        }
        FieldType::String | FieldType::Date | FieldType::DateTime => None,
    };
    match number {
        Some(number) => write!(out, "{number}"),
        None => write_string(out, cell),
    }
}

/// A JSON string, escaped by serde_json.
fn write_string(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    serde_json::to_writer(out, text).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::testdata::{self, Counting, Generated};
    use super::super::{convert, Download, TabularFormat};

    fn converted(input: &str) -> (u64, Value) {
        let structure = testdata::structure();
        let download = Download { dataset: "ish-o'rinlari", version: 3, structure: &structure };
        let mut output = Vec::new();
        let rows = convert(TabularFormat::Json, &download, input.as_bytes(), &mut output).expect("converts");
        (rows, serde_json::from_slice(&output).expect("valid json"))
    }

    #[test]
    fn values_are_typed_by_the_structure() {
        let (rows, document) = converted(testdata::SAMPLE);
        assert_eq!(rows, 4);
        assert_eq!(document["dataset"], "ish-o'rinlari");
        assert_eq!(document["version"], 3);
        let records = document["records"].as_array().expect("records");
        assert_eq!(records.len(), 4);
        assert_eq!(
            records[0],
            json!({"id": 1, "name": "Toshkent, \"markaz\"", "amount": -12.5, "active": true,
                   "day": "2026-11-24", "at": "2026-11-24T09:30:00+05:00"})
        );
        assert_eq!(records[1]["id"], 7);
        assert_eq!(records[1]["name"], "Самарқанд\nвилояти <&>");
        assert_eq!(records[1]["at"], Value::Null);
        assert_eq!(records[2], json!({"id": 3, "name": null, "amount": null, "active": null, "day": null, "at": null}));
        assert_eq!(records[3]["name"], "x\u{1}y");
        assert_eq!(records[3]["active"], true);
    }

    #[test]
    fn decimals_keep_the_files_digits() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut output = Vec::new();
        convert(TabularFormat::Json, &download, testdata::SAMPLE.as_bytes(), &mut output).expect("converts");
        let text = String::from_utf8(output).expect("utf-8");
        assert!(text.contains("\"amount\":-12.50,"), "{text}");
        assert!(text.contains("\"amount\":123456789012345678,"), "{text}");
    }

    #[test]
    fn fields_describe_the_structure() {
        let (_, document) = converted("id,name,amount,active,day,at\n");
        assert_eq!(document["records"], json!([]));
        let amount = &document["fields"][2];
        assert_eq!(amount["name"], "amount");
        assert_eq!(amount["type"], "decimal");
        assert_eq!(amount["required"], false);
        assert_eq!(amount["title"], json!({"uz": "amount uz", "ru": "amount ru", "en": "amount en"}));
        assert_eq!(amount["unit"], "so'm");
        assert_eq!(document["fields"][0]["unit"], Value::Null);
    }

    #[test]
    fn a_large_file_streams_through() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut sink = Counting::default();
        let rows = convert(TabularFormat::Json, &download, Generated::new(200_000), &mut sink);
        assert_eq!(rows.ok(), Some(200_000));
    }
}
