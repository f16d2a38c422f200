//! Helpers for end-to-end tests: run the `hdab` binary in a fresh folder, read deliveries.
#![allow(dead_code)]

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use hdab_pseudonymise::{MasterKey, PersonId};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::process::Command;

mod servers;
pub use servers::{gateway, http, serve};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A demo installation in a temporary folder, driven through the binary.
pub struct Hdab {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Hdab {
    /// Runs `hdab demo` into a fresh folder.
    pub fn demo() -> Hdab {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("demo");
        let hdab = Hdab { _tmp: tmp, dir };
        let repo = repo();
        hdab.ok(&[
            "demo",
            "--dir",
            hdab.dir.to_str().unwrap_or_default(),
            "--source",
            repo.to_str().unwrap_or_default(),
        ]);
        hdab
    }

    /// Runs `hdab demo` with `HDAB_LOG=level` and returns its standard error too.
    pub fn demo_logged(level: &str) -> (Hdab, String) {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("demo");
        let repo = repo();
        let out = Command::new(env!("CARGO_BIN_EXE_hdab"))
            .env_remove("HDAB_USER")
            .env_remove("HDAB_MASTER_KEY")
            .env("HDAB_LOG", level)
            .args([
                "demo",
                "--dir",
                dir.to_str().unwrap_or_default(),
                "--source",
                repo.to_str().unwrap_or_default(),
            ])
            .output()
            .unwrap_or_else(|e| panic!("running hdab: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        (Hdab { _tmp: tmp, dir }, stderr)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `hdab` binary on this installation, with nothing inherited that would change
    /// who acts or which keys are used; add arguments, environment and pipes.
    /// The tests read hdab's English messages (`HDAB_LANG=en`); `cli.rs` checks the
    /// Swedish default.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hdab"));
        cmd.env_remove("HDAB_USER")
            .env_remove("HDAB_MASTER_KEY")
            .env_remove("HDAB_TOKEN")
            .env_remove("HDAB_CLI_IDENTITY")
            .env("HDAB_LANG", "en")
            .env("HDAB_DATA_DIR", &self.dir);
        cmd
    }

    /// A copy of this installation (database, keys, uploads, deliveries) in a new folder.
    pub fn copy(&self) -> Hdab {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("demo");
        let ok = Command::new("cp")
            .arg("-a")
            .arg(&self.dir)
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "copying {}", self.dir.display());
        Hdab { _tmp: tmp, dir }
    }

    pub fn spe(&self) -> PathBuf {
        self.dir.join("spe")
    }

    pub fn master_key(&self) -> MasterKey {
        let text = std::fs::read_to_string(self.dir.join("master.key")).unwrap_or_default();
        MasterKey::from_hex(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn run(&self, user: Option<&str>, args: &[&str]) -> (bool, String, String) {
        let mut cmd = self.command();
        if let Some(u) = user {
            cmd.args(["--as", u]);
        }
        let out = cmd
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running hdab: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!stderr.contains("panicked"), "hdab panicked: {stderr}");
        (out.status.success(), stdout, stderr)
    }

    /// Runs and expects success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(None, args);
        assert!(ok, "hdab {args:?} failed:\n{err}");
        out
    }

    pub fn ok_as(&self, user: &str, args: &[&str]) -> String {
        let (ok, out, err) = self.run(Some(user), args);
        assert!(ok, "hdab --as {user} {args:?} failed:\n{err}");
        out
    }

    /// An administrator adds a user with the given roles.
    pub fn add_user(&self, id: &str, organisation: &str, roles: &[&str]) {
        let mut args = vec!["users", "add", "--id", id, "--org", organisation];
        for r in roles {
            args.extend(["--role", r]);
        }
        self.ok_as("admin", &args);
    }

    /// The last day `permit` is valid, as `permit show` tells an officer.
    pub fn valid_until(&self, permit: &str) -> chrono::NaiveDate {
        let shown = self.ok_as("olle", &["permit", "show", permit]);
        let date = shown
            .split("valid until ")
            .nth(1)
            .and_then(|r| r.get(..10))
            .unwrap_or_else(|| panic!("{shown}"));
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
    }

    /// Sets `id`'s password (as admin; read from standard input, as a person would type it).
    pub fn set_password(&self, id: &str, password: &str) {
        use std::io::Write;
        let mut child = self
            .command()
            .args(["--as", "admin", "users", "password", "--id", id])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}").unwrap();
        }
        assert!(child.wait().unwrap().success(), "setting {id}'s password");
    }

    /// `applicant` applies with the application file at `path`, submits it, and olle takes
    /// the case; returns the application's id.
    pub fn apply_and_take(&self, applicant: &str, path: &Path) -> String {
        let id = self.ok_as(
            applicant,
            &["apply", "create", path.to_str().unwrap_or_default()],
        );
        let id = id.trim().to_string();
        self.ok_as(applicant, &["apply", "submit", &id]);
        self.ok_as("olle", &["case", "take", &id]);
        id
    }

    /// The opt-out registrar runs `hdab optout <verb>` (`register` or `withdraw`) for
    /// `numbers` (one a line), written on `written_on` if given.
    pub fn optout(&self, verb: &str, numbers: &str, written_on: Option<&str>) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("optout.txt");
        std::fs::write(&file, numbers).unwrap_or_else(|e| panic!("{e}"));
        let mut args = vec!["optout", verb, "--file", file.to_str().unwrap_or_default()];
        if let Some(d) = written_on {
            args.extend(["--written-on", d]);
        }
        self.ok_as("otto", &args);
    }

    /// The holder sara uploads `file` for `dataset` (with the extract date, if given):
    /// standard output if it was accepted, standard error if not.
    pub fn upload(
        &self,
        dataset: &str,
        file: &Path,
        extract_date: Option<&str>,
    ) -> Result<String, String> {
        let mut args = vec![
            "upload",
            "--dataset",
            dataset,
            file.to_str().unwrap_or_default(),
        ];
        if let Some(d) = extract_date {
            args.extend(["--extract-date", d]);
        }
        let (ok, out, err) = self.run(Some("sara"), &args);
        if ok { Ok(out) } else { Err(err) }
    }

    /// The permit's data orders (as an officer sees them): (order, dataset, state).
    pub fn orders(&self, permit: &str) -> Vec<(String, String, String)> {
        let out = self.ok_as("olle", &["order", "list", "--permit", permit, "--json"]);
        let orders: Vec<serde_json::Value> =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        orders
            .iter()
            .map(|o| {
                let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                (
                    text(&o["id"]),
                    text(&o["dataset_id"]),
                    text(&o["state"]["state"]),
                )
            })
            .collect()
    }

    /// The permit's open data orders: (order, dataset).
    pub fn open_orders(&self, permit: &str) -> Vec<(String, String)> {
        self.orders(permit)
            .into_iter()
            .filter(|(_, _, state)| state == "open")
            .map(|(o, d, _)| (o, d))
            .collect()
    }

    /// The holder of `dataset` uploads `file` for the permit's order of it (fulfilling it,
    /// or replacing the upload that did): standard output if accepted, standard error if not.
    pub fn upload_for_permit(
        &self,
        permit: &str,
        dataset: &str,
        file: &Path,
        extract_date: &str,
    ) -> Result<String, String> {
        let (order, _, _) = self
            .orders(permit)
            .into_iter()
            .find(|(_, d, _)| d == dataset)
            .unwrap_or_else(|| panic!("permit {permit} has no order of {dataset}"));
        let holder = if dataset == "befolkning" {
            "stig"
        } else {
            "sara"
        };
        let args = [
            "upload",
            "--order",
            &order,
            file.to_str().unwrap_or_default(),
            "--extract-date",
            extract_date,
        ];
        let (ok, out, err) = self.run(Some(holder), &args);
        if ok { Ok(out) } else { Err(err) }
    }

    /// Each holder fulfils the permit's open data orders, as a holder would, by an upload
    /// made for each: `files` names the file (and extract date) of a dataset; any other
    /// dataset gets its sample register (`sample-data/<dataset>.csv`, the demo's date).
    pub fn fulfil_orders(&self, permit: &str, files: &[(&str, &Path, &str)]) {
        let sample_date = reference().to_string();
        for (order, dataset) in self.open_orders(permit) {
            let sample = repo().join("sample-data").join(format!("{dataset}.csv"));
            let (file, date) = files
                .iter()
                .find(|(d, _, _)| *d == dataset)
                .map(|(_, f, d)| (f.to_path_buf(), d.to_string()))
                .unwrap_or((sample, sample_date.clone()));
            if let Err(e) = self.upload_for_permit(permit, &dataset, &file, &date) {
                panic!("fulfilling order {order} of {permit}: {e}");
            }
        }
    }

    /// Runs with extra environment variables and expects success; returns standard output.
    pub fn ok_with(&self, env: &[(&str, &str)], args: &[&str]) -> String {
        let out = self
            .command()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hdab {args:?} with {env:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The decision maker dora changes who has SPE access to `permit` (with `env` set).
    pub fn amend(&self, env: &[(&str, &str)], permit: &str, add: &[&str], remove: &[&str]) {
        let mut args = vec![
            "--as",
            "dora",
            "permit",
            "amend",
            permit,
            "--reason",
            "people change",
        ];
        for a in add {
            args.extend(["--add-user", a]);
        }
        for r in remove {
            args.extend(["--remove-user", r]);
        }
        self.ok_with(env, &args);
    }

    /// Runs and expects failure; returns standard error.
    pub fn fails_as(&self, user: &str, args: &[&str]) -> String {
        let (ok, out, err) = self.run(Some(user), args);
        assert!(!ok, "hdab --as {user} {args:?} should have failed:\n{out}");
        err
    }
}

/// Valid person ids in the first column of a `;`-separated sample file.
pub fn person_ids_in(path: &Path, reference: chrono::NaiveDate) -> Vec<PersonId> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| PersonId::parse(l.split(';').next().unwrap_or_default(), reference).ok())
        .collect()
}

/// True if `text` holds anything that parses as a personnummer or samordningsnummer in any
/// written form: every run of digits (with an inner `-` or `+`) of a plausible length.
pub fn contains_person_id(text: &str, reference: chrono::NaiveDate) -> bool {
    let bytes = text.as_bytes();
    for start in 0..bytes.len() {
        if !bytes[start].is_ascii_digit() || (start > 0 && bytes[start - 1].is_ascii_digit()) {
            continue;
        }
        for len in [10, 11, 12, 13] {
            if let Some(candidate) = text.get(start..start + len)
                && PersonId::parse(candidate, reference).is_ok()
            {
                return true;
            }
        }
    }
    false
}

/// One delivered dataset folder, read back with the parquet crate's Arrow reader.
pub struct Delivery {
    /// The manifest in the researchers' workspace (rows delivered only).
    pub manifest: serde_json::Value,
    /// The HDAB's own record of the delivery, outside the SPE: the full row accounting.
    pub record: serde_json::Value,
    pub manifest_text: String,
    pub pseudonyms: Vec<String>,
    pub strings: Vec<String>,
    pub names: Vec<String>,
    pub arrow_schema: String,
}

impl Delivery {
    /// Every piece of text a researcher could see.
    pub fn all_text(&self) -> impl Iterator<Item = String> + '_ {
        self.strings
            .iter()
            .cloned()
            .chain(self.names.iter().cloned())
            .chain(std::iter::once(self.manifest_text.clone()))
    }
}

pub fn read_delivery(folder: &Path) -> Delivery {
    let manifest_text = std::fs::read_to_string(folder.join("manifest.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).unwrap_or_default();
    // `<data>/spe/<permit>/<dataset>` → `<data>/records/<permit>/<dataset>-<run id>.json`.
    let record = (|| {
        let dataset = folder.file_name()?.to_str()?;
        let permit = folder.parent()?;
        let data = permit.parent()?.parent()?;
        let path = data
            .join("records")
            .join(permit.file_name()?)
            .join(format!("{dataset}-{}.json", manifest["run_id"].as_str()?));
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    })()
    .unwrap_or_default();
    let mut d = Delivery {
        manifest,
        record,
        manifest_text,
        pseudonyms: Vec::new(),
        strings: Vec::new(),
        names: Vec::new(),
        arrow_schema: String::new(),
    };
    for path in files_in(folder) {
        d.names.push(
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string(),
        );
        if path.extension().and_then(|e| e.to_str()) != Some("parquet") {
            continue;
        }
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).unwrap_or_else(|e| panic!("{e}"));
        d.arrow_schema = format!("{:?}", builder.schema());
        for kv in builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
        {
            d.strings.push(kv.key.clone());
            d.strings.extend(kv.value.clone());
        }
        for f in builder.schema().fields() {
            d.names.push(f.name().clone());
        }
        let reader = builder.build().unwrap_or_else(|e| panic!("{e}"));
        for batch in reader {
            let batch = batch.unwrap_or_else(|e| panic!("{e}"));
            for (i, field) in batch.schema().fields().iter().enumerate() {
                let col = batch.column(i);
                if *field.data_type() != DataType::Utf8 {
                    // Numbers and dates: their text forms could hide digits too.
                    for r in 0..col.len() {
                        if let Ok(s) = arrow::util::display::array_value_to_string(col, r) {
                            d.strings.push(s);
                        }
                    }
                    continue;
                }
                let values = col.as_string::<i32>();
                for v in values.iter().flatten() {
                    if field.name() == "pseudonym" {
                        d.pseudonyms.push(v.to_string());
                    }
                    d.strings.push(v.to_string());
                }
            }
        }
    }
    d
}

/// True if `folder` holds a complete delivery: a manifest, and every file it names with the
/// checksum it names.
pub fn complete(folder: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(folder.join("manifest.json")) else {
        return false;
    };
    let m: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    m["files"].as_array().is_some_and(|files| {
        files.iter().all(|file| {
            let path = folder.join(file["name"].as_str().unwrap_or_default());
            std::fs::read(&path).is_ok_and(|bytes| {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&bytes))
                    == file["sha256"].as_str().unwrap_or_default()
            })
        })
    })
}

/// What decides a delivery's bytes: its manifest without the audit checkpoint (which
/// records when it was made) and each file's SHA-256 as read from disk.
pub fn fingerprint(folder: &Path) -> (serde_json::Value, Vec<(String, String)>) {
    let text = std::fs::read_to_string(folder.join("manifest.json")).unwrap_or_default();
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if let Some(m) = manifest.as_object_mut() {
        m.remove("audit_checkpoint");
    }
    let mut files: Vec<(String, String)> = std::fs::read_dir(folder)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name() != "manifest.json")
                .map(|e| {
                    use sha2::Digest;
                    let bytes = std::fs::read(e.path()).unwrap_or_default();
                    (
                        e.file_name().to_string_lossy().to_string(),
                        hex::encode(sha2::Sha256::digest(&bytes)),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    (manifest, files)
}

/// The names in a folder, sorted (hidden ones included).
pub fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The sample data's extract date (it decides the century of 10-digit numbers).
pub fn reference() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default()
}

/// The files of a folder, sorted by name.
pub fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// Everyone in the sample opt-out file, as canonical 12-digit numbers.
pub fn sample_optouts() -> std::collections::HashSet<[u8; 12]> {
    std::fs::read_to_string(repo().join("sample-data/optouts.txt"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| PersonId::parse(l, reference()).ok())
        .map(|p| *p.canonical())
        .collect()
}

/// The permit id in what `hdab case approve` printed.
pub fn permit_in(out: &str) -> String {
    let permit = out
        .split("permit ")
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(permit.starts_with("P-"), "{out}");
    permit
}

/// The sample prescribed-drug register eight times over, as a Parquet upload of several row
/// groups, uncompressed: large enough that DataFusion splits it between two partitions.
pub fn big_lakemedel_parquet(path: &std::path::Path) {
    let text = std::fs::read_to_string(repo().join("sample-data/lakemedel.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let columns: Vec<(&str, arrow::array::ArrayRef)> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<&str> = (0..8)
                .flat_map(|_| rows.iter().map(move |r| r.get(i).copied().unwrap_or("")))
                .collect();
            (
                *name,
                std::sync::Arc::new(arrow::array::StringArray::from(values))
                    as arrow::array::ArrayRef,
            )
        })
        .collect();
    let batch = arrow::array::RecordBatch::try_from_iter(columns).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(8192))
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// `text` as Windows-1252 bytes, as Swedish export tools write them (the Swedish letters
/// mapped; anything else outside ASCII becomes `?`).
pub fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'å' => 0xE5,
            'ä' => 0xE4,
            'ö' => 0xF6,
            'Å' => 0xC5,
            'Ä' => 0xC4,
            'Ö' => 0xD6,
            c if c.is_ascii() => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Every row of a delivered folder, as column name → displayed value.
pub fn delivered_rows(folder: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rows = Vec::new();
    let mut parts: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    parts.sort();
    for part in parts {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(part).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            for r in 0..batch.num_rows() {
                let mut row = std::collections::HashMap::new();
                for (i, f) in batch.schema().fields().iter().enumerate() {
                    let col = batch.column(i);
                    let v = if arrow::array::Array::is_null(col, r) {
                        String::new()
                    } else {
                        arrow::util::display::array_value_to_string(col, r).unwrap()
                    };
                    row.insert(f.name().clone(), v);
                }
                rows.push(row);
            }
        }
    }
    rows
}
