//! What is asked of one dataset: variables, a cohort filter and generalisations.
//!
//! A cohort is a conjunction of conditions over the dataset's own variables. It is data
//! here; the pipeline compiles it to DataFusion expressions.

use chrono::NaiveDate;
use hdab_catalog::{DatasetDescription, Sensitivity, VariableType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRequest {
    pub dataset_id: String,
    /// Variables to deliver, besides the pseudonym.
    pub variables: Vec<String>,
    #[serde(default)]
    pub cohort: Cohort,
    #[serde(default)]
    pub generalisations: Vec<Generalisation>,
    /// Only rows dated near each person's index date (needs a study population).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// In a dataset with several person identifiers, the role that is the row's person
    /// (the study population and opt-outs drop rows by it); absent: the first identifier.
    /// The others are delivered as `pseudonym_<role>` under the same permit key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_role: Option<String>,
}

/// Rows are in the cohort when every condition holds (an empty cohort takes every row).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Any of `columns` starts with any of `prefixes` (ICD-10-SE `I21`, ATC `C07`).
    CodePrefix {
        columns: Vec<String>,
        prefixes: Vec<String>,
    },
    /// `column` is a date within [`from`, `to`] (either end may be open).
    DateRange {
        column: String,
        #[serde(default)]
        from: Option<NaiveDate>,
        #[serde(default)]
        to: Option<NaiveDate>,
    },
    /// Age in whole years on date `at`, from the birth date in the person id, within [min, max].
    AgeRange {
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
        at: NaiveDate,
    },
}

/// A coarsening applied to one variable before delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Generalisation {
    /// Dates to the first day of their year.
    DateToYear { column: String },
    /// Dates to the first day of their month.
    DateToMonth { column: String },
    /// Ages (or any whole number) to bands of `width` years, labelled `40-44`; with `top`,
    /// everything from `top` up is one band labelled `90+`.
    AgeBands {
        column: String,
        width: u32,
        #[serde(default)]
        top: Option<u32>,
    },
    /// Whole numbers above `max` become `max` (top-coding).
    TopCode { column: String, max: i64 },
    /// Text or codes cut to their first `keep` characters (postcodes `11428` → `114`,
    /// ICD-10-SE `I219` → `I21`).
    Truncate { column: String, keep: u32 },
}

impl Generalisation {
    pub fn column(&self) -> &str {
        match self {
            Generalisation::DateToYear { column }
            | Generalisation::DateToMonth { column }
            | Generalisation::AgeBands { column, .. }
            | Generalisation::TopCode { column, .. }
            | Generalisation::Truncate { column, .. } => column,
        }
    }

    /// The variable types it applies to, and what it does, in words.
    fn applies_to(&self) -> (&'static [VariableType], &'static str) {
        match self {
            Generalisation::DateToYear { .. } | Generalisation::DateToMonth { .. } => (
                &[VariableType::Date],
                "only dates can be generalised to year or month",
            ),
            Generalisation::AgeBands { .. } | Generalisation::TopCode { .. } => (
                &[VariableType::Integer],
                "only whole numbers can be banded or top-coded",
            ),
            Generalisation::Truncate { .. } => (
                &[VariableType::Code, VariableType::Text],
                "only codes and text can be truncated",
            ),
        }
    }
}

impl DatasetRequest {
    /// Problems of this request against the dataset's data dictionary.
    pub fn problems_against(&self, d: &DatasetDescription) -> Vec<String> {
        let mut p = Vec::new();
        if self.variables.is_empty() {
            p.push("variables: ask for at least one variable".into());
        }
        for name in &self.variables {
            match d.variable(name) {
                None => p.push(format!("variable '{name}' is not in the data dictionary")),
                Some(v) if v.variable_type == VariableType::PersonId => p.push(format!(
                    "variable '{name}' is the person id; it is always delivered as a pseudonym"
                )),
                Some(v) if v.sensitivity == Sensitivity::DirectIdentifier => p.push(format!(
                    "variable '{name}' is a direct identifier and never leaves the HDAB"
                )),
                Some(_) => {}
            }
        }
        if let Some(role) = &self.person_role
            && d.person_id_of_role(Some(role)).is_none()
        {
            p.push(format!(
                "person_role: '{}' has no person identifier of role '{role}'",
                d.id
            ));
        }
        p.extend(cohort_problems(&self.cohort, d));
        if let Some(w) = &self.window {
            p.extend(w.problems_against(d));
        }
        for g in &self.generalisations {
            let col = g.column();
            if !self.variables.iter().any(|v| v.eq_ignore_ascii_case(col)) {
                p.push(format!(
                    "generalisation of '{col}': the variable is not among those requested"
                ));
            }
            let (types, what) = g.applies_to();
            typed(d, col, types, what, &mut p);
            match g {
                Generalisation::AgeBands { width: 0, .. } => p.push(format!(
                    "generalisation of '{col}': a band is at least 1 wide"
                )),
                Generalisation::Truncate { keep: 0, .. } => p.push(format!(
                    "generalisation of '{col}': keep at least 1 character"
                )),
                _ => {}
            }
        }
        p
    }
}

/// A variable named by a request, checked for type.
fn typed(
    d: &DatasetDescription,
    name: &str,
    want: &[VariableType],
    what: &str,
    p: &mut Vec<String>,
) {
    match d.variable(name) {
        None => p.push(format!(
            "cohort: variable '{name}' is not in the data dictionary"
        )),
        Some(v) if !want.contains(&v.variable_type) => p.push(format!(
            "cohort: variable '{name}' is of type {}, {what}",
            v.variable_type.as_str()
        )),
        Some(_) => {}
    }
}

/// Problems of a cohort's conditions against a dataset's data dictionary.
pub fn cohort_problems(cohort: &Cohort, d: &DatasetDescription) -> Vec<String> {
    let mut p = Vec::new();
    for c in &cohort.conditions {
        match c {
            Condition::CodePrefix { columns, prefixes } => {
                if columns.is_empty() || prefixes.is_empty() {
                    p.push("cohort: a code_prefix condition needs columns and prefixes".into());
                }
                for col in columns {
                    typed(
                        d,
                        col,
                        &[VariableType::Code, VariableType::Text],
                        "a code prefix needs a code or text variable",
                        &mut p,
                    );
                }
                for pre in prefixes {
                    if pre.is_empty() || !pre.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        p.push(format!("cohort: code prefix '{pre}' must be letters and digits only (ICD-10-SE is written without the dot)"));
                    }
                }
            }
            Condition::DateRange { column, from, to } => {
                typed(
                    d,
                    column,
                    &[VariableType::Date],
                    "a date range needs a date variable",
                    &mut p,
                );
                if let (Some(f), Some(t)) = (from, to)
                    && f > t
                {
                    p.push(format!(
                        "cohort: date range on '{column}' ends before it starts"
                    ));
                }
            }
            Condition::AgeRange { min, max, .. } => {
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    p.push("cohort: age range minimum is above its maximum".into());
                }
            }
        }
    }
    p
}

/// Rows of one dataset kept only when `column` lies within [`from_days`, `to_days`] of the
/// person's index date (−365 to 730: from a year before to two years after).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub column: String,
    pub from_days: i32,
    pub to_days: i32,
}

impl Window {
    pub fn problems_against(&self, d: &DatasetDescription) -> Vec<String> {
        let mut p = Vec::new();
        match d.variable(&self.column) {
            None => p.push(format!(
                "window: variable '{}' is not in the data dictionary",
                self.column
            )),
            Some(v) if v.variable_type != VariableType::Date => p.push(format!(
                "window: variable '{}' is of type {}, a window needs a date variable",
                v.name,
                v.variable_type.as_str()
            )),
            Some(_) => {}
        }
        if self.from_days > self.to_days {
            p.push("window: from_days is after to_days".into());
        }
        p
    }
}
