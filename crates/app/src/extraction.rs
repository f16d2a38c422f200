//! Extraction of a permit into its SPE workspace: keys derived, the opt-out rule applied,
//! one run per permit at a time, unchanged inputs a no-op, every delivery recorded.

use chrono::Utc;
use hdab_catalog::DatasetDescription;
use hdab_permits::{DatasetRequest, Permit, StudyPopulation};
use hdab_pipeline::{Compression, ExtractionInput, Manifest, PermitLock};
use hdab_pseudonymise::DerivedKey;
use hdab_pseudonymise::{control_draw_context, permit_context};
use hdab_store::{StoreError, Upload};
use std::path::PathBuf;

use crate::optouts::registry_key;
use crate::orders::Sources;
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
    /// The study population's figures, on the population table's delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<hdab_pipeline::PopulationSummary>,
    /// Where this run's time went (`None`: unchanged inputs, nothing ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings: Option<hdab_pipeline::StageTimes>,
    /// The data order whose upload this delivery read (absent: a permit granted before
    /// data orders, read from the latest upload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
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
        self.extract_on(actor, permit_id, compression, progress, None)
            .await
    }

    /// [`App::extract_with_progress`], each dataset's plan run on `engine` (a cluster) when
    /// one is given; staging, leak scan, opt-out seal and commit stay here.
    pub async fn extract_on(
        &self,
        actor: &str,
        permit_id: &str,
        compression: Compression,
        progress: Option<&Progress>,
        engine: Option<&hdab_pipeline::PlanEngine>,
    ) -> Result<Vec<Delivery>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::RunExtraction)?;
            let permit = self.usable_permit(permit_id).await?;
            if engine.is_some() && permit.spec.anonymisation_target().is_some() {
                return Err(AppError::Refused(format!(
                    "permit {permit_id} is anonymised: its search for the least generalisation needs every combination of values in one place, so it runs on one machine; run `hdab extract {permit_id}` without --cluster"
                )));
            }
            let keyring = self.settings.keyring()?;
            let master = keyring.by_id(&permit.key_id)?;
            let keys = RunKeys {
                pseudonym: master.derive(&permit_context(&permit.id, permit.key_version)),
                draw: master.derive(&control_draw_context(&permit.id)),
                registry: registry_key(&keyring),
            };
            drop(keyring);
            // One run per permit at a time, across processes: a second run waits, then
            // finds the first one's delivery (a no-op) or makes the next one whole.
            let _turn = self.permit_lock(&permit.id).await?;
            // The data its holders made available for it (refused while an order is open).
            let sources = self.sources_of(&permit).await?;
            let population = match &permit.spec.population {
                Some(spec) => Some(
                    self.build_population(&permit, spec, &keys, &sources)
                        .await?,
                ),
                None => None,
            };
            let run = PermitRun {
                permit: &permit,
                keys: &keys,
                compression,
                progress,
                population,
                sources: &sources,
                engine,
            };
            let mut deliveries = Vec::new();
            // An anonymised permit's population restricts its datasets; its table (pseudonyms
            // and index dates) is not delivered.
            if let Some(spec) = &permit.spec.population
                && permit.spec.pseudonymised
            {
                deliveries.push(self.deliver_dataset(&run, Table::Population(spec)).await?);
            }
            for request in &permit.spec.datasets {
                deliveries.push(self.deliver_dataset(&run, Table::Dataset(request)).await?);
            }
            let detail = deliveries
                .iter()
                .map(|d| {
                    let order = d
                        .order_id
                        .as_ref()
                        .map(|o| format!("order {o} "))
                        .unwrap_or_default();
                    format!(
                        "{}: {order}in {} delivered {} run {}",
                        d.dataset_id,
                        d.manifest.rows.rows_in,
                        d.manifest.rows.delivered,
                        &d.manifest.run_id[..16.min(d.manifest.run_id.len())]
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let detail = match &permit.optout_exception {
                Some(e) => format!(
                    "{detail}; opt-outs not applied under the public-interest exception of {}",
                    e.legal_basis
                ),
                None => detail,
            };
            Ok((deliveries, detail))
        }
        .await;
        let deliveries = self.audited(actor, "extract", permit_id, result).await?;
        // The entry recording that data left is covered by a signed checkpoint at once.
        self.cover_head().await?;
        // New files are the service account's until they are given to the permit's group.
        self.sync_after(actor).await?;
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
        Ok(permit)
    }

    /// One dataset of a permit (or its population table) into its SPE folder. Unchanged
    /// inputs leave the delivery as it is; an opt-out registry that changed during the run
    /// makes it run again.
    async fn deliver_dataset(
        &self,
        run: &PermitRun<'_>,
        table: Table<'_>,
    ) -> Result<Delivery, AppError> {
        let permit = run.permit;
        let spe = self.settings.spe();
        let placeholder;
        let (request, table_name) = match table {
            Table::Dataset(r) => (r, r.dataset_id.as_str()),
            Table::Population(p) => {
                placeholder = DatasetRequest {
                    dataset_id: p.index_dataset.clone(),
                    variables: vec![],
                    cohort: Default::default(),
                    generalisations: vec![],
                    window: None,
                    person_role: None,
                };
                (&placeholder, hdab_permits::POPULATION_TABLE)
            }
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (optouts, registry) = self.optouts_applying_to(permit).await?;
            let (description, upload, upload_path) =
                self.source_for(run.sources, &request.dataset_id).await?;
            if let Some(p) = run.progress {
                p.start(table_name, upload.n_rows as u64, upload.bytes as u64);
            }
            let input = ExtractionInput {
                permit_id: &permit.id,
                spec_digest: &permit.spec_digest,
                key_id: &permit.key_id,
                key_version: permit.key_version,
                request,
                description: &description,
                dataset_version: upload.dataset_version,
                upload_id: &upload.id,
                upload_path: &upload_path,
                upload_sha256: &upload.sha256,
                reference_date: upload.reference_date,
                pseudonym_key: &run.keys.pseudonym,
                registry_key: &run.keys.registry,
                optouts: &optouts,
                optout_registry_seq: registry.seq,
                population: run.population.as_ref(),
                spe: &spe,
                partitions: self.settings.partitions,
                compression: run.compression,
                progress: run.progress.map(|p| &p.rows_done),
            };
            let folder = spe.delivery(&permit.id, table_name);
            // The same inputs were delivered already: the delivery stands as it is.
            let run_id = match table {
                Table::Dataset(_) => hdab_pipeline::run_id(&input),
                Table::Population(_) => hdab_pipeline::population_run_id(&input),
            };
            if let Some(existing) = spe
                .manifest(&permit.id, table_name)
                .filter(|m| m.run_id == run_id)
            {
                // The workspace's manifest is the researchers' view; the accounting is in
                // the HDAB's record (deliveries from before the split carry it themselves).
                let existing = spe
                    .record(&permit.id, table_name, &run_id)
                    .unwrap_or(existing);
                tracing::info!(permit = %permit.id, dataset = %table_name, "unchanged inputs: the delivery stands");
                self.record_if_unrecorded(&permit.id, &upload.id, &existing)
                    .await?;
                return Ok(Delivery {
                    dataset_id: table_name.to_string(),
                    folder,
                    manifest: existing,
                    population: summary_of(table, run),
                    timings: None,
                    order_id: run.sources.order_of(&request.dataset_id),
                });
            }
            tracing::info!(permit = %permit.id, dataset = %table_name, upload = %upload.id, attempt = attempts, key_version = permit.key_version, registry_seq = registry.seq, "staging extraction");
            let mut staged = stage(table, run, &input).await?;
            let sealed = self
                .seal(&mut staged, registry.seq, permit.optout_exception.is_some())
                .await;
            match sealed {
                Ok(None) => {}
                Ok(Some(late)) => {
                    if attempts >= MAX_REBUILDS {
                        return Err(AppError::Refused(format!(
                            "people in the delivery of '{table_name}' kept opting out while it was built ({attempts} runs); nothing was delivered: run the extraction again"
                        )));
                    }
                    tracing::info!(permit = %permit.id, dataset = %table_name, late, "someone in this delivery opted out during the run: building it again");
                    // Opt-outs arriving in a stream (a batch being registered): wait a little
                    // longer each time, so that a small table's runs outlast the batch
                    // rather than race it (at most about ten seconds over all rebuilds).
                    tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempts)))
                        .await;
                    continue;
                }
                Err(e) => return Err(e),
            }
            let timings = staged.times();
            let manifest = staged.commit()?;
            hdab_pipeline::crash_point("delivered-not-recorded");
            tracing::info!(permit = %permit.id, dataset = %table_name, rows_in = manifest.rows.rows_in, delivered = manifest.rows.delivered, "delivered");
            self.record_delivery(&permit.id, table_name, &upload.id, &manifest)
                .await?;
            hdab_pipeline::crash_point("recorded-not-audited");
            return Ok(Delivery {
                dataset_id: table_name.to_string(),
                folder,
                manifest,
                population: summary_of(table, run),
                timings: Some(timings),
                order_id: run.sources.order_of(&request.dataset_id),
            });
        }
    }

    /// Seals a staged delivery: a signed checkpoint of the audit log travels with it; then,
    /// as the last thing before the commit, the opt-outs that arrived while it ran. If any of
    /// those people is in the delivery, it is aborted and their number returned (build it
    /// again from the newer registry: never deliver them); otherwise it honours the registry
    /// as it is now. Any error aborts it too.
    async fn seal(
        &self,
        staged: &mut hdab_pipeline::StagedDelivery,
        registry_seq: i64,
        exempt: bool,
    ) -> Result<Option<usize>, AppError> {
        let sealed = async {
            let checkpoint = self.audit_checkpoint().await?;
            staged.set_audit_checkpoint(serde_json::to_value(&checkpoint).unwrap_or_default());
            let (late, seq) = self.store.opted_out_since(registry_seq).await?;
            if !exempt && staged.delivers_any_of(&late) {
                return Ok::<_, AppError>(Some(late.len()));
            }
            staged.set_optout_registry_seq(seq);
            Ok(None)
        }
        .await;
        if !matches!(sealed, Ok(None)) {
            staged.abort();
        }
        sealed
    }

    /// A dataset's current description, its latest accepted upload and where that is.
    pub(crate) async fn source_of(
        &self,
        dataset_id: &str,
    ) -> Result<(DatasetDescription, Upload, PathBuf), AppError> {
        let version = self
            .store
            .current_dataset(dataset_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("dataset '{dataset_id}'")))?;
        let upload = self.store.latest_upload(dataset_id).await?.ok_or_else(|| {
            AppError::Refused(format!(
                "dataset '{dataset_id}' has no accepted upload yet; ask its holder to upload the data"
            ))
        })?;
        let path = self
            .settings
            .data_dir
            .join("uploads")
            .join(&upload.file_name);
        Ok((version.description, upload, path))
    }

    /// The opt-outs that apply to a permit's deliveries (the EHDS rule), and the registry's
    /// state; none under a public-interest exception (Art. 71(4)) the permit was granted.
    async fn optouts_applying_to(
        &self,
        permit: &Permit,
    ) -> Result<(hdab_permits::optout::Excluded, hdab_store::RegistryState), AppError> {
        let (excluded, registry) = self.optouts_for(permit.granted_at).await?;
        match &permit.optout_exception {
            None => Ok((excluded, registry)),
            Some(e) => {
                tracing::warn!(permit = %permit.id, legal_basis = %e.legal_basis, "opt-outs not applied: public-interest exception (EHDS Art. 71(4))");
                Ok((hdab_permits::optout::Excluded::default(), registry))
            }
        }
    }

    /// A dataset of a permit's run: the upload that fulfilled its order, or (a permit granted
    /// before data orders) the latest upload.
    async fn source_for(
        &self,
        sources: &Sources,
        dataset_id: &str,
    ) -> Result<(DatasetDescription, Upload, PathBuf), AppError> {
        match sources {
            Sources::Latest => self.source_of(dataset_id).await,
            Sources::Orders(by_dataset) => {
                let (order, upload) = by_dataset.get(dataset_id).ok_or_else(|| {
                    AppError::Refused(format!(
                        "the permit placed no data order for dataset '{dataset_id}'"
                    ))
                })?;
                let version = self
                    .store
                    .current_dataset(dataset_id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("dataset '{dataset_id}'")))?;
                tracing::info!(dataset = dataset_id, order = %order, upload = %upload.id, "reading the upload made for the order");
                let path = self
                    .settings
                    .data_dir
                    .join("uploads")
                    .join(&upload.file_name);
                Ok((version.description, upload.clone(), path))
            }
        }
    }

    /// The permit's study population from its index dataset and population register (the
    /// uploads of its orders), leaving out everyone opted out now (by the permit's rule).
    async fn build_population(
        &self,
        permit: &Permit,
        spec: &StudyPopulation,
        keys: &RunKeys,
        sources: &Sources,
    ) -> Result<hdab_pipeline::Population, AppError> {
        tracing::info!(permit = %permit.id, "building the study population");
        let (optouts, _) = self.optouts_applying_to(permit).await?;
        let index = self.source_for(sources, &spec.index_dataset).await?;
        let register = match &spec.controls {
            Some(c) => Some(self.source_for(sources, &c.dataset).await?),
            None => None,
        };
        let input = hdab_pipeline::PopulationInput {
            spec,
            index: as_source(&index),
            register: register.as_ref().map(|r| as_source(r)),
            registry_key: &keys.registry,
            draw_key: &keys.draw,
            optouts: &optouts,
            partitions: self.settings.partitions,
        };
        let population = hdab_pipeline::build_population(&input).await?;
        let s = &population.summary;
        tracing::info!(permit = %permit.id, cases = s.cases, controls = s.controls, excluded = s.excluded, short = s.cases_short_of_controls, "study population built");
        Ok(population)
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
    pub(crate) async fn permit_lock(&self, permit_id: &str) -> Result<PermitLock, AppError> {
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

/// Stages one table of a run: the population table, an anonymised dataset or a
/// pseudonymised one.
async fn stage(
    table: Table<'_>,
    run: &PermitRun<'_>,
    input: &ExtractionInput<'_>,
) -> Result<hdab_pipeline::StagedDelivery, AppError> {
    Ok(match (table, &run.population) {
        (Table::Population(spec), Some(population)) => {
            hdab_pipeline::stage_population(population, input, spec.index_date_precision).await?
        }
        _ => match (run.permit.spec.anonymisation_target(), run.engine) {
            (Some(a), _) => {
                hdab_pipeline::stage_anonymised(input, crate::risk::target_of(a)).await?
            }
            (None, Some(engine)) => hdab_pipeline::stage_on(engine, input).await?,
            (None, None) => hdab_pipeline::stage_extraction(input).await?,
        },
    })
}

/// The keys of one permit's run, derived once.
struct RunKeys {
    pseudonym: DerivedKey,
    /// Orders the draw of controls: the permit's, whatever its key version.
    draw: DerivedKey,
    registry: DerivedKey,
}

/// What every dataset of one permit's run shares.
struct PermitRun<'a> {
    permit: &'a Permit,
    keys: &'a RunKeys,
    compression: Compression,
    progress: Option<&'a Progress>,
    /// The study population, built once per run (absent: datasets on their own).
    population: Option<hdab_pipeline::Population>,
    /// Where each dataset is read from.
    sources: &'a Sources,
    /// Where each dataset's plan runs (absent: the single-machine pipeline).
    engine: Option<&'a hdab_pipeline::PlanEngine>,
}

/// The population's figures, for the population table's delivery.
fn summary_of(table: Table<'_>, run: &PermitRun<'_>) -> Option<hdab_pipeline::PopulationSummary> {
    match table {
        Table::Population(_) => run.population.as_ref().map(|p| p.summary.clone()),
        Table::Dataset(_) => None,
    }
}

/// A dataset as the population builder reads it.
fn as_source(
    (d, u, p): &(DatasetDescription, Upload, PathBuf),
) -> hdab_pipeline::PopulationSource<'_> {
    hdab_pipeline::PopulationSource {
        description: d,
        upload_id: &u.id,
        upload_path: p,
        upload_sha256: &u.sha256,
        dataset_version: u.dataset_version,
        reference_date: u.reference_date,
    }
}

/// What one delivery of a permit's run is.
#[derive(Debug, Clone, Copy)]
enum Table<'a> {
    Dataset(&'a DatasetRequest),
    Population(&'a StudyPopulation),
}

/// The (dataset, run id prefix) pairs an `extract` entry's detail names
/// (`slutenvard: order O-2026-0001 in 4010 delivered 685 run 1a2b…; lakemedel: …`).
pub(crate) fn runs_in_detail(detail: &str) -> impl Iterator<Item = (&str, &str)> {
    detail.split("; ").filter_map(|part| {
        let (dataset, rest) = part.split_once(": ")?;
        let (_, run) = rest.rsplit_once(" run ")?;
        (!run.is_empty()).then_some((dataset, run))
    })
}
