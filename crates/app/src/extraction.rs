//! Extraction of a permit into its SPE workspace: keys derived, the opt-out rule applied,
//! one run per permit at a time, unchanged inputs a no-op, every delivery recorded.

use chrono::Utc;
use hdab_permits::{DatasetRequest, Permit};
use hdab_pipeline::{Compression, ExtractionInput, Manifest, PermitLock};
use hdab_pseudonymise::DerivedKey;
use hdab_pseudonymise::permit_context;
use hdab_store::StoreError;
use std::path::PathBuf;

use crate::optouts::registry_key;
use crate::{App, AppError};
use hdab_permits::access::{self, Duty};

/// Progress of an extraction, read by a display while the run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    pub rows_done: std::sync::atomic::AtomicU64,
    pub rows_total: std::sync::atomic::AtomicU64,
    pub bytes_total: std::sync::atomic::AtomicU64,
    pub dataset: std::sync::Mutex<String>,
}

impl Progress {
    fn start(&self, dataset: &str, rows: u64, bytes: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.rows_done.store(0, Relaxed);
        self.rows_total.store(rows, Relaxed);
        self.bytes_total.store(bytes, Relaxed);
        if let Ok(mut d) = self.dataset.lock() {
            *d = dataset.to_string();
        }
    }
}

/// Summary of one delivered dataset.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub dataset_id: String,
    pub folder: PathBuf,
    pub manifest: Manifest,
}

impl App {
    /// Extracts every dataset of a permit into its SPE folder. Refused unless the permit is
    /// valid now. If the opt-out registry changes during the run, the run is redone so the
    /// delivery reflects the registry at commit time.
    pub async fn extract(
        &self,
        actor: &str,
        permit_id: &str,
        compression: Compression,
    ) -> Result<Vec<Delivery>, AppError> {
        self.extract_with_progress(actor, permit_id, compression, None)
            .await
    }

    /// [`App::extract`], reporting progress as it goes (for a progress bar).
    pub async fn extract_with_progress(
        &self,
        actor: &str,
        permit_id: &str,
        compression: Compression,
        progress: Option<&Progress>,
    ) -> Result<Vec<Delivery>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::RunExtraction)?;
            let permit = self.usable_permit(permit_id).await?;
            let keyring = self.settings.keyring()?;
            let keys = RunKeys {
                pseudonym: keyring
                    .by_id(&permit.key_id)?
                    .derive(&permit_context(&permit.id, permit.key_version)),
                registry: registry_key(&keyring),
            };
            drop(keyring);
            // One run per permit at a time, across processes: a second run waits, then
            // finds the first one's delivery (a no-op) or makes the next one whole.
            let _turn = self.permit_lock(&permit.id).await?;
            let run = PermitRun {
                permit: &permit,
                keys: &keys,
                compression,
                progress,
            };
            let mut deliveries = Vec::new();
            for request in &permit.spec.datasets {
                deliveries.push(self.deliver_dataset(&run, request).await?);
            }
            let detail = deliveries
                .iter()
                .map(|d| {
                    format!(
                        "{}: in {} delivered {} run {}",
                        d.dataset_id,
                        d.manifest.rows.rows_in,
                        d.manifest.rows.delivered,
                        &d.manifest.run_id[..16.min(d.manifest.run_id.len())]
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok((deliveries, detail))
        }
        .await;
        let deliveries = self.audited(actor, "extract", permit_id, result).await?;
        // The entry recording that data left is covered by a signed checkpoint at once.
        self.cover_head().await?;
        Ok(deliveries)
    }

    /// The permit, if it exists and may be extracted today.
    async fn usable_permit(&self, permit_id: &str) -> Result<Permit, AppError> {
        let permit = match self.store.permit(permit_id).await {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) => {
                return Err(AppError::Refused(format!(
                    "there is no approved permit '{permit_id}'; only an approved application yields a permit"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        permit
            .check_usable(Utc::now().date_naive())
            .map_err(|e| AppError::Refused(e.to_string()))?;
        if !permit.spec.pseudonymised {
            return Err(AppError::Refused(
                "anonymised extracts are not produced by this version; ask for aggregate statistics instead".into(),
            ));
        }
        Ok(permit)
    }

    /// One dataset of a permit into its SPE folder. Unchanged inputs leave the delivery as it
    /// is; an opt-out registry that changed during the run makes it run again.
    async fn deliver_dataset(
        &self,
        run: &PermitRun<'_>,
        request: &DatasetRequest,
    ) -> Result<Delivery, AppError> {
        let permit = run.permit;
        let spe = self.settings.spe();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (optouts, registry) = self.optouts_for(permit.granted_at).await?;
            let version = self
                .store
                .current_dataset(&request.dataset_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("dataset '{}'", request.dataset_id)))?;
            let upload = self.store.latest_upload(&request.dataset_id).await?.ok_or_else(|| {
                AppError::Refused(format!(
                    "dataset '{}' has no accepted upload yet; ask its holder to upload the data",
                    request.dataset_id
                ))
            })?;
            let upload_path = self
                .settings
                .data_dir
                .join("uploads")
                .join(&upload.file_name);
            if let Some(p) = run.progress {
                p.start(
                    &request.dataset_id,
                    upload.n_rows as u64,
                    upload.bytes as u64,
                );
            }
            let input = ExtractionInput {
                permit_id: &permit.id,
                spec_digest: &permit.spec_digest,
                key_id: &permit.key_id,
                key_version: permit.key_version,
                request,
                description: &version.description,
                dataset_version: upload.dataset_version,
                upload_id: &upload.id,
                upload_path: &upload_path,
                upload_sha256: &upload.sha256,
                reference_date: upload.reference_date,
                pseudonym_key: &run.keys.pseudonym,
                registry_key: &run.keys.registry,
                optouts: &optouts,
                optout_registry_seq: registry.seq,
                spe: &spe,
                partitions: self.settings.partitions,
                compression: run.compression,
                progress: run.progress.map(|p| &p.rows_done),
            };
            let folder = spe.delivery(&permit.id, &request.dataset_id);
            // The same inputs were delivered already: the delivery stands as it is.
            let run_id = hdab_pipeline::run_id(&input);
            if let Some(existing) = spe
                .manifest(&permit.id, &request.dataset_id)
                .filter(|m| m.run_id == run_id)
            {
                tracing::info!(permit = %permit.id, dataset = %request.dataset_id, "unchanged inputs: the delivery stands");
                self.record_if_unrecorded(&permit.id, &upload.id, &existing)
                    .await?;
                return Ok(Delivery {
                    dataset_id: request.dataset_id.clone(),
                    folder,
                    manifest: existing,
                });
            }
            tracing::info!(permit = %permit.id, dataset = %request.dataset_id, upload = %upload.id, attempt = attempts, key_version = permit.key_version, registry_seq = registry.seq, "staging extraction");
            let mut staged = hdab_pipeline::stage_extraction(&input).await?;
            // A signed checkpoint of the audit log travels with the delivery; then, as the
            // last thing before the commit, the opt-outs that arrived while we ran: if any of
            // those people is in the delivery, build it again from the newer registry (never
            // deliver them); otherwise the delivery honours the registry as it is now.
            let sealed = async {
                let checkpoint = self.audit_checkpoint().await?;
                staged.set_audit_checkpoint(serde_json::to_value(&checkpoint).unwrap_or_default());
                let (late, seq) = self.store.opted_out_since(registry.seq).await?;
                if staged.delivers_any_of(&late) {
                    return Ok::<_, AppError>(Some(late.len()));
                }
                staged.set_optout_registry_seq(seq);
                Ok(None)
            }
            .await;
            match sealed {
                Ok(None) => {}
                Ok(Some(late)) => {
                    staged.abort();
                    if attempts >= MAX_REBUILDS {
                        return Err(AppError::Refused(format!(
                            "people in the delivery of '{}' kept opting out while it was built ({attempts} runs); nothing was delivered: run the extraction again",
                            request.dataset_id
                        )));
                    }
                    tracing::info!(permit = %permit.id, dataset = %request.dataset_id, late, "someone in this delivery opted out during the run: building it again");
                    continue;
                }
                Err(e) => {
                    staged.abort();
                    return Err(e);
                }
            }
            let manifest = staged.commit()?;
            hdab_pipeline::crash_point("delivered-not-recorded");
            tracing::info!(permit = %permit.id, dataset = %request.dataset_id, rows_in = manifest.rows.rows_in, delivered = manifest.rows.delivered, "delivered");
            self.record_delivery(&permit.id, &request.dataset_id, &upload.id, &manifest)
                .await?;
            hdab_pipeline::crash_point("recorded-not-audited");
            return Ok(Delivery {
                dataset_id: request.dataset_id.clone(),
                folder,
                manifest,
            });
        }
    }

    /// A run killed between its commit and its record left the delivery unrecorded: record
    /// it now, so every delivery on disk is traceable.
    async fn record_if_unrecorded(
        &self,
        permit_id: &str,
        upload_id: &str,
        manifest: &Manifest,
    ) -> Result<(), AppError> {
        let recorded = self
            .store
            .latest_deliveries(permit_id)
            .await?
            .iter()
            .any(|d| {
                d.dataset_id == manifest.dataset_id && d.run_id.as_deref() == Some(&manifest.run_id)
            });
        if !recorded {
            tracing::warn!(permit = %permit_id, dataset = %manifest.dataset_id, "a delivery on disk was not recorded (an earlier run died after committing it): recording it now");
            self.record_delivery(permit_id, &manifest.dataset_id, upload_id, manifest)
                .await?;
        }
        Ok(())
    }

    /// Records a delivery that is on disk (its manifest) in the store.
    async fn record_delivery(
        &self,
        permit_id: &str,
        dataset_id: &str,
        upload_id: &str,
        manifest: &Manifest,
    ) -> Result<(), AppError> {
        Ok(self
            .store
            .record_extraction(
                &uuid::Uuid::new_v4().to_string(),
                permit_id,
                dataset_id,
                upload_id,
                Utc::now(),
                &serde_json::to_value(manifest).unwrap_or_default(),
            )
            .await?)
    }

    /// Start-up recovery: puts every permit's SPE folder right after runs that died (staging
    /// folders removed, moved-aside deliveries restored or removed). A permit whose lock is
    /// held by a live run is left to that run, which recovers its folder itself.
    pub async fn recover_deliveries(&self) -> Result<hdab_pipeline::Recovered, AppError> {
        let spe = self.settings.spe();
        let total = tokio::task::spawn_blocking(move || spe.recover())
            .await
            .map_err(|e| {
                AppError::Io(
                    "the SPE folder".into(),
                    std::io::Error::other(e.to_string()),
                )
            })??;
        if total != hdab_pipeline::Recovered::default() {
            tracing::warn!(
                staging_removed = total.staging_removed,
                previous_restored = total.previous_restored,
                previous_removed = total.previous_removed,
                "recovered the SPE folders after runs that died"
            );
        }
        Ok(total)
    }

    /// An exclusive lock on the permit's extractions, released when dropped.
    async fn permit_lock(&self, permit_id: &str) -> Result<PermitLock, AppError> {
        let spe = self.settings.spe();
        let permit_id = permit_id.to_string();
        Ok(tokio::task::spawn_blocking(move || spe.lock(&permit_id))
            .await
            .map_err(|e| {
                AppError::Io(
                    "the permit lock".into(),
                    std::io::Error::other(e.to_string()),
                )
            })??)
    }
}

/// How many times one dataset's delivery is built again because people in it opted out
/// while it was built, before the extraction gives up (delivering nothing).
const MAX_REBUILDS: u32 = 20;

/// The keys of one permit's run, derived once.
struct RunKeys {
    pseudonym: DerivedKey,
    registry: DerivedKey,
}

/// What every dataset of one permit's run shares.
struct PermitRun<'a> {
    permit: &'a Permit,
    keys: &'a RunKeys,
    compression: Compression,
    progress: Option<&'a Progress>,
}

/// The (dataset, run id prefix) pairs an `extract` entry's detail names
/// (`slutenvard: in 4010 delivered 685 run 1a2b…; lakemedel: …`).
pub(crate) fn runs_in_detail(detail: &str) -> impl Iterator<Item = (&str, &str)> {
    detail.split("; ").filter_map(|part| {
        let (dataset, rest) = part.split_once(": ")?;
        let (_, run) = rest.rsplit_once(" run ")?;
        (!run.is_empty()).then_some((dataset, run))
    })
}
