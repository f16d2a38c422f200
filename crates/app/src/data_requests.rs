//! Data requests (Art. 69): statistics only, answered under disclosure control.

use chrono::Utc;

use crate::optouts::registry_key;
use crate::{App, AppError};
use hdab_permits::access::{self, Duty};

impl App {
    /// A requester asks for statistics; the request is checked against the catalogue.
    pub async fn submit_data_request(
        &self,
        actor: &str,
        toml_text: &str,
    ) -> Result<String, AppError> {
        let content = toml::from_str(toml_text).map_err(|e: toml::de::Error| {
            AppError::Invalid(format!("the data request file: {}", e.message()))
        });
        self.submit_data_request_from(actor, content).await
    }

    /// Submits a data request given as a value (the API's JSON body).
    pub async fn submit_data_request_content(
        &self,
        actor: &str,
        content: hdab_permits::DataRequestContent,
    ) -> Result<String, AppError> {
        self.submit_data_request_from(actor, Ok(content)).await
    }

    pub(crate) async fn submit_data_request_from(
        &self,
        actor: &str,
        content: Result<hdab_permits::DataRequestContent, AppError>,
    ) -> Result<String, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::AskForStatistics)?;
            let content = content?;
            let dataset = self
                .store
                .current_dataset(&content.dataset_id)
                .await?
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "no dataset '{}' in the catalogue",
                        content.dataset_id
                    ))
                })?;
            let problems = hdab_pipeline::aggregate_problems(
                &dataset.description,
                &content.group_by,
                content.measure.as_deref(),
                &content.cohort,
            );
            if !problems.is_empty() {
                return Err(AppError::Invalid(format!(
                    "the data request cannot be answered as asked:\n{}",
                    problems
                        .iter()
                        .map(|p| format!("  - {p}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )));
            }
            let id = self
                .store
                .create_data_request(&user, &content, Utc::now())
                .await?;
            self.register_case(&id, "data_request", Utc::now()).await?;
            Ok((
                id.clone(),
                format!("data request {id} on {}", content.dataset_id),
            ))
        }
        .await;
        self.audited(actor, "request.submit", "-", result).await
    }

    /// A case officer computes the answer: aggregates over the latest upload with opted-out
    /// people removed, then disclosure control. Only the protected table is kept.
    pub async fn answer_data_request(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<hdab_disclosure::ReleasedTable, AppError> {
        let result = async {
            access::require(&self.user(actor).await?, Duty::AnswerDataRequests)?;
            let (_, content, answered) = self.store.data_request(id).await?;
            if answered.is_some() {
                return Err(AppError::Refused(format!(
                    "data request {id} is already answered"
                )));
            }
            // Answered only once approved (Art. 69), like an application's delivery.
            match self.store.data_request_decision(id).await? {
                Some((d, _, _)) if d == "approve" => {}
                Some(_) => {
                    return Err(AppError::Refused(format!(
                        "data request {id} was refused: it is not answered"
                    )));
                }
                None => {
                    return Err(AppError::Refused(format!(
                        "data request {id} has not been decided; a decision maker approves or refuses it first (hdab request decide)"
                    )));
                }
            }
            let dataset = self
                .store
                .current_dataset(&content.dataset_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("dataset '{}'", content.dataset_id)))?;
            let upload = self
                .store
                .latest_upload(&content.dataset_id)
                .await?
                .ok_or_else(|| {
                    AppError::Refused(format!(
                        "dataset '{}' has no accepted upload yet",
                        content.dataset_id
                    ))
                })?;
            let keyring = self.settings.keyring()?;
            let registry_key = registry_key(&keyring);
            drop(keyring);
            let (optouts, registry) = self.optouts_for(Utc::now()).await?;
            let path = self
                .settings
                .data_dir
                .join("uploads")
                .join(&upload.file_name);
            let aggregates = hdab_pipeline::aggregate(&hdab_pipeline::AggregateInput {
                description: &dataset.description,
                upload_path: &path,
                reference_date: upload.reference_date,
                cohort: &content.cohort,
                group_by: &content.group_by,
                measure: content.measure.as_deref(),
                registry_key: &registry_key,
                optouts: &optouts,
            })
            .await?;
            let table = hdab_disclosure::protect(
                &content.group_by,
                content.measure.as_deref(),
                aggregates.cells,
                hdab_disclosure::Rules::default(),
            );
            let stored = serde_json::json!({
                "table": table,
                "upload_id": upload.id,
                "optout_registry_seq": registry.seq,
            });
            if !self
                .store
                .answer_data_request(id, actor, Utc::now(), &stored)
                .await?
            {
                return Err(AppError::Refused(format!(
                    "data request {id} was answered meanwhile"
                )));
            }
            let detail = format!(
                "{} cells, suppressed: {} min count, {} dominance, {} secondary",
                table.cells.len(),
                table.n_suppressed(hdab_disclosure::Rule::MinimumCount),
                table.n_suppressed(hdab_disclosure::Rule::Dominance),
                table.n_suppressed(hdab_disclosure::Rule::Secondary)
            );
            Ok((table, detail))
        }
        .await;
        let table = self.audited(actor, "request.answer", id, result).await?;
        // Statistics left the HDAB: the entry is covered by a signed checkpoint at once.
        self.cover_head().await?;
        Ok(table)
    }

    /// A decision maker approves or refuses a data request, with reasons (Art. 69); the
    /// register publishes it.
    pub async fn decide_data_request(
        &self,
        actor: &str,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let result = async {
            access::require(&self.user(actor).await?, Duty::DecideDataRequests)?;
            if reason.trim().is_empty() {
                return Err(AppError::Invalid(
                    "a decision on a data request states its reasons (--reason)".into(),
                ));
            }
            self.store.data_request(id).await?;
            if !self
                .store
                .decide_data_request(id, approve, actor, Utc::now(), reason.trim())
                .await?
            {
                return Err(AppError::Refused(format!(
                    "data request {id} is decided already"
                )));
            }
            let what = if approve { "approve" } else { "refuse" };
            Ok(((), what.to_string()))
        }
        .await;
        self.audited(actor, "request.decide", id, result).await
    }

    /// Every data request with its decision and reasons, for the public register.
    pub async fn data_request_register(
        &self,
    ) -> Result<Vec<hdab_store::DataRequestEntry>, AppError> {
        Ok(self.store.data_request_register().await?)
    }

    /// The protected table of an answered request, for its requester or case officers.
    pub async fn show_data_request(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<
        (
            hdab_permits::DataRequestContent,
            Option<hdab_disclosure::ReleasedTable>,
        ),
        AppError,
    > {
        let result = async {
            let user = self.user(actor).await?;
            let (requester, content, answer) = self.store.data_request(id).await?;
            if !access::may_read_data_request(&user, &requester) {
                return Err(AppError::NotFound(format!("data request '{id}'")));
            }
            let table = answer
                .map(|a| serde_json::from_value(a["table"].clone()))
                .transpose()
                .map_err(|_| AppError::Invalid("the stored answer is unreadable".into()))?;
            Ok(((content, table), String::new()))
        }
        .await;
        self.audited(actor, "request.show", id, result).await
    }
}
