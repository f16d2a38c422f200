//! A permit's cohort compiled to a DataFusion expression over the typed batch.
//!
//! The typed batch has every dictionary variable under its dictionary name with its
//! delivered type, plus [`BIRTH_DATE`] from the person id; ages compare birth dates, so no
//! age column is needed. A null anywhere counts as "not in the cohort".

use crate::PipelineError;
use crate::values::date32;
use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::execution::context::ExecutionProps;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, lit};
use datafusion::physical_expr::{PhysicalExpr, create_physical_expr};
use hdab_catalog::DatasetDescription;
use hdab_permits::{Cohort, Condition};
use std::sync::Arc;

/// Internal column with each row's birth date, derived from the validated person id.
pub const BIRTH_DATE: &str = "__hdab_birth_date";

fn column(description: &DatasetDescription, name: &str) -> Expr {
    // Dictionary spelling; the request may differ in case.
    let name = description.variable(name).map_or(name, |v| v.name.as_str());
    Expr::Column(Column::from_name(name))
}

fn date_lit(d: NaiveDate) -> Expr {
    lit(ScalarValue::Date32(Some(date32(d))))
}

/// `at` minus `years`, clamped to the end of February for 29 February.
fn years_before(at: NaiveDate, years: u32) -> NaiveDate {
    let y = at.year() - years as i32;
    NaiveDate::from_ymd_opt(y, at.month(), at.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, at.month(), 28))
        .unwrap_or(at)
}

/// The cohort as one boolean expression (`true` for an empty cohort).
pub fn cohort_expr(cohort: &Cohort, description: &DatasetDescription) -> Expr {
    let mut all = lit(true);
    for c in &cohort.conditions {
        let e = match c {
            Condition::CodePrefix { columns, prefixes } => {
                let mut any = lit(false);
                for col in columns {
                    for p in prefixes {
                        // Prefixes are validated as letters and digits: no LIKE wildcards.
                        any = any.or(column(description, col).like(lit(format!("{p}%"))));
                    }
                }
                any
            }
            Condition::DateRange {
                column: col,
                from,
                to,
            } => {
                let mut e = column(description, col).is_not_null();
                if let Some(f) = from {
                    e = e.and(column(description, col).gt_eq(date_lit(*f)));
                }
                if let Some(t) = to {
                    e = e.and(column(description, col).lt_eq(date_lit(*t)));
                }
                e
            }
            Condition::AgeRange { min, max, at } => {
                let birth = || Expr::Column(Column::from_name(BIRTH_DATE));
                let mut e = birth().is_not_null();
                if let Some(min) = min {
                    // At least `min` years old on `at`: born on or before at − min years.
                    e = e.and(birth().lt_eq(date_lit(years_before(*at, *min))));
                }
                if let Some(max) = max {
                    // At most `max`: born after at − (max + 1) years.
                    e = e.and(birth().gt(date_lit(years_before(*at, max + 1))));
                }
                e
            }
        };
        all = all.and(e);
    }
    all
}

/// The compiled cohort, ready to evaluate on typed batches of one schema.
#[derive(Debug)]
pub struct CompiledCohort {
    expr: Arc<dyn PhysicalExpr>,
}

impl CompiledCohort {
    pub fn new(
        cohort: &Cohort,
        description: &DatasetDescription,
        typed_schema: SchemaRef,
    ) -> Result<CompiledCohort, PipelineError> {
        let df_schema = DFSchema::try_from(typed_schema.as_ref().clone())?;
        let expr = create_physical_expr(
            &cohort_expr(cohort, description),
            &df_schema,
            &ExecutionProps::new(),
            &PhysicalPlanningContext::default(),
        )?;
        Ok(CompiledCohort { expr })
    }

    /// Which rows are in the cohort (null counts as not).
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Vec<bool>, PipelineError> {
        let array = self.expr.evaluate(batch)?.into_array(batch.num_rows())?;
        let Some(b) = array.as_any().downcast_ref::<BooleanArray>() else {
            return Err(PipelineError::Unsupported(
                "the cohort did not evaluate to true/false".into(),
            ));
        };
        Ok((0..b.len()).map(|i| b.is_valid(i) && b.value(i)).collect())
    }
}
