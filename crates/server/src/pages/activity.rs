//! The activity report's page (EHDS Art. 59): public, counts only; figures, refusals by
//! ground, and applications received and decided per month as charts (SVG drawn on the
//! server). `?from=&to=` choose the period (default: the last two years); `&format=csv`.

use super::frame::Chrome;
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Months, NaiveDate, Utc};
use hdab_i18n::Lang;
use hdab_permits::activity::ActivityReport;
use serde::Deserialize;

pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new().route("/report/activity", get(activity_page))
}

#[derive(Template)]
#[template(path = "activity.html")]
pub(super) struct ActivityPage {
    chrome: Chrome,
    from: String,
    to: String,
    /// (label, value)
    figures: Vec<(String, String)>,
    refusals: Vec<(String, u64)>,
    received_chart: String,
    decided_chart: String,
    csv_href: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Period {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Option<String>,
}

/// The report's figures in words, in the reader's language.
pub fn figures(r: &ActivityReport, lang: Lang) -> Vec<(String, String)> {
    let days = |v: Option<f64>| v.map(|d| format!("{d:.1}")).unwrap_or_else(|| "–".into());
    vec![
        (lang.text("activity-received"), r.received.to_string()),
        (lang.text("activity-approved"), r.approved.to_string()),
        (lang.text("activity-rejected"), r.rejected.to_string()),
        (lang.text("activity-withdrawn"), r.withdrawn.to_string()),
        (lang.text("activity-on-time"), r.decided_on_time.to_string()),
        (lang.text("activity-late"), r.decided_late.to_string()),
        (
            lang.text("activity-days-median"),
            days(r.days_to_decision_median),
        ),
        (
            lang.text("activity-days-mean"),
            days(r.days_to_decision_mean),
        ),
        (
            lang.text("activity-days-max"),
            r.days_to_decision_max
                .map(|d| d.to_string())
                .unwrap_or_else(|| "–".into()),
        ),
        (
            lang.text("activity-orders-placed"),
            r.orders_placed.to_string(),
        ),
        (
            lang.text("activity-orders-fulfilled"),
            r.orders_fulfilled.to_string(),
        ),
        (
            lang.text("activity-orders-late"),
            r.orders_fulfilled_late.to_string(),
        ),
        (
            lang.text("activity-orders-overdue"),
            r.orders_overdue_at_end.to_string(),
        ),
        (lang.text("activity-deliveries"), r.deliveries.to_string()),
        (lang.text("activity-rows"), r.rows_delivered.to_string()),
        (lang.text("activity-releases"), r.releases.to_string()),
        (lang.text("activity-opt-outs"), r.opt_outs.to_string()),
        (lang.text("activity-opt-ins"), r.opt_ins.to_string()),
        (lang.text("activity-invoices"), r.invoices.to_string()),
        (lang.text("activity-fees"), r.fees_invoiced_sek.to_string()),
    ]
}

/// The report as a page of its own, for a file (`hdab report activity --format html`).
pub fn activity_html(r: &ActivityReport, lang: Lang) -> Result<String, askama::Error> {
    ActivityPage {
        chrome: Chrome {
            lang,
            ..Chrome::default()
        },
        ..page(r, lang)
    }
    .render()
}

fn page(r: &ActivityReport, lang: Lang) -> ActivityPage {
    let chart = |title: &str, pick: fn(&(String, u64, u64)) -> u64| {
        let bars: Vec<(String, f64)> = r
            .monthly
            .iter()
            .map(|m| (m.0.clone(), pick(m) as f64))
            .collect();
        let max = bars.iter().map(|b| b.1).fold(1.0, f64::max);
        hdab_report::bar_chart(title, &bars, max, "")
    };
    ActivityPage {
        chrome: Chrome::default(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        figures: figures(r, lang),
        refusals: r.refusals_by_ground.clone(),
        received_chart: chart(&lang.text("activity-chart-received"), |m| m.1),
        decided_chart: chart(&lang.text("activity-chart-decided"), |m| m.2),
        csv_href: format!("/report/activity?from={}&to={}&format=csv", r.from, r.to),
    }
}

pub(super) async fn activity_page(
    State(s): State<ServerState>,
    caller: Caller,
    Query(p): Query<Period>,
) -> PageResult<Response> {
    let today = Utc::now().date_naive();
    let to = p.to.unwrap_or(today);
    let from = p
        .from
        .unwrap_or_else(|| to.checked_sub_months(Months::new(24)).unwrap_or(to));
    let r = s.app.activity_report(from, to).await?;
    if p.format.as_deref() == Some("csv") {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"activity.csv\"",
                ),
            ],
            r.to_csv(),
        )
            .into_response());
    }
    if p.format.as_deref().is_some_and(|f| f != "html") {
        return Err(WebError::bad_request("format: html or csv").into());
    }
    let page = ActivityPage {
        chrome: Chrome::of(&caller),
        ..page(&r, caller.lang)
    };
    Ok(render(&page)?)
}
