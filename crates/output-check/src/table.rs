//! Tables (CSV, TSV) and the statistical rules: small counts and zeros in frequency tables,
//! dominance and the p% rule in magnitude tables, statistics without their contributors,
//! recovery by differencing (from totals, or against an earlier release), and tables that
//! are record-level data rather than aggregates.
//!
//! How a table is read: the first row is the header; the first column holds row labels, as
//! does every column with a value that is not a number. A column headed `n` (or `count`,
//! `freq`, `antal`, `contributors`) holds each row's contributors; `top1`, `top2` and
//! `sum` beside it are a magnitude cell's two largest contributions and their total.
//! A column whose header names a statistic (mean, median, ratio, percent, sd, min, max, …)
//! needs an `n` column. Without an `n` column, non-negative integers are counts (a wide
//! frequency table, margins headed `Total`/`All`/`Totalt` allowed). Hidden cells (empty,
//! `*`, `.`, `..`, `-`, `x`, `NA`) are suppressed values.

use crate::{Context, Finding, Place, Rule};

/// A table as read from the file: its header and its rows of cells, as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    decimal_comma: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Number(f64),
    Hidden,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Label,
    Count,
    Top1,
    Top2,
    Sum,
    Statistic,
    Value,
}

const COUNT: &[&str] = &[
    "n",
    "count",
    "counts",
    "freq",
    "frequency",
    "antal",
    "contributors",
    "n_contributors",
];
const STATISTIC: &[&str] = &[
    "mean",
    "avg",
    "average",
    "median",
    "ratio",
    "rate",
    "percent",
    "pct",
    "share",
    "proportion",
    "std",
    "sd",
    "var",
    "min",
    "max",
    "sum",
    "medel",
    "andel",
    "kvot",
    "quantile",
    "percentile",
];
const TOTAL: &[&str] = &[
    "total", "totals", "totalt", "all", "alla", "summa", "samtliga", "sum",
];
const HIDDEN: &[&str] = &["", "*", ".", "..", "-", "x", "na", "nan", "n/a", "null"];

impl Table {
    /// Reads a CSV (`,` or `;`, sniffed from the header) or TSV file. The error says why in
    /// words.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Table, String> {
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
            .map_err(|e| {
                format!(
                    "the table is not UTF-8 (byte {}); save it as UTF-8",
                    e.valid_up_to()
                )
            })?;
        let first = text.lines().next().unwrap_or("");
        let lower = name.to_ascii_lowercase();
        let delimiter =
            if lower.ends_with(".tsv") || lower.ends_with(".tab") || first.contains('\t') {
                b'\t'
            } else if first.matches(';').count() > first.matches(',').count() {
                b';'
            } else {
                b','
            };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("the table's header cannot be read: {e}"))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| {
                format!("row {} of the table cannot be read ({e}); every row needs as many cells as the header", i + 1)
            })?;
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        if header.is_empty() {
            return Err("the table is empty".into());
        }
        Ok(Table {
            header,
            rows,
            decimal_comma: delimiter == b';',
        })
    }

    fn cell(&self, text: &str) -> Cell {
        if HIDDEN.contains(&text.to_ascii_lowercase().as_str()) {
            return Cell::Hidden;
        }
        let normal = if self.decimal_comma {
            text.replace(',', ".")
        } else {
            text.to_string()
        };
        let normal: String = normal.chars().filter(|c| !c.is_whitespace()).collect();
        match normal.parse::<f64>() {
            Ok(v) if v.is_finite() => Cell::Number(v),
            _ => Cell::Text,
        }
    }

    fn number(&self, row: usize, column: usize) -> Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(column))
            .map_or(Cell::Hidden, |t| self.cell(t))
    }

    fn roles(&self) -> Vec<Role> {
        let name = |i: usize| self.header[i].to_ascii_lowercase().replace(' ', "_");
        let has_top1 = (0..self.header.len()).any(|i| name(i) == "top1");
        (0..self.header.len())
            .map(|i| {
                let h = name(i);
                let texty = self.rows.iter().any(|r| self.cell(&r[i]) == Cell::Text);
                if COUNT.contains(&h.as_str()) && !texty {
                    Role::Count
                } else if i == 0 || texty {
                    Role::Label
                } else if h == "top1" {
                    Role::Top1
                } else if h == "top2" {
                    Role::Top2
                } else if has_top1 && (h == "sum" || h == "total") {
                    Role::Sum
                } else if h
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| STATISTIC.contains(&w))
                {
                    Role::Statistic
                } else {
                    Role::Value
                }
            })
            .collect()
    }

    fn row_label(&self, row: usize, roles: &[Role]) -> String {
        roles
            .iter()
            .enumerate()
            .filter(|(_, r)| **r == Role::Label)
            .map(|(i, _)| self.rows[row][i].as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// A cell's place; a label that could identify someone (it is scanned as text too) is
    /// not repeated in the finding.
    fn place(&self, row: usize, column: usize, roles: &[Role]) -> Place {
        let label = self.row_label(row, roles);
        let identifying = hdab_pseudonymise::contains_person_id(&label)
            || label
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w.len() >= 32);
        Place::Cell {
            row: row + 1,
            row_label: if identifying {
                "label withheld".into()
            } else {
                label
            },
            column: self.header[column].clone(),
        }
    }

    fn is_total_row(&self, row: usize, roles: &[Role]) -> bool {
        roles.iter().enumerate().any(|(i, r)| {
            *r == Role::Label && TOTAL.contains(&self.rows[row][i].to_ascii_lowercase().as_str())
        })
    }
}

/// The statistical and record-level rules over one table.
pub(crate) fn check(table: &Table, context: &Context<'_>) -> Vec<Finding> {
    let rules = &context.rules;
    let roles = table.roles();
    let mut out = Vec::new();
    if table.rows.len() > rules.max_aggregate_rows {
        out.push(Finding {
            rule: Rule::RecordLevel,
            place: Place::File,
            why: format!(
                "{} rows is more than an aggregate has (at most {}): record-level data does not leave the SPE",
                table.rows.len(),
                rules.max_aggregate_rows
            ),
        });
        return out;
    }
    let has_count = roles.contains(&Role::Count);
    let integer_column = |c: usize| {
        table
            .rows
            .iter()
            .enumerate()
            .all(|(r, _)| match table.number(r, c) {
                Cell::Number(v) => v >= 0.0 && v.fract() == 0.0,
                Cell::Hidden => true,
                Cell::Text => false,
            })
    };
    // The columns holding counts: the n column, or (no n column) every integer column.
    let counts: Vec<usize> = (0..roles.len())
        .filter(|&c| {
            roles[c] == Role::Count || (!has_count && roles[c] == Role::Value && integer_column(c))
        })
        .collect();
    for (c, role) in roles.iter().enumerate() {
        let unchecked = match role {
            Role::Statistic => !has_count,
            Role::Value => !has_count && !counts.contains(&c),
            _ => false,
        };
        if unchecked {
            out.push(Finding {
                rule: Rule::MissingContributors,
                place: Place::Column {
                    column: table.header[c].clone(),
                },
                why: "a statistic without the number of persons behind each cell cannot be checked: add an n column (and top1, top2, sum for totals of amounts), or justify".into(),
            });
        }
    }
    record_level(table, &roles, has_count, &mut out);
    // A magnitude table's empty cell has too few contributors, like ACRO says; a zero is a
    // frequency table's own rule.
    let amounts = roles
        .iter()
        .any(|r| matches!(r, Role::Statistic | Role::Top1 | Role::Sum));
    for r in 0..table.rows.len() {
        for &c in &counts {
            if let Cell::Number(v) = table.number(r, c) {
                small_count(table, (r, c), v, amounts, &roles, rules, &mut out);
            }
        }
        magnitude(table, r, &roles, rules, &mut out);
    }
    differencing_from_totals(table, &roles, &counts, rules.threshold, &mut out);
    for (name, earlier) in &context.earlier {
        differencing_against(
            table,
            earlier,
            name,
            &roles,
            &counts,
            rules.threshold,
            &mut out,
        );
    }
    out
}

fn small_count(
    table: &Table,
    (r, c): (usize, usize),
    v: f64,
    amounts: bool,
    roles: &[Role],
    rules: &crate::Rules,
    out: &mut Vec<Finding>,
) {
    let threshold = rules.threshold as f64;
    let (rule, why) = if v == 0.0 && !amounts {
        if !rules.zeros_are_disclosive {
            return;
        }
        (
            Rule::Zero,
            "a zero count: everyone in the other groups of this row or column is known to have, or lack, the trait".to_string(),
        )
    } else if v < threshold {
        (
            Rule::Threshold,
            format!("fewer than {} persons in this cell", rules.threshold),
        )
    } else {
        return;
    };
    out.push(Finding {
        rule,
        place: table.place(r, c, roles),
        why,
    });
}

/// Dominance and the p% rule over a row's `top1`, `top2` and `sum`.
fn magnitude(
    table: &Table,
    r: usize,
    roles: &[Role],
    rules: &crate::Rules,
    out: &mut Vec<Finding>,
) {
    let get = |role: Role| {
        roles
            .iter()
            .position(|x| *x == role)
            .map(|c| match table.number(r, c) {
                Cell::Number(v) => v,
                _ => 0.0,
            })
    };
    let (Some(top1), Some(sum)) = (get(Role::Top1), get(Role::Sum)) else {
        return;
    };
    let top2 = get(Role::Top2).unwrap_or(0.0);
    let Some(at) = roles.iter().position(|x| *x == Role::Sum) else {
        return;
    };
    if sum <= 0.0 {
        return;
    }
    let largest = if rules.nk_n >= 2 { top1 + top2 } else { top1 };
    if largest / sum >= rules.nk_k {
        out.push(Finding {
            rule: Rule::Dominance,
            place: table.place(r, at, roles),
            why: format!(
                "the {} largest contributors make up more than {:.0}% of the cell's total",
                rules.nk_n.min(2),
                rules.nk_k * 100.0
            ),
        });
    }
    if top1 > 0.0 && (sum - top1 - top2) / top1 < rules.p_ratio {
        out.push(Finding {
            rule: Rule::PRatio,
            place: table.place(r, at, roles),
            why: format!(
                "p% rule: the second largest contributor could estimate the largest to within {:.0}%",
                rules.p_ratio * 100.0
            ),
        });
    }
}

fn record_level(table: &Table, roles: &[Role], has_count: bool, out: &mut Vec<Finding>) {
    const MIN_ROWS: usize = 20;
    if table.rows.len() < MIN_ROWS {
        return;
    }
    let labels = roles.iter().filter(|r| **r == Role::Label).count();
    for (c, role) in roles.iter().enumerate() {
        let candidate = match role {
            Role::Label => labels >= 2,
            Role::Value | Role::Statistic => !has_count,
            _ => false,
        };
        if !candidate {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        if table.rows.iter().all(|row| seen.insert(row[c].as_str())) {
            out.push(Finding {
                rule: Rule::RecordLevel,
                place: Place::Column {
                    column: table.header[c].clone(),
                },
                why: "this column is different in every row, as an identifier or a person's own value is: record-level data does not leave the SPE".into(),
            });
            return;
        }
    }
}

/// A hidden cell in a row or column with a published total, and no other hidden cell, is
/// the total minus the others.
fn differencing_from_totals(
    table: &Table,
    roles: &[Role],
    counts: &[usize],
    threshold: u64,
    out: &mut Vec<Finding>,
) {
    let total_col = counts
        .iter()
        .copied()
        .find(|&c| TOTAL.contains(&table.header[c].to_ascii_lowercase().as_str()));
    let total_row = (0..table.rows.len()).find(|&r| table.is_total_row(r, roles));
    let mut flag = |r: usize, c: usize, along: &str| {
        out.push(Finding {
            rule: Rule::Differencing,
            place: table.place(r, c, roles),
            why: format!(
                "this hidden cell is its {along}'s total minus the {along}'s other cells; hide at least one more, or show the cell if it is {threshold} or more"
            ),
        });
    };
    if let Some(tc) = total_col {
        for r in 0..table.rows.len() {
            if !matches!(table.number(r, tc), Cell::Number(_)) {
                continue;
            }
            let hidden: Vec<usize> = counts
                .iter()
                .copied()
                .filter(|&c| c != tc && table.number(r, c) == Cell::Hidden)
                .collect();
            if let [c] = hidden[..] {
                flag(r, c, "row");
            }
        }
    }
    if let Some(tr) = total_row {
        for &c in counts {
            if !matches!(table.number(tr, c), Cell::Number(_)) {
                continue;
            }
            let hidden: Vec<usize> = (0..table.rows.len())
                .filter(|&r| r != tr && table.number(r, c) == Cell::Hidden)
                .collect();
            if let [r] = hidden[..] {
                flag(r, c, "column");
            }
        }
    }
}

/// Two releases of the same table whose counts differ by a few persons give those few
/// persons away.
fn differencing_against(
    table: &Table,
    earlier: &Table,
    name: &str,
    roles: &[Role],
    counts: &[usize],
    threshold: u64,
    out: &mut Vec<Finding>,
) {
    if earlier.header != table.header {
        return;
    }
    let earlier_roles = earlier.roles();
    for r in 0..table.rows.len() {
        let label = table.row_label(r, roles);
        let Some(er) =
            (0..earlier.rows.len()).find(|&er| earlier.row_label(er, &earlier_roles) == label)
        else {
            continue;
        };
        for &c in counts {
            if let (Cell::Number(a), Cell::Number(b)) = (table.number(r, c), earlier.number(er, c))
            {
                let d = (a - b).abs();
                if d > 0.0 && d < threshold as f64 {
                    out.push(Finding {
                        rule: Rule::Differencing,
                        place: table.place(r, c, roles),
                        why: format!(
                            "differs from the same cell of {name} by fewer than {threshold} persons: the difference is a small group"
                        ),
                    });
                }
            }
        }
    }
}
