//! Where an extraction's time goes (`hdab extract --timings`), so that the next regression is
//! found in a minute: seconds per stage, summed over the partitions' workers (CPU-seconds,
//! which exceed the wall time when both cores work), and the leak scan's wall time.

use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StageTimes {
    /// Reading and decoding the upload (waiting for the next batch).
    pub read: f64,
    /// Parsing identifiers, typing values, the cohort, the population and the opt-out
    /// registry (one registry hash per distinct person of a batch).
    pub identify: f64,
    /// Pseudonyms (one HMAC per distinct person of a batch).
    pub hash: f64,
    /// Keeping the permitted variables of the kept rows, generalised.
    pub filter: f64,
    /// Encoding, compressing and writing Parquet, and syncing the files.
    pub write: f64,
    /// The leak scan of the staged files (wall time).
    pub scan: f64,
}

impl StageTimes {
    pub(crate) fn add(&mut self, o: &StageTimes) {
        self.read += o.read;
        self.identify += o.identify;
        self.hash += o.hash;
        self.filter += o.filter;
        self.write += o.write;
        self.scan += o.scan;
    }
}

/// Seconds since `*mark`, moving the mark to now.
pub(crate) fn lap(mark: &mut Instant) -> f64 {
    let now = Instant::now();
    let s = now.duration_since(*mark).as_secs_f64();
    *mark = now;
    s
}
