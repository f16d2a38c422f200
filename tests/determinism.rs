//! The same inputs give the same delivery: file for file, name for name and byte for byte,
//! however the threads of a multi-partition run happen to be scheduled.

use crate::support::Hdab;

const PERMIT: &str = "P-2026-0001";

/// The manifest's bytes up to its audit checkpoint (the checkpoint signs the audit log as it
/// was at the run, so it moves with every run; everything before it is decided by inputs).
/// A manifest without its audit checkpoint (signed at each run's time), as JSON text.
fn compared_part(manifest: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(manifest).unwrap();
    v.as_object_mut().unwrap().remove("audit_checkpoint");
    v.to_string()
}

#[test]
fn repeated_two_partition_runs_deliver_byte_identical_files_under_the_same_names() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("lakemedel.parquet");
    crate::support::big_lakemedel_parquet(&upload);
    hdab.upload_for_permit(PERMIT, "lakemedel", &upload, "2024-03-31")
        .unwrap();
    let folder = hdab.spe().join(PERMIT).join("lakemedel");
    let mut runs = Vec::new();
    for _ in 0..5 {
        // The delivery removed, so each run is a real one, not a no-op.
        std::fs::remove_dir_all(hdab.spe().join(PERMIT)).unwrap();
        hdab.ok_with(
            &[("HDAB_PARTITIONS", "2")],
            &["--as", "olle", "extract", PERMIT],
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
        runs.push((compared_part(&manifest), files));
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
