//! What an anonymised delivery's manifest says of its anonymisation.

use crate::risk::RiskReport;
use serde::{Deserialize, Serialize};

/// The target, the chosen levels, what was suppressed and lost, and the risk before and
/// after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub k: u64,
    pub max_suppressed_share: f64,
    /// Each quasi-identifier's chosen level (`exact`, `month`, `band:10`, …).
    pub levels: Vec<ChosenLevel>,
    /// Records removed because their group stayed smaller than k.
    pub suppressed: u64,
    /// Information lost, 0 (nothing) to 1 (every quasi-identifier suppressed).
    pub information_loss: f64,
    pub loss_measure: String,
    pub lattice_size: usize,
    /// Combinations of levels evaluated (the rest were known to pass from a finer one).
    pub evaluated: usize,
    /// The request as it stands (exact values, or the permit's own generalisation).
    pub before: RiskReport,
    /// The delivered table.
    pub after: RiskReport,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChosenLevel {
    pub variable: String,
    pub level: String,
    /// Its place in the hierarchy (0: exact) and how many levels there are above exact.
    pub step: usize,
    pub steps: usize,
}

impl ChosenLevel {
    /// The chosen `level` of `quasi`.
    pub fn of(quasi: &crate::Quasi, level: usize) -> ChosenLevel {
        ChosenLevel {
            variable: quasi.name.clone(),
            level: quasi.hierarchy.levels[level].as_text(),
            step: level,
            steps: quasi.hierarchy.top(),
        }
    }
}

/// Chosen levels in words: `KON exact, ALDER band:10:90, LAN region`.
pub fn levels_in_words(levels: &[ChosenLevel]) -> String {
    levels
        .iter()
        .map(|l| format!("{} {}", l.variable, l.level))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The measure [`Report::information_loss`] uses.
pub const LOSS_MEASURE: &str = "non-uniform entropy: the bits of each exact quasi-identifier value a record loses to generalisation (all of them when suppressed), summed over records, as a share of the loss of suppressing every value";
