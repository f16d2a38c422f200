//! Record-level anonymisation (EHDS Art. 66(2)): generalise quasi-identifiers along their
//! hierarchies and suppress records until every released combination of quasi-identifier
//! values is shared by at least k records, at the least information loss; measure the
//! re-identification risk before and after.
//!
//! Owns the rule "every released record shares its quasi-identifiers with at least k − 1
//! others". Pure: no I/O; the pipeline feeds it the values and writes what it decides.

pub mod hierarchy;
pub mod lattice;
pub mod report;
pub mod risk;

pub use hierarchy::{Hierarchy, Level, ValueKind, region_of_county};
pub use lattice::{Evaluation, Generaliser, Outcome, Quasi, SearchError, Table, Target, Value};
pub use report::{ChosenLevel, LOSS_MEASURE, Report, levels_in_words};
pub use risk::{DiversityCounter, LDiversity, RiskReport};
