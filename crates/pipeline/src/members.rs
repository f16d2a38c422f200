//! What a built study population is: its members (case or control, index date, matched
//! set), its figures, its digest, and the filter every dataset's classification applies.
//! Built by `population.rs`; read by `classify.rs` and `population_table.rs`.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Date32Type;
use datafusion::arrow::record_batch::RecordBatch;
use hdab_pseudonymise::PersonId;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberRole {
    Case,
    Control,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Case => "case",
            MemberRole::Control => "control",
        }
    }
}

/// One person of the population: a case or a control, the index date (a control has its
/// case's), and the matched set (the case's number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub role: MemberRole,
    /// Days since 1970-01-01.
    pub index_day: i32,
    pub set: u32,
}

/// Figures of a built population (no person in them).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PopulationSummary {
    /// People who met the criteria (valid id).
    pub qualifying: u64,
    /// Of those, left out by an exclusion.
    pub excluded: u64,
    pub cases: u64,
    pub controls: u64,
    /// Cases with fewer controls than asked (too few eligible people in their stratum).
    pub cases_short_of_controls: u64,
    /// Cases not found in the population register (no controls can be matched).
    pub cases_not_in_register: u64,
}

/// The population: every member by person, its figures, and a digest of its content (keyed,
/// so it names no one) that enters every dataset's run id.
#[derive(Debug, Clone)]
pub struct Population {
    pub members: Arc<HashMap<PersonId, Member>>,
    pub summary: PopulationSummary,
    pub digest: String,
}

/// What a dataset's classification needs of the population: membership, and the window
/// (index in the typed batch, from and to days) if the dataset has one.
#[derive(Debug, Clone)]
pub(crate) struct PopulationFilter {
    pub members: Arc<HashMap<PersonId, Member>>,
    pub window: Option<(usize, i32, i32)>,
}

impl PopulationFilter {
    /// Where a valid person's row goes: `Err(true)` outside the population, `Err(false)`
    /// outside the window, `Ok` kept.
    pub(crate) fn place(
        &self,
        person: &PersonId,
        typed: &RecordBatch,
        row: usize,
    ) -> Result<(), bool> {
        let Some(m) = self.members.get(person) else {
            return Err(true);
        };
        if let Some((col, from, to)) = self.window {
            let dates = typed.column(col).as_primitive::<Date32Type>();
            if dates.is_null(row) {
                return Err(false);
            }
            let offset = dates.value(row) - m.index_day;
            if offset < from || offset > to {
                return Err(false);
            }
        }
        Ok(())
    }
}
