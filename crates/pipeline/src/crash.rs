//! Named crash points for the fault tests. With `HDAB_CRASH_AT=<step>` in its environment (the
//! binary arms the step with [`arm`]; this library reads no environment) the process kills itself with SIGKILL when it reaches that step of a delivery — no destructor,
//! no flush, no cleanup runs, exactly as when the machine dies there. Without the variable a
//! crash point does nothing. It gives nobody a power they lack: whoever sets a process's
//! environment can kill it anyway.

use std::sync::OnceLock;

/// Every named step, in the order a delivery passes them (see `tests/faults.rs`).
pub const CRASH_POINTS: &[&str] = &[
    // A part file is half written (its first batch is out, it is not closed).
    "writing-part",
    // Every part file is written and fsynced; no manifest yet.
    "parts-synced",
    // The manifest is written and fsynced in the staging folder.
    "manifest-synced",
    // The previous delivery was renamed aside; the new one is not in place yet.
    "previous-moved-aside",
    // The new delivery was renamed into place; its parent directory is not fsynced yet.
    "renamed-into-place",
    // The delivery is committed on disk; the database does not record it yet.
    "delivered-not-recorded",
    // The delivery is recorded; the audit entry of the run is not written yet.
    "recorded-not-audited",
];

static AT: OnceLock<String> = OnceLock::new();

/// Arms the crash point named `step` for this process (the binary does, once, from
/// `HDAB_CRASH_AT`). Unknown names are refused, so a typo cannot make a fault test pass.
pub fn arm(step: &str) -> Result<(), String> {
    if !CRASH_POINTS.contains(&step) {
        return Err(format!(
            "HDAB_CRASH_AT={step} is no crash point; the steps are {}",
            CRASH_POINTS.join(", ")
        ));
    }
    let _ = AT.set(step.to_string());
    Ok(())
}

/// Kills this process if the armed crash point is `step`.
pub fn crash_point(step: &'static str) {
    if AT.get().map(String::as_str) != Some(step) {
        return;
    }
    eprintln!("HDAB_CRASH_AT={step}: killing this process (fault test)");
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    // `kill` was not found or the signal is on its way: never go past the step.
    std::process::abort();
}
