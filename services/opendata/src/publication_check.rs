//! The check a data-set version passes before publication, and its canonical CSV. OD Regulation (Cabinet
//! resolution No. 808 of 2020), Annex 3: every field of a data set is described by its structure, and open data
//! must contain neither personal data of individuals nor incorrect data (REQUIREMENTS.md §5).
//!
//! [`check_and_canonicalise`] streams an uploaded CSV through the checks and writes the canonical CSV as it goes,
//! hashing what it writes, so a gigabyte upload is checked in flat memory (one record buffer, reused). It stops
//! at the first refusal; the output then holds a partial prefix and must be discarded by the caller.
//!
//! Input: UTF-8 (a leading byte-order mark is dropped), `,` separator, RFC 4180 quoting, any line terminator
//! (`\r\n`, `\n`, `\r`); empty lines are skipped. Output, the canonical form every other format is derived from:
//! the structure's field names as header, minimal quoting (only cells that need it), `\n` after every record.
//! Typed cells (integer, decimal, boolean, date, datetime) are written trimmed of surrounding whitespace; text
//! cells are written exactly as supplied; a cell holding only whitespace is "no value" and written empty.
//!
//! Refusal messages name the rule, the column and the row, where "row N" is the N-th data record after the
//! header, counting from 1 (it equals the line number minus one unless a quoted cell spans lines). They never
//! quote a cell's value: the value may be personal data, and error messages end up in logs.

use std::fmt;
use std::io::{self, Read, Write};

use chrono::{DateTime, NaiveDate};
use csv::{ByteRecord, ReaderBuilder, Terminator, WriterBuilder};
use sha2::{Digest, Sha256};

use crate::personal_data::{self, PersonalDataKind};
use crate::structure::{is_field_name, Field, FieldType, Structure};

/// The longest record (header or row) accepted, in bytes. A longer one is almost always a quote opened and never
/// closed, which would otherwise swallow the rest of the file into one cell (and into memory).
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Read and write buffer size: large enough that system calls do not dominate on gigabyte files.
const BUFFER_BYTES: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a successful check produced: the canonical CSV has been written to the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedVersion {
    /// Data rows, not counting the header (at least 1).
    pub rows: u64,
    /// Bytes of canonical CSV written, header included.
    pub bytes: u64,
    /// SHA-256 of the canonical CSV, lowercase hex: the version's content identity.
    pub sha256: String,
}

/// What a header cell held where the structure expected something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderCell {
    /// A well-formed field name (shown to the supplier: it is a name, not data).
    Name(String),
    /// Nothing.
    Empty,
    /// Something that is not a field name, and is not shown: when the header line is missing, the "header" is
    /// the first data row and may hold personal data.
    NotAName,
}

impl HeaderCell {
    fn from_bytes(cell: &[u8]) -> Self {
        match std::str::from_utf8(cell).map(str::trim) {
            Ok("") => HeaderCell::Empty,
            Ok(name) if is_field_name(name) => HeaderCell::Name(name.to_owned()),
            _ => HeaderCell::NotAName,
        }
    }
}

impl fmt::Display for HeaderCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderCell::Name(name) => write!(f, "{name:?}"),
            HeaderCell::Empty => f.write_str("an empty cell"),
            HeaderCell::NotAName => {
                f.write_str("a cell that is not a field name (not shown; is the header line missing?)")
            }
        }
    }
}

/// Why a version is refused publication (or could not be checked). Every refusal of the file's content names
/// the rule broken and, where there is one, the column and the row; see [`PublicationError::rule`],
/// [`PublicationError::column`] and [`PublicationError::row`] for the structured parts.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    /// No header line at all.
    #[error("the file is empty: a version is a CSV file whose first line names the structure's fields")]
    EmptyFile,
    /// A header line and nothing else (OD Annex 3: a published version holds data).
    #[error("the file has a header but no data rows: a version must have at least one row")]
    NoRows,
    /// The header stops before naming every field of the structure.
    #[error("header, column {position}: expected {expected:?}, but the header ends after {} columns (the header must list the structure's fields, in order)", position - 1)]
    HeaderMissingColumn {
        /// The 1-based column position.
        position: usize,
        /// The field the structure has there.
        expected: String,
    },
    /// The header has more columns than the structure has fields.
    #[error("header, column {position}: found {found}, but the structure describes only {} fields (OD Annex 3: every published field is described; publish a new structure version first)", position - 1)]
    HeaderExtraColumn {
        /// The 1-based column position.
        position: usize,
        /// What the header holds there.
        found: HeaderCell,
    },
    /// The header names another field than the structure at this position.
    #[error("header, column {position}: expected {expected:?}, found {found}{}", header_hint(found, *found_position))]
    HeaderWrongColumn {
        /// The 1-based column position.
        position: usize,
        /// The field the structure has there.
        expected: String,
        /// What the header holds there.
        found: HeaderCell,
        /// Where the structure has the found name (1-based), when it has it elsewhere: the columns are reordered.
        found_position: Option<usize>,
    },
    /// A row with more or fewer cells than the structure has fields.
    #[error("row {row}: {found} cells, but the structure has {expected} fields (every row has one cell per field)")]
    CellCount {
        /// The 1-based data row.
        row: u64,
        /// The structure's field count.
        expected: usize,
        /// The row's cell count.
        found: usize,
    },
    /// A required field without a value.
    #[error("row {row}, column {column:?}: empty, but the field is required")]
    RequiredEmpty {
        /// The 1-based data row.
        row: u64,
        /// The field's name.
        column: String,
    },
    /// A value that is not of the field's type (OD Annex 3: no incorrect data).
    #[error("row {row}, column {column:?}: not a valid {}: {}", field_type.as_str(), type_rule(*field_type))]
    WrongType {
        /// The 1-based data row.
        row: u64,
        /// The field's name.
        column: String,
        /// The field's type.
        field_type: FieldType,
    },
    /// A value that looks like personal data of an individual (OD Annex 3). The value is never included.
    #[error("row {row}, column {column:?}: the value looks like {kind} (not shown); open data must not contain personal data of individuals (OD Annex 3)")]
    PersonalData {
        /// The 1-based data row.
        row: u64,
        /// The field's name.
        column: String,
        /// What it looks like.
        kind: PersonalDataKind,
    },
    /// A cell that is not valid UTF-8.
    #[error("row {row}, column {column:?}: not valid UTF-8 (save the file as \"CSV UTF-8\")")]
    InvalidUtf8 {
        /// The 1-based data row.
        row: u64,
        /// The field's name.
        column: String,
    },
    /// A record longer than [`MAX_RECORD_BYTES`].
    #[error("{}: longer than {limit} bytes; most often a quote (\") opened in a cell and never closed", record_name(*row))]
    RecordTooLong {
        /// The 1-based data row; 0 for the header.
        row: u64,
        /// [`MAX_RECORD_BYTES`].
        limit: u64,
    },
    /// Reading the upload failed (not a fault of the file's content).
    #[error("reading the upload failed: {0}")]
    Read(#[source] io::Error),
    /// Writing the canonical CSV failed (an internal fault).
    #[error("writing the canonical version failed: {0}")]
    Write(#[source] io::Error),
}

fn header_hint(found: &HeaderCell, found_position: Option<usize>) -> String {
    match (found, found_position) {
        (_, Some(position)) => format!(" (the structure has it at column {position}: the columns are out of order)"),
        (HeaderCell::Name(_), None) => " (not a field of the structure)".to_owned(),
        _ => String::new(),
    }
}

fn type_rule(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::String => "any text",
        FieldType::Integer => "a whole number such as -42: optional sign and digits, within a 64-bit integer",
        FieldType::Decimal => {
            "a number such as -12.50: optional sign, digits, optional '.' and digits; no exponent, no thousands \
             separator, no ',' decimal separator"
        }
        FieldType::Boolean => "true or false, in lowercase",
        FieldType::Date => "a calendar date written YYYY-MM-DD, such as 2026-11-24",
        FieldType::DateTime => "an RFC 3339 date and time with offset, such as 2026-11-24T09:30:00+05:00",
    }
}

fn record_name(row: u64) -> String {
    if row == 0 {
        "header".to_owned()
    } else {
        format!("row {row}")
    }
}

impl PublicationError {
    /// A stable name of the rule broken, for API error details and metrics: `empty_file`, `no_rows`, `header`,
    /// `cell_count`, `required`, `type`, `personal_data`, `utf8`, `record_too_long`, `read`, `write`.
    pub fn rule(&self) -> &'static str {
        match self {
            PublicationError::EmptyFile => "empty_file",
            PublicationError::NoRows => "no_rows",
            PublicationError::HeaderMissingColumn { .. }
            | PublicationError::HeaderExtraColumn { .. }
            | PublicationError::HeaderWrongColumn { .. } => "header",
            PublicationError::CellCount { .. } => "cell_count",
            PublicationError::RequiredEmpty { .. } => "required",
            PublicationError::WrongType { .. } => "type",
            PublicationError::PersonalData { .. } => "personal_data",
            PublicationError::InvalidUtf8 { .. } => "utf8",
            PublicationError::RecordTooLong { .. } => "record_too_long",
            PublicationError::Read(_) => "read",
            PublicationError::Write(_) => "write",
        }
    }

    /// The column concerned: the field's name for a cell, the expected field's name for a header column (the
    /// found one for an extra column, when it is a name).
    pub fn column(&self) -> Option<&str> {
        match self {
            PublicationError::HeaderMissingColumn { expected, .. }
            | PublicationError::HeaderWrongColumn { expected, .. } => Some(expected),
            PublicationError::HeaderExtraColumn { found: HeaderCell::Name(name), .. } => Some(name),
            PublicationError::RequiredEmpty { column, .. }
            | PublicationError::WrongType { column, .. }
            | PublicationError::PersonalData { column, .. }
            | PublicationError::InvalidUtf8 { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The 1-based data row concerned; `Some(0)` for the header; `None` for the file as a whole.
    pub fn row(&self) -> Option<u64> {
        match self {
            PublicationError::HeaderMissingColumn { .. }
            | PublicationError::HeaderExtraColumn { .. }
            | PublicationError::HeaderWrongColumn { .. } => Some(0),
            PublicationError::CellCount { row, .. }
            | PublicationError::RequiredEmpty { row, .. }
            | PublicationError::WrongType { row, .. }
            | PublicationError::PersonalData { row, .. }
            | PublicationError::InvalidUtf8 { row, .. }
            | PublicationError::RecordTooLong { row, .. } => Some(*row),
            PublicationError::EmptyFile
            | PublicationError::NoRows
            | PublicationError::Read(_)
            | PublicationError::Write(_) => None,
        }
    }

    /// Whether the file's content is refused (the supplier must fix it), as opposed to an I/O failure.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, PublicationError::Read(_) | PublicationError::Write(_))
    }
}

/// Checks an uploaded version against its structure and the publication rules (OD Annex 3), writing its
/// canonical CSV to `output` while hashing it. Fails fast: the first broken rule is returned, and whatever was
/// written to `output` by then must be discarded.
///
/// Checks, in order: a header line equal to the structure's field names; then per data row: one cell per field;
/// per cell: valid UTF-8, a value in every required field, the field's type, and no personal data
/// ([`personal_data::detect`]); finally at least one data row.
pub fn check_and_canonicalise(
    structure: &Structure,
    input: impl Read,
    output: impl Write,
) -> Result<CheckedVersion, PublicationError> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(GuardedReader::new(input));
    let mut writer = WriterBuilder::new()
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(BUFFER_BYTES)
        .from_writer(HashingWriter::new(output));
    let mut record = ByteRecord::new();

    if !read_record(&mut reader, &mut record, 0)? {
        return Err(PublicationError::EmptyFile);
    }
    check_header(structure, &record)?;
    writer.write_record(structure.names()).map_err(write_error)?;

    let mut rows: u64 = 0;
    while read_record(&mut reader, &mut record, rows + 1)? {
        rows += 1;
        if record.len() != structure.fields.len() {
            return Err(PublicationError::CellCount {
                row: rows,
                expected: structure.fields.len(),
                found: record.len(),
            });
        }
        for (field, cell) in structure.fields.iter().zip(record.iter()) {
            writer.write_field(check_cell(field, cell, rows)?).map_err(write_error)?;
        }
        writer.write_record(None::<&[u8]>).map_err(write_error)?;
    }
    if rows == 0 {
        return Err(PublicationError::NoRows);
    }

    writer.flush().map_err(PublicationError::Write)?;
    let hashing = writer.into_inner().map_err(|error| PublicationError::Write(error.into_error()))?;
    Ok(CheckedVersion { rows, bytes: hashing.bytes, sha256: hex::encode(hashing.hasher.finalize()) })
}

fn write_error(error: csv::Error) -> PublicationError {
    PublicationError::Write(io::Error::from(error))
}

/// Reads the next record into `record`; `row` names it in a refusal (0 = header).
fn read_record<R: Read>(
    reader: &mut csv::Reader<GuardedReader<R>>,
    record: &mut ByteRecord,
    row: u64,
) -> Result<bool, PublicationError> {
    match reader.read_byte_record(record) {
        Ok(more) => {
            let end = reader.position().byte();
            reader.get_mut().record_end = end;
            Ok(more)
        }
        Err(_) if reader.get_ref().tripped => Err(PublicationError::RecordTooLong { row, limit: MAX_RECORD_BYTES }),
        Err(error) => Err(PublicationError::Read(io::Error::from(error))),
    }
}

fn check_header(structure: &Structure, header: &ByteRecord) -> Result<(), PublicationError> {
    let fields = &structure.fields;
    for position in 0..fields.len().max(header.len()) {
        let found = header.get(position).map(trim_ascii);
        match (fields.get(position), found) {
            (Some(field), Some(found)) if found == field.name.as_bytes() => {}
            (Some(field), None) => {
                return Err(PublicationError::HeaderMissingColumn {
                    position: position + 1,
                    expected: field.name.clone(),
                });
            }
            (None, Some(found)) => {
                return Err(PublicationError::HeaderExtraColumn {
                    position: position + 1,
                    found: HeaderCell::from_bytes(found),
                });
            }
            (Some(field), Some(found)) => {
                let found_position =
                    fields.iter().position(|other| other.name.as_bytes() == found).map(|index| index + 1);
                return Err(PublicationError::HeaderWrongColumn {
                    position: position + 1,
                    expected: field.name.clone(),
                    found: HeaderCell::from_bytes(found),
                    found_position,
                });
            }
            (None, None) => {}
        }
    }
    Ok(())
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Checks one cell and returns its canonical bytes.
fn check_cell<'a>(field: &Field, cell: &'a [u8], row: u64) -> Result<&'a [u8], PublicationError> {
    let text =
        std::str::from_utf8(cell).map_err(|_| PublicationError::InvalidUtf8 { row, column: field.name.clone() })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        if field.required {
            return Err(PublicationError::RequiredEmpty { row, column: field.name.clone() });
        }
        return Ok(b"");
    }
    if !value_fits(field.field_type, trimmed) {
        return Err(PublicationError::WrongType { row, column: field.name.clone(), field_type: field.field_type });
    }
    // A valid boolean, date or datetime cannot hold any of the personal-data patterns: skip the scan.
    let may_hold_personal_data =
        matches!(field.field_type, FieldType::String | FieldType::Integer | FieldType::Decimal);
    if may_hold_personal_data {
        if let Some(kind) = personal_data::detect(trimmed) {
            return Err(PublicationError::PersonalData { row, column: field.name.clone(), kind });
        }
    }
    Ok(match field.field_type {
        FieldType::String => cell,
        _ => trimmed.as_bytes(),
    })
}

/// Whether a non-empty, trimmed value is of the type (the forms documented on [`FieldType`]).
fn value_fits(field_type: FieldType, value: &str) -> bool {
    match field_type {
        FieldType::String => true,
        FieldType::Integer => value.parse::<i64>().is_ok(),
        FieldType::Decimal => is_decimal(value),
        FieldType::Boolean => matches!(value, "true" | "false"),
        FieldType::Date => is_date(value),
        FieldType::DateTime => DateTime::parse_from_rfc3339(value).is_ok(),
    }
}

/// Optional sign, at least one digit, optionally `.` and at least one digit.
fn is_decimal(value: &str) -> bool {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// Exactly `YYYY-MM-DD`, and a day that exists in the proleptic Gregorian calendar.
fn is_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !shape {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().fold(0u32, |total, digit| total * 10 + u32::from(digit - b'0'))
    };
    // Four digits fit an i32.
    let year = number(0..4) as i32;
    NaiveDate::from_ymd_opt(year, number(5..7), number(8..10)).is_some()
}

/// The upload as the CSV parser sees it: the UTF-8 byte-order mark dropped, and reading refused once the current
/// record has grown past [`MAX_RECORD_BYTES`] so an unclosed quote cannot pull the whole file into memory.
struct GuardedReader<R> {
    inner: R,
    /// The first bytes, held back until we know whether they are a byte-order mark.
    prefix: [u8; 3],
    prefix_len: usize,
    prefix_served: usize,
    started: bool,
    /// Bytes handed to the parser so far (byte-order mark excluded, like the parser's own positions).
    consumed: u64,
    /// Where the last complete record ended, set by [`read_record`].
    record_end: u64,
    /// Whether reading was refused for a too long record.
    tripped: bool,
}

impl<R: Read> GuardedReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            prefix: [0; 3],
            prefix_len: 0,
            prefix_served: 0,
            started: false,
            consumed: 0,
            record_end: 0,
            tripped: false,
        }
    }

    fn fill_prefix(&mut self) -> io::Result<()> {
        while self.prefix_len < self.prefix.len() {
            match self.inner.read(&mut self.prefix[self.prefix_len..]) {
                Ok(0) => break,
                Ok(read) => self.prefix_len += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        if self.prefix[..self.prefix_len] == *UTF8_BOM {
            self.prefix_served = self.prefix_len;
        }
        Ok(())
    }
}

impl<R: Read> Read for GuardedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.consumed.saturating_sub(self.record_end) > MAX_RECORD_BYTES {
            self.tripped = true;
            return Err(io::Error::other("record too long"));
        }
        if !self.started {
            self.started = true;
            self.fill_prefix()?;
        }
        let read = if self.prefix_served < self.prefix_len {
            let held = &self.prefix[self.prefix_served..self.prefix_len];
            let count = held.len().min(buf.len());
            buf[..count].copy_from_slice(&held[..count]);
            self.prefix_served += count;
            count
        } else {
            self.inner.read(buf)?
        };
        self.consumed += read as u64;
        Ok(read)
    }
}

/// Passes writes through, hashing and counting exactly the bytes the inner writer accepted.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0 }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        let accepted = buf.get(..written).ok_or_else(|| io::Error::other("writer reported more bytes than given"))?;
        self.hasher.update(accepted);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multilingual::Multilingual;

    fn field(name: &str, field_type: FieldType, required: bool) -> Field {
        Field {
            name: name.into(),
            field_type,
            required,
            title: Multilingual::new(name, name, name),
            description: Multilingual::default(),
            unit: String::new(),
        }
    }

    fn structure() -> Structure {
        Structure {
            fields: vec![
                field("name", FieldType::String, true),
                field("count", FieldType::Integer, true),
                field("share", FieldType::Decimal, false),
                field("active", FieldType::Boolean, false),
                field("day", FieldType::Date, false),
                field("at", FieldType::DateTime, false),
            ],
        }
    }

    const HEADER: &str = "name,count,share,active,day,at\n";

    fn check(structure: &Structure, input: &[u8]) -> Result<(CheckedVersion, Vec<u8>), PublicationError> {
        let mut output = Vec::new();
        let checked = check_and_canonicalise(structure, input, &mut output)?;
        Ok((checked, output))
    }

    fn refusal(structure: &Structure, input: &str) -> PublicationError {
        match check(structure, input.as_bytes()) {
            Ok(_) => panic!("expected a refusal for {input:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn a_good_version_is_written_canonically_and_hashed() {
        let input = "\u{feff}name , count,share,active,day,at\r\n\
                     \"Toshkent, shahar\", 42 ,-12.50,true,2024-02-29,2026-11-24T09:30:00+05:00\r\n\
                     \r\n\
                     \"Say \"\"hi\"\"\",-7,  ,false,2023-12-31,2026-11-24T04:30:00Z\r\n\
                     \"info@stat.uz, +998 71 239 12 34\",\"9223372036854775807\",1,, ,\r\n";
        let (checked, output) = check(&structure(), input.as_bytes()).expect("a valid version");
        let expected = "name,count,share,active,day,at\n\
                        \"Toshkent, shahar\",42,-12.50,true,2024-02-29,2026-11-24T09:30:00+05:00\n\
                        \"Say \"\"hi\"\"\",-7,,false,2023-12-31,2026-11-24T04:30:00Z\n\
                        \"info@stat.uz, +998 71 239 12 34\",9223372036854775807,1,,,\n";
        assert_eq!(String::from_utf8(output.clone()).expect("utf-8"), expected);
        assert_eq!(checked.rows, 3);
        assert_eq!(checked.bytes, expected.len() as u64);
        assert_eq!(checked.sha256, hex::encode(Sha256::digest(expected.as_bytes())));
    }

    #[test]
    fn text_cells_are_kept_as_supplied() {
        let structure = Structure { fields: vec![field("note", FieldType::String, false)] };
        let (checked, output) = check(&structure, b"note\n  two  spaces \n\"line\nbreak\"\n").expect("valid");
        assert_eq!(output, b"note\n  two  spaces \n\"line\nbreak\"\n");
        assert_eq!(checked.rows, 2);
    }

    #[test]
    fn an_empty_file_is_refused() {
        for input in ["", "\u{feff}", "\n\n"] {
            let error = refusal(&structure(), input);
            assert!(matches!(error, PublicationError::EmptyFile), "{input:?}: {error}");
            assert_eq!(error.rule(), "empty_file");
        }
    }

    #[test]
    fn a_header_without_rows_is_refused() {
        let error = refusal(&structure(), HEADER);
        assert!(matches!(error, PublicationError::NoRows), "{error}");
        assert!(error.to_string().contains("at least one row"));
    }

    #[test]
    fn a_missing_header_column_is_named() {
        let error = refusal(&structure(), "name,count,share,active,day\nx,1,,,,\n");
        assert!(matches!(&error, PublicationError::HeaderMissingColumn { position: 6, expected } if expected == "at"));
        assert_eq!((error.rule(), error.column(), error.row()), ("header", Some("at"), Some(0)));
        assert!(error.to_string().contains("header, column 6: expected \"at\""), "{error}");
    }

    #[test]
    fn an_extra_header_column_is_named() {
        let error = refusal(&structure(), "name,count,share,active,day,at,extra\n");
        assert!(
            matches!(&error, PublicationError::HeaderExtraColumn { position: 7, found: HeaderCell::Name(found) } if found == "extra"),
            "{error}"
        );
        assert_eq!(error.column(), Some("extra"));
    }

    #[test]
    fn reordered_header_columns_are_explained() {
        let error = refusal(&structure(), "name,share,count,active,day,at\n");
        assert!(
            matches!(&error, PublicationError::HeaderWrongColumn { position: 2, expected, found: HeaderCell::Name(found), found_position: Some(3) }
                if expected == "count" && found == "share"),
            "{error}"
        );
        assert!(error.to_string().contains("out of order"), "{error}");
    }

    #[test]
    fn a_missing_header_line_does_not_echo_the_first_row() {
        let error = refusal(&structure(), "31234567890123,1,,,,\n");
        assert!(
            matches!(&error, PublicationError::HeaderWrongColumn { position: 1, found: HeaderCell::NotAName, .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("31234567890123"), "{error}");
    }

    #[test]
    fn a_row_with_the_wrong_cell_count_is_refused() {
        let error = refusal(&structure(), &format!("{HEADER}a,1,,,,\nb,2,,,\n"));
        assert!(matches!(error, PublicationError::CellCount { row: 2, expected: 6, found: 5 }), "{error}");
        assert!(error.to_string().starts_with("row 2: 5 cells"), "{error}");
    }

    #[test]
    fn an_empty_required_field_is_refused() {
        let error = refusal(&structure(), &format!("{HEADER}a,1,,,,\nb,  ,,,,\n"));
        assert!(matches!(&error, PublicationError::RequiredEmpty { row: 2, column } if column == "count"), "{error}");
        assert_eq!((error.rule(), error.column(), error.row()), ("required", Some("count"), Some(2)));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_without_echoing_it() {
        for (cells, column, bad) in [
            ("a,1.5,,,,", "count", "1.5"),
            ("a,99999999999999999999,,,,", "count", "99999999999999999999"),
            ("a,1,\"12,5\",,,", "share", "12,5"),
            ("a,1,1e5,,,", "share", "1e5"),
            ("a,1,,yes,,", "active", "yes"),
            ("a,1,,,2023-02-29,", "day", "2023-02-29"),
            ("a,1,,,24.11.2026,", "day", "24.11.2026"),
            ("a,1,,,,2026-11-24 09:30", "at", "2026-11-24 09:30"),
        ] {
            let error = refusal(&structure(), &format!("{HEADER}{cells}\n"));
            assert!(
                matches!(&error, PublicationError::WrongType { row: 1, column: found, .. } if found == column),
                "{cells}: {error}"
            );
            assert!(!error.to_string().contains(bad), "{error}");
        }
    }

    #[test]
    fn values_are_checked_against_each_type() {
        let good = [
            (FieldType::Integer, &["0", "-42", "+7", "007", "-9223372036854775808"][..]),
            (FieldType::Decimal, &["0", "-12.50", "+3.1", "12345678901234567890.000001"]),
            (FieldType::Boolean, &["true", "false"]),
            (FieldType::Date, &["2024-02-29", "2026-11-24", "0001-01-01"]),
            (FieldType::DateTime, &["2026-11-24T09:30:00+05:00", "2026-11-24T04:30:00.123Z"]),
        ];
        let bad = [
            (FieldType::Integer, &["-", "+", "1 000", "9223372036854775808", "0x10", "1.0"][..]),
            (FieldType::Decimal, &["-", ".5", "5.", "1.2.3", "1e5", "12,5", "1 000.5", "NaN"]),
            (FieldType::Boolean, &["True", "FALSE", "1", "0", "yes"]),
            (FieldType::Date, &["2023-02-29", "2024-13-01", "2024-1-5", "+2024-01-05", "20240105", "2024-01-05T00:00"]),
            (FieldType::DateTime, &["2026-11-24", "2026-11-24T09:30:00", "24.11.2026 09:30"]),
        ];
        for (field_type, values) in good {
            for value in values {
                assert!(value_fits(field_type, value), "{value:?} is a valid {field_type:?}");
            }
        }
        for (field_type, values) in bad {
            for value in values {
                assert!(!value_fits(field_type, value), "{value:?} is not a valid {field_type:?}");
            }
        }
    }

    #[test]
    fn a_pinfl_is_refused_naming_the_column_and_row_but_not_the_value() {
        let structure = Structure {
            fields: vec![field("region", FieldType::String, true), field("jshshir", FieldType::String, false)],
        };
        let error = refusal(&structure, "region,jshshir\nToshkent,\nSamarqand,31234567890123\n");
        assert!(
            matches!(&error, PublicationError::PersonalData { row: 2, column, kind: PersonalDataKind::Pinfl } if column == "jshshir"),
            "{error}"
        );
        assert_eq!((error.rule(), error.column(), error.row()), ("personal_data", Some("jshshir"), Some(2)));
        let message = error.to_string();
        assert!(message.contains("row 2, column \"jshshir\""), "{message}");
        assert!(message.contains("PINFL"), "{message}");
        assert!(!message.contains("31234567890123"), "{message}");
    }

    #[test]
    fn personal_data_in_a_number_column_is_refused() {
        let error = refusal(&structure(), &format!("{HEADER}a,31234567890123,,,,\n"));
        assert!(
            matches!(&error, PublicationError::PersonalData { row: 1, column, .. } if column == "count"),
            "{error}"
        );
        let error = refusal(&structure(), &format!("{HEADER}\"Vali, +998 90 123 45 67\",1,,,,\n"));
        assert!(
            matches!(&error, PublicationError::PersonalData { kind: PersonalDataKind::MobilePhoneNumber, .. }),
            "{error}"
        );
    }

    #[test]
    fn invalid_utf8_is_refused_naming_the_cell() {
        let mut input = format!("{HEADER}a,1,,,,\n").into_bytes();
        input.extend_from_slice(b"Toshkent \xD2\xEE\xF8,2,,,,\n"); // Windows-1251, not UTF-8
        let error = match check(&structure(), &input) {
            Ok(_) => panic!("invalid UTF-8 accepted"),
            Err(error) => error,
        };
        assert!(matches!(&error, PublicationError::InvalidUtf8 { row: 2, column } if column == "name"), "{error}");
        assert_eq!(error.rule(), "utf8");
    }

    /// Generates `rows` data rows lazily: only the current line is ever in memory.
    struct GeneratedCsv {
        rows: u64,
        next_row: u64,
        line: Vec<u8>,
        served: usize,
        header_done: bool,
    }

    impl GeneratedCsv {
        fn new(rows: u64) -> Self {
            Self { rows, next_row: 0, line: Vec::new(), served: 0, header_done: false }
        }
    }

    impl Read for GeneratedCsv {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.served == self.line.len() {
                self.line.clear();
                self.served = 0;
                if !self.header_done {
                    self.header_done = true;
                    self.line.extend_from_slice(HEADER.as_bytes());
                } else if self.next_row < self.rows {
                    let row = self.next_row;
                    self.next_row += 1;
                    let line = format!(
                        "\"Tuman {row}, viloyat\",{row},{}.{:02},{},2026-{:02}-{:02},2026-11-24T09:30:00+05:00\n",
                        row / 100,
                        row % 100,
                        row % 2 == 0,
                        row % 12 + 1,
                        row % 28 + 1
                    );
                    self.line.extend_from_slice(line.as_bytes());
                } else {
                    return Ok(0);
                }
            }
            let count = (self.line.len() - self.served).min(buf.len());
            buf[..count].copy_from_slice(&self.line[self.served..self.served + count]);
            self.served += count;
            Ok(count)
        }
    }

    /// Counts and hashes what it is given, keeping none of it.
    #[derive(Default)]
    struct CountingWriter {
        bytes: u64,
        hasher: Sha256,
    }

    impl Write for &mut CountingWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes += buf.len() as u64;
            self.hasher.update(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_large_version_is_checked_streaming() {
        let mut counter = CountingWriter::default();
        let checked = check_and_canonicalise(&structure(), GeneratedCsv::new(300_000), &mut counter).expect("valid");
        assert_eq!(checked.rows, 300_000);
        assert_eq!(checked.bytes, counter.bytes);
        assert_eq!(checked.sha256, hex::encode(counter.hasher.finalize()));
    }

    /// A quote opened in the first row and never closed, then `tail` bytes of text.
    struct UnclosedQuote {
        prefix: &'static [u8],
        tail: u64,
    }

    impl Read for UnclosedQuote {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.prefix.is_empty() {
                let count = self.prefix.len().min(buf.len());
                buf[..count].copy_from_slice(&self.prefix[..count]);
                self.prefix = &self.prefix[count..];
                return Ok(count);
            }
            let count = (buf.len() as u64).min(self.tail) as usize;
            buf[..count].fill(b'x');
            self.tail -= count as u64;
            Ok(count)
        }
    }

    #[test]
    fn an_unclosed_quote_is_refused_before_it_fills_memory() {
        let structure = Structure { fields: vec![field("note", FieldType::String, false)] };
        let input = UnclosedQuote { prefix: b"note\nfine\n\"never closed\n", tail: 2 * MAX_RECORD_BYTES };
        let error = match check_and_canonicalise(&structure, input, io::sink()) {
            Ok(checked) => panic!("a {}-byte cell accepted", checked.bytes),
            Err(error) => error,
        };
        assert!(matches!(error, PublicationError::RecordTooLong { row: 2, .. }), "{error}");
        assert!(error.to_string().starts_with("row 2: longer than"), "{error}");
    }

    #[test]
    fn write_failures_are_not_refusals() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let error = match check_and_canonicalise(&structure(), &format!("{HEADER}a,1,,,,\n").into_bytes()[..], Broken) {
            Ok(_) => panic!("a broken writer succeeded"),
            Err(error) => error,
        };
        assert!(matches!(error, PublicationError::Write(_)), "{error}");
        assert!(!error.is_refusal());
    }
}
