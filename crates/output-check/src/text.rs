//! Identifying content in any text: personnummer and samordningsnummer in every written
//! form (the pipeline's own detector), and any pseudonym delivered under the permit (a
//! pseudonym that leaves the SPE is a key for linking the release to the data).

use crate::{Context, Finding, Place, Rule, Table};
use hdab_pseudonymise::contains_person_id;

/// A pseudonym's length: 32 characters of lower-case base32.
const PSEUDONYM_LEN: usize = 32;

/// The identifying rules over `text`; `place` says where a hit is, from the byte offset of
/// the word (a pseudonym) or of the line (a personnummer) within `text`.
pub(crate) fn scan_str(
    text: &str,
    context: &Context<'_>,
    place: &dyn Fn(usize) -> Place,
    out: &mut Vec<Finding>,
) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if contains_person_id(line) {
            out.push(Finding {
                rule: Rule::PersonId,
                place: place(offset),
                why: "reads as a personnummer or samordningsnummer".into(),
            });
        }
        if let Some(pseudonyms) = context.pseudonyms {
            for (start, word) in words(line) {
                if word.len() == PSEUDONYM_LEN && pseudonyms.contains(&word.to_ascii_lowercase()) {
                    out.push(Finding {
                        rule: Rule::Pseudonym,
                        place: place(offset + start),
                        why: "a pseudonym of this permit: it would link the release to the delivered data".into(),
                    });
                }
            }
        }
        offset += line.len();
    }
}

/// Runs of base32 characters, with their byte offsets.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let mut rest = line;
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = rest.find(is_word)?;
        let len = rest[start..]
            .find(|c: char| !is_word(c))
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + len];
        let found = (at + start, word);
        at += start + len;
        rest = &rest[start + len..];
        Some(found)
    })
}

/// A text file, line by line.
pub(crate) fn scan_text(bytes: &[u8], context: &Context<'_>, out: &mut Vec<Finding>) {
    let text = String::from_utf8_lossy(bytes);
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let place = |offset: usize| {
        let line = line_starts.partition_point(|&s| s <= offset);
        Place::Line {
            line,
            offset: line_starts[line - 1],
        }
    };
    scan_str(&text, context, &place, out);
}

/// A table, cell by cell (and its header).
pub(crate) fn scan_table(table: &Table, context: &Context<'_>, out: &mut Vec<Finding>) {
    for (c, h) in table.header.iter().enumerate() {
        scan_str(
            h,
            context,
            &|_| Place::Column {
                column: table.header[c].clone(),
            },
            out,
        );
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let place = |_| Place::Cell {
                row: r + 1,
                row_label: format!("row {}", r + 1),
                column: table.header[c].clone(),
            };
            scan_str(cell, context, &place, out);
        }
    }
}
