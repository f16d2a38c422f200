//! Dataset descriptions (HealthDCAT-AP fields) and their data dictionaries.
//!
//! Owns the rule "a description is accepted only when every problem in it has been named":
//! [`DatasetDescription::from_toml`] parses the content files kept in `catalog/`, and
//! [`DatasetDescription::validate`] lists all problems at once, in a data holder's words.
//! No I/O beyond parsing text handed in; storage of versions lives in `hdab-store`.

pub mod dcat;
mod diff;
pub mod profile;
mod variable_checks;

pub use diff::{Change, diff, diff_documents};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// The EHDS regulation's ELI, the `applicableLegislation` of every dataset in the catalogue.
pub const EHDS_ELI: &str = "http://data.europa.eu/eli/reg/2025/327/oj";

/// Text in Swedish and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Bilingual {
    #[serde(default)]
    pub sv: String,
    #[serde(default)]
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactPoint {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporalCoverage {
    /// `NaiveDate::MIN` when the description leaves it out (validation names it).
    #[serde(default = "missing_date")]
    pub start: chrono::NaiveDate,
    #[serde(default)]
    pub end: Option<chrono::NaiveDate>,
}

/// How sensitive a variable is; decides what may leave and in what form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Personnummer, name, address: never leaves in clear.
    DirectIdentifier,
    /// Birth date, postcode, sex, dates of events: may be generalised.
    QuasiIdentifier,
    /// Diagnoses, drugs, causes of death.
    Sensitive,
    Other,
    /// Anything else written in a description; validation refuses it, naming the variable.
    #[serde(other)]
    Unknown,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::DirectIdentifier => "direct_identifier",
            Sensitivity::QuasiIdentifier => "quasi_identifier",
            Sensitivity::Sensitive => "sensitive",
            Sensitivity::Other => "other",
            Sensitivity::Unknown => "unknown",
        }
    }
}

/// The type of a variable's values as the holder writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableType {
    /// The person identifier (personnummer or samordningsnummer); exactly one per dataset.
    PersonId,
    /// A date written `YYYYMMDD`, possibly partial (`YYYYMM00`, `YYYY0000`).
    Date,
    /// A code from a code system (ICD-10-SE without the dot, ATC, KVÅ, …).
    Code,
    Integer,
    /// A number that may use `,` or `.` as decimal mark.
    Decimal,
    Text,
    /// Anything else written in a description; validation refuses it, naming the variable.
    #[serde(other)]
    Unknown,
}

impl VariableType {
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::PersonId => "person_id",
            VariableType::Date => "date",
            VariableType::Code => "code",
            VariableType::Integer => "integer",
            VariableType::Decimal => "decimal",
            VariableType::Text => "text",
            VariableType::Unknown => "unknown",
        }
    }
}

/// One column of the data dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// What researchers' tools see: 1–32 ASCII letters, digits or `_`.
    pub name: String,
    /// The column's name in the holder's file, when it is not `name` (any UTF-8, spaces
    /// allowed: `Kön`, `Vårdtid (dagar)`). Matched without case, like `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(rename = "type")]
    pub variable_type: VariableType,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system: Option<String>,
    pub sensitivity: Sensitivity,
    /// For dates: the register writes partial dates (`YYYYMM00`, `YYYY0000`). The extract
    /// then carries a companion column `<NAME>_PREC` (`day`, `month` or `year`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial_dates: bool,
    /// For a person identifier: the person's role in a row (`child`, `mother`, `donor`…),
    /// required when a dataset has several. The first is the row's subject by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For any other variable: it describes the person in this role (the mother's age),
    /// so it is withheld with that person's identifier when they opted out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_role: Option<String>,
    /// For a quasi-identifier: the levels an anonymised delivery may coarsen it through,
    /// finest first after the exact value (`["month", "quarter", "year"]`, `["band:5:90",
    /// "band:10:90"]`, `["prefix:3", "prefix:1"]`, `["region"]`). Absent: the default of
    /// its type (dates month, quarter, year; whole numbers 5-, 10- and 20-wide bands; codes
    /// and text their first 3, then 1 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<Vec<String>>,
}

impl Variable {
    /// The generalisation hierarchy of a quasi-identifier (its declared levels, or the
    /// default of its type).
    pub fn generalisation_hierarchy(&self) -> Result<hdab_anonymise::Hierarchy, String> {
        let kind = match self.variable_type {
            VariableType::Date => hdab_anonymise::ValueKind::Date,
            VariableType::Integer => hdab_anonymise::ValueKind::Integer,
            _ => hdab_anonymise::ValueKind::Text,
        };
        match &self.hierarchy {
            Some(levels) => hdab_anonymise::Hierarchy::parse(levels, kind),
            None => Ok(hdab_anonymise::Hierarchy::default_for(kind)),
        }
    }

    /// The column's name in the holder's file.
    pub fn file_column(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.name)
    }

    /// Is `header` (a column name as the file writes it) this variable's column? Without
    /// case, and without surrounding spaces.
    pub fn reads_column(&self, header: &str) -> bool {
        header.trim().to_lowercase() == self.file_column().trim().to_lowercase()
    }
}

/// A dataset description: the HealthDCAT-AP fields and the data dictionary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetDescription {
    /// Stable identifier, lower case letters, digits and `-`.
    #[serde(default)]
    pub id: String,
    /// Organisation id of the data holder (the DCAT publisher).
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub holder_name: String,
    #[serde(default)]
    pub title: Bilingual,
    #[serde(default)]
    pub description: Bilingual,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// EHDS Art. 51 categories (see `HEALTH_CATEGORIES`).
    #[serde(default)]
    pub health_categories: Vec<String>,
    #[serde(default)]
    pub contact_point: ContactPoint,
    /// `public`, `restricted` or `non_public` (the EU access-right vocabulary).
    #[serde(default)]
    pub access_rights: String,
    #[serde(default = "default_legislation")]
    pub applicable_legislation: Vec<String>,
    #[serde(default)]
    pub temporal_coverage: TemporalCoverage,
    /// Country or region code, e.g. `SE`, `SE-AB`.
    #[serde(default)]
    pub spatial_coverage: String,
    #[serde(default)]
    pub number_of_records: Option<u64>,
    #[serde(default)]
    pub number_of_unique_individuals: Option<u64>,
    #[serde(default)]
    pub min_typical_age: Option<u32>,
    #[serde(default)]
    pub max_typical_age: Option<u32>,
    #[serde(default)]
    pub population_coverage: Option<String>,
    #[serde(default)]
    pub coding_systems: Vec<String>,
    #[serde(default)]
    pub legal_basis: String,
    /// `annual`, `quarterly`, `monthly`, `continuous`, …
    #[serde(default)]
    pub update_frequency: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub quality_annotations: Vec<String>,
    #[serde(default)]
    pub variables: Vec<Variable>,
}

fn missing_date() -> chrono::NaiveDate {
    chrono::NaiveDate::MIN
}

impl Default for TemporalCoverage {
    fn default() -> Self {
        TemporalCoverage {
            start: missing_date(),
            end: None,
        }
    }
}

fn default_legislation() -> Vec<String> {
    vec![EHDS_ELI.to_string()]
}

/// EHDS Art. 51 categories, as short stable keys (see FIELD.md for the list's source).
pub const HEALTH_CATEGORIES: &[&str] = &[
    "electronic-health-records",
    "factors-affecting-health",
    "aggregated-care-data",
    "pathogen-data",
    "administrative-health-data",
    "genetic-genomic-data",
    "other-omics-data",
    "medical-device-generated-data",
    "wellness-app-data",
    "health-professional-data",
    "population-health-registers",
    "medical-and-mortality-registers",
    "clinical-trials-and-studies",
    "other-medical-device-data",
    "medicinal-product-registers",
    "research-cohorts-and-surveys",
    "biobank-data",
];

/// Why a description file could not be read, or every problem found in it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the description is not valid TOML or misses a required field: {0}")]
    Syntax(String),
    #[error("the description has {} problem(s):\n{}", .0.len(), Problems(.0))]
    Invalid(Vec<String>),
}

struct Problems<'a>(&'a [String]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl DatasetDescription {
    /// Parses and validates a description in the `catalog/*.toml` format.
    pub fn from_toml(text: &str) -> Result<DatasetDescription, CatalogError> {
        let d: DatasetDescription =
            toml::from_str(text).map_err(|e| CatalogError::Syntax(e.message().to_string()))?;
        d.validate()?;
        Ok(d)
    }

    /// Parses and validates the JSON form kept in the store.
    pub fn from_json(text: &str) -> Result<DatasetDescription, CatalogError> {
        let d: DatasetDescription =
            serde_json::from_str(text).map_err(|e| CatalogError::Syntax(e.to_string()))?;
        d.validate()?;
        Ok(d)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 of the canonical JSON form; names a version's content.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.to_json().as_bytes()))
    }

    /// Checks everything at once and names every problem.
    pub fn validate(&self) -> Result<(), CatalogError> {
        let mut problems = Vec::new();
        let id_ok = !self.id.is_empty()
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            problems.push(
                "id: use lower-case letters, digits and '-' only (for example 'inpatient-register')"
                    .to_string(),
            );
        }
        // A draft from `hdab catalog profile` marks what the holder must still write.
        let json = self.to_json();
        if json.contains("\"TODO") || json.contains("todo@example.invalid") {
            let mut fields = Vec::new();
            collect_todo_paths(
                "",
                &serde_json::to_value(self).unwrap_or_default(),
                &mut fields,
            );
            for f in fields {
                problems.push(format!("{f}: still the draft's placeholder; write it"));
            }
        }
        for (field, text) in [
            ("contact_point.name", &self.contact_point.name),
            ("title.sv", &self.title.sv),
            ("title.en", &self.title.en),
            ("description.sv", &self.description.sv),
            ("description.en", &self.description.en),
            ("holder", &self.holder),
            ("holder_name", &self.holder_name),
            ("legal_basis", &self.legal_basis),
            ("version", &self.version),
            ("spatial_coverage", &self.spatial_coverage),
        ] {
            if text.trim().is_empty() {
                problems.push(format!("{field}: must not be empty"));
            }
        }
        let holder_ok = !self.holder.is_empty()
            && self
                .holder
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !holder_ok {
            problems.push(
                "holder: the organisation id uses lower-case letters, digits and '-' only (for example 'region-uppsala')"
                    .to_string(),
            );
        }
        if dcat::frequency_code(&self.update_frequency).is_none() {
            problems.push(format!(
                "update_frequency: '{}' is not one of continuous, daily, weekly, monthly, quarterly, annual, irregular, never",
                self.update_frequency
            ));
        }
        if self.spatial_coverage != "SE" && !self.spatial_coverage.starts_with("SE-") {
            problems.push(format!(
                "spatial_coverage: '{}' is not Sweden ('SE') or a Swedish county code ('SE-AB')",
                self.spatial_coverage
            ));
        }
        let email_ok = self.contact_point.email.contains('@')
            && !self.contact_point.email.contains(char::is_whitespace);
        if !email_ok {
            problems.push("contact_point.email: not an e-mail address".to_string());
        }
        if !["public", "restricted", "non_public"].contains(&self.access_rights.as_str()) {
            problems.push(format!(
                "access_rights: '{}' is not one of public, restricted, non_public",
                self.access_rights
            ));
        }
        if self.health_categories.is_empty() {
            problems.push("health_categories: name at least one EHDS health category".into());
        }
        for c in &self.health_categories {
            if !HEALTH_CATEGORIES.contains(&c.as_str()) {
                problems.push(format!(
                    "health_categories: '{c}' is not an EHDS category (one of: {})",
                    HEALTH_CATEGORIES.join(", ")
                ));
            }
        }
        if !self.applicable_legislation.iter().any(|l| l == EHDS_ELI) {
            problems.push(format!("applicable_legislation: must include {EHDS_ELI}"));
        }
        if self.temporal_coverage.start == chrono::NaiveDate::MIN {
            problems.push("temporal_coverage.start: give the first date the data covers".into());
        }
        if let (Some(end), start) = (self.temporal_coverage.end, self.temporal_coverage.start)
            && end < start
        {
            problems.push("temporal_coverage: end is before start".into());
        }
        if let (Some(lo), Some(hi)) = (self.min_typical_age, self.max_typical_age)
            && lo > hi
        {
            problems.push("min_typical_age is above max_typical_age".into());
        }
        problems.extend(self.dictionary_problems());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CatalogError::Invalid(problems))
        }
    }

    fn dictionary_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.variables.is_empty() {
            problems.push("variables: the data dictionary is empty".into());
        }
        let mut seen = BTreeMap::new();
        for (i, v) in self.variables.iter().enumerate() {
            let where_ = format!("variables[{i}] '{}'", v.name);
            let name_ok = !v.name.is_empty()
                && v.name.len() <= 32
                && v.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !name_ok {
                problems.push(format!(
                    "{where_}: a name is 1–32 ASCII letters, digits or '_' (researchers' tools need that)"
                ));
            }
            if let Some(first) = seen.insert(v.name.to_ascii_lowercase(), i) {
                problems.push(format!(
                    "{where_}: same name as variables[{first}] (names are compared without case)"
                ));
            }
            if let Some(column) = &v.column {
                if column.trim().is_empty() {
                    problems.push(format!(
                        "{where_}: column must name the file's column (or be left out when it is the name)"
                    ));
                }
                let first = self.variables[..i]
                    .iter()
                    .position(|other| other.reads_column(v.file_column()));
                if let Some(first) = first {
                    problems.push(format!(
                        "{where_}: reads the same column of the file as variables[{first}]"
                    ));
                }
            }
            problems.extend(v.own_problems(&where_));
        }
        let ids: Vec<&Variable> = self.person_id_variables().collect();
        if ids.is_empty() {
            problems.push(
                "variables: one variable must have type person_id (the row's person); none has"
                    .into(),
            );
        }
        let roles: Vec<&str> = ids.iter().filter_map(|v| v.role.as_deref()).collect();
        if ids.len() > 1 {
            for v in &ids {
                match v.role.as_deref() {
                    None => problems.push(format!(
                        "variable '{}': with several person identifiers, each names its role (role = \"child\", \"mother\", …)",
                        v.name
                    )),
                    Some(r) if roles.iter().filter(|x| **x == r).count() > 1 => problems.push(
                        format!("variable '{}': role '{r}' is given twice", v.name),
                    ),
                    Some(_) => {}
                }
            }
        }
        for v in &self.variables {
            if let Some(r) = &v.role
                && (v.variable_type != VariableType::PersonId
                    || r.is_empty()
                    || !r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            {
                problems.push(format!(
                    "variable '{}': a role belongs to a person_id variable and is lower-case letters or '_'",
                    v.name
                ));
            }
            if let Some(r) = &v.of_role
                && (v.variable_type == VariableType::PersonId || !roles.contains(&r.as_str()))
            {
                problems.push(format!(
                    "variable '{}': of_role '{r}' names no person identifier's role",
                    v.name
                ));
            }
        }
        problems
    }

    /// Every person identifier variable, the row's default subject first.
    pub fn person_id_variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables
            .iter()
            .filter(|v| v.variable_type == VariableType::PersonId)
    }

    /// The person identifier of `role` (`None`: the first, the default subject).
    pub fn person_id_of_role(&self, role: Option<&str>) -> Option<&Variable> {
        match role {
            None => self.person_id_variables().next(),
            Some(r) => self
                .person_id_variables()
                .find(|v| v.role.as_deref() == Some(r)),
        }
    }

    /// The variable with this name, compared without case (registers write `LopNr` and `lopnr`).
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }

    /// The variable a column of the holder's file holds (its header, as written).
    pub fn variable_for_column(&self, header: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.reads_column(header))
    }

    /// The row's default subject: the first person identifier.
    pub fn person_id_variable(&self) -> Option<&Variable> {
        self.person_id_variables().next()
    }
}

fn collect_todo_paths(path: &str, v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.starts_with("TODO") || s == "todo@example.invalid" => {
            out.push(path.to_string())
        }
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                collect_todo_paths(&p, v, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let name = v
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map_or(i.to_string(), str::to_string);
                collect_todo_paths(&format!("{path}[{name}]"), v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
