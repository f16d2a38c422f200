//! The mutation corpus: every prefix and every single-byte flip of three small valid Parquet
//! uploads of the in-patient register (plain, snappy with small row groups, zstd with data
//! page v2 and no dictionary), plus the shapes of public upstream reports, each checked by
//! the upload boundary's child exactly as an upload is (`hdab internal-check-upload` under
//! `prlimit --as` and `--cpu`). Counted: accepted, rejected with a reason, and crashed
//! (a panic, an abort, a signal, or the memory or time cap reached; target 0).
//!
//! `HDAB_MUTATION_STRIDE=n` checks every n-th mutation (default 97; CI 29; the slow suite
//! `benches/slow.sh` runs all, stride 1). Figures: `cargo test -p hdab --test
//! mutation_corpus -- --nocapture`.

use crate::support;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first 20 rows of the sample in-patient register, every column as text.
fn sample_batch() -> RecordBatch {
    let text = std::fs::read_to_string(support::repo().join("sample-data/slutenvard.csv"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(';').collect();
    let rows: Vec<Vec<&str>> = lines.take(20).map(|l| l.split(';').collect()).collect();
    let columns: Vec<(&str, ArrayRef)> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<Option<&str>> = rows
                .iter()
                .map(|r| r.get(i).copied().filter(|v| !v.is_empty()))
                .collect();
            (*name, Arc::new(StringArray::from(values)) as ArrayRef)
        })
        .collect();
    RecordBatch::try_from_iter(columns).unwrap_or_else(|e| panic!("{e}"))
}

fn write(batch: &RecordBatch, props: WriterProperties) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props))
        .unwrap_or_else(|e| panic!("{e}"));
    w.write(batch).unwrap_or_else(|e| panic!("{e}"));
    w.close().unwrap_or_else(|e| panic!("{e}"));
    out
}

fn valid_files() -> Vec<(&'static str, Vec<u8>)> {
    let batch = sample_batch();
    vec![
        ("plain", write(&batch, WriterProperties::builder().build())),
        (
            "snappy-row-groups-of-5",
            write(
                &batch,
                WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_max_row_group_row_count(Some(5))
                    .build(),
            ),
        ),
        (
            "zstd-page-v2-no-dictionary",
            write(
                &batch,
                WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_writer_version(WriterVersion::PARQUET_2_0)
                    .set_dictionary_enabled(false)
                    .build(),
            ),
        ),
    ]
}

/// Shapes from public upstream reports (the files themselves live on GitHub, which this
/// machine cannot reach; these are rebuilt from the reports).
fn upstream_shapes() -> Vec<(&'static str, Vec<u8>)> {
    let batch = sample_batch();
    // apache/arrow-rs#2855: an ARROW:schema of two bytes (the writer's own left out).
    let two_byte_schema = {
        let mut out = Vec::new();
        let props = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
                "ARROW:schema".into(),
                "AAA=".to_string(),
            )]))
            .build();
        let options = parquet::arrow::arrow_writer::ArrowWriterOptions::new()
            .with_properties(props)
            .with_skip_arrow_metadata(true);
        let mut w =
            parquet::arrow::ArrowWriter::try_new_with_options(&mut out, batch.schema(), options)
                .unwrap_or_else(|e| panic!("{e}"));
        w.write(&batch).unwrap_or_else(|e| panic!("{e}"));
        w.close().unwrap_or_else(|e| panic!("{e}"));
        out
    };
    let mut huge_footer = b"PAR1".to_vec();
    huge_footer.extend_from_slice(&[0u8; 64]);
    huge_footer.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
    huge_footer.extend_from_slice(b"PAR1");
    let mut negative_footer = b"PAR1".to_vec();
    negative_footer.extend_from_slice(&[0xffu8; 16]);
    negative_footer.extend_from_slice(&(-8i32).to_le_bytes());
    negative_footer.extend_from_slice(b"PAR1");
    vec![
        // The ten-byte file that panicked on every metadata path.
        ("ten-byte-file", b"PAR1\x00\x00PAR1".to_vec()),
        ("magic-only", b"PAR1".to_vec()),
        // apache/arrow-rs#5382: invalid thrift in the footer.
        (
            "pr-5382-invalid-metadata",
            vec![
                80, 65, 82, 49, 255, 172, 1, 0, 50, 82, 65, 73, 1, 0, 0, 0, 169, 168, 168, 162, 87,
                255, 16, 0, 0, 0, 80, 65, 82, 49,
            ],
        ),
        ("footer-claims-2-gib", huge_footer),
        ("footer-length-negative", negative_footer),
        ("arrow-rs-2855-two-byte-arrow-schema", two_byte_schema),
    ]
}

#[derive(Debug, Default)]
struct Counts {
    accepted: u64,
    rejected: u64,
    crashed: u64,
    out_of_memory: u64,
    reader_panics: u64,
}

/// Checks one file in the boundary's child; returns the outcome's class.
fn check(description: &Path, file: &Path) -> (&'static str, String) {
    let out = std::process::Command::new("/usr/bin/prlimit")
        .arg(format!("--as={}", 512u64 << 20))
        .arg("--cpu=30")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_hdab"))
        .arg("internal-check-upload")
        .arg(description)
        .arg(file)
        .arg("2024-03-31")
        .output()
        .unwrap_or_else(|e| panic!("prlimit: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if !out.status.success() {
        let oom = stderr.contains("memory allocation") || stderr.contains("out of memory");
        let what = if oom { "out-of-memory" } else { "crashed" };
        return (
            what,
            format!(
                "{:?} {:?}: {stderr}",
                out.status.code(),
                out.status.signal()
            ),
        );
    }
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    if v == "reader_panicked" {
        let at = stderr
            .lines()
            .find(|l| l.contains("panicked at"))
            .unwrap_or_default();
        ("reader-panic", at.to_string())
    } else if v.get("accepted").is_some() {
        ("accepted", String::new())
    } else if let Some(reason) = v.get("rejected").or_else(|| v.get("failed")) {
        let text = reason.to_string();
        if text.len() > 4 {
            ("rejected", text)
        } else {
            ("crashed", format!("a rejection without a reason: {stdout}"))
        }
    } else {
        ("crashed", format!("no outcome: {stdout} {stderr}"))
    }
}

#[test]
fn every_prefix_and_byte_flip_of_three_parquet_files_is_answered_and_never_crashes() {
    let stride: usize = std::env::var("HDAB_MUTATION_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s > 0)
        .unwrap_or(97);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let description = dir.path().join("description.json");
    let toml = std::fs::read_to_string(support::repo().join("catalog/slutenvard.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let d = hdab_catalog::DatasetDescription::from_toml(&toml).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&description, serde_json::to_vec(&d).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));

    // The valid files are accepted as they are.
    let files = valid_files();
    for (name, bytes) in &files {
        let path = dir.path().join(format!("{name}.parquet"));
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        let (class, detail) = check(&description, &path);
        assert_eq!(class, "accepted", "{name}: {detail}");
    }
    // (file, mutation) as a plan; every `stride`-th is checked, upstream shapes always.
    enum Mutation {
        Prefix(usize),
        Flip(usize),
    }
    let mut plan: Vec<(usize, Mutation)> = Vec::new();
    for (f, (_, bytes)) in files.iter().enumerate() {
        plan.extend((0..bytes.len()).map(|n| (f, Mutation::Prefix(n))));
        plan.extend((0..bytes.len()).map(|at| (f, Mutation::Flip(at))));
    }
    let total = plan.len();
    let mut work: Vec<(String, Vec<u8>)> = plan
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % stride == 0)
        .map(|(_, (f, m))| {
            let (name, bytes) = &files[f];
            match m {
                Mutation::Prefix(n) => (format!("{name} cut at {n}"), bytes[..n].to_vec()),
                Mutation::Flip(at) => {
                    let mut b = bytes.clone();
                    b[at] ^= 0xff;
                    (format!("{name} byte {at} flipped"), b)
                }
            }
        })
        .collect();
    let mutations = work.len();
    work.extend(
        upstream_shapes()
            .into_iter()
            .map(|(n, b)| (n.to_string(), b)),
    );

    // Two workers (two cores), each running one child at a time.
    let work = Arc::new(std::sync::Mutex::new(
        work.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let counts = Arc::new(std::sync::Mutex::new((
        Counts::default(),
        Vec::<String>::new(),
    )));
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (work, counts, description) = (work.clone(), counts.clone(), description.clone());
            let folder: PathBuf = dir.path().join(format!("w{w}"));
            std::thread::spawn(move || {
                let _ = std::fs::create_dir_all(&folder);
                // The guard is moved into the closure and dropped there: workers never wait
                // on each other's checks.
                while let Some((i, (name, bytes))) = work.lock().ok().and_then(|mut v| v.pop()) {
                    let path = folder.join(format!("m{i}.parquet"));
                    if std::fs::write(&path, &bytes).is_err() {
                        continue;
                    }
                    let (class, detail) = check(&description, &path);
                    if let Ok(mut c) = counts.lock() {
                        match class {
                            "accepted" => c.0.accepted += 1,
                            "rejected" => c.0.rejected += 1,
                            "reader-panic" => {
                                c.0.reader_panics += 1;
                                c.1.push(format!("{name}: {detail}"));
                            }
                            "out-of-memory" => {
                                c.0.out_of_memory += 1;
                                c.1.push(format!("{name}: {detail}"));
                            }
                            _ => {
                                c.0.crashed += 1;
                                c.1.push(format!("{name}: {detail}"));
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let (c, failures) = std::mem::take(&mut *counts.lock().unwrap_or_else(|e| e.into_inner()));
    for f in failures.iter().take(10) {
        eprintln!("{f}");
    }
    println!(
        "mutation corpus: {mutations} of {total} mutations (stride {stride}) of 3 valid files ({} bytes) + {} upstream shapes in {:.0} s: {} rejected with a reason, {} accepted, {} reader panics caught inside the boundary (quarantined with a reason), {} crashed, {} out-of-memory",
        files
            .iter()
            .map(|(_, b)| b.len().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        upstream_shapes().len(),
        started.elapsed().as_secs_f64(),
        c.rejected,
        c.accepted,
        c.reader_panics,
        c.crashed,
        c.out_of_memory
    );
    assert_eq!(c.crashed, 0, "{failures:?}");
    assert_eq!(c.out_of_memory, 0, "{failures:?}");
}
