//! The same inputs give the same delivery: file for file, name for name and byte for byte,
//! however the threads of a multi-partition run happen to be scheduled.

use crate::support::{Hdab, repo};
use arrow::array::{ArrayRef, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

const PERMIT: &str = "P-2026-0001";

/// The sample prescribed-drug register eight times over, as a Parquet upload of several row
/// groups, uncompressed: large enough that DataFusion splits it between two partitions.
fn big_parquet(path: &std::path::Path) {
    let text = std::fs::read_to_string(repo().join("sample-data/lakemedel.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let columns: Vec<(&str, ArrayRef)> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<&str> = (0..8)
                .flat_map(|_| rows.iter().map(move |r| r.get(i).copied().unwrap_or("")))
                .collect();
            (*name, Arc::new(StringArray::from(values)) as ArrayRef)
        })
        .collect();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(8192))
        .build();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// The manifest's bytes up to its audit checkpoint (the checkpoint signs the audit log as it
/// was at the run, so it moves with every run; everything before it is decided by inputs).
fn compared_part(manifest: &str) -> &str {
    manifest
        .split_once(",\n  \"audit_checkpoint\"")
        .map_or(manifest, |(before, _)| before)
}

#[test]
fn repeated_two_partition_runs_deliver_byte_identical_files_under_the_same_names() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("lakemedel.parquet");
    big_parquet(&upload);
    hdab.upload("lakemedel", &upload, Some("2024-03-31"))
        .unwrap();
    let folder = hdab.spe().join(PERMIT).join("lakemedel");
    let mut runs = Vec::new();
    for _ in 0..5 {
        // The delivery removed, so each run is a real one, not a no-op.
        std::fs::remove_dir_all(hdab.spe().join(PERMIT)).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hdab"))
            .env_remove("HDAB_MASTER_KEY")
            .env("HDAB_DATA_DIR", hdab.dir())
            .env("HDAB_PARTITIONS", "2")
            .args(["--as", "olle", "extract", PERMIT])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
        let files: Vec<(String, Vec<u8>)> = crate::support::files_in(&folder)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        runs.push((compared_part(&manifest).to_string(), files));
    }
    let (first_manifest, first_files) = &runs[0];
    assert_eq!(first_files.len(), 2, "the upload is read by two partitions");
    for (i, (manifest, files)) in runs.iter().enumerate().skip(1) {
        assert_eq!(manifest, first_manifest, "run {} manifest", i + 1);
        let names: Vec<&String> = files.iter().map(|(n, _)| n).collect();
        let first_names: Vec<&String> = first_files.iter().map(|(n, _)| n).collect();
        assert_eq!(names, first_names, "run {} file names", i + 1);
        for ((name, bytes), (_, first)) in files.iter().zip(first_files) {
            assert!(
                bytes == first,
                "run {}: {name} differs from the first run's",
                i + 1
            );
        }
    }
    println!("5 runs of a two-partition extraction: files, names and manifests byte-identical");
}
