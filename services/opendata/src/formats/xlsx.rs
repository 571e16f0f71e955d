//! XLSX downloads: an Office Open XML workbook with one worksheet, written front to back into a zip whose entries
//! carry data descriptors, so the output need not be seekable and no row is held in memory.
//!
//! The sheet is named after the data set (at most 31 characters, without the characters Excel forbids). Row 1
//! is the field names, in bold and frozen; each data row follows. Cells use inline strings (no shared-string
//! table to hold in memory) and are typed by the structure:
//! - integers and decimals are numeric cells, unless they have more than 15 significant digits (Excel keeps
//!   no more): those are text, so no digit is lost;
//! - booleans are boolean cells;
//! - dates from 1900-03-01 to 9999-12-31 are date serials formatted `yyyy-mm-dd`; other dates are text;
//! - date-times are text, exactly as stored: a spreadsheet has no time zones, and converting would lose the
//!   offset;
//! - strings are text, cut to Excel's 32,767 characters per cell (the other formats keep the whole text).
//!
//! An empty cell is no cell. A worksheet holds [`XLSX_MAX_ROWS`] data rows under its header; a longer file
//! stops the conversion with [`FormatError::TooManyRowsForXlsx`] before the zip is completed, so what was
//! written is never a readable workbook missing rows.

use std::io::{BufWriter, Read, Write};

use chrono::NaiveDate;

use super::xml::{write_attribute, write_text};
use super::{parse_boolean, Download, FormatError, Number, Rows, BUFFER_BYTES};
use crate::structure::FieldType;

/// The most data rows a worksheet holds under its header row (Excel's 1,048,576 rows less the header).
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

/// Excel keeps 15 significant digits of a number.
const EXCEL_DIGITS: usize = 15;

/// Excel's limit on one cell's text, in UTF-16 code units.
const EXCEL_CELL_UNITS: usize = 32_767;

/// Excel's limit on a sheet name, in characters.
const SHEET_NAME_CHARS: usize = 31;

/// Style indexes in `styles.xml`'s `cellXfs`.
const HEADER_STYLE: u8 = 1;
const DATE_STYLE: u8 = 2;

/// The package's parts and their content types.
const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    r#"<Override PartName="/xl/workbook.xml""#,
    r#" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    r#"<Override PartName="/xl/worksheets/sheet1.xml""#,
    r#" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#,
    r#"<Override PartName="/xl/styles.xml""#,
    r#" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    "</Types>",
);

/// The package's entry point: the workbook.
const PACKAGE_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1""#,
    r#" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument""#,
    r#" Target="xl/workbook.xml"/>"#,
    "</Relationships>",
);

/// The workbook's sheet (`rId1`, named in [`workbook`]) and styles.
const WORKBOOK_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1""#,
    r#" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet""#,
    r#" Target="worksheets/sheet1.xml"/>"#,
    r#"<Relationship Id="rId2""#,
    r#" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles""#,
    r#" Target="styles.xml"/>"#,
    "</Relationships>",
);

/// Three cell formats (`cellXfs`): 0 plain, 1 bold (the header), 2 `yyyy-mm-dd` (dates).
const STYLES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r#"<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts>"#,
    r#"<fonts count="2">"#,
    r#"<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>"#,
    r#"<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>"#,
    "</fonts>",
    r#"<fills count="2">"#,
    r#"<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>"#,
    "</fills>",
    r#"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
    r#"<cellXfs count="3">"#,
    r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>"#,
    r#"<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#,
    "</cellXfs>",
    r#"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
    "</styleSheet>",
);

/// The worksheet up to its rows, with the header row frozen.
const SHEET_HEAD: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r#"<sheetViews><sheetView workbookViewId="0">"#,
    r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#,
    "</sheetView></sheetViews>",
    "<sheetData>",
);

const SHEET_TAIL: &str = "</sheetData></worksheet>";

/// Writes the workbook; returns the number of data rows.
pub(super) fn write(download: &Download<'_>, input: impl Read, output: impl Write) -> Result<u64, FormatError> {
    let mut rows = Rows::open(input, download.structure)?;
    let mut zip = zip_stream::ZipStream::new(output);
    zip.add("[Content_Types].xml", CONTENT_TYPES.as_bytes())?;
    zip.add("_rels/.rels", PACKAGE_RELS.as_bytes())?;
    zip.add("xl/workbook.xml", &workbook(download.dataset)?)?;
    zip.add("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes())?;
    zip.add("xl/styles.xml", STYLES.as_bytes())?;

    let fields = &download.structure.fields;
    let columns: Vec<String> = (0..fields.len()).map(column_name).collect();
    let mut sheet = BufWriter::with_capacity(BUFFER_BYTES, zip.start("xl/worksheets/sheet1.xml")?);
    sheet.write_all(SHEET_HEAD.as_bytes())?;
    sheet.write_all(b"<row r=\"1\">")?;
    for (column, field) in columns.iter().zip(fields) {
        write_text_cell(&mut sheet, column, 1, HEADER_STYLE, &field.name)?;
    }
    sheet.write_all(b"</row>")?;
    while let Some((row, record)) = rows.next()? {
        if row > XLSX_MAX_ROWS {
            return Err(FormatError::TooManyRowsForXlsx { rows: row });
        }
        let sheet_row = row + 1;
        write!(sheet, "<row r=\"{sheet_row}\">")?;
        for ((column, field), cell) in columns.iter().zip(fields).zip(record.iter()) {
            write_cell(&mut sheet, column, sheet_row, field.field_type, cell)?;
        }
        sheet.write_all(b"</row>")?;
    }
    sheet.write_all(SHEET_TAIL.as_bytes())?;
    sheet.into_inner().map_err(|error| error.into_error())?.finish()?;
    zip.finish()?;
    Ok(rows.count)
}

/// `xl/workbook.xml`: one sheet, named after the data set.
fn workbook(dataset: &str) -> std::io::Result<Vec<u8>> {
    let mut xml = concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        "\n",
        r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#,
        r#" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
        r#"<sheets><sheet name=""#,
    )
    .as_bytes()
    .to_vec();
    write_attribute(&mut xml, &sheet_name(dataset))?;
    xml.extend_from_slice(br#"" sheetId="1" r:id="rId1"/></sheets></workbook>"#);
    Ok(xml)
}

/// A name Excel accepts: at most 31 characters, none of `:\/?*[]`, not starting or ending with `'`, not empty
/// and not the reserved `History`.
fn sheet_name(dataset: &str) -> String {
    let name: String = dataset
        .chars()
        .map(|c| if matches!(c, ':' | '\\' | '/' | '?' | '*' | '[' | ']') || c.is_control() { '_' } else { c })
        .take(SHEET_NAME_CHARS)
        .collect();
    let name = name.trim_matches('\'');
    if name.is_empty() || name.eq_ignore_ascii_case("history") {
        return "data".into();
    }
    name.into()
}

/// The column letters of a 0-based index: A..Z, AA..AZ, ...
fn column_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index + 1;
    while rest > 0 {
        rest -= 1;
        letters.push(b'A' + (rest % 26) as u8);
        rest /= 26;
    }
    letters.iter().rev().map(|&letter| char::from(letter)).collect()
}

/// One data cell, typed by its field (see the module doc); nothing for an empty cell.
fn write_cell(out: &mut impl Write, column: &str, row: u64, field_type: FieldType, cell: &str) -> std::io::Result<()> {
    if cell.is_empty() {
        return Ok(());
    }
    match field_type {
        FieldType::Integer | FieldType::Decimal => {
            let number = Number::parse(cell, field_type == FieldType::Decimal);
            if let Some(number) = number.filter(|number| number.significant_digits() <= EXCEL_DIGITS) {
                return write!(out, "<c r=\"{column}{row}\"><v>{number}</v></c>");
            }
        }
        FieldType::Boolean => {
            if let Some(value) = parse_boolean(cell) {
                return write!(out, "<c r=\"{column}{row}\" t=\"b\"><v>{}</v></c>", u8::from(value));
            }
        }
        FieldType::Date => {
            if let Some(serial) = date_serial(cell) {
                return write!(out, "<c r=\"{column}{row}\" s=\"{DATE_STYLE}\"><v>{serial}</v></c>");
            }
        }
        FieldType::String | FieldType::DateTime => {}
    }
    write_text_cell(out, column, row, 0, cell)
}

/// An inline-string cell.
fn write_text_cell(out: &mut impl Write, column: &str, row: u64, style: u8, text: &str) -> std::io::Result<()> {
    write!(out, "<c r=\"{column}{row}\" t=\"inlineStr\"")?;
    if style != 0 {
        write!(out, " s=\"{style}\"")?;
    }
    out.write_all(b"><is><t xml:space=\"preserve\">")?;
    write_excel_text(out, truncate_for_excel(text))?;
    out.write_all(b"</t></is></c>")
}

/// At most [`EXCEL_CELL_UNITS`] UTF-16 code units of `text`, cut at a character boundary.
fn truncate_for_excel(text: &str) -> &str {
    // A UTF-8 string has at least as many bytes as UTF-16 code units.
    if text.len() <= EXCEL_CELL_UNITS {
        return text;
    }
    let mut units = 0;
    for (index, c) in text.char_indices() {
        units += c.len_utf16();
        if units > EXCEL_CELL_UNITS {
            return &text[..index];
        }
    }
    text
}

/// Escaped text in which a literal `_xHHHH_` survives: Excel reads `_xHHHH_` as an escaped character, so the
/// underscore starting one is itself written escaped, `_x005F_`.
fn write_excel_text(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    let mut start = 0;
    for (index, _) in text.match_indices("_x") {
        let escape = text.as_bytes().get(index + 2..index + 7);
        if escape.is_some_and(|bytes| bytes[..4].iter().all(u8::is_ascii_hexdigit) && bytes[4] == b'_') {
            write_text(out, &text[start..index])?;
            out.write_all(b"_x005F_")?;
            start = index + 1;
        }
    }
    write_text(out, &text[start..])
}

/// The Excel serial of a `YYYY-MM-DD` date (days since 1899-12-30), for dates Excel shows correctly: from
/// 1900-03-01 (before it, Excel's 1900 leap-year bug shifts days) to 9999-12-31.
fn date_serial(text: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let shown_correctly = NaiveDate::from_ymd_opt(1900, 3, 1)?..=NaiveDate::from_ymd_opt(9999, 12, 31)?;
    if !shown_correctly.contains(&date) {
        return None;
    }
    Some((date - NaiveDate::from_ymd_opt(1899, 12, 30)?).num_days())
}

mod zip_stream {
    //! A zip archive written front to back, for outputs that cannot seek (APPNOTE 6.3): each entry is deflated
    //! with its CRC and sizes in a data descriptor after the data, and ZIP64 fields appear only where a size or
    //! offset needs them, as readers that go by the central directory (Excel, LibreOffice, Python's zipfile)
    //! expect. Every entry gets the same fixed timestamp, so a version always converts to the same bytes.

    use std::io::{self, Write};

    use flate2::write::DeflateEncoder;
    use flate2::{Compression, Crc};

    /// A size or offset at or above this is stored in a ZIP64 field (the 32-bit field then holds `u32::MAX`).
    const ZIP64_THRESHOLD: u64 = 0xFFFF_FFFF;
    const VERSION_DEFLATE: u16 = 20;
    const VERSION_ZIP64: u16 = 45;
    const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
    const METHOD_DEFLATE: u16 = 8;
    /// 1980-01-01 00:00, the earliest MS-DOS timestamp.
    const DOS_TIME: u16 = 0;
    const DOS_DATE: u16 = (1 << 5) | 1;
    /// Fast compression: a download is compressed as it is sent, so CPU matters more than a few percent of size.
    const LEVEL: u32 = 1;

    /// The archive being written.
    pub(super) struct ZipStream<W: Write> {
        out: Counted<W>,
        entries: Vec<Entry>,
        /// [`ZIP64_THRESHOLD`]; lowered in tests to exercise the ZIP64 records without writing 4 GiB.
        zip64_at: u64,
    }

    /// What the central directory records of a written entry.
    struct Entry {
        name: &'static str,
        crc: u32,
        compressed: u64,
        uncompressed: u64,
        offset: u64,
    }

    /// Counts what passes, for entry offsets and sizes.
    struct Counted<W> {
        inner: W,
        written: u64,
    }

    impl<W: Write> Write for Counted<W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let written = self.inner.write(buf)?;
            self.written += written as u64;
            Ok(written)
        }

        fn flush(&mut self) -> io::Result<()> {
            self.inner.flush()
        }
    }

    impl<W: Write> ZipStream<W> {
        pub(super) fn new(out: W) -> Self {
            ZipStream { out: Counted { inner: out, written: 0 }, entries: Vec::new(), zip64_at: ZIP64_THRESHOLD }
        }

        /// Adds an entry whose content is at hand.
        pub(super) fn add(&mut self, name: &'static str, content: &[u8]) -> io::Result<()> {
            let mut entry = self.start(name)?;
            entry.write_all(content)?;
            entry.finish()
        }

        /// Starts an entry: write its content into the returned writer, then call [`EntryWriter::finish`].
        pub(super) fn start(&mut self, name: &'static str) -> io::Result<EntryWriter<'_, W>> {
            let offset = self.out.written;
            let mut header = Vec::with_capacity(30 + name.len());
            put32(&mut header, 0x0403_4b50);
            put16(&mut header, VERSION_DEFLATE);
            put16(&mut header, FLAG_DATA_DESCRIPTOR);
            put16(&mut header, METHOD_DEFLATE);
            put16(&mut header, DOS_TIME);
            put16(&mut header, DOS_DATE);
            // CRC, compressed and uncompressed size: in the data descriptor.
            header.extend_from_slice(&[0; 12]);
            put16(&mut header, name.len() as u16);
            put16(&mut header, 0);
            header.extend_from_slice(name.as_bytes());
            self.out.write_all(&header)?;
            Ok(EntryWriter {
                data_start: self.out.written,
                encoder: DeflateEncoder::new(&mut self.out, Compression::new(LEVEL)),
                entries: &mut self.entries,
                zip64_at: self.zip64_at,
                crc: Crc::new(),
                uncompressed: 0,
                name,
                offset,
            })
        }

        /// Writes the central directory and returns the output.
        pub(super) fn finish(mut self) -> io::Result<W> {
            let directory_start = self.out.written;
            let mut directory = Vec::new();
            for entry in &self.entries {
                let large: Vec<u64> = [entry.uncompressed, entry.compressed, entry.offset]
                    .into_iter()
                    .filter(|&value| value >= self.zip64_at)
                    .collect();
                let version = if large.is_empty() { VERSION_DEFLATE } else { VERSION_ZIP64 };
                put32(&mut directory, 0x0201_4b50);
                put16(&mut directory, version);
                put16(&mut directory, version);
                put16(&mut directory, FLAG_DATA_DESCRIPTOR);
                put16(&mut directory, METHOD_DEFLATE);
                put16(&mut directory, DOS_TIME);
                put16(&mut directory, DOS_DATE);
                put32(&mut directory, entry.crc);
                put32(&mut directory, self.capped(entry.compressed));
                put32(&mut directory, self.capped(entry.uncompressed));
                put16(&mut directory, entry.name.len() as u16);
                put16(&mut directory, if large.is_empty() { 0 } else { 4 + 8 * large.len() as u16 });
                // Comment length, disk number, internal and external attributes.
                directory.extend_from_slice(&[0; 10]);
                put32(&mut directory, self.capped(entry.offset));
                directory.extend_from_slice(entry.name.as_bytes());
                if !large.is_empty() {
                    put16(&mut directory, 0x0001);
                    put16(&mut directory, 8 * large.len() as u16);
                    large.iter().for_each(|&value| put64(&mut directory, value));
                }
            }
            self.out.write_all(&directory)?;
            let directory_size = directory.len() as u64;
            let count = self.entries.len() as u64;

            let mut end = Vec::new();
            if directory_start >= self.zip64_at || directory_size >= self.zip64_at {
                let zip64_end_start = self.out.written;
                put32(&mut end, 0x0606_4b50);
                put64(&mut end, 44);
                put16(&mut end, VERSION_ZIP64);
                put16(&mut end, VERSION_ZIP64);
                put32(&mut end, 0);
                put32(&mut end, 0);
                put64(&mut end, count);
                put64(&mut end, count);
                put64(&mut end, directory_size);
                put64(&mut end, directory_start);
                put32(&mut end, 0x0706_4b50);
                put32(&mut end, 0);
                put64(&mut end, zip64_end_start);
                put32(&mut end, 1);
            }
            put32(&mut end, 0x0605_4b50);
            put32(&mut end, 0);
            put16(&mut end, count as u16);
            put16(&mut end, count as u16);
            put32(&mut end, self.capped(directory_size));
            put32(&mut end, self.capped(directory_start));
            put16(&mut end, 0);
            self.out.write_all(&end)?;
            self.out.flush()?;
            Ok(self.out.inner)
        }

        /// A value for a 32-bit field: itself, or the marker saying the ZIP64 field holds it.
        fn capped(&self, value: u64) -> u32 {
            if value >= self.zip64_at {
                u32::MAX
            } else {
                value as u32
            }
        }
    }

    /// The content of one entry being written.
    pub(super) struct EntryWriter<'a, W: Write> {
        encoder: DeflateEncoder<&'a mut Counted<W>>,
        entries: &'a mut Vec<Entry>,
        zip64_at: u64,
        crc: Crc,
        uncompressed: u64,
        name: &'static str,
        offset: u64,
        data_start: u64,
    }

    impl<W: Write> EntryWriter<'_, W> {
        /// Ends the entry: the rest of the compressed data, then the data descriptor.
        pub(super) fn finish(self) -> io::Result<()> {
            let out = self.encoder.finish()?;
            let compressed = out.written - self.data_start;
            let mut descriptor = Vec::with_capacity(24);
            put32(&mut descriptor, 0x0807_4b50);
            put32(&mut descriptor, self.crc.sum());
            if compressed >= self.zip64_at || self.uncompressed >= self.zip64_at {
                put64(&mut descriptor, compressed);
                put64(&mut descriptor, self.uncompressed);
            } else {
                put32(&mut descriptor, compressed as u32);
                put32(&mut descriptor, self.uncompressed as u32);
            }
            out.write_all(&descriptor)?;
            self.entries.push(Entry {
                name: self.name,
                crc: self.crc.sum(),
                compressed,
                uncompressed: self.uncompressed,
                offset: self.offset,
            });
            Ok(())
        }
    }

    impl<W: Write> Write for EntryWriter<'_, W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let written = self.encoder.write(buf)?;
            self.crc.update(&buf[..written]);
            self.uncompressed += written as u64;
            Ok(written)
        }

        /// Nothing to do: compressed data reaches the output as the encoder produces it, and
        /// [`EntryWriter::finish`] writes the rest (a deflate flush here would only add sync markers).
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn put16(buffer: &mut Vec<u8>, value: u16) {
        buffer.extend_from_slice(&value.to_le_bytes());
    }

    fn put32(buffer: &mut Vec<u8>, value: u32) {
        buffer.extend_from_slice(&value.to_le_bytes());
    }

    fn put64(buffer: &mut Vec<u8>, value: u64) {
        buffer.extend_from_slice(&value.to_le_bytes());
    }

    #[cfg(test)]
    mod tests {
        use std::io::{Cursor, Read, Write};

        use super::ZipStream;

        fn archive(zip64_at: u64) -> Vec<u8> {
            let mut zip = ZipStream::new(Vec::new());
            zip.zip64_at = zip64_at;
            zip.add("a.txt", b"hello").expect("adds");
            let mut entry = zip.start("b/c.xml").expect("starts");
            for line in 0..10_000 {
                writeln!(entry, "<line n=\"{line}\"/>").expect("writes");
            }
            entry.finish().expect("finishes");
            zip.finish().expect("finishes")
        }

        fn contents(bytes: Vec<u8>) -> Vec<(String, String)> {
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable zip");
            (0..archive.len())
                .map(|index| {
                    let mut entry = archive.by_index(index).expect("an entry");
                    let mut text = String::new();
                    entry.read_to_string(&mut text).expect("crc and size match");
                    (entry.name().to_string(), text)
                })
                .collect()
        }

        #[test]
        fn entries_read_back_with_and_without_zip64_records() {
            let plain = archive(super::ZIP64_THRESHOLD);
            let zip64 = archive(0);
            assert!(zip64.len() > plain.len(), "zip64 records are only written past the threshold");
            for bytes in [plain, zip64] {
                let entries = contents(bytes);
                assert_eq!(entries.len(), 2);
                assert_eq!(entries[0], ("a.txt".to_string(), "hello".to_string()));
                assert_eq!(entries[1].0, "b/c.xml");
                assert!(entries[1].1.ends_with("<line n=\"9999\"/>\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::super::testdata::{self, Counting, Generated};
    use super::super::{convert, Download, FormatError, TabularFormat};
    use super::*;

    fn workbook_parts(dataset: &str, input: &str) -> (u64, zip::ZipArchive<Cursor<Vec<u8>>>) {
        let structure = testdata::structure();
        let download = Download { dataset, version: 1, structure: &structure };
        let mut output = Vec::new();
        let rows = convert(TabularFormat::Xlsx, &download, input.as_bytes(), &mut output).expect("converts");
        (rows, zip::ZipArchive::new(Cursor::new(output)).expect("a readable zip"))
    }

    fn part(archive: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> String {
        let mut text = String::new();
        archive.by_name(name).expect(name).read_to_string(&mut text).expect("utf-8, crc checked");
        text
    }

    #[test]
    fn the_workbook_has_every_part_and_typed_cells() {
        let (rows, mut archive) = workbook_parts("ish-o'rinlari", testdata::SAMPLE);
        assert_eq!(rows, 4);
        let mut names: Vec<_> = archive.file_names().map(String::from).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml",
                "xl/workbook.xml",
                "xl/worksheets/sheet1.xml"
            ]
        );
        assert!(part(&mut archive, "xl/workbook.xml").contains("<sheet name=\"ish-o'rinlari\" sheetId=\"1\""));
        let sheet = part(&mut archive, "xl/worksheets/sheet1.xml");
        assert!(sheet.ends_with("</row></sheetData></worksheet>"));
        assert_eq!(sheet.matches("<row ").count(), 5);
        let expected = [
            r#"<c r="A1" t="inlineStr" s="1"><is><t xml:space="preserve">id</t></is></c>"#,
            r#"<c r="A2"><v>1</v></c>"#,
            r#"<c r="B2" t="inlineStr"><is><t xml:space="preserve">Toshkent, &quot;markaz&quot;</t></is></c>"#,
            r#"<c r="C2"><v>-12.50</v></c>"#,
            r#"<c r="D2" t="b"><v>1</v></c>"#,
            r#"<c r="E2" s="2"><v>46350</v></c>"#,
            r#"<c r="F2" t="inlineStr"><is><t xml:space="preserve">2026-11-24T09:30:00+05:00</t></is></c>"#,
            r#"<c r="A3"><v>7</v></c>"#,
            r#"<t xml:space="preserve">Самарқанд"#,
            r#"<c r="C3"><v>0.5</v></c><c r="D3" t="b"><v>0</v></c>"#,
            r#"<c r="E3" t="inlineStr"><is><t xml:space="preserve">1899-01-01</t></is></c></row>"#,
            r#"<row r="4"><c r="A4"><v>3</v></c></row>"#,
            r#"<c r="C5" t="inlineStr"><is><t xml:space="preserve">123456789012345678</t></is></c>"#,
            r#"<c r="B5" t="inlineStr"><is><t xml:space="preserve">x�y</t></is></c>"#,
        ];
        for cell in expected {
            assert!(sheet.contains(cell), "{cell} in {sheet}");
        }
    }

    #[test]
    fn past_the_row_limit_the_conversion_fails_without_finishing_the_zip() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut output = Vec::new();
        let result = convert(TabularFormat::Xlsx, &download, Generated::new(XLSX_MAX_ROWS + 1), &mut output);
        assert!(matches!(result, Err(FormatError::TooManyRowsForXlsx { rows }) if rows == XLSX_MAX_ROWS + 1));
        assert!(zip::ZipArchive::new(Cursor::new(output)).is_err(), "no central directory, no workbook");
    }

    #[test]
    fn a_large_file_streams_through() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut sink = Counting::default();
        let rows = convert(TabularFormat::Xlsx, &download, Generated::new(200_000), &mut sink);
        assert_eq!(rows.ok(), Some(200_000));
    }

    #[test]
    fn sheet_names_follow_excels_rules() {
        assert_eq!(sheet_name("ish-o'rinlari"), "ish-o'rinlari");
        assert_eq!(sheet_name(&"a".repeat(40)), "a".repeat(31));
        assert_eq!(sheet_name("a/b:c[d]"), "a_b_c_d_");
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name("History"), "data");
        assert_eq!(sheet_name(""), "data");
    }

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        let names: Vec<_> = [0, 25, 26, 51, 52, 701, 702].into_iter().map(column_name).collect();
        assert_eq!(names, ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn dates_become_serials_only_where_excel_shows_them_right() {
        assert_eq!(date_serial("1900-03-01"), Some(61));
        assert_eq!(date_serial("2026-11-24"), Some(46350));
        assert_eq!(date_serial("1900-02-28"), None);
        assert_eq!(date_serial("24.11.2026"), None);
    }

    #[test]
    fn text_is_cut_to_excels_limit_and_keeps_literal_escapes() {
        let long = "ж".repeat(40_000);
        assert_eq!(truncate_for_excel(&long).chars().count(), EXCEL_CELL_UNITS);
        let mut out = Vec::new();
        write_excel_text(&mut out, "a_x0041_b _x12 _x00e9_").expect("writes to a vec");
        assert_eq!(String::from_utf8(out).expect("utf-8"), "a_x005F_x0041_b _x12 _x005F_x00e9_");
    }
}
