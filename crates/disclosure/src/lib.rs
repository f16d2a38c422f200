//! Statistical disclosure control of aggregate tables (EHDS Art. 69 data requests, and
//! output checking later).
//!
//! Owns the rule "no released cell lets anyone learn about a small group or a dominant
//! person, directly or by subtraction". Rules, in order:
//! 1. **Minimum count**: a cell with fewer than `min_count` persons (default 10, as ACRO and
//!    ONS use) is suppressed.
//! 2. **Dominance** (for sums): a cell whose `dominance_top` largest contributors (default
//!    2) hold more than `dominance_share` (default 90%) of its absolute sum is suppressed.
//! 3. **Secondary suppression**: along every dimension, a line of cells (all cells that share
//!    the other coordinates) with exactly one suppressed cell could give that cell away by
//!    subtraction from its total; the smallest other cell of the line is suppressed too,
//!    repeated until no line has exactly one.
//!
//! Totals are then recomputed from the released cells only. Every suppressed cell says
//! which rule fired and why — what users of ARX and sdcMicro miss most.
//! Pure: no I/O.

use serde::{Deserialize, Serialize};

/// The thresholds. Defaults follow ACRO / ONS practice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub min_count: u64,
    pub dominance_top: usize,
    pub dominance_share: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            min_count: 10,
            dominance_top: 2,
            dominance_share: 0.9,
        }
    }
}

/// What the aggregation computed for one cell, before any suppression.
#[derive(Debug, Clone, PartialEq)]
pub struct CellStats {
    /// One value per dimension.
    pub key: Vec<String>,
    /// Distinct persons contributing to the cell (the unit disclosure control protects).
    pub n_persons: u64,
    /// Rows in the cell (the denominator of the mean).
    pub n_rows: u64,
    /// Sum of the measure, if the table has one.
    pub sum: Option<f64>,
    /// The largest absolute contributions per person, largest first (at least
    /// `Rules::dominance_top` of them when there are that many persons).
    pub top_contributions: Vec<f64>,
    /// Sum of absolute contributions (the dominance denominator).
    pub abs_sum: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    MinimumCount,
    Dominance,
    Secondary,
}

/// A cell as released: values only where safe, otherwise the rule and its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedCell {
    pub key: Vec<String>,
    /// Persons.
    pub count: Option<u64>,
    pub rows: Option<u64>,
    pub sum: Option<f64>,
    pub mean: Option<f64>,
    pub suppressed: Option<Rule>,
    pub reason: Option<String>,
}

/// The protected table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedTable {
    pub dimensions: Vec<String>,
    /// The summed variable, if any.
    pub measure: Option<String>,
    pub rules: Rules,
    pub cells: Vec<ReleasedCell>,
    /// Count and sum over the released cells only (recomputed after suppression).
    pub total_of_released_cells: ReleasedCell,
}

impl ReleasedTable {
    pub fn n_suppressed(&self, rule: Rule) -> usize {
        self.cells
            .iter()
            .filter(|c| c.suppressed == Some(rule))
            .count()
    }

    /// The table as CSV, with a column saying why a cell is empty. Text that a spreadsheet
    /// would run as a formula is quoted with a leading apostrophe.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header: Vec<String> = self.dimensions.clone();
        header.push("n_persons".into());
        header.push("n_rows".into());
        if let Some(m) = &self.measure {
            header.push(format!("sum_{m}"));
            header.push(format!("mean_{m}"));
        }
        header.push("suppressed".into());
        header.push("reason".into());
        out.push_str(
            &header
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
        for c in self
            .cells
            .iter()
            .chain(std::iter::once(&self.total_of_released_cells))
        {
            let mut row: Vec<String> = c.key.iter().map(|k| csv_field(k)).collect();
            while row.len() < self.dimensions.len() {
                row.push(String::new());
            }
            row.push(c.count.map(|n| n.to_string()).unwrap_or_default());
            row.push(c.rows.map(|n| n.to_string()).unwrap_or_default());
            if self.measure.is_some() {
                row.push(c.sum.map(|s| format!("{s}")).unwrap_or_default());
                row.push(c.mean.map(|s| format!("{s:.3}")).unwrap_or_default());
            }
            row.push(
                c.suppressed
                    .map(|r| csv_field(&format!("{r:?}")))
                    .unwrap_or_default(),
            );
            row.push(csv_field(c.reason.as_deref().unwrap_or_default()));
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Why a cell is suppressed on its own (too few persons, or dominated), if it is.
fn primary_suppression(
    c: &CellStats,
    measure: Option<&str>,
    rules: &Rules,
) -> Option<(Rule, String)> {
    if c.n_persons < rules.min_count {
        return Some((
            Rule::MinimumCount,
            format!("fewer than {} persons", rules.min_count),
        ));
    }
    if measure.is_some() && c.abs_sum > 0.0 {
        let top: f64 = c.top_contributions.iter().take(rules.dominance_top).sum();
        if top > rules.dominance_share * c.abs_sum {
            return Some((
                Rule::Dominance,
                format!(
                    "the {} largest contributors hold more than {:.0}% of the sum",
                    rules.dominance_top,
                    rules.dominance_share * 100.0
                ),
            ));
        }
    }
    None
}

/// Secondary suppression along every dimension, until stable: no line of cells may have
/// exactly one suppressed cell, which its total would reveal.
fn suppress_secondary(
    n_dims: usize,
    cells: &[CellStats],
    suppressed: &mut [Option<(Rule, String)>],
) {
    loop {
        let mut changed = false;
        for d in 0..n_dims {
            let mut lines: std::collections::BTreeMap<Vec<&str>, Vec<usize>> =
                std::collections::BTreeMap::new();
            for (i, c) in cells.iter().enumerate() {
                let others: Vec<&str> = c
                    .key
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != d)
                    .map(|(_, k)| k.as_str())
                    .collect();
                lines.entry(others).or_default().push(i);
            }
            for members in lines.values() {
                let hidden: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|i| suppressed[*i].is_some())
                    .collect();
                if hidden.len() != 1 || members.len() < 2 {
                    continue;
                }
                let partner = members
                    .iter()
                    .copied()
                    .filter(|i| suppressed[*i].is_none())
                    .min_by_key(|i| (cells[*i].n_persons, *i));
                if let Some(p) = partner {
                    let protected = cells[hidden[0]].key.join(" / ");
                    suppressed[p] = Some((
                        Rule::Secondary,
                        format!(
                            "suppressed so that the cell '{protected}' cannot be recovered from totals"
                        ),
                    ));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// Applies the rules to a table and returns what may be released.
pub fn protect(
    dimensions: &[String],
    measure: Option<&str>,
    mut cells: Vec<CellStats>,
    rules: Rules,
) -> ReleasedTable {
    cells.sort_by(|a, b| a.key.cmp(&b.key));
    let mut suppressed: Vec<Option<(Rule, String)>> = cells
        .iter()
        .map(|c| primary_suppression(c, measure, &rules))
        .collect();
    suppress_secondary(dimensions.len().max(1), &cells, &mut suppressed);

    let mut released = Vec::with_capacity(cells.len());
    let (mut total_n, mut total_rows, mut total_sum) = (0u64, 0u64, 0f64);
    for (c, s) in cells.into_iter().zip(suppressed) {
        match s {
            Some((rule, reason)) => released.push(ReleasedCell {
                key: c.key,
                count: None,
                rows: None,
                sum: None,
                mean: None,
                suppressed: Some(rule),
                reason: Some(reason),
            }),
            None => {
                total_n += c.n_persons;
                total_rows += c.n_rows;
                total_sum += c.sum.unwrap_or(0.0);
                released.push(ReleasedCell {
                    key: c.key,
                    count: Some(c.n_persons),
                    rows: Some(c.n_rows),
                    sum: c.sum,
                    mean: c.sum.map(|s| s / c.n_rows.max(1) as f64),
                    suppressed: None,
                    reason: None,
                })
            }
        }
    }
    ReleasedTable {
        dimensions: dimensions.to_vec(),
        measure: measure.map(str::to_string),
        rules,
        cells: released,
        total_of_released_cells: ReleasedCell {
            key: vec!["Total (released cells)".into()],
            // A person in several cells counts in each: this is a sum of cell counts.
            count: Some(total_n),
            rows: Some(total_rows),
            sum: measure.map(|_| total_sum),
            mean: measure.map(|_| total_sum / total_rows.max(1) as f64),
            suppressed: None,
            reason: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(key: &[&str], n: u64) -> CellStats {
        CellStats {
            key: key.iter().map(|s| s.to_string()).collect(),
            n_persons: n,
            n_rows: n,
            sum: None,
            top_contributions: vec![],
            abs_sum: 0.0,
        }
    }

    fn dims(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn small_cells_are_suppressed_with_their_reason() {
        let t = protect(
            &dims(&["LAN"]),
            None,
            vec![
                cell(&["01"], 50),
                cell(&["03"], 4),
                cell(&["12"], 30),
                cell(&["14"], 12),
            ],
            Rules::default(),
        );
        let c03 = &t.cells[1];
        assert_eq!(c03.suppressed, Some(Rule::MinimumCount));
        assert_eq!(c03.count, None);
        assert!(
            c03.reason
                .as_deref()
                .is_some_and(|r| r.contains("fewer than 10"))
        );
        // One hidden cell in the only line: the smallest other (14, n=12) goes too.
        assert_eq!(t.cells[3].suppressed, Some(Rule::Secondary));
        assert_eq!(t.n_suppressed(Rule::Secondary), 1);
        // Totals are recomputed from what is released.
        assert_eq!(t.total_of_released_cells.count, Some(80));
    }

    #[test]
    fn no_line_of_a_two_way_table_is_left_with_one_hidden_cell() {
        let mut cells = Vec::new();
        for (i, lan) in ["01", "03", "12"].iter().enumerate() {
            for (j, kon) in ["1", "2"].iter().enumerate() {
                let n = if (i, j) == (1, 0) {
                    3
                } else {
                    20 + (i * 2 + j) as u64
                };
                cells.push(cell(&[lan, kon], n));
            }
        }
        let t = protect(&dims(&["LAN", "KON"]), None, cells, Rules::default());
        for d in 0..2 {
            let mut lines: std::collections::BTreeMap<String, usize> = Default::default();
            for c in &t.cells {
                let other = c.key[1 - d].clone();
                if c.suppressed.is_some() {
                    *lines.entry(other).or_default() += 1;
                } else {
                    lines.entry(other).or_default();
                }
            }
            assert!(lines.values().all(|n| *n != 1), "dimension {d}: {lines:?}");
        }
        assert!(t.n_suppressed(Rule::Secondary) >= 2);
    }

    #[test]
    fn a_cell_dominated_by_two_people_is_suppressed() {
        let dominated = CellStats {
            key: vec!["A10BA02".into()],
            n_persons: 25,
            n_rows: 25,
            sum: Some(1000.0),
            top_contributions: vec![800.0, 150.0],
            abs_sum: 1000.0,
        };
        let fine = CellStats {
            key: vec!["C07AB02".into()],
            n_persons: 25,
            n_rows: 25,
            sum: Some(1000.0),
            top_contributions: vec![100.0, 90.0],
            abs_sum: 1000.0,
        };
        let fine2 = CellStats {
            key: vec!["C10AA01".into()],
            ..fine.clone()
        };
        let t = protect(
            &dims(&["ATC"]),
            Some("DDD"),
            vec![dominated, fine, fine2],
            Rules::default(),
        );
        assert_eq!(t.cells[0].suppressed, Some(Rule::Dominance));
        assert_eq!(t.cells[1].suppressed, Some(Rule::Secondary));
        assert_eq!(t.cells[2].mean, Some(40.0));
    }

    #[test]
    fn csv_neutralises_spreadsheet_formulas() {
        let t = protect(
            &dims(&["X"]),
            None,
            vec![cell(&["=cmd()"], 20), cell(&["b"], 20)],
            Rules::default(),
        );
        assert!(t.to_csv().contains("'=cmd()"));
    }
}
