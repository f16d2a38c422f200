//! Pages for everyone: home, the catalogue and a dataset's description, the public register,
//! and what opting out means.

use super::frame::{Chrome, day, escape, word};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::PageResult;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use hdab_app::CatalogQuery;
use hdab_catalog::{Bilingual, DatasetDescription};
use hdab_i18n::Lang;
use serde::Deserialize;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/catalog", get(catalog))
        .route("/catalog/{dataset_id}", get(dataset_page))
        .route("/register", get(register_page))
        .route("/optout", get(optout_page))
}

#[derive(Template)]
#[template(path = "home.html")]
pub(super) struct HomePage {
    chrome: Chrome,
    n_datasets: usize,
    n_decisions: usize,
}

pub(super) async fn home(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
    let n_datasets = s.app.catalog_search(&CatalogQuery::default()).await?.len();
    let n_decisions = s
        .app
        .public_register()
        .await?
        .iter()
        .filter(|r| r.decision.is_some())
        .count();
    Ok(render(&HomePage {
        chrome: Chrome::of(&caller),
        n_datasets,
        n_decisions,
    })?)
}

pub(super) struct CatalogRow {
    id: String,
    title: String,
    title_lang: Lang,
    holder: String,
    coverage: String,
    coding: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "catalog.html")]
pub(super) struct CatalogPage {
    chrome: Chrome,
    text: String,
    category: String,
    holder: String,
    coding_system: String,
    rows: Vec<CatalogRow>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CatalogForm {
    text: Option<String>,
    category: Option<String>,
    holder: Option<String>,
    coding_system: Option<String>,
}

pub(super) fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub(super) fn coverage(d: &DatasetDescription, lang: Lang) -> String {
    let t = &d.temporal_coverage;
    format!(
        "{} – {}",
        t.start,
        t.end
            .map(|e| e.to_string())
            .unwrap_or_else(|| lang.text("ongoing"))
    )
}

/// A text of the catalogue in the reader's language (the other one where a holder left
/// it empty), and the language it is in (for the `lang` attribute).
pub(super) fn in_language(text: &Bilingual, lang: Lang) -> (String, Lang) {
    let (own, other) = match lang {
        Lang::Sv => (&text.sv, &text.en),
        Lang::En => (&text.en, &text.sv),
    };
    if own.trim().is_empty() {
        (other.clone(), lang.other())
    } else {
        (own.clone(), lang)
    }
}

pub(super) async fn catalog(
    State(s): State<ServerState>,
    caller: Caller,
    Query(f): Query<CatalogForm>,
) -> PageResult<Response> {
    let q = CatalogQuery {
        text: nonempty(&f.text),
        category: nonempty(&f.category),
        holder: nonempty(&f.holder),
        coding_system: nonempty(&f.coding_system),
    };
    let rows = s
        .app
        .catalog_search(&q)
        .await?
        .into_iter()
        .map(|d| {
            let (title, title_lang) = in_language(&d.description.title, caller.lang);
            CatalogRow {
                title,
                title_lang,
                holder: d.description.holder_name.clone(),
                coverage: coverage(&d.description, caller.lang),
                coding: d.description.coding_systems.join(", "),
                version: d.version,
                id: d.dataset_id,
            }
        })
        .collect();
    Ok(render(&CatalogPage {
        chrome: Chrome::of(&caller),
        text: f.text.unwrap_or_default(),
        category: f.category.unwrap_or_default(),
        holder: f.holder.unwrap_or_default(),
        coding_system: f.coding_system.unwrap_or_default(),
        rows,
    })?)
}

pub(super) struct VariableRow {
    name: String,
    kind: String,
    sensitivity: String,
    code_system: String,
    description: String,
}

#[derive(Template)]
#[template(path = "dataset.html")]
pub(super) struct DatasetPage {
    chrome: Chrome,
    id: String,
    title: String,
    title_lang: Lang,
    /// The title in the other language, where the holder gave one.
    other_title: String,
    description: String,
    description_lang: Lang,
    holder: String,
    holder_name: String,
    version: i64,
    registered: String,
    coverage: String,
    records: String,
    individuals: String,
    coding: String,
    categories: String,
    legal_basis: String,
    contact: String,
    variables: Vec<VariableRow>,
    versions: Vec<String>,
}

pub(super) fn count(n: Option<u64>, lang: Lang) -> String {
    n.map_or_else(|| lang.text("not-stated"), |n| n.to_string())
}

pub(super) async fn dataset_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    let v = s.app.dataset(&dataset_id).await?;
    let versions = s
        .app
        .catalog_versions(&dataset_id)
        .await?
        .into_iter()
        .map(|v| {
            caller.lang.text_with(
                "dataset-version-line",
                &[
                    ("version", v.version.into()),
                    ("date", day(v.created_at).as_str().into()),
                    ("user", v.created_by.as_str().into()),
                ],
            )
        })
        .collect();
    let d = &v.description;
    let lang = caller.lang;
    let (title, title_lang) = in_language(&d.title, lang);
    let (other_title, _) = in_language(&d.title, lang.other());
    let (description, description_lang) = in_language(&d.description, lang);
    Ok(render(&DatasetPage {
        chrome: Chrome::of(&caller),
        id: v.dataset_id.clone(),
        other_title: if other_title == title {
            String::new()
        } else {
            other_title
        },
        title,
        title_lang,
        description,
        description_lang,
        holder: d.holder.clone(),
        holder_name: d.holder_name.clone(),
        version: v.version,
        registered: day(v.created_at),
        coverage: coverage(d, lang),
        records: count(d.number_of_records, lang),
        individuals: count(d.number_of_unique_individuals, lang),
        coding: d.coding_systems.join(", "),
        categories: d
            .health_categories
            .iter()
            .map(|c| lang.text(&format!("category-{c}")))
            .collect::<Vec<_>>()
            .join(", "),
        legal_basis: d.legal_basis.clone(),
        contact: format!("{} <{}>", d.contact_point.name, d.contact_point.email),
        variables: d
            .variables
            .iter()
            .map(|x| VariableRow {
                name: x.name.clone(),
                kind: word(lang, "type", &x.variable_type),
                sensitivity: word(lang, "sensitivity", &x.sensitivity),
                code_system: x.code_system.clone().unwrap_or_default(),
                description: x.description.clone(),
            })
            .collect(),
        versions,
    })?)
}

pub(super) struct RegisterRow {
    id: String,
    registration: String,
    received: String,
    organisation: String,
    title: String,
    purpose: String,
    datasets: String,
    state: String,
    decision: String,
    /// The fee charged, in kronor (empty: none, or not decided).
    fee: String,
    /// A public-interest exception to the opt-out, in words (empty: none).
    exception: String,
}

#[derive(Template)]
#[template(path = "register.html")]
pub(super) struct RegisterPage {
    chrome: Chrome,
    rows: Vec<RegisterRow>,
    /// (registration, request, received, organisation, dataset, decision in words) of
    /// every data request (Art. 69).
    requests: Vec<(String, String, String, String, String, String)>,
    /// (request, permit, released on, files as "description (sha256)") of every release.
    releases: Vec<(String, String, String, Vec<String>)>,
    /// (permit, ended, due) of permits overdue for a publication of their results.
    overdue: Vec<(String, String, String)>,
    /// The latest signed checkpoint in words (HTML, its values escaped), or empty.
    checkpoint: String,
}

pub(super) async fn register_page(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    let lang = caller.lang;
    let numbers = s.app.registration_numbers().await?;
    let rows = s
        .app
        .public_register()
        .await?
        .into_iter()
        .map(|r| RegisterRow {
            registration: numbers.get(&r.id).cloned().unwrap_or_default(),
            id: r.id,
            received: day(r.received),
            organisation: r.organisation,
            title: r.title,
            purpose: word(lang, "purpose", &r.purpose),
            datasets: r.datasets.join(", "),
            state: word(lang, "state", &r.state),
            decision: r
                .decision
                .map(|(d, at, why)| {
                    lang.text_with(
                        "register-decision-line",
                        &[
                            ("decision", word(lang, "event", &d).as_str().into()),
                            ("date", day(at).as_str().into()),
                            ("reason", why.as_str().into()),
                        ],
                    )
                })
                .unwrap_or_default(),
            fee: r.fee_sek.map(|f| f.to_string()).unwrap_or_default(),
            exception: r
                .optout_exception
                .map(|x| {
                    lang.text_with(
                        "register-optout-exception",
                        &[
                            ("basis", x.legal_basis.as_str().into()),
                            ("interest", x.public_interest.as_str().into()),
                            ("necessity", x.necessity.as_str().into()),
                        ],
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    // The message carries markup; every value put into it is escaped first.
    let checkpoint = match s.app.latest_checkpoint().await? {
        Some(c) => lang.text_with(
            "register-checkpoint-text",
            &[
                ("count", c.seq.into()),
                ("hash", escape(&c.head_hash).as_str().into()),
                (
                    "date",
                    c.at.format("%Y-%m-%d %H:%M UTC")
                        .to_string()
                        .as_str()
                        .into(),
                ),
                ("key", escape(&c.public_key).as_str().into()),
                ("signature", escape(&c.signature).as_str().into()),
            ],
        ),
        None => String::new(),
    };
    let releases = s
        .app
        .published_releases()
        .await?
        .into_iter()
        .map(|r| {
            let files = r
                .files
                .into_iter()
                .map(|(description, sha)| format!("{description} (SHA-256 {sha})"))
                .collect();
            (r.request_id, r.permit_id, day(r.released_at), files)
        })
        .collect();
    let overdue = s
        .app
        .overdue_publications(chrono::Utc::now().date_naive())
        .await?
        .into_iter()
        .map(|o| (o.permit_id, o.ended.to_string(), o.due.to_string()))
        .collect();
    let requests = s
        .app
        .data_request_register()
        .await?
        .into_iter()
        .map(|r| {
            let decision = match (r.decision.as_deref(), r.decided_at) {
                (Some(d), Some(at)) => lang.text_with(
                    "register-request-decision",
                    &[
                        (
                            "decision",
                            lang.text(&format!("request-decision-{d}")).as_str().into(),
                        ),
                        ("date", day(at).as_str().into()),
                        ("reason", r.reason.as_deref().unwrap_or_default().into()),
                    ],
                ),
                _ => lang.text("register-request-undecided"),
            };
            (
                numbers.get(&r.id).cloned().unwrap_or_default(),
                r.id,
                day(r.received),
                r.organisation,
                r.dataset_id,
                decision,
            )
        })
        .collect();
    Ok(render(&RegisterPage {
        chrome: Chrome::of(&caller),
        rows,
        requests,
        releases,
        overdue,
        checkpoint,
    })?)
}

#[derive(Template)]
#[template(path = "optout.html")]
pub(super) struct OptoutPage {
    chrome: Chrome,
    /// The provisions of law that provide an exception (empty: none does).
    exception_bases: String,
}

pub(super) async fn optout_page(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    Ok(render(&OptoutPage {
        chrome: Chrome::of(&caller),
        exception_bases: s.app.settings.optout_exception_bases.join("; "),
    })?)
}
