//! XML downloads: `<dataset name=".." version="N">` holding one `<record>` per row and, in it, one element per
//! field named after the field (`<region>Toshkent</region>`; an empty cell is `<region/>`). Cells are written as
//! they are stored, as text.
//!
//! Also the XML escaping the workbook uses: `&`, `<`, `>` and `"` become entities, a carriage return becomes
//! `&#13;` (a parser would otherwise turn `\r\n` into `\n`), and characters XML 1.0 forbids (control characters
//! other than tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so any cell gives a well-formed
//! document.

use std::io::{self, BufWriter, Read, Write};

use super::{Download, FormatError, Rows, BUFFER_BYTES};

/// Writes the XML document; returns the number of records.
pub(super) fn write(download: &Download<'_>, input: impl Read, output: impl Write) -> Result<u64, FormatError> {
    let mut rows = Rows::open(input, download.structure)?;
    let mut out = BufWriter::with_capacity(BUFFER_BYTES, output);
    let names: Vec<&str> = download.structure.names().collect();
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dataset name=\"")?;
    write_attribute(&mut out, download.dataset)?;
    writeln!(out, "\" version=\"{}\">", download.version)?;
    while let Some((_, record)) = rows.next()? {
        out.write_all(b"<record>")?;
        // Field names are `[a-z][a-z0-9_]*`: valid element names as they are.
        for (name, cell) in names.iter().zip(record.iter()) {
            if cell.is_empty() {
                write!(out, "<{name}/>")?;
            } else {
                write!(out, "<{name}>")?;
                write_text(&mut out, cell)?;
                write!(out, "</{name}>")?;
            }
        }
        out.write_all(b"</record>\n")?;
    }
    out.write_all(b"</dataset>\n")?;
    out.flush()?;
    Ok(rows.count)
}

/// Writes `text` as element content.
pub(super) fn write_text(out: &mut impl Write, text: &str) -> io::Result<()> {
    write_escaped(out, text, false)
}

/// Writes `text` as a double-quoted attribute value; tab and newline are kept as character references, since a
/// parser turns them into spaces in attributes.
pub(super) fn write_attribute(out: &mut impl Write, text: &str) -> io::Result<()> {
    write_escaped(out, text, true)
}

fn write_escaped(out: &mut impl Write, text: &str, attribute: bool) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let (replacement, width) = match bytes[index] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\r' => ("&#13;", 1),
            b'\t' if attribute => ("&#9;", 1),
            b'\n' if attribute => ("&#10;", 1),
            b'\t' | b'\n' => {
                index += 1;
                continue;
            }
            0..=0x1f => ("\u{FFFD}", 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xef if bytes.get(index + 1) == Some(&0xbf) && matches!(bytes.get(index + 2), Some(0xbe | 0xbf)) => {
                ("\u{FFFD}", 3)
            }
            _ => {
                index += 1;
                continue;
            }
        };
        out.write_all(&bytes[start..index])?;
        out.write_all(replacement.as_bytes())?;
        index += width;
        start = index;
    }
    out.write_all(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self, Counting, Generated};
    use super::super::{convert, Download, TabularFormat};

    fn escaped(text: &str, attribute: bool) -> String {
        let mut out = Vec::new();
        super::write_escaped(&mut out, text, attribute).expect("writes to a vec");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(escaped("a<b>&\"c\"", false), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(escaped("x\u{0}\u{1b}y\u{FFFE}\u{FFFF}z", false), "x\u{FFFD}\u{FFFD}y\u{FFFD}\u{FFFD}z");
        assert_eq!(escaped("a\tb\r\nc", false), "a\tb&#13;\nc");
        assert_eq!(escaped("a\tb\nc", true), "a&#9;b&#10;c");
        assert_eq!(escaped("Самарқанд \u{7f} \u{FFFD} \u{1F600}", false), "Самарқанд \u{7f} \u{FFFD} \u{1F600}");
    }

    #[test]
    fn every_row_becomes_a_record_of_its_fields() {
        let structure = testdata::structure();
        let download = Download { dataset: "ish-o'rinlari", version: 3, structure: &structure };
        let mut output = Vec::new();
        let rows = convert(TabularFormat::Xml, &download, testdata::SAMPLE.as_bytes(), &mut output);
        assert_eq!(rows.ok(), Some(4));
        let text = String::from_utf8(output).expect("utf-8");
        assert!(text.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dataset name=\"ish-o'rinlari\" version=\"3\">\n"
        ));
        assert!(text.ends_with("</record>\n</dataset>\n"));
        assert_eq!(text.matches("<record>").count(), 4);
        assert_eq!(text.matches("</record>").count(), 4);
        assert!(text.contains(
            "<record><id>1</id><name>Toshkent, &quot;markaz&quot;</name><amount>-12.50</amount><active>true</active>\
             <day>2026-11-24</day><at>2026-11-24T09:30:00+05:00</at></record>"
        ));
        assert!(text.contains("<name>Самарқанд\nвилояти &lt;&amp;&gt;</name>"));
        assert!(text.contains("<record><id>3</id><name/><amount/><active/><day/><at/></record>"));
        assert!(text.contains("<name>x\u{FFFD}y</name>"));
    }

    #[test]
    fn a_large_file_streams_through() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut sink = Counting::default();
        let rows = convert(TabularFormat::Xml, &download, Generated::new(200_000), &mut sink);
        assert_eq!(rows.ok(), Some(200_000));
    }
}
