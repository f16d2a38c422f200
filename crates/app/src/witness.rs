//! The audit log's witness outside the database: every signed checkpoint is also appended
//! to a file of its own (one JSON line each, fsynced; by default `witness/` under the data
//! folder, best kept on other storage) and, when configured, handed to a command that sends
//! it on (a remote witness). Whoever can rewrite the database cannot also rewrite what the
//! witness already holds, so deleting the log's tail together with its checkpoints in the
//! database is still detected.

use crate::AppError;
use hdab_store::Checkpoint;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where checkpoints are witnessed.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The append-only file of checkpoints, one JSON object a line.
    pub file: PathBuf,
    /// A command (run by `sh -c`) that receives each checkpoint as one JSON line on its
    /// standard input, for a witness on another machine.
    pub command: Option<String>,
}

impl Witness {
    /// The default: `witness/audit-checkpoints.jsonl` under the data folder, no command.
    pub fn under(data_dir: &Path) -> Witness {
        Witness {
            file: data_dir.join("witness").join("audit-checkpoints.jsonl"),
            command: None,
        }
    }

    /// Appends `checkpoint` to the file (and fsyncs it), then hands it to the command.
    pub fn record(&self, checkpoint: &Checkpoint) -> Result<(), AppError> {
        let mut line = serde_json::to_string(checkpoint)
            .map_err(|e| AppError::Invalid(format!("a checkpoint as JSON: {e}")))?;
        line.push('\n');
        let shown = self.file.display().to_string();
        let io = |e: std::io::Error| AppError::Io(format!("the audit witness {shown}"), e);
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .map_err(io)?;
        f.write_all(line.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        if let Some(command) = &self.command {
            send_to(
                command,
                &line,
                "the audit witness command (the checkpoint is in the witness file and the store)",
            )?;
        }
        Ok(())
    }

    /// Every checkpoint the file holds, with its line number; a missing file holds none. A
    /// line that does not parse is reported with its number.
    pub fn checkpoints(&self) -> Result<Vec<(usize, Checkpoint)>, (usize, String)> {
        let Ok(text) = std::fs::read_to_string(&self.file) else {
            return Ok(Vec::new());
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map(|c| (i + 1, c))
                    .map_err(|e| (i + 1, e.to_string()))
            })
            .collect()
    }
}

/// Runs `command` (by `sh -c`) with `line` on its standard input; `what` names it in errors.
pub(crate) fn send_to(command: &str, line: &str, what: &str) -> Result<(), AppError> {
    let run = || -> std::io::Result<std::process::ExitStatus> {
        let mut child = std::process::Command::new("sh")
            .args(["-c", command])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(line.as_bytes())?;
        }
        child.wait()
    };
    match run() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(AppError::Io(
            what.into(),
            std::io::Error::other(format!("it exited with {status}")),
        )),
        Err(e) => Err(AppError::Io(what.into(), e)),
    }
}
