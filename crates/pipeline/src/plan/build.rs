//! The extraction of one dataset as one DataFusion logical plan: the same classes, the same
//! accounting and the same delivered columns as the single-machine pipeline
//! (`extract.rs`), written as expressions over the scalar functions of `udfs.rs` and joins
//! with the opt-out registry and the study population, which reach the plan as data
//! (Parquet tables of keyed hashes), never as code. Two frames come out: the delivered rows
//! and the row accounting.

use super::udfs::{
    BIRTH_DATE_FN, GENERALISE_FN, GENERALISE_PRECISION_FN, ID_REJECTION_FN, PRECISION_FN,
    PSEUDONYM_FN, REGISTRY_HASH_FN, TYPED_FN, has_precision, variable_literal,
};
use crate::PipelineError;
use crate::cohort::{BIRTH_DATE, cohort_expr};
use crate::extract::{OutputVariable, PSEUDONYM_COLUMN, output_schema, output_variables};
use crate::input::ExtractionInput;
use crate::source::{map_columns, read_upload};
use crate::values::date32;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::{Column, JoinType, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::execution::FunctionRegistry;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, cast, lit, when};
use datafusion::prelude::SessionContext;
use hdab_catalog::Variable;
use hdab_permits::Generalisation;
use std::path::Path;

/// The row's class: one of these, each counted in one line of the accounting.
pub(crate) const DELIVERED: &str = "delivered";
pub(crate) const INVALID: &str = "invalid";
pub(crate) const OUTSIDE_POPULATION: &str = "outside_population";
pub(crate) const OUTSIDE_COHORT: &str = "outside_cohort";
pub(crate) const OPTED_OUT: &str = "opted_out";
/// Another person a delivered row names (a child's mother): how they are delivered.
pub(crate) const OTHER_OK: &str = "ok";
pub(crate) const OTHER_NO_VALID_ID: &str = "no_valid_id";

pub(crate) const CLASS: &str = "__class";
pub(crate) const WHY: &str = "__why";
pub(crate) const HASH: &str = "__hash";
pub(crate) const ROWS: &str = "__rows";

pub(crate) fn other_class(k: usize) -> String {
    format!("__oclass_{k}")
}

pub(crate) fn other_hash(k: usize) -> String {
    format!("__ohash_{k}")
}

/// Where the broadcast tables are (absent: nobody opted out / no study population).
#[derive(Debug, Default)]
pub(crate) struct Broadcast<'a> {
    /// One column `hash` (Binary, 32 bytes): the opted-out persons' registry hashes.
    pub optouts: Option<&'a Path>,
    /// Columns `hash` (Binary) and `index_day` (Int32): the study population's members.
    pub population: Option<&'a Path>,
}

/// The two frames of one extraction, and the delivered schema (as the single-machine run's).
#[allow(missing_debug_implementations)]
pub(crate) struct ExtractionPlan {
    /// The delivered columns, then `__hash` and each other role's `__ohash_k` (the registry
    /// hashes of the persons delivered; dropped before writing).
    pub delivered: DataFrame,
    /// `__class`, `__why`, each `__oclass_k`, and `__rows` (a count).
    pub accounting: DataFrame,
    pub out_schema: SchemaRef,
    pub other_roles: usize,
}

fn c(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}

fn call(ctx: &SessionContext, name: &str, args: Vec<Expr>) -> Result<Expr, PipelineError> {
    Ok(ctx.udf(name)?.call(args))
}

fn text(s: &str) -> Expr {
    lit(ScalarValue::Utf8(Some(s.to_string())))
}

/// Builds the plan of one dataset's extraction on `ctx` (whose registry has the
/// extraction's functions, keyed or not).
pub(crate) async fn extraction_plan(
    ctx: &SessionContext,
    input: &ExtractionInput<'_>,
    broadcast: &Broadcast<'_>,
) -> Result<ExtractionPlan, PipelineError> {
    let upload = read_upload(ctx, input.upload_path).await?;
    let names: Vec<String> = upload
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let file_vars: Vec<Variable> = map_columns(&names, input.description)?
        .into_iter()
        .cloned()
        .collect();
    let crate::classify::FileColumns {
        id_index,
        other_ids: others,
        typed_vars,
    } = crate::classify::file_columns(
        &file_vars,
        input.description,
        input.request.person_role.as_deref(),
    )?;
    let outputs = output_variables(input, &typed_vars);
    let out_schema = output_schema(&outputs, &others);

    let reference = lit(ScalarValue::Date32(Some(date32(input.reference_date))));
    let id = || c(&names[id_index]);
    // 1. Each row typed by the dictionary, its person's validity, birth date and registry hash.
    let mut first = vec![
        id().alias("__id"),
        call(ctx, ID_REJECTION_FN, vec![id(), reference.clone()])?.alias(WHY),
        call(ctx, REGISTRY_HASH_FN, vec![id(), reference.clone()])?.alias(HASH),
        call(ctx, BIRTH_DATE_FN, vec![id(), reference.clone()])?.alias(BIRTH_DATE),
    ];
    for (k, (i, v)) in typed_vars.iter().enumerate() {
        let literal = text(&variable_literal(v));
        first.push(call(ctx, TYPED_FN, vec![c(&names[*i]), literal.clone()])?.alias(&v.name));
        if has_precision(v) {
            first.push(
                call(ctx, PRECISION_FN, vec![c(&names[*i]), literal])?.alias(format!("__prec_{k}")),
            );
        }
    }
    for (k, (i, _)) in others.iter().enumerate() {
        first.push(c(&names[*i]).alias(format!("__oid_{k}")));
        first.push(
            call(ctx, ID_REJECTION_FN, vec![c(&names[*i]), reference.clone()])?
                .alias(format!("__owhy_{k}")),
        );
        first.push(
            call(
                ctx,
                REGISTRY_HASH_FN,
                vec![c(&names[*i]), reference.clone()],
            )?
            .alias(other_hash(k)),
        );
    }
    let mut df = upload.select(first)?;

    // 2. The opt-out registry and the study population, joined by keyed hash.
    let optouts = match broadcast.optouts {
        Some(path) => Some(read_table(ctx, path).await?),
        None => None,
    };
    let opted = |df: DataFrame, hash: &str, flag: &str| -> Result<DataFrame, PipelineError> {
        Ok(match &optouts {
            Some(table) => {
                let joined = format!("{flag}_hash");
                let table = table.clone().select(vec![c("hash").alias(&joined)])?;
                let df = df.join(table, JoinType::Left, &[hash], &[&joined], None)?;
                let mut columns: Vec<Expr> = df
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| f.name() != &joined)
                    .map(|f| c(f.name()))
                    .collect();
                columns.push(c(&joined).is_not_null().alias(flag));
                df.select(columns)?
            }
            None => df.with_column(flag, lit(false))?,
        })
    };
    df = opted(df, HASH, "__opted")?;
    for k in 0..others.len() {
        df = opted(df, &other_hash(k), &format!("__oopted_{k}"))?;
    }
    if let Some(path) = broadcast.population {
        let table = read_table(ctx, path).await?.select(vec![
            c("hash").alias("__p_hash"),
            c("index_day").alias("__p_day"),
        ])?;
        df = df.join(table, JoinType::Left, &[HASH], &["__p_hash"], None)?;
    }

    // 3. The row's class, in the single-machine pipeline's order.
    let in_cohort = cohort_expr(&input.request.cohort, input.description);
    let mut class = when(c(WHY).is_not_null(), text(INVALID));
    if broadcast.population.is_some() {
        class = class.when(c("__p_hash").is_null(), text(OUTSIDE_POPULATION));
        if let Some(w) = &input.request.window {
            let (_, v) = typed_vars
                .iter()
                .find(|(_, v)| v.name.eq_ignore_ascii_case(&w.column))
                .ok_or_else(|| {
                    PipelineError::InvalidRequest(vec![format!(
                        "'{}' is not a column of the dataset",
                        w.column
                    )])
                })?;
            let offset = cast(c(&v.name), DataType::Int32) - c("__p_day");
            let outside = c(&v.name)
                .is_null()
                .or(offset.clone().lt(lit(w.from_days)))
                .or(offset.gt(lit(w.to_days)));
            class = class.when(outside, text(OUTSIDE_COHORT));
        }
    } else if input.request.window.is_some() {
        return Err(PipelineError::InvalidRequest(vec![
            "a window needs the permit's study population".into(),
        ]));
    }
    let class = class
        .when(
            !when(in_cohort, lit(true)).otherwise(lit(false))?,
            text(OUTSIDE_COHORT),
        )
        .when(c("__opted"), text(OPTED_OUT))
        .otherwise(text(DELIVERED))?;
    df = df.with_column(CLASS, class)?;
    for k in 0..others.len() {
        let oclass = when(
            c(&format!("__owhy_{k}")).is_not_null(),
            text(OTHER_NO_VALID_ID),
        )
        .when(c(&format!("__oopted_{k}")), text(OPTED_OUT))
        .otherwise(text(OTHER_OK))?;
        df = df.with_column(&other_class(k), oclass)?;
    }

    // 4. The accounting: rows by class (and, in delivered rows, by other roles' classes).
    let mut group = vec![c(CLASS), c(WHY)];
    group.extend((0..others.len()).map(|k| c(&other_class(k))));
    let accounting = df
        .clone()
        .aggregate(group, vec![count(lit(1)).alias(ROWS)])?;

    // 5. The delivered rows: pseudonyms, the permitted variables shaped as asked.
    let pseudonym = |raw: Expr| -> Result<Expr, PipelineError> {
        call(
            ctx,
            PSEUDONYM_FN,
            vec![
                raw,
                reference.clone(),
                text(input.permit_id),
                text(input.key_id),
                lit(i64::from(input.key_version)),
            ],
        )
    };
    let mut out = vec![pseudonym(c("__id"))?.alias(PSEUDONYM_COLUMN)];
    for (k, (_, role)) in others.iter().enumerate() {
        out.push(
            when(
                c(&other_class(k)).eq(text(OTHER_OK)),
                pseudonym(c(&format!("__oid_{k}")))?,
            )
            .end()?
            .alias(format!("{PSEUDONYM_COLUMN}_{role}")),
        );
    }
    for o in &outputs {
        out.extend(variable_exprs(ctx, o, &typed_vars, &others)?);
    }
    out.push(c(HASH));
    for k in 0..others.len() {
        out.push(
            when(c(&other_class(k)).eq(text(OTHER_OK)), c(&other_hash(k)))
                .end()?
                .alias(other_hash(k)),
        );
    }
    let delivered = df.filter(c(CLASS).eq(text(DELIVERED)))?.select(out)?;
    Ok(ExtractionPlan {
        delivered,
        accounting,
        out_schema,
        other_roles: others.len(),
    })
}

/// One delivered variable (and its precision column): withheld with an opted-out person
/// it describes, generalised as the request says.
fn variable_exprs(
    ctx: &SessionContext,
    o: &OutputVariable,
    typed_vars: &[(usize, Variable)],
    others: &[(usize, String)],
) -> Result<Vec<Expr>, PipelineError> {
    let name = &o.variable.name;
    let mut value = c(name);
    if let Some(role) = &o.variable.of_role
        && let Some(k) = others.iter().position(|(_, r)| r == role)
    {
        value = when(c(&other_class(k)).not_eq(text(OPTED_OUT)), value).end()?;
    }
    let mut precision = o
        .variable
        .partial_dates
        .then(|| typed_vars.iter().position(|(_, v)| v.name == *name))
        .flatten()
        .map(|k| c(&format!("__prec_{k}")));
    if let Some(g) = &o.generalise {
        let literal = text(&serde_json::to_string(g).unwrap_or_default());
        value = call(ctx, GENERALISE_FN, vec![value, literal.clone()])?;
        if matches!(
            g,
            Generalisation::DateToYear { .. } | Generalisation::DateToMonth { .. }
        ) && let Some(p) = precision
        {
            precision = Some(call(ctx, GENERALISE_PRECISION_FN, vec![p, literal])?);
        }
    }
    let mut exprs = vec![value.alias(name)];
    if o.variable.partial_dates {
        let p = precision.unwrap_or(lit(ScalarValue::Utf8(None)));
        exprs.push(p.alias(format!("{name}_PREC")));
    }
    Ok(exprs)
}

async fn read_table(ctx: &SessionContext, path: &Path) -> Result<DataFrame, PipelineError> {
    let location = path.to_str().ok_or_else(|| {
        PipelineError::Unsupported("the cluster's scratch folder is not valid UTF-8".into())
    })?;
    Ok(ctx
        .read_parquet(location, datafusion::prelude::ParquetReadOptions::default())
        .await?)
}
