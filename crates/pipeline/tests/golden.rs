//! Golden extraction cases (`pipelines/golden/<case>/`): each case's upload runs through
//! `stage_extraction` and `commit` under a fixed test key, and the delivered table (rows
//! sorted, printed as text) with its row accounting must equal `expected.txt`.
//! `HDAB_UPDATE_GOLDEN=1` writes `expected.txt` anew instead (review the diff).
//! Each case runs twice: through the single-machine pipeline, and as the extraction plan
//! (`stage_on`, the plan a cluster runs) on a local session; both must deliver it exactly.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use hdab_catalog::DatasetDescription;
use hdab_permits::DatasetRequest;
use hdab_pipeline::{
    Compression, ExtractionInput, GivenKeys, PlanEngine, SpeFolder, stage_extraction, stage_on,
};
use hdab_pseudonymise::{
    MasterKey, PersonId, optout_registry_context, permit_context, registry_hash,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: PathBuf,
    permit_id: String,
    reference_date: NaiveDate,
    optouts: Vec<String>,
    request: DatasetRequest,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test key: 31 zero bytes and a one.
fn test_key() -> MasterKey {
    MasterKey::from_hex(&format!("{}01", "00".repeat(31))).unwrap()
}

/// Runs one case (as a plan if `as_plan`) and prints what was delivered.
async fn deliver(case_dir: &Path, as_plan: bool) -> String {
    let case: Case = toml::from_str(&std::fs::read_to_string(case_dir.join("case.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", case_dir.display()));
    let description = DatasetDescription::from_toml(
        &std::fs::read_to_string(repo().join(&case.description)).unwrap(),
    )
    .unwrap();
    let master = test_key();
    let pseudonym_key = master.derive(&permit_context(&case.permit_id, 1));
    let registry_key = master.derive(&optout_registry_context());
    let optouts: hdab_permits::optout::Excluded = case
        .optouts
        .iter()
        .map(|n| {
            registry_hash(
                &registry_key,
                &PersonId::parse(n, case.reference_date).unwrap(),
            )
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let spe = SpeFolder::new(tmp.path().join("spe"), tmp.path().join("locks"));
    let upload = case_dir.join("input.csv");
    let input = ExtractionInput {
        permit_id: &case.permit_id,
        spec_digest: "golden",
        key_id: "golden",
        key_version: 1,
        request: &case.request,
        description: &description,
        dataset_version: 1,
        upload_id: "golden",
        upload_path: &upload,
        upload_sha256: "golden",
        reference_date: case.reference_date,
        pseudonym_key: &pseudonym_key,
        registry_key: &registry_key,
        optouts: &optouts,
        optout_registry_seq: optouts.len() as i64,
        population: None,
        spe: &spe,
        partitions: 1,
        compression: Compression::Zstd,
        progress: None,
    };
    let staged = if as_plan {
        let keys = GivenKeys {
            key_id: "golden".into(),
            permit_id: case.permit_id.clone(),
            key_version: 1,
            pseudonym: std::sync::Arc::new(master.derive(&permit_context(&case.permit_id, 1))),
            registry: std::sync::Arc::new(master.derive(&optout_registry_context())),
        };
        let engine = PlanEngine::local(2, std::sync::Arc::new(keys), tmp.path().join("scratch"));
        stage_on(&engine, &input).await.unwrap()
    } else {
        stage_extraction(&input).await.unwrap()
    };
    let manifest = staged.commit().unwrap();
    let folder = spe.delivery(&case.permit_id, &case.request.dataset_id);
    let mut header = Vec::new();
    let mut rows = Vec::new();
    for file in &manifest.files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(folder.join(&file.name)).unwrap(),
        )
        .unwrap()
        .build()
        .unwrap();
        for batch in reader {
            let batch: RecordBatch = batch.unwrap();
            header = batch
                .schema()
                .fields()
                .iter()
                .map(|f| format!("{} ({})", f.name(), f.data_type()))
                .collect();
            let options = FormatOptions::default().with_null("∅");
            let columns: Vec<ArrayFormatter<'_>> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
                .collect();
            for r in 0..batch.num_rows() {
                rows.push(
                    columns
                        .iter()
                        .map(|c| c.value(r).to_string())
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    rows.sort();
    let r = &manifest.rows;
    let mut out = format!(
        "rows in {}: delivered {}, outside the cohort {}, opted out {}, invalid identifier {}\n",
        r.rows_in, r.delivered, r.outside_cohort, r.opted_out, r.invalid_identifier
    );
    for (reason, n) in r
        .invalid_identifier_by_reason
        .iter()
        .filter(|(_, n)| **n > 0)
    {
        out.push_str(&format!("  invalid, {reason}: {n}\n"));
    }
    out.push('\n');
    out.push_str(&table(&header, &rows));
    out
}

/// Columns padded to their widest cell, `|` between them.
fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(header);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_case_delivers_exactly_its_expected_table() {
    let root = repo().join("pipelines/golden");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("case.toml").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 2,
        "the golden cases are missing from {}",
        root.display()
    );
    let update = std::env::var_os("HDAB_UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for (case, as_plan) in cases.iter().flat_map(|c| [(c, false), (c, true)]) {
        let got = deliver(case, as_plan).await;
        let path = case.join("expected.txt");
        if update && !as_plan {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        if update {
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            differ.push(format!(
                "{}{}:\n--- expected\n{want}--- delivered\n{got}",
                case.display(),
                if as_plan { " (as a plan)" } else { "" }
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "deliveries differ from their golden cases (HDAB_UPDATE_GOLDEN=1 writes them anew):\n{}",
        differ.join("\n")
    );
}
