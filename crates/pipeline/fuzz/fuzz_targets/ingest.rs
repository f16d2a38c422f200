//! The upload check as the boundary child runs it: the bytes are written to a file with the
//! given suffix and checked against the in-patient register's description. Any outcome but a
//! panic is fine; libFuzzer's `-rss_limit_mb`/`-malloc_limit_mb`/`-timeout` stand for the
//! boundary's memory and time caps (see `fuzz/run.sh`).

use std::path::PathBuf;
use std::sync::OnceLock;

struct Harness {
    runtime: tokio::runtime::Runtime,
    description: hdab_catalog::DatasetDescription,
    dir: PathBuf,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let text = include_str!("../../../../catalog/slutenvard.toml");
        let description = hdab_catalog::DatasetDescription::from_toml(text)
            .unwrap_or_else(|e| panic!("the sample description must parse: {e}"));
        let dir = std::env::temp_dir().join(format!("hdab-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Harness {
            runtime,
            description,
            dir,
        }
    })
}

pub fn check(data: &[u8], suffix: &str) {
    let h = harness();
    let path = h.dir.join(format!("upload.{suffix}"));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let reference = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default();
    let _ = h
        .runtime
        .block_on(hdab_pipeline::check_upload(&path, &h.description, reference));
}
