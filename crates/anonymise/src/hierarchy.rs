//! Generalisation hierarchies: the levels a quasi-identifier can be coarsened through, from
//! its exact value (level 0) to its coarsest declared level. Values are handled as the text
//! a delivered label shows (`2019-03-14` → `2019-03` → `2019-Q1` → `2019`).

use serde::{Deserialize, Serialize};

/// What kind of value a hierarchy coarsens (the dictionary's variable type, in brief).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Date,
    Integer,
    Text,
}

/// One level above the exact value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    /// The exact value.
    Exact,
    /// Dates to `YYYY-MM`.
    Month,
    /// Dates to `YYYY-Qn`.
    Quarter,
    /// Dates to `YYYY`.
    Year,
    /// Whole numbers to bands of `width` (`45-49`), everything from `top` up one band (`90+`).
    Band { width: u32, top: Option<i64> },
    /// Text to its first `keep` characters (codes to category or chapter, postcodes to area).
    Prefix { keep: usize },
    /// A Swedish county code (län, `01`–`25`) to its national area (riksområde, NUTS 2).
    Region,
}

impl Level {
    /// The level as the catalogue writes it (`month`, `band:5:90`, `prefix:3`, `region`).
    pub fn as_text(&self) -> String {
        match self {
            Level::Exact => "exact".into(),
            Level::Month => "month".into(),
            Level::Quarter => "quarter".into(),
            Level::Year => "year".into(),
            Level::Band { width, top: None } => format!("band:{width}"),
            Level::Band {
                width,
                top: Some(t),
            } => format!("band:{width}:{t}"),
            Level::Prefix { keep } => format!("prefix:{keep}"),
            Level::Region => "region".into(),
        }
    }

    fn parse(text: &str, kind: ValueKind) -> Result<Level, String> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        let number = |s: &str| -> Result<u64, String> {
            s.parse::<u64>()
                .map_err(|_| format!("'{text}': '{s}' is not a whole number"))
        };
        let level = match parts.as_slice() {
            ["month"] => Level::Month,
            ["quarter"] => Level::Quarter,
            ["year"] => Level::Year,
            ["band", w] => Level::Band {
                width: number(w)?.clamp(1, 1000) as u32,
                top: None,
            },
            ["band", w, t] => Level::Band {
                width: number(w)?.clamp(1, 1000) as u32,
                top: Some(number(t)? as i64),
            },
            ["prefix", k] => Level::Prefix {
                keep: number(k)?.clamp(1, 64) as usize,
            },
            ["region"] => Level::Region,
            _ => {
                return Err(format!(
                    "'{text}' is not a level: write month, quarter or year (dates), band:W or band:W:TOP (whole numbers), prefix:N or region (codes)"
                ));
            }
        };
        let fits = match level {
            Level::Month | Level::Quarter | Level::Year => kind == ValueKind::Date,
            Level::Band { .. } => kind == ValueKind::Integer,
            Level::Prefix { .. } | Level::Region => kind == ValueKind::Text,
            Level::Exact => true,
        };
        if !fits {
            return Err(format!(
                "'{text}' does not apply to a {} variable",
                match kind {
                    ValueKind::Date => "date",
                    ValueKind::Integer => "whole-number",
                    ValueKind::Text => "text or code",
                }
            ));
        }
        Ok(level)
    }

    /// The value at this level (`None` stays `None`: a missing value is its own class).
    pub fn apply(&self, value: &str) -> String {
        match self {
            Level::Exact => value.to_string(),
            Level::Month => value.get(..7).unwrap_or(value).to_string(),
            Level::Year => value.get(..4).unwrap_or(value).to_string(),
            Level::Quarter => match (
                value.get(..4),
                value.get(5..7).and_then(|m| m.parse::<u32>().ok()),
            ) {
                (Some(y), Some(m)) if (1..=12).contains(&m) => format!("{y}-Q{}", m.div_ceil(3)),
                _ => value.to_string(),
            },
            Level::Band { width, top } => match value.trim().parse::<i64>() {
                Ok(v) if top.is_some_and(|t| v >= t) => format!("{}+", top.unwrap_or_default()),
                Ok(v) => {
                    let w = i64::from(*width);
                    let low = v.div_euclid(w) * w;
                    if w == 1 {
                        low.to_string()
                    } else {
                        format!("{low}-{}", low + w - 1)
                    }
                }
                Err(_) => value.to_string(),
            },
            Level::Prefix { keep } => value.chars().take(*keep).collect(),
            Level::Region => region_of_county(value)
                .unwrap_or("unknown area")
                .to_string(),
        }
    }
}

/// A county (län) code to its national area (riksområde; NUTS 2 code and name).
pub fn region_of_county(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "01" | "1" => "SE11 Stockholm",
        "03" | "3" | "04" | "4" | "05" | "5" | "18" | "19" => "SE12 Östra Mellansverige",
        "06" | "6" | "07" | "7" | "08" | "8" | "09" | "9" => "SE21 Småland med öarna",
        "10" | "12" => "SE22 Sydsverige",
        "13" | "14" => "SE23 Västsverige",
        "17" | "20" | "21" => "SE31 Norra Mellansverige",
        "22" | "23" => "SE32 Mellersta Norrland",
        "24" | "25" => "SE33 Övre Norrland",
        _ => return None,
    })
}

/// The levels of one quasi-identifier, finest first; level 0 is always the exact value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub levels: Vec<Level>,
}

impl Hierarchy {
    /// The default by kind: dates month → quarter → year; whole numbers (ages) 5 → 10 →
    /// 20-year bands; codes 3 characters (ICD-10 category, ATC group) → 1 (chapter).
    pub fn default_for(kind: ValueKind) -> Hierarchy {
        let above = match kind {
            ValueKind::Date => vec![Level::Month, Level::Quarter, Level::Year],
            ValueKind::Integer => vec![
                Level::Band {
                    width: 5,
                    top: None,
                },
                Level::Band {
                    width: 10,
                    top: None,
                },
                Level::Band {
                    width: 20,
                    top: None,
                },
            ],
            ValueKind::Text => vec![Level::Prefix { keep: 3 }, Level::Prefix { keep: 1 }],
        };
        Hierarchy::above_exact(above)
    }

    fn above_exact(above: Vec<Level>) -> Hierarchy {
        let mut levels = vec![Level::Exact];
        levels.extend(above);
        Hierarchy { levels }
    }

    /// The levels a catalogue declares (finest first, after the exact value), checked
    /// against the kind. Empty: the variable is delivered exactly or not at all.
    pub fn parse(declared: &[String], kind: ValueKind) -> Result<Hierarchy, String> {
        let above = declared
            .iter()
            .map(|t| Level::parse(t, kind))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Hierarchy::above_exact(above))
    }

    /// The highest level.
    pub fn top(&self) -> usize {
        self.levels.len() - 1
    }

    /// The level that equals `level` (for a permit's own generalisation as the floor).
    pub fn position(&self, level: &Level) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_labels_what_it_keeps() {
        assert_eq!(Level::Month.apply("2019-03-14"), "2019-03");
        assert_eq!(Level::Quarter.apply("2019-11-30"), "2019-Q4");
        assert_eq!(Level::Year.apply("2019-03-14"), "2019");
        let band = Level::Band {
            width: 5,
            top: Some(90),
        };
        assert_eq!(band.apply("47"), "45-49");
        assert_eq!(band.apply("93"), "90+");
        assert_eq!(Level::Prefix { keep: 3 }.apply("I219"), "I21");
        assert_eq!(Level::Region.apply("14"), "SE23 Västsverige");
    }

    #[test]
    fn a_declared_level_must_fit_the_variable() {
        let e = Hierarchy::parse(&["month".into()], ValueKind::Integer).unwrap_err();
        assert!(e.contains("does not apply to a whole-number"), "{e}");
        let e = Hierarchy::parse(&["band:x".into()], ValueKind::Integer).unwrap_err();
        assert!(e.contains("not a whole number"), "{e}");
        let h = Hierarchy::parse(
            &["band:5:90".into(), "band:10:90".into()],
            ValueKind::Integer,
        )
        .unwrap();
        assert_eq!(h.top(), 2);
        assert_eq!(h.levels[1].as_text(), "band:5:90");
    }
}
