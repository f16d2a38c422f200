//! Typing the text holders send: register dates, integers and decimals.
//!
//! Each parser either gives a value or says why not; none guesses.

use arrow::array::{Array, ArrayRef, AsArray, Date32Builder, StringBuilder};
use arrow::datatypes::DataType;
use chrono::{Datelike, NaiveDate};
use hdab_catalog::VariableType;
use std::sync::Arc;

/// How much of a register date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Day,
    Month,
    Year,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
            Precision::Year => "year",
        }
    }
}

/// Why a value could not be typed. Names the problem, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueProblem {
    NotADate,
    /// A date known to the month or year only, in a variable not declared `partial_dates`:
    /// delivering it as a full day would invent the day.
    PartialDate,
    NotAnInteger,
    NotANumber,
}

impl ValueProblem {
    pub fn describe(self) -> &'static str {
        match self {
            ValueProblem::NotADate => "not a date written YYYYMMDD (or YYYYMM00, YYYY0000)",
            ValueProblem::PartialDate => {
                "a partial date (YYYYMM00 or YYYY0000) in a variable not declared partial: add `partial_dates = true` to the variable in the description, and the date travels with its precision"
            }
            ValueProblem::NotAnInteger => "not a whole number",
            ValueProblem::NotANumber => "not a number",
        }
    }
}

/// Days from 1970-01-01, as Arrow's Date32 counts them.
pub fn date32(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days() as i32
}

pub fn from_date32(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
        + chrono::Duration::days(i64::from(days))
}

/// A register date: `YYYYMMDD`, `YYYYMM00` (day unknown), `YYYY0000` (month unknown),
/// also with `-` separators. `Ok(None)` for empty and the register's missing markers
/// (`00000000`, `99999999`). A partial date is its first day, with its precision.
pub fn parse_register_date(s: &str) -> Result<Option<(NaiveDate, Precision)>, ValueProblem> {
    let s = s.trim().as_bytes();
    // `YYYY-MM-DD` read as `YYYYMMDD`, on the stack (this runs once per date of every row).
    let mut compact = [0u8; 8];
    let compact: &[u8] = if s.len() == 10 && s[4] == b'-' && s[7] == b'-' {
        compact[..4].copy_from_slice(&s[..4]);
        compact[4..6].copy_from_slice(&s[5..7]);
        compact[6..].copy_from_slice(&s[8..]);
        &compact
    } else {
        s
    };
    if compact.is_empty()
        || compact.iter().all(|b| *b == b'0')
        || compact.iter().all(|b| *b == b'9')
    {
        return Ok(None);
    }
    if compact.len() != 8 || !compact.iter().all(u8::is_ascii_digit) {
        return Err(ValueProblem::NotADate);
    }
    let n = |r: std::ops::Range<usize>| {
        compact[r]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let (y, m, d) = (n(0..4) as i32, n(4..6), n(6..8));
    let (date, precision) = match (m, d) {
        (0, 0) => (NaiveDate::from_ymd_opt(y, 1, 1), Precision::Year),
        (0, _) => return Err(ValueProblem::NotADate),
        (_, 0) => (NaiveDate::from_ymd_opt(y, m, 1), Precision::Month),
        _ => (NaiveDate::from_ymd_opt(y, m, d), Precision::Day),
    };
    match date {
        Some(date) if (1800..=2200).contains(&y) => Ok(Some((date, precision))),
        _ => Err(ValueProblem::NotADate),
    }
}

/// Whether a text is non-empty and has no white space at either end (kept as it is).
fn is_trimmed(v: &str) -> bool {
    let (Some(first), Some(last)) = (v.chars().next(), v.chars().next_back()) else {
        return false;
    };
    !first.is_whitespace() && !last.is_whitespace()
}

pub fn parse_integer(s: &str) -> Result<Option<i64>, ValueProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .map(Some)
        .map_err(|_| ValueProblem::NotAnInteger)
}

/// A decimal number with `,` or `.` as decimal mark (Swedish exports use `,`).
pub fn parse_decimal(s: &str) -> Result<Option<f64>, ValueProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let normalised = s.replacen(',', ".", 1);
    match normalised.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(ValueProblem::NotANumber),
    }
}

/// The Arrow type a variable is delivered as.
pub fn arrow_type(t: VariableType) -> DataType {
    match t {
        VariableType::Date => DataType::Date32,
        VariableType::Integer => DataType::Int64,
        VariableType::Decimal => DataType::Float64,
        VariableType::PersonId
        | VariableType::Code
        | VariableType::Text
        | VariableType::Unknown => DataType::Utf8,
    }
}

/// One text column typed by its dictionary type.
#[derive(Debug)]
pub struct TypedColumn {
    pub values: ArrayRef,
    /// For dates: the precision of each value, as text (`day`/`month`/`year`), null where null.
    pub precision: Option<ArrayRef>,
    /// Rows (0-based within the batch) whose value could not be typed, with the problem.
    pub problems: Vec<(usize, ValueProblem)>,
}

/// Reads any Arrow string layout as `Option<&str>` per row (other types: see [`as_text`]).
pub fn text_values(array: &dyn Array) -> Vec<Option<&str>> {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
        DataType::Utf8View => array.as_string_view().iter().collect(),
        _ => vec![None; array.len()],
    }
}

/// Any column as text, so that typed Parquet uploads (integers, dates, decimals, any row
/// group layout) go through the same parsers as CSV: dates come out as `YYYY-MM-DD`,
/// which the register-date parser accepts.
pub fn as_text(array: &ArrayRef) -> Result<ArrayRef, arrow::error::ArrowError> {
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(array.clone()),
        _ => arrow::compute::cast(array, &DataType::Utf8),
    }
}

/// Any column as plain `Utf8` (`as_string::<i32>` reads it): view and large strings are
/// cast too.
pub fn as_utf8(array: &ArrayRef) -> Result<ArrayRef, arrow::error::ArrowError> {
    match array.data_type() {
        DataType::Utf8 => Ok(array.clone()),
        _ => arrow::compute::cast(array, &DataType::Utf8),
    }
}

/// Parses each text with `parse`; values that do not parse become null and are listed.
fn parse_numbers<T: arrow::datatypes::ArrowPrimitiveType>(
    texts: &[Option<&str>],
    parse: fn(&str) -> Result<Option<T::Native>, ValueProblem>,
) -> (ArrayRef, Vec<(usize, ValueProblem)>) {
    let mut b = arrow::array::PrimitiveBuilder::<T>::with_capacity(texts.len());
    let mut problems = Vec::new();
    for (i, v) in texts.iter().enumerate() {
        match v.map(parse).unwrap_or(Ok(None)) {
            Ok(x) => b.append_option(x),
            Err(e) => {
                problems.push((i, e));
                b.append_null();
            }
        }
    }
    (Arc::new(b.finish()), problems)
}

/// Types a column of text by the variable's dictionary type. Values that do not parse become
/// null and are listed in `problems`; so does a partial date where the variable does not
/// declare `partial_dates` (it is never turned into a full day).
/// Any column typed by the dictionary: [`type_column`] of [`as_text`], except that an
/// integer column declared an integer is taken as it is (the same values, unprinted).
pub fn type_array(
    array: &ArrayRef,
    variable: &hdab_catalog::Variable,
) -> Result<TypedColumn, arrow::error::ArrowError> {
    if variable.variable_type == VariableType::Integer && array.data_type() == &DataType::Int64 {
        return Ok(TypedColumn {
            values: array.clone(),
            precision: None,
            problems: Vec::new(),
        });
    }
    Ok(type_column(as_text(array)?.as_ref(), variable))
}

pub fn type_column(array: &dyn Array, variable: &hdab_catalog::Variable) -> TypedColumn {
    let t = variable.variable_type;
    let texts = text_values(array);
    let mut problems = Vec::new();
    let n = texts.len();
    match t {
        VariableType::Date => {
            // The precision column only where the dictionary declares partial dates (it is
            // delivered only then).
            let mut b = Date32Builder::with_capacity(n);
            let mut p = variable
                .partial_dates
                .then(|| StringBuilder::with_capacity(n, n * 3));
            for (i, v) in texts.iter().enumerate() {
                let (value, precision) = match v.map(parse_register_date).unwrap_or(Ok(None)) {
                    Ok(Some((_, prec))) if prec != Precision::Day && !variable.partial_dates => {
                        problems.push((i, ValueProblem::PartialDate));
                        (None, None)
                    }
                    Ok(Some((d, prec))) => (Some(date32(d)), Some(prec.as_str())),
                    Ok(None) => (None, None),
                    Err(e) => {
                        problems.push((i, e));
                        (None, None)
                    }
                };
                b.append_option(value);
                if let Some(p) = &mut p {
                    p.append_option(precision);
                }
            }
            TypedColumn {
                values: Arc::new(b.finish()),
                precision: p.map(|mut p| Arc::new(p.finish()) as ArrayRef),
                problems,
            }
        }
        VariableType::Integer => {
            let (values, problems) =
                parse_numbers::<arrow::datatypes::Int64Type>(&texts, parse_integer);
            TypedColumn {
                values,
                precision: None,
                problems,
            }
        }
        VariableType::Decimal => {
            let (values, problems) =
                parse_numbers::<arrow::datatypes::Float64Type>(&texts, parse_decimal);
            TypedColumn {
                values,
                precision: None,
                problems,
            }
        }
        VariableType::PersonId
        | VariableType::Code
        | VariableType::Text
        | VariableType::Unknown => {
            // Text that needs no trimming and has no empty values is kept as it came.
            if array.data_type() == &DataType::Utf8 && texts.iter().flatten().all(|v| is_trimmed(v))
            {
                return TypedColumn {
                    values: Arc::new(array.as_string::<i32>().clone()),
                    precision: None,
                    problems,
                };
            }
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for v in &texts {
                match v.map(str::trim) {
                    Some(s) if !s.is_empty() => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            TypedColumn {
                values: Arc::new(b.finish()),
                precision: None,
                problems,
            }
        }
    }
}

/// Dates to the first day of their year (`year = true`) or month.
pub fn truncate_dates(days: &arrow::array::Date32Array, year: bool) -> arrow::array::Date32Array {
    days.iter()
        .map(|d| {
            d.map(|d| {
                let date = from_date32(d);
                let m = if year { 1 } else { date.month() };
                date32(NaiveDate::from_ymd_opt(date.year(), m, 1).unwrap_or(date))
            })
        })
        .collect()
}

/// A partial date's precision after its date went to the year (`to_year`) or the month.
pub fn coarsen_precision(precision: &dyn Array, to_year: bool) -> arrow::array::StringArray {
    precision
        .as_string::<i32>()
        .iter()
        .map(|v| {
            v.map(|v| {
                if to_year || v == "year" {
                    "year"
                } else {
                    "month"
                }
            })
        })
        .collect()
}

/// Age bands, top-coding and truncation (date generalisations are [`truncate_dates`]).
pub fn generalise(values: &ArrayRef, g: &hdab_permits::Generalisation) -> ArrayRef {
    use hdab_permits::Generalisation as G;
    match g {
        G::AgeBands { width, top, .. } => {
            let w = i64::from((*width).max(1));
            let ints = values.as_primitive::<arrow::datatypes::Int64Type>();
            let mut b = StringBuilder::with_capacity(ints.len(), ints.len() * 5);
            for v in ints.iter() {
                match v {
                    None => b.append_null(),
                    Some(v) => match top {
                        Some(t) if v >= i64::from(*t) => b.append_value(format!("{t}+")),
                        _ => {
                            let lo = v.div_euclid(w) * w;
                            b.append_value(format!("{lo}-{}", lo + w - 1));
                        }
                    },
                }
            }
            Arc::new(b.finish())
        }
        G::TopCode { max, .. } => {
            let ints = values.as_primitive::<arrow::datatypes::Int64Type>();
            Arc::new(
                ints.iter()
                    .map(|v| v.map(|v| v.min(*max)))
                    .collect::<arrow::array::Int64Array>(),
            )
        }
        G::Truncate { keep, .. } => {
            let keep = *keep as usize;
            let texts = text_values(values.as_ref());
            let mut b = StringBuilder::with_capacity(texts.len(), texts.len() * keep);
            for v in texts {
                match v {
                    None => b.append_null(),
                    Some(s) => b.append_value(s.chars().take(keep).collect::<String>()),
                }
            }
            Arc::new(b.finish())
        }
        G::DateToYear { .. } | G::DateToMonth { .. } => values.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date_variable(partial_dates: bool) -> hdab_catalog::Variable {
        hdab_catalog::Variable {
            name: "INDATUM".into(),
            column: None,
            variable_type: VariableType::Date,
            description: "Admission".into(),
            code_system: None,
            sensitivity: hdab_catalog::Sensitivity::QuasiIdentifier,
            partial_dates,
            role: None,
            of_role: None,
            hierarchy: None,
        }
    }

    #[test]
    fn a_partial_date_is_a_problem_unless_the_variable_declares_partial_dates() {
        let texts =
            datafusion::arrow::array::StringArray::from(vec!["20230000", "20230500", "20230512"]);
        let undeclared = type_column(&texts, &date_variable(false));
        assert_eq!(
            undeclared.problems,
            vec![
                (0, ValueProblem::PartialDate),
                (1, ValueProblem::PartialDate)
            ]
        );
        assert_eq!(undeclared.values.null_count(), 2, "never a made-up day");
        let declared = type_column(&texts, &date_variable(true));
        assert!(declared.problems.is_empty());
        let precision = declared.precision.unwrap_or_else(|| panic!("precision"));
        let precision = precision.as_string::<i32>();
        assert_eq!(
            precision.iter().collect::<Vec<_>>(),
            vec![Some("year"), Some("month"), Some("day")]
        );
    }

    #[test]
    fn register_dates_keep_their_precision() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
        assert_eq!(
            parse_register_date("20190315"),
            Ok(Some((d(2019, 3, 15), Precision::Day)))
        );
        assert_eq!(
            parse_register_date("20190300"),
            Ok(Some((d(2019, 3, 1), Precision::Month)))
        );
        assert_eq!(
            parse_register_date("20190000"),
            Ok(Some((d(2019, 1, 1), Precision::Year)))
        );
        assert_eq!(
            parse_register_date("2019-03-15")
                .ok()
                .flatten()
                .map(|x| x.1),
            Some(Precision::Day)
        );
        assert_eq!(parse_register_date(""), Ok(None));
        assert_eq!(parse_register_date("99999999"), Ok(None));
        assert_eq!(parse_register_date("20190230"), Err(ValueProblem::NotADate));
        assert_eq!(parse_register_date("20190015"), Err(ValueProblem::NotADate));
        assert_eq!(parse_register_date("okänt"), Err(ValueProblem::NotADate));
    }

    #[test]
    fn ages_band_top_code_and_codes_truncate() {
        use hdab_permits::Generalisation as G;
        let ages: ArrayRef = Arc::new(arrow::array::Int64Array::from(vec![
            Some(3),
            Some(44),
            Some(45),
            Some(97),
            None,
        ]));
        let banded = generalise(
            &ages,
            &G::AgeBands {
                column: "A".into(),
                width: 5,
                top: Some(90),
            },
        );
        let banded: Vec<Option<&str>> = banded.as_string::<i32>().iter().collect();
        assert_eq!(
            banded,
            [Some("0-4"), Some("40-44"), Some("45-49"), Some("90+"), None]
        );
        let top = generalise(
            &ages,
            &G::TopCode {
                column: "A".into(),
                max: 90,
            },
        );
        let top: Vec<Option<i64>> = top
            .as_primitive::<arrow::datatypes::Int64Type>()
            .iter()
            .collect();
        assert_eq!(top, [Some(3), Some(44), Some(45), Some(90), None]);
        let codes: ArrayRef = Arc::new(arrow::array::StringArray::from(vec![
            Some("I219"),
            Some("11428"),
            None,
        ]));
        let cut = generalise(
            &codes,
            &G::Truncate {
                column: "C".into(),
                keep: 3,
            },
        );
        let cut: Vec<Option<&str>> = cut.as_string::<i32>().iter().collect();
        assert_eq!(cut, [Some("I21"), Some("114"), None]);
    }

    #[test]
    fn decimals_take_either_mark() {
        assert_eq!(parse_decimal("0,75"), Ok(Some(0.75)));
        assert_eq!(parse_decimal("0.75"), Ok(Some(0.75)));
        assert_eq!(parse_decimal("1,2,3"), Err(ValueProblem::NotANumber));
        assert_eq!(parse_integer("-1"), Ok(Some(-1)));
        assert_eq!(parse_integer("1,5"), Err(ValueProblem::NotAnInteger));
    }
}
