//! Uploads are read inside a boundary. Reading a hostile or broken file can panic, allocate
//! gigabytes or spin in the Parquet and CSV readers (open upstream issues in 2026); so the
//! check runs in a child process (`hdab internal-check-upload`) under a memory cap
//! (`prlimit --as`), a CPU-time cap and a wall-clock timeout. Whatever happens there, this
//! process keeps running; a file that brings the child down is set aside in `quarantine/`
//! with the reason, and the holder is told what to do.

use crate::{App, AppError};
use hdab_catalog::DatasetDescription;
use hdab_pipeline::{PipelineError, UploadReport};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the child reports back on standard output (one JSON object).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Accepted(UploadReport),
    Rejected(Vec<String>),
    Failed(String),
    /// The reader panicked on the file (a defect upstream, caught here): quarantined.
    ReaderPanicked,
}

/// Where and how uploads are checked.
#[derive(Debug, Clone)]
pub struct UploadBoundary {
    /// The `hdab` binary to run as the checker.
    pub checker: PathBuf,
    pub memory_mib: u64,
    pub seconds: u64,
}

/// The child's side: check one file and say how it went. Never panics outward: a panic in
/// the readers ends the child, which the parent sees.
pub async fn check_in_child(
    description: &Path,
    file: &Path,
    reference: chrono::NaiveDate,
) -> CheckOutcome {
    let d: DatasetDescription = match std::fs::read(description)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(d) => d,
        None => return CheckOutcome::Failed("the description could not be read".into()),
    };
    // On a task of its own, so that a panic in the readers is caught as the task's end
    // (its message is not passed on: it may quote bytes of the file).
    let file = file.to_path_buf();
    let task = tokio::spawn(async move { hdab_pipeline::check_upload(&file, &d, reference).await });
    match task.await {
        Ok(Ok(r)) => CheckOutcome::Accepted(r),
        Ok(Err(PipelineError::Rejected(p))) => CheckOutcome::Rejected(p),
        Ok(Err(e)) => CheckOutcome::Failed(e.to_string()),
        Err(e) if e.is_panic() => CheckOutcome::ReaderPanicked,
        Err(_) => CheckOutcome::Failed("the check was cancelled".into()),
    }
}

impl App {
    /// Checks an upload inside the boundary when one is configured, else in process.
    pub(crate) async fn check_upload_bounded(
        &self,
        incoming: &Path,
        description: &DatasetDescription,
        reference: chrono::NaiveDate,
    ) -> Result<UploadReport, AppError> {
        let Some(b) = &self.settings.upload_boundary else {
            return Ok(hdab_pipeline::check_upload(incoming, description, reference).await?);
        };
        let work = tempfile::tempdir_in(&self.settings.data_dir)
            .map_err(|e| AppError::Io(self.settings.data_dir.display().to_string(), e))?;
        let desc_path = work.path().join("description.json");
        std::fs::write(
            &desc_path,
            serde_json::to_vec(description).unwrap_or_default(),
        )
        .map_err(|e| AppError::Io(desc_path.display().to_string(), e))?;
        let prlimit = Path::new("/usr/bin/prlimit");
        let mut cmd = if prlimit.exists() {
            let mut c = tokio::process::Command::new(prlimit);
            c.arg(format!("--as={}", b.memory_mib << 20))
                .arg(format!("--cpu={}", b.seconds))
                .arg("--")
                .arg(&b.checker);
            c
        } else {
            tracing::warn!("prlimit not found: uploads are checked without a memory cap");
            tokio::process::Command::new(&b.checker)
        };
        cmd.arg("internal-check-upload")
            .arg(&desc_path)
            .arg(incoming)
            .arg(reference.to_string())
            .env("HDAB_LOG", "error")
            .env("HDAB_PARTITIONS", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| {
            AppError::Io(
                format!("starting the upload checker {}", b.checker.display()),
                e,
            )
        })?;
        let why =
            match tokio::time::timeout(Duration::from_secs(b.seconds), child.wait_with_output())
                .await
            {
                Err(_) => format!("reading it took longer than {} s", b.seconds),
                Ok(Err(e)) => format!("the checker failed: {e}"),
                Ok(Ok(out)) => match serde_json::from_slice::<CheckOutcome>(&out.stdout) {
                    Ok(CheckOutcome::Accepted(r)) if out.status.success() => return Ok(r),
                    Ok(CheckOutcome::Rejected(p)) if out.status.success() => {
                        return Err(PipelineError::Rejected(p).into());
                    }
                    Ok(CheckOutcome::Failed(m)) if out.status.success() => {
                        return Err(AppError::Invalid(format!(
                            "the file could not be read: {m}"
                        )));
                    }
                    Ok(CheckOutcome::ReaderPanicked) if out.status.success() => {
                        "the reader crashed on it (a defect in the Parquet or CSV reader that this file triggers; the file is kept for analysis)".to_string()
                    }
                    _ => describe_exit(&out.status, &out.stderr, b.memory_mib),
                },
            };
        Err(self.quarantine(incoming, &why))
    }

    /// Sets a file that could not be read safely aside, with the reason next to it.
    fn quarantine(&self, incoming: &Path, why: &str) -> AppError {
        let dir = self.settings.data_dir.join("quarantine");
        let name = incoming
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .trim_start_matches(".incoming-")
                    .to_string()
            })
            .unwrap_or_else(|| "upload".into());
        let target = dir.join(&name);
        let kept = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::rename(incoming, &target))
            .and_then(|()| {
                std::fs::write(dir.join(format!("{name}.reason.txt")), format!("{why}\n"))
            });
        tracing::warn!(file = %name, reason = %why, "upload quarantined");
        match kept {
            Ok(()) => AppError::Invalid(format!(
                "the file could not be read safely ({why}); it was set aside as quarantine/{name} for the HDAB to inspect. Check that it is a complete CSV or Parquet export of this dataset and upload it again"
            )),
            Err(e) => {
                let _ = std::fs::remove_file(incoming);
                AppError::Invalid(format!(
                    "the file could not be read safely ({why}) and was removed ({e}). Check that it is a complete CSV or Parquet export and upload it again"
                ))
            }
        }
    }
}

fn describe_exit(status: &std::process::ExitStatus, stderr: &[u8], memory_mib: u64) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(9) => {
                return "reading it was stopped: it used all the time or memory allowed".into();
            }
            Some(24) => return "reading it used all the CPU time allowed".into(),
            Some(sig @ (6 | 7 | 11)) => {
                return format!(
                    "the reader crashed on it (signal {sig}), most likely for want of memory under the {memory_mib} MiB cap"
                );
            }
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(stderr);
    if text.contains("memory allocation") || text.contains("capacity overflow") {
        format!("reading it needed more than {memory_mib} MiB of memory")
    } else if text.contains("panicked") {
        "the reader failed on it (a malformed file)".into()
    } else {
        format!("the checker ended with {status}")
    }
}
