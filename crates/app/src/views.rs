//! Read-only views a role's pages and API need: my applications, my permits, my datasets and
//! their uploads. Each says who may see it, like every other use case; reads of personal
//! workspaces are not audited one by one (the objects they open are).

use crate::{App, AppError};
use chrono::{Months, Utc};
use hdab_permits::access::{self, Duty};
use hdab_permits::{AppState, Deadline, Permit, deadline, state_of};
use hdab_store::{DatasetVersion, Upload};

/// One of my applications, as the applicant's list shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApplicationRow {
    pub id: String,
    pub title: String,
    pub state: AppState,
    pub deadline: Deadline,
    /// The permit granted on it, once approved.
    pub permit_id: Option<String>,
}

/// A holder's dataset with its confirmation status and latest upload.
#[derive(Debug, Clone)]
pub struct HolderDataset {
    pub current: DatasetVersion,
    pub last_confirmed: chrono::DateTime<Utc>,
    pub confirmation_due: chrono::DateTime<Utc>,
    pub overdue: bool,
    pub latest_upload: Option<Upload>,
}

impl App {
    /// The applications the actor made, newest first.
    pub async fn my_applications(&self, actor: &str) -> Result<Vec<ApplicationRow>, AppError> {
        let user = self.user(actor).await?;
        let permits = self.store.permits().await?;
        let now = Utc::now();
        let mut rows: Vec<ApplicationRow> = self
            .store
            .applications()
            .await?
            .into_iter()
            .filter(|a| a.applicant == user.id)
            .map(|a| ApplicationRow {
                permit_id: permits
                    .iter()
                    .find(|p| p.application_id == a.id)
                    .map(|p| p.id.clone()),
                state: state_of(&a.events),
                deadline: deadline(&a.events, a.content.purpose, now),
                title: a.content.title,
                id: a.id,
            })
            .collect();
        rows.reverse();
        Ok(rows)
    }

    /// The permit granted on an application, for those who may read the application.
    pub async fn permit_of_application(
        &self,
        application_id: &str,
    ) -> Result<Option<String>, AppError> {
        Ok(self
            .store
            .permits()
            .await?
            .into_iter()
            .find(|p| p.application_id == application_id)
            .map(|p| p.id))
    }

    /// The permits the actor is named in (as applicant or SPE user).
    pub async fn my_permits(&self, actor: &str) -> Result<Vec<Permit>, AppError> {
        let user = self.user(actor).await?;
        Ok(self
            .store
            .permits()
            .await?
            .into_iter()
            .filter(|p| p.spe_users.iter().any(|u| u == &user.id))
            .collect())
    }

    /// Every permit (case officers, decision makers and admins).
    pub async fn all_permits(&self, actor: &str) -> Result<Vec<Permit>, AppError> {
        let user = self.user(actor).await?;
        access::require(&user, Duty::ListEveryPermit)?;
        Ok(self.store.permits().await?)
    }

    /// The datasets of the actor's organisation (every dataset for an admin), with the
    /// yearly confirmation due and the latest upload.
    pub async fn holder_datasets(&self, actor: &str) -> Result<Vec<HolderDataset>, AppError> {
        let user = self.user(actor).await?;
        access::require(&user, Duty::ViewHolderDatasets)?;
        let now = Utc::now();
        let mut out = Vec::new();
        for d in self.store.datasets().await? {
            if !access::acts_for_holder(&user, &d.description.holder) {
                continue;
            }
            let confirmed = self.store.last_confirmation(&d.dataset_id).await?;
            let last = confirmed.map_or(d.created_at, |c| c.max(d.created_at));
            let due = last.checked_add_months(Months::new(12)).unwrap_or(last);
            out.push(HolderDataset {
                latest_upload: self.store.latest_upload(&d.dataset_id).await?,
                last_confirmed: last,
                confirmation_due: due,
                overdue: now > due,
                current: d,
            });
        }
        Ok(out)
    }

    /// What is missing before an application can be submitted (empty when complete).
    pub async fn application_problems(
        &self,
        content: &hdab_permits::ApplicationContent,
    ) -> Result<Vec<String>, AppError> {
        let all = self.store.datasets().await?;
        Ok(content.completeness_problems(&Self::catalogue_lookup(&all)))
    }

    /// The current description of one dataset. Public.
    pub async fn dataset(&self, dataset_id: &str) -> Result<DatasetVersion, AppError> {
        self.store
            .current_dataset(dataset_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("dataset '{dataset_id}'")))
    }

    /// A dataset's uploads with their check reports: for its holder, case officers and
    /// admins.
    pub async fn dataset_uploads(
        &self,
        actor: &str,
        dataset_id: &str,
    ) -> Result<Vec<Upload>, AppError> {
        let user = self.user(actor).await?;
        let d = self.dataset(dataset_id).await?;
        if !access::may_read_uploads(&user, &d.description.holder) {
            return Err(AppError::Refused(format!(
                "uploads of '{dataset_id}' are shown to its holder and case officers"
            )));
        }
        Ok(self.store.uploads(dataset_id).await?)
    }
}
