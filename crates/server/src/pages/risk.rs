//! The case page's risk preview: case staff measure how identifying the request is on the
//! current uploads, untick quasi-identifiers and measure again (a GET form: no script).

use super::applications::Fields;
use crate::ServerState;
use crate::error::PageResult;
use hdab_app::RiskQuery;
use hdab_i18n::Lang;
use hdab_permits::ApplicationContent;
use hdab_permits::User;
use hdab_permits::access::{self, Duty};

/// One dataset's preview, in words and as a chart of records by the size of their group.
#[derive(Debug)]
pub(super) struct RiskView {
    pub dataset: String,
    pub quasi: String,
    /// Share of persons unique across all their records (pseudonymised), or of records.
    pub unique: String,
    pub unique_of: String,
    pub records: String,
    pub anonymised: String,
    /// (label, records, bar width, y of the bar, y of its text, x of the count).
    pub bars: Vec<(String, u64, u64, u32, u32, u64)>,
}

/// The section: whether the viewer may use it, the variables to tick, and the results.
#[derive(Debug, Default)]
pub(super) struct RiskSection {
    pub can_preview: bool,
    pub measured: bool,
    pub as_anonymised: bool,
    /// (dataset, (variable, ticked)).
    pub choices: Vec<(String, Vec<(String, bool)>)>,
    pub views: Vec<RiskView>,
    pub error: String,
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Measures when the query asks (`risk=1`), with the ticked variables (`risk_keep_<dataset>`).
pub(super) async fn risk_section(
    s: &ServerState,
    user: &User,
    application_id: &str,
    content: &ApplicationContent,
    query: &Fields,
    lang: Lang,
) -> PageResult<RiskSection> {
    let mut section = RiskSection {
        can_preview: access::may(user, Duty::PreviewRisk),
        measured: query.get("risk") == "1",
        as_anonymised: query.get("as_anonymised") == "1",
        ..RiskSection::default()
    };
    if !section.can_preview {
        return Ok(section);
    }
    let submitted = query.get("risk_form") == "1";
    let mut risk_query = RiskQuery {
        as_anonymised: section.as_anonymised,
        ..RiskQuery::default()
    };
    for d in &content.datasets {
        let kept = if submitted {
            query.all(&format!("risk_keep_{}", d.dataset_id))
        } else {
            d.variables.clone()
        };
        section.choices.push((
            d.dataset_id.clone(),
            d.variables
                .iter()
                .map(|v| (v.clone(), kept.iter().any(|k| k.eq_ignore_ascii_case(v))))
                .collect(),
        ));
        risk_query.only.push((d.dataset_id.clone(), kept));
    }
    if !section.measured {
        return Ok(section);
    }
    match s
        .app
        .risk_preview(&user.id, application_id, &risk_query)
        .await
    {
        Err(e) => section.error = e.to_string(),
        Ok(previews) => {
            section.views = previews.iter().map(|p| view_of(p, lang)).collect();
        }
    }
    Ok(section)
}

fn view_of(p: &hdab_pipeline::RiskPreview, lang: Lang) -> RiskView {
    let (unique, unique_of) = match &p.persons {
        Some(persons) => (
            percent(persons.share_sample_unique),
            lang.text_with(
                "case-risk-persons-unique",
                &[("count", persons.records.into())],
            ),
        ),
        None => (
            percent(p.records.share_sample_unique),
            lang.text_with(
                "case-risk-records-unique",
                &[("count", p.records.records.into())],
            ),
        ),
    };
    let most = p
        .records
        .class_sizes
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    RiskView {
        dataset: p.dataset_id.clone(),
        quasi: if p.quasi_identifiers.is_empty() {
            lang.text("none")
        } else {
            p.quasi_identifiers.join(", ")
        },
        unique,
        unique_of,
        records: p.records.in_words(lang),
        anonymised: match &p.anonymised {
            None => String::new(),
            Some(Ok(a)) => lang.text_with(
                "case-risk-anonymised",
                &[
                    (
                        "levels",
                        hdab_anonymise::levels_in_words(&a.levels).as_str().into(),
                    ),
                    ("suppressed", a.suppressed.into()),
                    ("loss", percent(a.information_loss).as_str().into()),
                    ("after", a.after.in_words(lang).as_str().into()),
                ],
            ),
            Some(Err(e)) => lang.text_with(
                "case-risk-anonymised-error",
                &[("error", e.to_string().as_str().into())],
            ),
        },
        bars: p
            .records
            .class_sizes
            .iter()
            .enumerate()
            .map(|(i, (label, n))| {
                let width = n * 260 / most;
                let y = i as u32 * 22;
                (label.clone(), *n, width, y, y + 14, 70 + width + 6)
            })
            .collect(),
    }
}
