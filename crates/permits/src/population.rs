//! The study population of an application and its permit: who the study is about.
//!
//! Cases are the people with a row in the index dataset that meets every criterion; each
//! case's index date is the first qualifying date. Exclusions look back from the index
//! date. Controls, when asked for, are drawn from a total-population register, matched on
//! sex and birth year (and county), alive and resident at the case's index date, never a
//! case. Every dataset of the permit then delivers only people of the population, and a
//! dataset's window keeps only rows dated near each person's index date. Data here; the
//! pipeline builds and applies it.

pub use crate::cohort::Window;
use crate::cohort::{Cohort, Condition, cohort_problems};
use hdab_catalog::{DatasetDescription, VariableType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyPopulation {
    /// The dataset the cases come from (say, the in-patient register).
    pub index_dataset: String,
    /// What a row must meet for its person to be a case.
    pub criteria: Cohort,
    /// The date variable of the index dataset; each case's index date is its first
    /// qualifying value.
    pub index_date: String,
    /// In an index dataset with several person identifiers, whose rows make cases (absent:
    /// the first identifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_role: Option<String>,
    /// Cases with a row meeting these conditions shortly before their index date are left
    /// out (no earlier infarction within five years, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controls: Option<Controls>,
    /// How precisely the delivered population table states the index date.
    #[serde(default)]
    pub index_date_precision: DatePrecision,
}

/// Rows of the index dataset meeting every condition, dated within `days_before` days
/// before the index date, exclude the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub conditions: Vec<Condition>,
    pub days_before: u32,
}

/// Matched controls from a total-population register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controls {
    /// The population register (SCB's RTB in Sweden).
    pub dataset: String,
    /// Controls per case, 1 to 10.
    pub per_case: u32,
    /// Match on county too (sex and birth year always).
    #[serde(default)]
    pub match_county: bool,
    /// The register's columns, by their names in its data dictionary.
    #[serde(default)]
    pub columns: RegisterColumns,
}

/// Which variables of the population register say what; the defaults are the RTB's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegisterColumns {
    pub sex: String,
    pub birth_date: String,
    pub county: String,
    pub immigration: String,
    pub emigration: String,
    pub death: String,
}

impl Default for RegisterColumns {
    fn default() -> Self {
        RegisterColumns {
            sex: "KON".into(),
            birth_date: "FODELSEDATUM".into(),
            county: "LAN".into(),
            immigration: "INVANDRINGSDATUM".into(),
            emigration: "UTVANDRINGSDATUM".into(),
            death: "DODSDATUM".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    #[default]
    Day,
    Month,
    Year,
}

/// The delivered population table (a folder of its own in the workspace).
pub const POPULATION_TABLE: &str = "population";

impl StudyPopulation {
    /// Problems of the population against the catalogue (`catalogue` resolves a dataset id).
    pub fn problems(&self, catalogue: &dyn Fn(&str) -> Option<DatasetDescription>) -> Vec<String> {
        let mut p = Vec::new();
        match catalogue(&self.index_dataset) {
            None => p.push(format!(
                "population: no dataset '{}' in the catalogue",
                self.index_dataset
            )),
            Some(d) => {
                if let Some(role) = &self.person_role
                    && d.person_id_of_role(Some(role)).is_none()
                {
                    p.push(format!(
                        "population: person_role: '{}' has no person identifier of role '{role}'",
                        d.id
                    ));
                }
                if self.criteria.conditions.is_empty() {
                    p.push("population: criteria: name at least one condition a case meets".into());
                }
                p.extend(
                    cohort_problems(&self.criteria, &d)
                        .into_iter()
                        .map(|e| format!("population: criteria: {e}")),
                );
                match d.variable(&self.index_date) {
                    None => p.push(format!(
                        "population: index_date: '{}' is not in the data dictionary of '{}'",
                        self.index_date, d.id
                    )),
                    Some(v) if v.variable_type != VariableType::Date => p.push(format!(
                        "population: index_date: '{}' is of type {}, an index date needs a date variable",
                        v.name,
                        v.variable_type.as_str()
                    )),
                    Some(v) if v.partial_dates => p.push(format!(
                        "population: index_date: '{}' may hold partial dates; an index date must be a full date",
                        v.name
                    )),
                    Some(_) => {}
                }
                for (i, e) in self.exclusions.iter().enumerate() {
                    if e.conditions.is_empty() {
                        p.push(format!(
                            "population: exclusions[{i}]: name at least one condition"
                        ));
                    }
                    let c = Cohort {
                        conditions: e.conditions.clone(),
                    };
                    p.extend(
                        cohort_problems(&c, &d)
                            .into_iter()
                            .map(|e| format!("population: exclusions[{i}]: {e}")),
                    );
                }
            }
        }
        if let Some(c) = &self.controls {
            if c.per_case == 0 || c.per_case > 10 {
                p.push("population: controls: per_case is between 1 and 10".into());
            }
            match catalogue(&c.dataset) {
                None => p.push(format!(
                    "population: controls: no dataset '{}' in the catalogue",
                    c.dataset
                )),
                Some(d) => {
                    let cols = &c.columns;
                    for (what, name, want) in [
                        ("sex", &cols.sex, VariableType::Code),
                        ("birth_date", &cols.birth_date, VariableType::Date),
                        ("county", &cols.county, VariableType::Code),
                        ("immigration", &cols.immigration, VariableType::Date),
                        ("emigration", &cols.emigration, VariableType::Date),
                        ("death", &cols.death, VariableType::Date),
                    ] {
                        match d.variable(name) {
                            None => p.push(format!(
                                "population: controls: the {what} column '{name}' is not in the data dictionary of '{}'",
                                d.id
                            )),
                            Some(v) if v.variable_type != want => p.push(format!(
                                "population: controls: the {what} column '{name}' is of type {}, {} expected",
                                v.variable_type.as_str(),
                                want.as_str()
                            )),
                            Some(_) => {}
                        }
                    }
                }
            }
        }
        p
    }

    /// Whether `narrower` asks for no more people than `self`: the same index dataset and
    /// date, every criterion and exclusion kept (more may be added), no more controls.
    pub fn is_narrowing(&self, narrower: &StudyPopulation) -> Result<(), String> {
        if narrower.index_dataset != self.index_dataset || narrower.index_date != self.index_date {
            return Err("the population's index dataset and date cannot change at approval".into());
        }
        if self
            .criteria
            .conditions
            .iter()
            .any(|c| !narrower.criteria.conditions.contains(c))
        {
            return Err("the population drops a criterion the applicant asked for; add criteria, do not remove them".into());
        }
        if self.exclusions.iter().any(|e| {
            !narrower
                .exclusions
                .iter()
                .any(|n| n.conditions == e.conditions && n.days_before >= e.days_before)
        }) {
            return Err("the population drops or shortens an exclusion".into());
        }
        match (&self.controls, &narrower.controls) {
            (_, None) => {}
            (None, Some(_)) => return Err("controls were not applied for".into()),
            (Some(o), Some(n)) => {
                if n.dataset != o.dataset || n.columns != o.columns {
                    return Err("the controls' register cannot change at approval".into());
                }
                if n.per_case > o.per_case || (o.match_county && !n.match_county) {
                    return Err("more controls, or looser matching, than applied for".into());
                }
            }
        }
        if precision_rank(narrower.index_date_precision) < precision_rank(self.index_date_precision)
        {
            return Err(
                "the index date cannot be delivered more precisely than applied for".into(),
            );
        }
        Ok(())
    }
}

fn precision_rank(p: DatePrecision) -> u8 {
    match p {
        DatePrecision::Day => 0,
        DatePrecision::Month => 1,
        DatePrecision::Year => 2,
    }
}
