//! CSV downloads: the stored canonical file, copied through byte for byte (nothing is normalised), counting
//! its data rows on the way.

use std::io::{ErrorKind, Read, Write};

use super::{FormatError, BUFFER_BYTES};

/// Copies `input` to `output` unchanged; returns the number of data rows (records under the header).
pub(super) fn copy(mut input: impl Read, mut output: impl Write) -> Result<u64, FormatError> {
    let mut buffer = vec![0; BUFFER_BYTES];
    let mut rows = RowCounter::default();
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        rows.feed(&buffer[..read]);
        output.write_all(&buffer[..read])?;
    }
    output.flush()?;
    Ok(rows.data_rows())
}

/// Counts RFC 4180 records: line ends outside quotes. A doubled quote inside a quoted cell toggles twice, so
/// tracking quote parity is enough.
#[derive(Debug, Default)]
struct RowCounter {
    in_quotes: bool,
    line_ends: u64,
    /// Whether bytes follow the last line end (a last record without a line end).
    open_line: bool,
}

impl RowCounter {
    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => {
                    self.line_ends += 1;
                    self.open_line = false;
                    continue;
                }
                _ => {}
            }
            self.open_line = true;
        }
    }

    /// Records less the header.
    fn data_rows(&self) -> u64 {
        (self.line_ends + u64::from(self.open_line)).saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self, Counting, Generated};
    use super::super::{convert, Download, TabularFormat};

    #[test]
    fn the_stored_file_is_copied_byte_for_byte_and_its_rows_counted() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut output = Vec::new();
        let rows = convert(TabularFormat::Csv, &download, testdata::SAMPLE.as_bytes(), &mut output);
        assert_eq!(rows.ok(), Some(4), "a newline inside quotes is not a row");
        assert_eq!(output, testdata::SAMPLE.as_bytes());
    }

    #[test]
    fn a_last_row_without_a_line_end_still_counts() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        for (input, expected) in [("h\n1\n2", 2), ("h\n1\n2\n", 2), ("h\n", 0), ("", 0), ("h\n\"a\"\"\nb\"\n", 1)] {
            let rows = convert(TabularFormat::Csv, &download, input.as_bytes(), Vec::new());
            assert_eq!(rows.ok(), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn a_large_file_streams_through() {
        let structure = testdata::structure();
        let download = Download { dataset: "d", version: 1, structure: &structure };
        let mut sink = Counting::default();
        let rows = convert(TabularFormat::Csv, &download, Generated::new(200_000), &mut sink);
        assert_eq!(rows.ok(), Some(200_000));
        assert!(sink.0 > 200_000 * 50);
    }
}
