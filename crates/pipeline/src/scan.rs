//! The leak scanner: searches every place bytes can hide in a delivery for anything that
//! reads as a personnummer or samordningsnummer, in any written form.
//!
//! Places: file and folder names; every non-Parquet file as text (the manifest); in each
//! Parquet file the key-value metadata (including the embedded Arrow schema, decoded), the
//! schema's column names and field metadata, every row group's column statistics, and every
//! value of every column — strings, binary, integers, decimals, dates, dictionary-encoded and
//! nested — formatted as text (integers and dates that cannot print ten digits in a row are
//! checked by value, unprinted). Findings name the place, never the value.

use crate::PipelineError;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Type as PhysicalType;
use hdab_pseudonymise::{contains_person_id, may_contain_person_id};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where an identifier-like value was found (the value itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub place: String,
}

/// Scans a folder (a delivery) recursively. `Ok(vec![])` means nothing was found. The
/// files are scanned at once on the machine's cores (a delivery has a file per partition);
/// findings come in path order whatever the order the scans finish in.
pub fn scan_delivery(folder: &Path) -> Result<Vec<Finding>, PipelineError> {
    let mut findings = Vec::new();
    let mut files = Vec::new();
    walk(folder, folder, &mut findings, &mut files)?;
    let per_file: Vec<Result<Vec<Finding>, PipelineError>> = files
        .par_iter()
        .map(|(path, rel)| scan_file(path, rel))
        .collect();
    for found in per_file {
        findings.extend(found?);
    }
    Ok(findings)
}

/// Checks every name under `dir` and lists its files (path, path relative to `root`).
fn walk(
    root: &Path,
    dir: &Path,
    findings: &mut Vec<Finding>,
    files: &mut Vec<(PathBuf, String)>,
) -> Result<(), PipelineError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| PipelineError::io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if contains_person_id(&rel) {
            findings.push(Finding {
                place: "a file or folder name".into(),
            });
        }
        if path.is_dir() {
            walk(root, &path, findings, files)?;
        } else {
            files.push((path, rel));
        }
    }
    Ok(())
}

fn scan_file(path: &Path, rel: &str) -> Result<Vec<Finding>, PipelineError> {
    let mut findings = Vec::new();
    if path.extension().and_then(|e| e.to_str()) == Some("parquet") {
        scan_parquet(path, rel, &mut findings)?;
    } else {
        let bytes = std::fs::read(path).map_err(|e| PipelineError::io(path, e))?;
        if text_reads_as_person_id(&bytes) {
            findings.push(Finding { place: rel.into() });
        }
    }
    Ok(findings)
}

/// Whether a text file's bytes (the manifest) hold what reads as a personnummer, hdab's own
/// hexadecimal digests aside.
pub(crate) fn text_reads_as_person_id(bytes: &[u8]) -> bool {
    contains_person_id(&mask_hex_digests(&String::from_utf8_lossy(bytes)))
}

/// Replaces hexadecimal digests (exactly 16 or 64 hex characters with at least one letter,
/// as hdab writes key ids, checksums and spec digests) by `#`: their digit runs are chance,
/// and about one SHA-256 in three hundred holds a run that would read as a personnummer.
/// Only the manifest and key-value metadata hold such digests; data values are scanned as is.
fn mask_hex_digests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_hexdigit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                i += 1;
            }
            let token = &text[start..i];
            let ends_clean = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
            let is_digest = ends_clean
                && (token.len() == 16 || token.len() == 64)
                && token
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && token.bytes().any(|b| b.is_ascii_alphabetic());
            out.push_str(if is_digest { "#" } else { token });
        } else {
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

/// Scans one text and records the place if it holds an identifier.
fn check(text: &str, place: impl FnOnce() -> String, findings: &mut Vec<Finding>) {
    if contains_person_id(text) {
        findings.push(Finding { place: place() });
    }
}

fn scan_parquet(path: &Path, rel: &str, findings: &mut Vec<Finding>) -> Result<(), PipelineError> {
    let file = std::fs::File::open(path).map_err(|e| PipelineError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let metadata = builder.metadata().clone();
    for kv in metadata
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
    {
        let value = kv.value.clone().unwrap_or_default();
        check(&kv.key, || format!("{rel}: a metadata key"), findings);
        check(
            &mask_hex_digests(&value),
            || format!("{rel}: metadata '{}'", kv.key),
            findings,
        );
        if kv.key == "ARROW:schema" {
            // The embedded Arrow schema is base64 of an IPC message: decode and look inside.
            if let Ok(bytes) = data_encoding::BASE64.decode(value.as_bytes()) {
                check(
                    &mask_hex_digests(&String::from_utf8_lossy(&bytes)),
                    || format!("{rel}: the embedded Arrow schema"),
                    findings,
                );
            }
        }
    }
    // The schema's Debug text repeats the key-value metadata (key id, spec digest).
    check(
        &mask_hex_digests(&format!("{:?}", builder.schema())),
        || format!("{rel}: the schema (names or field metadata)"),
        findings,
    );
    for (g, rg) in metadata.row_groups().iter().enumerate() {
        for c in rg.columns() {
            let Some(stats) = c.statistics() else {
                continue;
            };
            for bytes in [stats.min_bytes_opt(), stats.max_bytes_opt()]
                .into_iter()
                .flatten()
            {
                let text = match stats.physical_type() {
                    PhysicalType::INT32 if bytes.len() == 4 => {
                        i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]).to_string()
                    }
                    PhysicalType::INT64 if bytes.len() == 8 => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(bytes);
                        i64::from_le_bytes(b).to_string()
                    }
                    _ => String::from_utf8_lossy(bytes).to_string(),
                };
                check(
                    &text,
                    || {
                        format!(
                            "{rel}: statistics of '{}' in row group {g}",
                            c.column_path()
                        )
                    },
                    findings,
                );
            }
        }
    }
    let reader = builder.build()?;
    let options = FormatOptions::default();
    let mut buf = String::new();
    let mut row0 = 0usize;
    for batch in reader {
        let batch = batch?;
        for (i, field) in batch.schema().fields().iter().enumerate() {
            let column = batch.column(i);
            let place = |r: usize| format!("{rel}: column '{}' row {}", field.name(), row0 + r + 1);
            match column.data_type() {
                // Text and bytes: the column's whole buffer is looked at first, and each
                // value only where it might hold one (see `may_contain_person_id`).
                DataType::Utf8 => {
                    let strings = column.as_string::<i32>();
                    if !may_contain_person_id(used_bytes(
                        strings.value_data(),
                        strings.value_offsets(),
                    )) {
                        continue;
                    }
                    for (r, v) in strings.iter().enumerate() {
                        if let Some(v) = v {
                            check(v, || place(r), findings);
                        }
                    }
                }
                DataType::Binary => {
                    let bytes = column.as_binary::<i32>();
                    if !may_contain_person_id(used_bytes(bytes.value_data(), bytes.value_offsets()))
                    {
                        continue;
                    }
                    for (r, v) in bytes.iter().enumerate() {
                        if let Some(v) = v {
                            check(&String::from_utf8_lossy(v), || place(r), findings);
                        }
                    }
                }
                _ => {
                    // Everything else (numbers, dates, decimals, dictionaries, lists, structs)
                    // as the text a reader would print; integers and dates only where their
                    // text could hold ten digits in a row (see `may_print_ten_digits`).
                    let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
                    let suspect = may_print_ten_digits(column.as_ref());
                    for r in (0..column.len()).filter(|&r| suspect(r)) {
                        buf.clear();
                        let _ = write!(buf, "{}", formatter.value(r));
                        check(&buf, || place(r), findings);
                    }
                }
            }
        }
        row0 += batch.num_rows();
    }
    Ok(())
}

/// The part of a string or binary array's value buffer its offsets use (a slice of an
/// array may share a larger buffer).
fn used_bytes<'a>(data: &'a [u8], offsets: &[i32]) -> &'a [u8] {
    let (Some(first), Some(last)) = (offsets.first(), offsets.last()) else {
        return &[];
    };
    data.get(*first as usize..*last as usize).unwrap_or(data)
}

/// Which values of `column` must be printed and checked. A personnummer needs ten digits
/// in a row (separators `-`/`+` allowed); an integer below 10^9 in magnitude prints at most
/// nine, and a date of the years 0–9999 prints as `YYYY-MM-DD` (eight), so neither can read
/// as one: those are checked by their value, without printing (the whole-register profile
/// spent a tenth of its time formatting dates). Every other value of every other type is
/// printed and checked, as a reader would see it.
fn may_print_ten_digits(column: &dyn Array) -> Box<dyn Fn(usize) -> bool + '_> {
    use datafusion::arrow::datatypes::{
        Date32Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
        UInt64Type,
    };
    const TEN_DIGITS: u64 = 1_000_000_000;
    // 0000-01-01 and 9999-12-31, in days since 1970-01-01.
    const DAYS: std::ops::RangeInclusive<i32> = -719_528..=2_932_896;
    macro_rules! by_size {
        ($t:ty) => {{
            let a = column.as_primitive::<$t>();
            Box::new(move |r| {
                a.is_valid(r) && (a.value(r) as i128).unsigned_abs() >= TEN_DIGITS as u128
            })
        }};
    }
    match column.data_type() {
        DataType::Int8 => by_size!(Int8Type),
        DataType::Int16 => by_size!(Int16Type),
        DataType::Int32 => by_size!(Int32Type),
        DataType::Int64 => by_size!(Int64Type),
        DataType::UInt8 => by_size!(UInt8Type),
        DataType::UInt16 => by_size!(UInt16Type),
        DataType::UInt32 => by_size!(UInt32Type),
        DataType::UInt64 => by_size!(UInt64Type),
        DataType::Date32 => {
            let a = column.as_primitive::<Date32Type>();
            Box::new(move |r| a.is_valid(r) && !DAYS.contains(&a.value(r)))
        }
        _ => Box::new(|_| true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        ArrayRef, BinaryArray, Date32Array, Decimal128Array, DictionaryArray, Int32Array,
        Int64Array, ListArray, StringArray, UInt64Array,
    };
    use datafusion::arrow::datatypes::{Field, Int32Type, Int64Type, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::metadata::KeyValue;
    use datafusion::parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    fn write(dir: &Path, name: &str, column: ArrayRef, kv: Option<(&str, &str)>) {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "x",
            column.data_type().clone(),
            true,
        )]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![column]).unwrap_or_else(|e| panic!("{e}"));
        let props = WriterProperties::builder()
            .set_key_value_metadata(kv.map(|(k, v)| vec![KeyValue::new(k.into(), v.to_string())]))
            .build();
        let f = std::fs::File::create(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let mut w = ArrowWriter::try_new(f, schema, Some(props)).unwrap_or_else(|e| panic!("{e}"));
        w.write(&batch).unwrap_or_else(|e| panic!("{e}"));
        w.close().unwrap_or_else(|e| panic!("{e}"));
    }

    fn finds(column: ArrayRef, kv: Option<(&str, &str)>) -> usize {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(dir.path(), "part.parquet", column, kv);
        scan_delivery(dir.path())
            .map(|f| f.len())
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn finds_identifiers_in_every_physical_type() {
        let clean = |a: ArrayRef| assert_eq!(finds(a, None), 0);
        clean(Arc::new(StringArray::from(vec![
            "kx4m2a7bq3zz5w6y2e4r5t6y7u2i3o4p",
            "I219",
        ])));
        clean(Arc::new(Int64Array::from(vec![
            5,
            17,
            999_999_999,
            -999_999_999,
        ])));
        clean(Arc::new(Date32Array::from(vec![
            0, 19_813, -719_528, 2_932_896,
        ])));
        let found = |a: ArrayRef| assert!(finds(a, None) > 0);
        found(Arc::new(StringArray::from(vec!["note: 19121212-1212"])));
        found(Arc::new(Int64Array::from(vec![191212121212])));
        found(Arc::new(Int64Array::from(vec![-191212121212])));
        found(Arc::new(Int32Array::from(vec![1212121212])));
        found(Arc::new(UInt64Array::from(vec![191212121212])));
        // A date far outside the years 0–9999 is printed and checked like any other value
        // (day 698,458,735,000 would not fit: the scanner checks what the formatter prints).
        let far = Date32Array::from(vec![i32::MAX]);
        let printed = ArrayFormatter::try_new(&far, &FormatOptions::default())
            .map(|f| f.value(0).to_string())
            .unwrap_or_default();
        assert_eq!(
            finds(Arc::new(far), None) > 0,
            contains_person_id(&printed),
            "{printed}"
        );
        found(Arc::new(BinaryArray::from(vec![b"121212+1212".as_ref()])));
        found(Arc::new(
            Decimal128Array::from(vec![1912121212120])
                .with_precision_and_scale(15, 1)
                .unwrap_or_else(|e| panic!("{e}")),
        ));
        let dict: DictionaryArray<Int32Type> = vec!["a", "191212121212"].into_iter().collect();
        found(Arc::new(dict));
        found(Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
            vec![Some(vec![Some(1), Some(191212121212)])],
        )));
    }

    #[test]
    fn digests_are_masked_but_identifiers_next_to_them_are_not() {
        let digest = "0123456789abcdef1912121212125555aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert!(contains_person_id(digest));
        assert!(!contains_person_id(&mask_hex_digests(&format!(
            "{{\"sha256\": \"{digest}\"}}"
        ))));
        assert!(contains_person_id(&mask_hex_digests(&format!(
            "{digest} 191212121212"
        ))));
        assert!(contains_person_id(&mask_hex_digests("191212121212")));
    }

    #[test]
    fn finds_identifiers_in_metadata_and_names() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        assert!(finds(a.clone(), Some(("hdab.note", "1212121212"))) > 0);
        // A key id whose digits happen to read as a personnummer is a digest, not a leak
        // (seen in a demo run: key id 2a6a91103146075e).
        assert_eq!(
            finds(a.clone(), Some(("hdab.key_id", "2a6a91103146075e"))),
            0
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(dir.path(), "19121212-1212.parquet", a, None);
        assert!(!scan_delivery(dir.path()).unwrap_or_default().is_empty());
    }
}
