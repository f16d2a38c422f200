//! OpenAPI descriptions of the bodies whose Rust types live in the domain crates (which know
//! nothing of HTTP). Each mirrors the serde shape of its domain type field by field; the
//! handlers deserialise into the domain type itself, so a drift between the two shows up as
//! a schemathesis failure in CI.

#![allow(dead_code)]

use utoipa::ToSchema;

/// A data access application (EHDS Art. 67), as in `pipelines/demo-application.toml`.
/// Saved as a draft whatever it holds; checked for completeness when submitted.
#[derive(Debug, ToSchema)]
#[schema(as = Application)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSchema {
    title: String,
    organisation: String,
    #[schema(inline)]
    purpose: hdab_permits::Purpose,
    intended_use: String,
    expected_benefit: String,
    /// User ids of everyone who will work with the data in the SPE.
    spe_users: Vec<String>,
    /// Who the study is about: every dataset delivers only these people.
    #[schema(required = false, nullable = true)]
    population: Option<StudyPopulationSchema>,
    datasets: Vec<DatasetRequestSchema>,
    /// `true`: pseudonymised data; `false`: anonymised.
    pseudonymised: bool,
    #[schema(required = false)]
    why_not_anonymised: String,
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    months_needed: u32,
    #[schema(required = false, nullable = true)]
    ethics_reference: Option<String>,
    #[schema(required = false)]
    safeguards: String,
}

/// One dataset of an application or a permit.
#[derive(Debug, ToSchema)]
#[schema(as = DatasetRequest)]
#[serde(deny_unknown_fields)]
pub struct DatasetRequestSchema {
    dataset_id: String,
    variables: Vec<String>,
    #[schema(required = false)]
    cohort: CohortSchema,
    #[schema(required = false)]
    generalisations: Vec<GeneralisationSchema>,
    /// Only rows dated near each person's index date (needs a study population).
    #[schema(required = false, nullable = true)]
    window: Option<WindowSchema>,
    /// With several person identifiers: the role that is the row's person.
    #[schema(required = false, nullable = true)]
    person_role: Option<String>,
}

/// The study population: cases from an index dataset, optionally matched controls.
#[derive(Debug, ToSchema)]
#[schema(as = StudyPopulation)]
#[serde(deny_unknown_fields)]
pub struct StudyPopulationSchema {
    index_dataset: String,
    criteria: CohortSchema,
    /// The date variable whose first qualifying value is each case's index date.
    index_date: String,
    #[schema(required = false, nullable = true)]
    person_role: Option<String>,
    #[schema(required = false)]
    exclusions: Vec<ExclusionSchema>,
    #[schema(required = false, nullable = true)]
    controls: Option<ControlsSchema>,
    #[schema(required = false, inline)]
    index_date_precision: DatePrecisionName,
}

/// Rows meeting every condition within `days_before` days before the index date exclude
/// the case.
#[derive(Debug, ToSchema)]
#[schema(as = Exclusion)]
#[serde(deny_unknown_fields)]
pub struct ExclusionSchema {
    conditions: Vec<ConditionSchema>,
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    days_before: u32,
}

/// Matched controls from a population register.
#[derive(Debug, ToSchema)]
#[schema(as = Controls)]
#[serde(deny_unknown_fields)]
pub struct ControlsSchema {
    dataset: String,
    #[schema(minimum = 1, maximum = 10)]
    per_case: u32,
    #[schema(required = false)]
    match_county: bool,
    #[schema(required = false)]
    columns: RegisterColumnsSchema,
}

/// The population register's variables (defaults: the RTB's names).
#[derive(Debug, ToSchema)]
#[schema(as = RegisterColumns)]
#[serde(deny_unknown_fields)]
pub struct RegisterColumnsSchema {
    #[schema(required = false)]
    sex: String,
    #[schema(required = false)]
    birth_date: String,
    #[schema(required = false)]
    county: String,
    #[schema(required = false)]
    immigration: String,
    #[schema(required = false)]
    emigration: String,
    #[schema(required = false)]
    death: String,
}

#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DatePrecisionName {
    Day,
    Month,
    Year,
}

/// Rows kept only when `column` lies within [from_days, to_days] of the index date.
#[derive(Debug, ToSchema)]
#[schema(as = Window)]
#[serde(deny_unknown_fields)]
pub struct WindowSchema {
    column: String,
    from_days: i32,
    to_days: i32,
}

/// Rows are in the cohort when every condition holds.
#[derive(Debug, ToSchema)]
#[schema(as = Cohort)]
#[serde(deny_unknown_fields)]
pub struct CohortSchema {
    #[schema(required = false)]
    conditions: Vec<ConditionSchema>,
}

#[derive(Debug, ToSchema)]
#[schema(as = Condition)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConditionSchema {
    CodePrefix(CodePrefix),
    DateRange(DateRange),
    AgeRange(AgeRange),
}

/// Any of `columns` starts with any of `prefixes` (ICD-10-SE `I21`, ATC `C07`).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodePrefix {
    columns: Vec<String>,
    prefixes: Vec<String>,
}

/// `column` is a date within [`from`, `to`] (either end may be open).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    column: String,
    #[schema(format = Date, nullable = true, required = false, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    from: Option<String>,
    #[schema(format = Date, nullable = true, required = false, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    to: Option<String>,
}

/// Age in whole years on `at`, from the birth date in the person id, within [min, max].
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeRange {
    #[schema(nullable = true, required = false, minimum = 0)]
    min: Option<u32>,
    #[schema(nullable = true, required = false, minimum = 0)]
    max: Option<u32>,
    #[schema(format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    at: String,
}

/// A coarsening applied to one variable before delivery.
#[derive(Debug, ToSchema)]
#[schema(as = Generalisation)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GeneralisationSchema {
    DateToYear(OnColumn),
    DateToMonth(OnColumn),
    AgeBands(AgeBands),
    TopCode(TopCode),
    Truncate(Truncate),
}

#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnColumn {
    column: String,
}

#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeBands {
    column: String,
    width: u32,
    #[schema(nullable = true, required = false)]
    top: Option<u32>,
}

#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopCode {
    column: String,
    max: i64,
}

#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Truncate {
    column: String,
    keep: u32,
}

/// What a permit grants: a narrower version of what was asked for.
#[derive(Debug, ToSchema)]
#[schema(as = ExtractionSpec)]
#[serde(deny_unknown_fields)]
pub struct ExtractionSpecSchema {
    pseudonymised: bool,
    /// Anonymised permits: the k to reach and the share of records that may be suppressed.
    #[schema(required = false, nullable = true)]
    anonymisation: Option<hdab_permits::Anonymisation>,
    #[schema(required = false, nullable = true)]
    population: Option<StudyPopulationSchema>,
    datasets: Vec<DatasetRequestSchema>,
}

/// A request for anonymised statistics (EHDS Art. 69), as in
/// `pipelines/demo-data-request.toml`. Checked against the catalogue: an unknown dataset or
/// variable is refused with 422.
#[derive(Debug, ToSchema)]
#[schema(as = DataRequest)]
#[serde(deny_unknown_fields)]
pub struct DataRequestSchema {
    title: String,
    organisation: String,
    #[schema(inline)]
    purpose: hdab_permits::Purpose,
    dataset_id: String,
    group_by: Vec<String>,
    #[schema(nullable = true, required = false)]
    measure: Option<String>,
    #[schema(required = false)]
    cohort: CohortSchema,
}
