//! A request in the reader's words: the study population, a cohort's conditions and a
//! window, for the case page and `apply show`, in Swedish or English (`hdab-i18n`).

use crate::Refusal;
use crate::cohort::{Cohort, Condition, Window};
use crate::population::{DatePrecision, StudyPopulation};
use hdab_i18n::{Arg, Lang};

impl StudyPopulation {
    /// The population in words, a sentence per part (cases, each exclusion, controls).
    pub fn in_words(&self, lang: Lang) -> Vec<String> {
        let precision = lang.text(match self.index_date_precision {
            DatePrecision::Day => "precision-day",
            DatePrecision::Month => "precision-month",
            DatePrecision::Year => "precision-year",
        });
        let mut w = vec![
            lang.text_with(
                "population-cases",
                &[
                    ("dataset", self.index_dataset.as_str().into()),
                    (
                        "conditions",
                        conditions_in_words(&self.criteria.conditions, lang)
                            .as_str()
                            .into(),
                    ),
                    ("column", self.index_date.as_str().into()),
                    ("precision", precision.as_str().into()),
                ],
            ),
        ];
        for e in &self.exclusions {
            w.push(lang.text_with(
                "population-excluded",
                &[
                    (
                        "conditions",
                        conditions_in_words(&e.conditions, lang).as_str().into(),
                    ),
                    ("days", e.days_before.into()),
                ],
            ));
        }
        if let Some(c) = &self.controls {
            let id = if c.match_county {
                "population-controls-county"
            } else {
                "population-controls"
            };
            w.push(lang.text_with(
                id,
                &[
                    ("count", c.per_case.into()),
                    ("dataset", c.dataset.as_str().into()),
                ],
            ));
        }
        w
    }
}

impl Window {
    /// `only rows whose 'EDATUM' lies from -365 to 730 days from the person's index date`.
    pub fn in_words(&self, lang: Lang) -> String {
        lang.text_with(
            "window-in-words",
            &[
                ("column", self.column.as_str().into()),
                ("from", self.from_days.into()),
                ("to", self.to_days.into()),
            ],
        )
    }
}

impl Cohort {
    /// The cohort's conditions in words, or "everyone in the dataset".
    pub fn in_words(&self, lang: Lang) -> String {
        if self.conditions.is_empty() {
            lang.text("cohort-everyone")
        } else {
            conditions_in_words(&self.conditions, lang)
        }
    }
}

impl Refusal {
    /// The refusal in `lang` (its `Display` is English, for logs and the audit trail).
    pub fn in_words(&self, lang: Lang) -> String {
        let state = |s: &crate::AppState| lang.text(&format!("state-{}", s.as_str()));
        match self {
            Refusal::WrongState { command, state: s } => lang.text_with(
                "refusal-wrong-state",
                &[
                    ("command", (*command).into()),
                    ("state", state(s).as_str().into()),
                ],
            ),
            Refusal::MissingRole {
                command,
                role,
                user,
            } => lang.text_with(
                "refusal-missing-role",
                &[
                    ("command", (*command).into()),
                    ("role", (*role).into()),
                    ("user", user.as_str().into()),
                ],
            ),
            Refusal::NotTheApplicant { command } => lang.text_with(
                "refusal-not-the-applicant",
                &[("command", (*command).into())],
            ),
            Refusal::NotTheAssignee { command, assignee } => lang.text_with(
                "refusal-not-the-assignee",
                &[
                    ("command", (*command).into()),
                    ("assignee", assignee.as_str().into()),
                ],
            ),
            Refusal::ApplicantDecides => lang.text("refusal-applicant-decides"),
            Refusal::PreparerDecides => lang.text("refusal-preparer-decides"),
            Refusal::NoReason(command) => {
                lang.text_with("refusal-no-reason", &[("command", (*command).into())])
            }
            Refusal::NoAssignee => lang.text("refusal-no-assignee"),
            Refusal::AlreadyExtended => lang.text("refusal-already-extended"),
        }
    }
}

/// Conditions in words (`HDIA or DIA1 starts with I21 or I22 and INDATUM from 2016-01-01`).
pub fn conditions_in_words(conditions: &[Condition], lang: Lang) -> String {
    if conditions.is_empty() {
        return lang.text("cohort-every-row");
    }
    let or = lang.text("cohort-or");
    let text = |id: &str, args: &[(&str, Arg<'_>)]| lang.text_with(id, args);
    conditions
        .iter()
        .map(|c| match c {
            Condition::CodePrefix { columns, prefixes } => text(
                "cohort-code-prefix",
                &[
                    ("columns", columns.join(&or).as_str().into()),
                    ("prefixes", prefixes.join(&or).as_str().into()),
                ],
            ),
            Condition::DateRange { column, from, to } => {
                let (from, to) = (
                    from.map(|d| d.to_string()).unwrap_or_default(),
                    to.map(|d| d.to_string()).unwrap_or_default(),
                );
                let id = match (from.is_empty(), to.is_empty()) {
                    (false, false) => "cohort-date-from-to",
                    (false, true) => "cohort-date-from",
                    (true, false) => "cohort-date-to",
                    (true, true) => "cohort-date-any",
                };
                text(
                    id,
                    &[
                        ("column", column.as_str().into()),
                        ("from", from.as_str().into()),
                        ("to", to.as_str().into()),
                    ],
                )
            }
            Condition::AgeRange { min, max, at } => {
                let id = match (min, max) {
                    (Some(_), Some(_)) => "cohort-age-between",
                    (Some(_), None) => "cohort-age-min",
                    (None, Some(_)) => "cohort-age-max",
                    (None, None) => "cohort-age-any",
                };
                text(
                    id,
                    &[
                        ("min", min.unwrap_or_default().into()),
                        ("max", max.unwrap_or_default().into()),
                        ("date", at.to_string().as_str().into()),
                    ],
                )
            }
        })
        .collect::<Vec<_>>()
        .join(&lang.text("cohort-and"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn conditions_read_in_either_language() {
        let conditions = vec![
            Condition::CodePrefix {
                columns: vec!["HDIA".into(), "DIA1".into()],
                prefixes: vec!["I21".into(), "I22".into()],
            },
            Condition::DateRange {
                column: "INDATUM".into(),
                from: NaiveDate::from_ymd_opt(2016, 1, 1),
                to: None,
            },
        ];
        assert_eq!(
            conditions_in_words(&conditions, Lang::En),
            "HDIA or DIA1 starts with I21 or I22 and INDATUM from 2016-01-01"
        );
        assert_eq!(
            conditions_in_words(&conditions, Lang::Sv),
            "HDIA eller DIA1 börjar med I21 eller I22 och INDATUM från 2016-01-01"
        );
        assert_eq!(conditions_in_words(&[], Lang::Sv), "varje rad");
    }

    #[test]
    fn a_refusal_reads_in_either_language_and_as_its_english_display() {
        let r = Refusal::PreparerDecides;
        assert_eq!(r.in_words(Lang::En), r.to_string());
        assert!(r.in_words(Lang::Sv).contains("beslutsfattare"));
        let wrong = Refusal::WrongState {
            command: "approve",
            state: crate::AppState::Draft,
        };
        assert_eq!(
            wrong.in_words(Lang::Sv),
            "'approve' går inte i ett ärende som är utkast"
        );
    }
}
