//! The catalogue use cases: register, confirm, search, export and compare descriptions.

use chrono::{Months, Utc};
use hdab_catalog::DatasetDescription;
use hdab_pipeline::PipelineError;
use std::path::Path;

use crate::{App, AppError};
use hdab_permits::access::{self, Duty};

/// A description not confirmed within 12 months.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OverdueDescription {
    pub holder: String,
    pub dataset_id: String,
    pub last_confirmed: chrono::DateTime<Utc>,
    pub days_overdue: i64,
}

/// Catalogue search filters; each given one must match.
#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    pub text: Option<String>,
    pub category: Option<String>,
    pub holder: Option<String>,
    pub coding_system: Option<String>,
}

impl App {
    /// Registers a description (a new version if it changed). Holders register only their
    /// own organisation's datasets.
    pub async fn register_dataset(
        &self,
        actor: &str,
        toml_text: &str,
    ) -> Result<hdab_store::DatasetVersion, AppError> {
        self.register_dataset_checked(actor, toml_text, None).await
    }

    /// Registers a description, optionally checking it against a sample of the data too:
    /// every problem of the description and of the data under it is listed at once (a
    /// variable typed as a date that holds text, a column the dictionary lacks, …).
    pub async fn register_dataset_checked(
        &self,
        actor: &str,
        toml_text: &str,
        data: Option<&Path>,
    ) -> Result<hdab_store::DatasetVersion, AppError> {
        let parsed = DatasetDescription::from_toml(toml_text);
        let object = parsed.as_ref().map(|d| d.id.clone()).unwrap_or_default();
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::RegisterDataset)?;
            if let Some(path) = data {
                let mut problems = Vec::new();
                match toml::from_str::<DatasetDescription>(toml_text) {
                    Err(e) => problems.push(format!("the description: {}", e.message())),
                    Ok(d) => {
                        if let Err(hdab_catalog::CatalogError::Invalid(p)) = d.validate() {
                            problems.extend(p);
                        }
                        match hdab_pipeline::check_upload(path, &d, Utc::now().date_naive()).await {
                            Ok(_) => {}
                            Err(PipelineError::Rejected(p)) => {
                                problems.extend(p.into_iter().map(|p| format!("the data: {p}")))
                            }
                            Err(e) => problems.push(format!("the data: {e}")),
                        }
                    }
                }
                if !problems.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "the description has {} problem(s):\n{}",
                        problems.len(),
                        problems
                            .iter()
                            .map(|p| format!("  - {p}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )));
                }
            }
            let d = parsed.map_err(|e| AppError::Invalid(e.to_string()))?;
            access::require_holder(&user, &d.id, &d.holder)?;
            let v = self
                .store
                .register_dataset_version(&d, actor, Utc::now())
                .await?;
            let detail = format!("version {} digest {}", v.version, &v.digest[..16]);
            Ok((v, detail))
        }
        .await;
        self.audited(actor, "catalog.register", &object, result)
            .await
    }

    /// The catalogue (or one dataset) as DCAT-AP / HealthDCAT-AP RDF. Public.
    pub async fn catalog_export(
        &self,
        dataset: Option<&str>,
        jsonld: bool,
    ) -> Result<String, AppError> {
        let current = self.store.datasets().await?;
        let chosen: Vec<_> = current
            .iter()
            .filter(|d| dataset.is_none_or(|id| id == d.dataset_id))
            .collect();
        if let (Some(id), true) = (dataset, chosen.is_empty()) {
            return Err(AppError::NotFound(format!("dataset '{id}'")));
        }
        self.export_rdf(&chosen, None, jsonld).await
    }

    /// One page of the catalogue for HealthData@EU's harvester (Hydra paging: first, last,
    /// previous, next, the number of datasets). Public. Pages count from 1; a page past the
    /// last is empty but valid.
    pub async fn catalog_harvest(
        &self,
        page: usize,
        per_page: usize,
        jsonld: bool,
    ) -> Result<String, AppError> {
        if page == 0 || per_page == 0 || per_page > 1000 {
            return Err(AppError::Invalid(
                "page counts from 1 and per_page is 1 to 1000".into(),
            ));
        }
        let current = self.store.datasets().await?;
        let total = current.len();
        let chosen: Vec<_> = current
            .iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .collect();
        let p = hdab_catalog::dcat::Page {
            number: page,
            size: per_page,
            total,
        };
        self.export_rdf(&chosen, Some(p), jsonld).await
    }

    async fn export_rdf(
        &self,
        chosen: &[&hdab_store::DatasetVersion],
        page: Option<hdab_catalog::dcat::Page>,
        jsonld: bool,
    ) -> Result<String, AppError> {
        let mut facts = Vec::new();
        for d in chosen {
            let first = self.store.dataset_versions(&d.dataset_id).await?;
            let issued = first.first().map_or(d.created_at, |f| f.created_at);
            // The counts of the latest checked upload of the register as a whole.
            let upload = self.store.latest_upload(&d.dataset_id).await?;
            let records = upload.as_ref().map(|u| u.n_rows as u64);
            let individuals = upload.as_ref().and_then(|u| {
                u.report
                    .get("n_unique_individuals")
                    .and_then(serde_json::Value::as_u64)
            });
            facts.push((*d, issued, records, individuals));
        }
        let entries: Vec<hdab_catalog::dcat::CatalogEntry<'_>> = facts
            .iter()
            .map(
                |(d, issued, records, individuals)| hdab_catalog::dcat::CatalogEntry {
                    description: &d.description,
                    version: d.version,
                    issued: *issued,
                    modified: d.created_at,
                    records: *records,
                    individuals: *individuals,
                },
            )
            .collect();
        let c = &self.settings.catalog;
        let info = hdab_catalog::dcat::CatalogInfo {
            base: &c.base_iri,
            hdab_id: &c.hdab_id,
            hdab_name: &c.hdab_name,
            ..hdab_catalog::dcat::CatalogInfo::default()
        };
        let out = if jsonld {
            hdab_catalog::dcat::to_jsonld_page(&info, &entries, page)
        } else {
            hdab_catalog::dcat::to_turtle_page(&info, &entries, page)
        };
        out.map_err(|e| AppError::Invalid(e.to_string()))
    }

    /// Every version of a description, oldest first. Public.
    pub async fn catalog_versions(
        &self,
        dataset_id: &str,
    ) -> Result<Vec<hdab_store::DatasetVersion>, AppError> {
        let v = self.store.dataset_versions(dataset_id).await?;
        if v.is_empty() {
            return Err(AppError::NotFound(format!("dataset '{dataset_id}'")));
        }
        Ok(v)
    }

    /// What changed between two versions. Public.
    pub async fn catalog_diff(
        &self,
        dataset_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<hdab_catalog::Change>, AppError> {
        let versions = self.catalog_versions(dataset_id).await?;
        let find = |n: i64| {
            versions
                .iter()
                .find(|v| v.version == n)
                .ok_or_else(|| AppError::NotFound(format!("version {n} of '{dataset_id}'")))
        };
        Ok(hdab_catalog::diff(
            &find(from)?.description,
            &find(to)?.description,
        ))
    }

    /// The current description of a dataset the user acts for (its holder, or an admin).
    pub(crate) async fn holders_dataset(
        &self,
        user: &hdab_permits::User,
        dataset_id: &str,
    ) -> Result<hdab_store::DatasetVersion, AppError> {
        let current = self
            .store
            .current_dataset(dataset_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("dataset '{dataset_id}'")))?;
        access::require_holder(user, dataset_id, &current.description.holder)?;
        Ok(current)
    }

    /// A holder confirms that the current description is still correct (at least yearly).
    pub async fn confirm_dataset(&self, actor: &str, dataset_id: &str) -> Result<i64, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::ConfirmDescription)?;
            let current = self.holders_dataset(&user, dataset_id).await?;
            self.store
                .confirm_dataset(dataset_id, current.version, actor, Utc::now())
                .await?;
            Ok((
                current.version,
                format!("version {} confirmed", current.version),
            ))
        }
        .await;
        self.audited(actor, "catalog.confirm", dataset_id, result)
            .await
    }

    /// Descriptions not confirmed for 12 months as of `now` (a new version counts as a
    /// confirmation), by holder. Public: the obligation is public.
    pub async fn catalog_overdue(
        &self,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<OverdueDescription>, AppError> {
        let mut out = Vec::new();
        for d in self.store.datasets().await? {
            let confirmed = self.store.last_confirmation(&d.dataset_id).await?;
            let last = confirmed.map_or(d.created_at, |c| c.max(d.created_at));
            let due = last.checked_add_months(Months::new(12)).unwrap_or(last);
            if now > due {
                out.push(OverdueDescription {
                    holder: d.description.holder.clone(),
                    dataset_id: d.dataset_id.clone(),
                    last_confirmed: last,
                    days_overdue: (now - due).num_days(),
                });
            }
        }
        out.sort_by(|a, b| {
            (a.holder.as_str(), b.days_overdue).cmp(&(b.holder.as_str(), a.days_overdue))
        });
        Ok(out)
    }

    /// Overdue confirmations as a named user sees them: a holder their organisation's,
    /// case officers and admins every holder's.
    pub async fn catalog_overdue_for(
        &self,
        actor: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<OverdueDescription>, AppError> {
        let user = self.user(actor).await?;
        access::require(&user, Duty::ViewOverdue)?;
        let mut rows = self.catalog_overdue(now).await?;
        if !access::sees_every_holder(&user) {
            rows.retain(|o| access::acts_for_holder(&user, &o.holder));
        }
        Ok(rows)
    }

    /// Search and browse: every filter given must match. Public.
    pub async fn catalog_search(
        &self,
        q: &CatalogQuery,
    ) -> Result<Vec<hdab_store::DatasetVersion>, AppError> {
        let text = q.text.as_deref().map(str::to_lowercase);
        Ok(self
            .store
            .datasets()
            .await?
            .into_iter()
            .filter(|v| {
                let d = &v.description;
                let text_ok = text.as_ref().is_none_or(|t| {
                    [
                        &d.id,
                        &d.title.sv,
                        &d.title.en,
                        &d.description.sv,
                        &d.description.en,
                    ]
                    .iter()
                    .any(|s| s.to_lowercase().contains(t.as_str()))
                        || d.keywords
                            .iter()
                            .any(|k| k.to_lowercase().contains(t.as_str()))
                        || d.variables.iter().any(|var| {
                            var.name.to_lowercase() == *t
                                || var.description.to_lowercase().contains(t.as_str())
                        })
                });
                let cat_ok = q
                    .category
                    .as_ref()
                    .is_none_or(|c| d.health_categories.contains(c));
                let holder_ok = q.holder.as_ref().is_none_or(|h| &d.holder == h);
                let cs_ok = q.coding_system.as_ref().is_none_or(|c| {
                    d.coding_systems.iter().any(|x| x.eq_ignore_ascii_case(c))
                        || d.variables.iter().any(|v| {
                            v.code_system
                                .as_ref()
                                .is_some_and(|x| x.eq_ignore_ascii_case(c))
                        })
                });
                text_ok && cat_ok && holder_ok && cs_ok
            })
            .collect())
    }
}

/// The catalogue's identity for HealthData@EU (settings): the base IRI its datasets, agents
/// and services are named under, and the HDAB that publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogIdentity {
    /// Ends in `/`.
    pub base_iri: String,
    pub hdab_id: String,
    pub hdab_name: String,
}

impl CatalogIdentity {
    /// The placeholder base an installation has until it sets its own.
    pub const PLACEHOLDER: &'static str = "https://hdab.example.se/";
}

impl Default for CatalogIdentity {
    fn default() -> Self {
        CatalogIdentity {
            base_iri: Self::PLACEHOLDER.into(),
            hdab_id: "socialstyrelsen".into(),
            hdab_name: "Socialstyrelsen".into(),
        }
    }
}
