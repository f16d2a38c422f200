//! Broken and hostile uploads are read inside the boundary (a child process under memory and
//! time caps): each gets a clear answer, a file that brings the reader down is quarantined
//! with its reason, and the calling process never crashes.

use crate::support;

use crate::support::Hdab;
use std::path::Path;
use std::process::Command;

/// Runs `hdab --as sara upload` and returns (exit code, standard error).
fn upload(hdab: &Hdab, file: &Path, memory_mib: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hdab"))
        .env_remove("HDAB_USER")
        .env("HDAB_LANG", "en")
        .env("HDAB_DATA_DIR", hdab.dir())
        .env("HDAB_UPLOAD_MEMORY_MIB", memory_mib)
        .env("HDAB_UPLOAD_SECONDS", "60")
        .args(["--as", "sara", "upload", "--dataset", "slutenvard"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn uploads_count(hdab: &Hdab) -> usize {
    std::fs::read_dir(hdab.dir().join("uploads"))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_file_that_needs_more_memory_than_allowed_is_quarantined_and_the_caller_survives() {
    let hdab = Hdab::demo();
    let before = uploads_count(&hdab);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // One 200 MB field: reading it needs far more than the 64 MiB the checker may use.
    let file = dir.path().join("bomb.csv");
    let mut text = String::from("PERSONNR;KON;ALDER;INDATUM;UTDATUM;HDIA;DIA1;DIA2;SJUKHUS;LAN\n");
    text.push_str("191212121212;1;40;2020-01-01;2020-01-02;I21;");
    text.push_str(&"A".repeat(200 << 20));
    text.push_str(";;1;01\n");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let (code, err) = upload(&hdab, &file, "64");
    assert_eq!(code, Some(1), "a clean error exit, not a crash: {err}");
    assert!(err.contains("quarantine/"), "{err}");
    println!("{err}");
    let quarantine = hdab.dir().join("quarantine");
    let reasons: Vec<_> = std::fs::read_dir(&quarantine)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".reason.txt"))
        .collect();
    assert_eq!(reasons.len(), 1, "the reason is kept next to the file");
    assert_eq!(uploads_count(&hdab), before, "nothing was accepted");
    assert!(
        !err.contains("191212121212"),
        "no identifier in the message"
    );
}

#[test]
fn mutated_parquet_files_are_rejected_with_a_reason_and_never_crash_the_caller() {
    let hdab = Hdab::demo();
    let before = uploads_count(&hdab);
    let valid = std::fs::read(hdab.spe().join("P-2026-0001/lakemedel/part-00000.parquet"))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut variants: Vec<Vec<u8>> = Vec::new();
    // Prefixes (a cut-off transfer), a stride through the file and every length near the end.
    for len in (0..valid.len())
        .step_by(valid.len() / 24 + 1)
        .chain(valid.len().saturating_sub(12)..valid.len())
    {
        variants.push(valid[..len].to_vec());
    }
    // Single-byte flips in the footer (metadata length, magic, schema, statistics).
    for at in valid.len().saturating_sub(40)..valid.len() {
        let mut v = valid.clone();
        v[at] ^= 0xff;
        variants.push(v);
    }
    // Public repro shapes: a 10-byte file, a footer claiming ~2 GiB of metadata.
    variants.push(b"PAR1\x00\x00PAR1".to_vec());
    let mut huge = b"PAR1".to_vec();
    huge.extend_from_slice(&[0u8; 64]);
    huge.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
    huge.extend_from_slice(b"PAR1");
    variants.push(huge);
    let (mut rejected, mut accepted, mut crashed) = (0, 0, 0);
    for (i, v) in variants.iter().enumerate() {
        let file = dir.path().join(format!("v{i}.parquet"));
        std::fs::write(&file, v).unwrap_or_else(|e| panic!("{e}"));
        match upload(&hdab, &file, "512") {
            (Some(0), _) => accepted += 1,
            (Some(1), err) if err.contains("error:") => rejected += 1,
            (code, err) => {
                crashed += 1;
                eprintln!("variant {i}: exit {code:?}: {err}");
            }
        }
    }
    println!(
        "{} mutated Parquet files: {rejected} rejected with a reason, {accepted} accepted, {crashed} crashed",
        variants.len()
    );
    assert_eq!(crashed, 0);
    assert_eq!(
        accepted, 0,
        "an extract of another shape is never accepted as this dataset"
    );
    assert_eq!(uploads_count(&hdab), before);
}

#[test]
fn compressed_uploads_are_inflated_within_bounds_and_a_bomb_is_refused() {
    use std::io::Write;
    let hdab = Hdab::demo();
    let before = uploads_count(&hdab);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = std::fs::read(support::repo().join("sample-data/slutenvard.csv"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The sample register gzipped and zstd-compressed: both accepted as the plain file is.
    let gz = dir.path().join("slutenvard.csv.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&csv).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&gz, e.finish().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let zst = dir.path().join("slutenvard.csv.zst");
    std::fs::write(&zst, zstd::encode_all(&csv[..], 3).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    for file in [&gz, &zst] {
        let (code, err) = upload(&hdab, file, "512");
        assert_eq!(code, Some(0), "{}: {err}", file.display());
    }
    assert_eq!(uploads_count(&hdab), before + 2);
    let stored: Vec<_> = std::fs::read_dir(hdab.dir().join("uploads"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| std::fs::metadata(e.path()).is_ok_and(|m| m.len() == csv.len() as u64))
        .collect();
    assert!(
        stored.len() >= 2,
        "stored inflated, byte for byte the plain size"
    );

    // 1 GiB of zeros in a zstd frame of a few kilobytes: refused, nothing kept.
    let bomb = dir.path().join("bomb.csv.zst");
    let mut z = zstd::stream::write::Encoder::new(
        std::fs::File::create(&bomb).unwrap_or_else(|e| panic!("{e}")),
        3,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..1024 {
        z.write_all(&zeros).unwrap_or_else(|e| panic!("{e}"));
    }
    z.finish().unwrap_or_else(|e| panic!("{e}"));
    let compressed = std::fs::metadata(&bomb).map(|m| m.len()).unwrap_or(0);
    let (code, err) = upload(&hdab, &bomb, "512");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("decompression bomb"), "{err}");
    assert_eq!(
        uploads_count(&hdab),
        before + 2,
        "nothing more was accepted"
    );
    let leftovers: Vec<_> = std::fs::read_dir(hdab.dir().join("uploads"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".incoming-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    println!(
        "compressed uploads: gzip and zstd of the sample accepted; a {compressed}-byte zstd bomb of 1 GiB refused after at most 64 MiB inflated, nothing kept"
    );
}
