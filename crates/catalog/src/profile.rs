//! A profile of a data file — its measurable facts — and the draft description made from it.
//!
//! `hdab-pipeline` computes a [`Profile`] by reading the file; this module turns it into a
//! draft [`DatasetDescription`] (variables, types, code systems, counts, coverage and the
//! quality annotations the figures support), so a holder edits a draft instead of starting
//! from nothing. Nothing here reads files.

use crate::{
    Bilingual, ContactPoint, DatasetDescription, Sensitivity, TemporalCoverage, Variable,
    VariableType,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What was measured in one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub n_nonempty: u64,
    /// Share of rows with a value, 0–1.
    pub completeness: f64,
    pub inferred_type: VariableType,
    /// ICD-10-SE, ATC or KVÅ when the values follow that code system's pattern.
    pub code_system: Option<String>,
    /// Share of non-empty values valid for the inferred type, 0–1.
    pub validity: f64,
    /// Distinct values (exact up to `distinct_cap`, then a lower bound).
    pub n_distinct: u64,
    pub distinct_capped: bool,
    /// The most frequent values of code columns, with counts (never of identifier columns).
    pub top_values: Vec<(String, u64)>,
    pub min_date: Option<NaiveDate>,
    pub max_date: Option<NaiveDate>,
    /// Dates known to the month or the year only (`YYYYMM00`, `YYYY0000`).
    #[serde(default)]
    pub n_partial_dates: u64,
}

/// What was measured in a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub file_name: String,
    pub reference_date: NaiveDate,
    pub n_rows: u64,
    /// Distinct valid personnummer/samordningsnummer in the person id column.
    pub n_unique_individuals: Option<u64>,
    pub n_invalid_identifiers: u64,
    /// Earliest and latest date over all date columns.
    pub temporal: Option<(NaiveDate, NaiveDate)>,
    /// Records per year of the first date column.
    pub records_per_year: BTreeMap<i32, u64>,
    pub columns: Vec<ColumnProfile>,
}

impl Profile {
    /// Quality annotations the figures support: completeness, validity, timeliness.
    pub fn quality_annotations(&self) -> Vec<String> {
        let mut out = Vec::new();
        let complete = self
            .columns
            .iter()
            .filter(|c| c.completeness >= 0.9999)
            .count();
        let mut least: Vec<&ColumnProfile> = self.columns.iter().collect();
        least.sort_by(|a, b| a.completeness.total_cmp(&b.completeness));
        if let Some(worst) = least.first() {
            out.push(format!(
                "Completeness: {complete} of {} variables have a value in every record; lowest is {} at {:.1}% (profiled {} records on {}).",
                self.columns.len(),
                worst.name,
                worst.completeness * 100.0,
                self.n_rows,
                self.reference_date
            ));
        }
        if let Some(id) = self
            .columns
            .iter()
            .find(|c| c.inferred_type == VariableType::PersonId)
        {
            out.push(format!(
                "Validity: {:.2}% of person identifiers are valid personnummer or samordningsnummer; {} records have an invalid or missing identifier.",
                id.validity * 100.0,
                self.n_invalid_identifiers
            ));
        }
        if let Some((_, last)) = self.temporal {
            let lag = (self.reference_date - last).num_days();
            out.push(format!(
                "Timeliness: the latest record is dated {last}, {lag} days before the extract date {}.",
                self.reference_date
            ));
        }
        out
    }

    /// A draft description: measurable parts filled in, the rest marked TODO for the holder.
    pub fn draft(&self, id: &str, holder: &str) -> DatasetDescription {
        let todo = |what: &str| format!("TODO: {what}");
        let coding_systems: Vec<String> = {
            let mut v: Vec<String> = self
                .columns
                .iter()
                .filter_map(|c| c.code_system.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let n_ids = self
            .columns
            .iter()
            .filter(|c| c.inferred_type == VariableType::PersonId)
            .count();
        DatasetDescription {
            id: id.to_string(),
            holder: holder.to_string(),
            holder_name: todo("the holder's name"),
            title: Bilingual {
                sv: todo("titel på svenska"),
                en: todo("title in English"),
            },
            description: Bilingual {
                sv: todo("beskrivning på svenska"),
                en: todo("description in English"),
            },
            keywords: vec![],
            health_categories: vec![],
            contact_point: ContactPoint {
                name: todo("contact"),
                email: "todo@example.invalid".into(),
            },
            access_rights: "non_public".into(),
            applicable_legislation: vec![crate::EHDS_ELI.to_string()],
            temporal_coverage: TemporalCoverage {
                start: self.temporal.map_or(self.reference_date, |t| t.0),
                end: self.temporal.map(|t| t.1),
            },
            spatial_coverage: "SE".into(),
            number_of_records: Some(self.n_rows),
            number_of_unique_individuals: self.n_unique_individuals,
            min_typical_age: None,
            max_typical_age: None,
            population_coverage: None,
            coding_systems,
            legal_basis: todo("legal basis of the collection"),
            update_frequency: "annual".into(),
            version: self.reference_date.to_string(),
            quality_annotations: self.quality_annotations(),
            variables: self
                .columns
                .iter()
                .map(|c| Variable {
                    name: ascii_name(&c.name),
                    column: (ascii_name(&c.name) != c.name).then(|| c.name.clone()),
                    variable_type: c.inferred_type,
                    description: todo("what the variable holds"),
                    code_system: match c.inferred_type {
                        VariableType::Code => {
                            Some(c.code_system.clone().unwrap_or_else(|| todo("code system")))
                        }
                        _ => None,
                    },
                    sensitivity: match c.inferred_type {
                        VariableType::PersonId => Sensitivity::DirectIdentifier,
                        VariableType::Date => Sensitivity::QuasiIdentifier,
                        VariableType::Code if c.code_system.is_some() => Sensitivity::Sensitive,
                        _ => Sensitivity::Other,
                    },
                    // Partial dates are kept with their precision, never made full days.
                    partial_dates: c.inferred_type == VariableType::Date && c.n_partial_dates > 0,
                    // Several identifiers: the holder says whose each is.
                    role: (c.inferred_type == VariableType::PersonId && n_ids > 1)
                        .then(|| todo("whose identifier: child, mother, donor, …")),
                    of_role: None,
                    hierarchy: None,
                })
                .collect(),
        }
    }
}

/// Which code system a value's shape says, if any: ICD-10-SE (letter, two digits, up to
/// three more characters, written without the dot), ATC (7 characters in five levels) or
/// KVÅ (three letters and two digits).
pub fn code_system_of(value: &str) -> Option<&'static str> {
    let b = value.as_bytes();
    let up = |i: usize| b.get(i).is_some_and(u8::is_ascii_uppercase);
    let dig = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() == 7 && up(0) && dig(1) && dig(2) && up(3) && up(4) && dig(5) && dig(6) {
        return Some("ATC");
    }
    if b.len() == 5 && up(0) && up(1) && up(2) && dig(3) && dig(4) {
        return Some("KVÅ");
    }
    if (3..=6).contains(&b.len())
        && up(0)
        && dig(1)
        && dig(2)
        && b[3..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("ICD-10-SE");
    }
    None
}

/// A variable name researchers' tools accept (1–32 ASCII letters, digits or `_`), from a
/// column's header as the holder wrote it: a valid name stays as it is; otherwise Swedish and
/// other Latin letters are folded (`Kön` → `Kon`), anything else becomes `_`
/// (`Vårdtid (dagar)` → `Vardtid_dagar`).
pub fn ascii_name(header: &str) -> String {
    let header = header.trim();
    let valid = !header.is_empty()
        && header.len() <= 32
        && header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        return header.to_string();
    }
    let folded: String = header
        .chars()
        .map(|c| match c {
            'å' | 'ä' | 'á' | 'à' | 'â' => 'a',
            'Å' | 'Ä' | 'Á' | 'À' | 'Â' => 'A',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'Ö' | 'Ø' | 'Ó' | 'Ò' | 'Ô' => 'O',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'ü' | 'ú' => 'u',
            'Ü' | 'Ú' => 'U',
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        })
        .collect();
    let name = folded
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if name.is_empty() {
        "COLUMN".to_string()
    } else {
        name.chars().take(32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_systems_by_shape() {
        assert_eq!(code_system_of("I219"), Some("ICD-10-SE"));
        assert_eq!(code_system_of("F6489"), Some("ICD-10-SE"));
        assert_eq!(code_system_of("A10BA02"), Some("ATC"));
        assert_eq!(code_system_of("HAC10"), Some("KVÅ"));
        assert_eq!(code_system_of("11001"), None);
        assert_eq!(code_system_of("i219"), None);
    }
}
