//! Download formats (OD Regulation: data is published machine-readable in open formats): every published
//! tabular version is stored once as canonical CSV and converted on the fly, streaming, into the format asked for.
//!
//! Layout:
//! - `csv`: the stored file itself, copied through.
//! - `json`: one object with the structure's fields and typed records.
//! - `xml`: one `<record>` element per row; also owns XML text escaping.
//! - `xlsx`: an Office Open XML workbook written as a streamed zip.
//! - `rdf`: DCAT catalogue metadata as Turtle and JSON-LD (metadata, not rows).
//!
//! Every converter reads one record at a time and writes through a buffer, so memory stays flat whatever the
//! file's size. The converters are synchronous: from async code run them on a blocking thread writing into a
//! channel-backed [`std::io::Write`].

pub mod csv;
pub mod json;
pub mod rdf;
pub mod xlsx;
pub mod xml;

use std::fmt;
use std::io::{Read, Write};

use crate::structure::Structure;

pub use xlsx::XLSX_MAX_ROWS;

/// How many bytes the stored file is read in at a time, and the output is written in.
const BUFFER_BYTES: usize = 256 * 1024;

/// A download format of a tabular version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TabularFormat {
    /// The stored canonical CSV, byte for byte.
    Csv,
    /// A JSON document with typed values.
    Json,
    /// An XML document, one element per field.
    Xml,
    /// An Excel workbook (Office Open XML).
    Xlsx,
}

impl TabularFormat {
    /// Every format, in the order the portal lists them.
    pub const ALL: [TabularFormat; 4] =
        [TabularFormat::Csv, TabularFormat::Json, TabularFormat::Xml, TabularFormat::Xlsx];

    /// The name used in URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TabularFormat::Csv => "csv",
            TabularFormat::Json => "json",
            TabularFormat::Xml => "xml",
            TabularFormat::Xlsx => "xlsx",
        }
    }

    /// Parses [`TabularFormat::as_str`], ignoring case.
    pub fn parse(name: &str) -> Option<Self> {
        TabularFormat::ALL.into_iter().find(|format| format.as_str().eq_ignore_ascii_case(name))
    }

    /// The `Content-Type` of a download.
    pub fn media_type(self) -> &'static str {
        match self {
            TabularFormat::Csv => "text/csv; charset=utf-8",
            TabularFormat::Json => "application/json",
            TabularFormat::Xml => "application/xml; charset=utf-8",
            TabularFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for TabularFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is being downloaded: named in the JSON and XML documents and the workbook's sheet.
#[derive(Debug, Clone, Copy)]
pub struct Download<'a> {
    /// The data set's name (slug).
    pub dataset: &'a str,
    /// The version number.
    pub version: u32,
    /// The version's structure; the stored file's header equals its field names.
    pub structure: &'a Structure,
}

impl Download<'_> {
    /// The file name to offer (`Content-Disposition`): `<dataset>-v<version>.<extension>`.
    pub fn file_name(&self, format: TabularFormat) -> String {
        format!("{}-v{}.{}", self.dataset, self.version, format.extension())
    }
}

/// Why a conversion stopped. The output written so far is then incomplete and must be discarded (an HTTP
/// response should be aborted, not ended cleanly).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Reading the stored file or writing the download failed (e.g. the client went away).
    #[error("download i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The stored file is not valid CSV (it is validated at publication, so this means it was damaged).
    #[error("stored csv, row {row} (0 = header): {message}")]
    Csv {
        /// The data row (1 = the first row under the header; 0 = the header).
        row: u64,
        /// What the CSV reader found.
        message: String,
    },
    /// The stored file's header is not the structure's field names in order.
    #[error(
        "stored csv header must equal the structure's field names in order: expected {expected:?}, found {found:?}"
    )]
    Header {
        /// The structure's field names.
        expected: Vec<String>,
        /// The file's header.
        found: Vec<String>,
    },
    /// A worksheet holds at most [`XLSX_MAX_ROWS`] data rows under its header.
    #[error(
        "xlsx: a worksheet holds at most {max} data rows under its header, this version has at least {rows}; \
         download it as csv, json or xml",
        max = XLSX_MAX_ROWS
    )]
    TooManyRowsForXlsx {
        /// The version's data rows (at least; conversion stops at the first row past the limit).
        rows: u64,
    },
    /// An RDF resource's identifier is not an absolute IRI.
    #[error("rdf: {iri:?} must be an absolute IRI (scheme:...)")]
    NotAnIri {
        /// The identifier given.
        iri: String,
    },
}

impl FormatError {
    fn from_csv(error: ::csv::Error) -> Self {
        let row = error.position().map(|position| position.record()).unwrap_or(0);
        if error.is_io_error() {
            return FormatError::Io(error.into());
        }
        FormatError::Csv { row, message: error.to_string() }
    }
}

/// Converts the stored canonical CSV of a version (`input`) into `format`, writing to `output`; returns the
/// number of data rows written. Synchronous and streaming: memory stays flat whatever the file's size.
pub fn convert(
    format: TabularFormat,
    download: &Download<'_>,
    input: impl Read,
    output: impl Write,
) -> Result<u64, FormatError> {
    match format {
        TabularFormat::Csv => csv::copy(input, output),
        TabularFormat::Json => json::write(download, input, output),
        TabularFormat::Xml => xml::write(download, input, output),
        TabularFormat::Xlsx => xlsx::write(download, input, output),
    }
}

/// The stored file's data rows, read one at a time into one reused record.
struct Rows<R> {
    reader: ::csv::Reader<R>,
    record: ::csv::StringRecord,
    count: u64,
}

impl<R: Read> Rows<R> {
    /// Opens the stored file and checks its header against the structure.
    fn open(input: R, structure: &Structure) -> Result<Self, FormatError> {
        let mut reader = ::csv::ReaderBuilder::new().buffer_capacity(BUFFER_BYTES).from_reader(input);
        let header = reader.headers().map_err(FormatError::from_csv)?;
        if !header.iter().eq(structure.names()) {
            return Err(FormatError::Header {
                expected: structure.names().map(String::from).collect(),
                found: header.iter().map(String::from).collect(),
            });
        }
        Ok(Rows { reader, record: ::csv::StringRecord::new(), count: 0 })
    }

    /// The next data row's number (1 = the first under the header) and cells, in field order; `None` at the end
    /// of the file.
    fn next(&mut self) -> Result<Option<(u64, &::csv::StringRecord)>, FormatError> {
        if !self.reader.read_record(&mut self.record).map_err(FormatError::from_csv)? {
            return Ok(None);
        }
        self.count += 1;
        Ok(Some((self.count, &self.record)))
    }
}

/// A number cell split into parts, so it is written with the file's exact digits (never through `f64`) yet in
/// the plain form JSON and spreadsheets accept: no `+`, no leading zeros, no empty integer part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Number<'a> {
    negative: bool,
    /// Digits before the point, without leading zeros; empty means zero.
    integer: &'a str,
    /// Digits after the point; may be empty.
    fraction: &'a str,
}

impl<'a> Number<'a> {
    /// Splits `[+-]digits[.digits]` (at least one digit in all); `None` for anything else, or for a fraction when
    /// `allow_fraction` is false.
    fn parse(text: &'a str, allow_fraction: bool) -> Option<Self> {
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (integer, fraction) = match unsigned.split_once('.') {
            Some(_) if !allow_fraction => return None,
            Some((integer, fraction)) => (integer, fraction),
            None => (unsigned, ""),
        };
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if integer.len() + fraction.len() == 0 || !all_digits(integer) || !all_digits(fraction) {
            return None;
        }
        Some(Number { negative, integer: integer.trim_start_matches('0'), fraction })
    }

    /// Significant digits: how many a spreadsheet (15 at most) must keep to hold the value exactly.
    fn significant_digits(&self) -> usize {
        let fraction = self.fraction.trim_end_matches('0');
        if self.integer.is_empty() {
            fraction.trim_start_matches('0').len()
        } else {
            self.integer.len() + fraction.len()
        }
    }
}

impl fmt::Display for Number<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(if self.integer.is_empty() { "0" } else { self.integer })?;
        if !self.fraction.is_empty() {
            write!(f, ".{}", self.fraction)?;
        }
        Ok(())
    }
}

/// Whether a boolean cell is true (`Some(true)`), false, or not a boolean.
fn parse_boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
pub(crate) mod testdata {
    //! A small structure and file with every awkward case, and a lazily generated large file.

    use std::io::{self, Read, Write};

    use crate::multilingual::Multilingual;
    use crate::structure::{Field, FieldType, Structure};

    fn field(name: &str, field_type: FieldType) -> Field {
        Field {
            name: name.into(),
            field_type,
            required: name == "id",
            title: Multilingual::new(format!("{name} uz"), format!("{name} ru"), format!("{name} en")),
            description: Multilingual::default(),
            unit: if name == "amount" { "so'm".into() } else { String::new() },
        }
    }

    /// id integer, name string, amount decimal, active boolean, day date, at datetime.
    pub(crate) fn structure() -> Structure {
        Structure {
            fields: vec![
                field("id", FieldType::Integer),
                field("name", FieldType::String),
                field("amount", FieldType::Decimal),
                field("active", FieldType::Boolean),
                field("day", FieldType::Date),
                field("at", FieldType::DateTime),
            ],
        }
    }

    /// Quotes, commas, a newline in a cell, Cyrillic, empty cells, numbers in every shape the validator allows.
    pub(crate) const SAMPLE: &str = "id,name,amount,active,day,at\r\n\
        1,\"Toshkent, \"\"markaz\"\"\",-12.50,true,2026-11-24,2026-11-24T09:30:00+05:00\r\n\
        +007,\"Самарқанд\nвилояти <&>\",0.5,false,1899-01-01,\r\n\
        3,,,,,\r\n\
        -42,x\u{1}y,123456789012345678,TRUE,2026-01-31,2026-01-31T00:00:00Z\r\n";

    /// A reader producing `rows` rows of the sample structure on demand, never holding more than one row.
    pub(crate) struct Generated {
        rows: u64,
        next: u64,
        line: Vec<u8>,
        offset: usize,
    }

    impl Generated {
        pub(crate) fn new(rows: u64) -> Self {
            Generated { rows, next: 0, line: b"id,name,amount,active,day,at\n".to_vec(), offset: 0 }
        }
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.offset == self.line.len() {
                if self.next == self.rows {
                    return Ok(0);
                }
                self.next += 1;
                self.line.clear();
                let n = self.next;
                writeln!(self.line, "{n},\"row {n}, \"\"q\"\"\",{n}.25,true,2026-11-24,2026-11-24T09:30:00Z")?;
                self.offset = 0;
            }
            let count = buf.len().min(self.line.len() - self.offset);
            buf[..count].copy_from_slice(&self.line[self.offset..self.offset + count]);
            self.offset += count;
            Ok(count)
        }
    }

    /// Counts bytes and drops them.
    #[derive(Default)]
    pub(crate) struct Counting(pub(crate) u64);

    impl Write for &mut Counting {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_ignoring_case_and_name_their_media_type() {
        assert_eq!(TabularFormat::parse("XLSX"), Some(TabularFormat::Xlsx));
        assert_eq!(TabularFormat::parse("Json"), Some(TabularFormat::Json));
        assert_eq!(TabularFormat::parse("ods"), None);
        for format in TabularFormat::ALL {
            assert_eq!(TabularFormat::parse(format.as_str()), Some(format));
        }
        assert_eq!(TabularFormat::Csv.media_type(), "text/csv; charset=utf-8");
    }

    #[test]
    fn numbers_keep_their_digits_in_plain_form() {
        let shown = |text, fraction| Number::parse(text, fraction).map(|number| number.to_string());
        assert_eq!(shown("+007", false).as_deref(), Some("7"));
        assert_eq!(shown("-12.50", true).as_deref(), Some("-12.50"));
        assert_eq!(shown(".5", true).as_deref(), Some("0.5"));
        assert_eq!(shown("5.", true).as_deref(), Some("5"));
        assert_eq!(shown("000", false).as_deref(), Some("0"));
        assert_eq!(shown("1.5", false), None);
        for bad in ["", "-", ".", "1e5", "1,5", " 1", "0x1"] {
            assert_eq!(shown(bad, true), None, "{bad:?}");
        }
        let digits = |text| Number::parse(text, true).map(|number| number.significant_digits());
        assert_eq!(digits("0.000120"), Some(2));
        assert_eq!(digits("123456789012345678"), Some(18));
        assert_eq!(digits("-10.50"), Some(3));
    }

    #[test]
    fn a_header_that_is_not_the_structure_is_refused() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let input = "id,name\n1,a\n";
        let error = convert(TabularFormat::Json, &download, input.as_bytes(), Vec::new()).err();
        assert!(matches!(error, Some(FormatError::Header { .. })), "{error:?}");
    }

    #[test]
    fn a_ragged_row_is_reported_with_its_number() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let input = "id,name,amount,active,day,at\n1,a,1,true,2026-01-01,\n2,b\n";
        let error = convert(TabularFormat::Xml, &download, input.as_bytes(), Vec::new()).err();
        assert!(matches!(error, Some(FormatError::Csv { row: 2, .. })), "{error:?}");
    }
}
