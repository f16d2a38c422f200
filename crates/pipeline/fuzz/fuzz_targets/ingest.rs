//! The upload check as the boundary's child runs it (`hdab_app::boundary::check_in_child`):
//! the bytes are written to a file with the given suffix and checked against the in-patient
//! register's description on a task of its own, so that a panic in the readers ends the task
//! and is caught, as in the child. Such contained panics are appended to
//! `$HDAB_FUZZ_PANIC_LOG` (their source location, one line each) and counted by
//! `tests/slow.sh`; a panic anywhere else escapes and libFuzzer reports a crash.
//! libFuzzer's `-rss_limit_mb`/`-malloc_limit_mb`/`-timeout` stand for the boundary's memory
//! and time caps.

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
        // Replaces libfuzzer-sys's aborting hook: inside the checker's task a panic is caught
        // (as in the boundary's child); outside it, the panic still reaches libfuzzer-sys's
        // catch_unwind, which aborts.
        let log = std::env::var_os("HDAB_FUZZ_PANIC_LOG");
        std::panic::set_hook(Box::new(move |info| {
            if let Some(log) = &log {
                use std::io::Write;
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                {
                    let _ = writeln!(f, "{at}");
                }
            }
        }));
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
    let description = h.description.clone();
    let task = h.runtime.spawn(async move {
        let _ = hdab_pipeline::check_upload(&path, &description, reference).await;
    });
    // A panic inside the task comes back as the task's error: contained, as in the child.
    let _ = h.runtime.block_on(task);
}
