//! The risk preview before a decision: what an application's request would release from
//! each dataset's current upload, and how identifying it is (`hdab case risk`, the case
//! page). For case officers and decision makers; every preview is audited.

use chrono::Utc;
use hdab_permits::access::{self, Duty};
use hdab_pipeline::{Compression, ExtractionInput, RiskPreview};

use crate::optouts::registry_key;
use crate::{App, AppError};

/// Which request to measure.
#[derive(Debug, Clone, Default)]
pub struct RiskQuery {
    /// Per dataset, the variables the officer keeps (absent: as asked).
    pub only: Vec<(String, Vec<String>)>,
    /// Measure as anonymised data whatever was asked (what anonymising would deliver).
    pub as_anonymised: bool,
}

/// A permit's anonymisation target as the search takes it.
pub(crate) fn target_of(a: hdab_permits::Anonymisation) -> hdab_anonymise::Target {
    hdab_anonymise::Target {
        k: u64::from(a.k),
        max_suppressed_share: a.max_suppressed_percent / 100.0,
    }
}

impl App {
    /// The risk preview of each dataset of an application's request as it stands (or as
    /// `query` narrows it), on the current uploads, the opt-out registry applied.
    pub async fn risk_preview(
        &self,
        actor: &str,
        application_id: &str,
        query: &RiskQuery,
    ) -> Result<Vec<RiskPreview>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::PreviewRisk)?;
            let application = self.readable_application(actor, application_id).await?;
            let mut spec = application.content.asked_spec();
            if query.as_anonymised {
                spec.pseudonymised = false;
            }
            let target = spec.anonymisation_target().map(target_of);
            let keyring = self.settings.keyring()?;
            let registry = registry_key(&keyring);
            drop(keyring);
            let (optouts, state) = self.optouts_for(Utc::now()).await?;
            let spe = self.settings.spe();
            let mut previews = Vec::new();
            for request in &spec.datasets {
                let mut request = request.clone();
                if let Some((_, keep)) = query.only.iter().find(|(d, _)| *d == request.dataset_id) {
                    request
                        .variables
                        .retain(|v| keep.iter().any(|k| k.eq_ignore_ascii_case(v)));
                    let kept = request.variables.clone();
                    request
                        .generalisations
                        .retain(|g| kept.iter().any(|v| v.eq_ignore_ascii_case(g.column())));
                }
                let (description, upload, path) = self.source_of(&request.dataset_id).await?;
                let input = ExtractionInput {
                    permit_id: application_id,
                    spec_digest: "",
                    key_id: "",
                    key_version: 0,
                    request: &request,
                    description: &description,
                    dataset_version: upload.dataset_version,
                    upload_id: &upload.id,
                    upload_path: &path,
                    upload_sha256: &upload.sha256,
                    reference_date: upload.reference_date,
                    // The preview pseudonymises nothing; the registry key finds opt-outs.
                    pseudonym_key: &registry,
                    registry_key: &registry,
                    optouts: &optouts,
                    optout_registry_seq: state.seq,
                    population: None,
                    spe: &spe,
                    partitions: self.settings.partitions,
                    compression: Compression::Zstd,
                    progress: None,
                };
                previews.push(hdab_pipeline::preview_risk(&input, target).await?);
            }
            let detail = previews
                .iter()
                .map(|p| {
                    format!(
                        "{}: {} records, k {}, unique {}",
                        p.dataset_id, p.records.records, p.records.k, p.records.sample_uniques
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok((previews, detail))
        }
        .await;
        self.audited(actor, "case.risk", application_id, result)
            .await
    }
}
