//! Data access applications, permits, their state machine and the role matrix.
//!
//! Owns the rule "every change of a case is an allowed transition by an allowed actor":
//! the current state of an application is derived from its events ([`state_of`]), and
//! [`decide`] is the one place that says whether a user may run a command on a case in its
//! current state; [`access`] is the rest of the role matrix (every other command, ownership
//! of datasets, object-level reads, what the pages offer) and [`optout`] the EHDS rule of who
//! is left out of a permit's delivery. No I/O, no HTTP, no clock: times are passed in.

pub mod access;
pub mod activity;
pub mod cohort;
pub mod consultations;
pub mod deadline;
pub mod fees;
pub mod optout;
pub mod orders;
pub mod output;
pub mod population;
pub mod words;
pub mod workflow;
pub mod workspace;

pub use cohort::{Cohort, Condition, DatasetRequest, Generalisation};
pub use deadline::{Deadline, deadline};
pub use population::{
    Controls, DatePrecision, Exclusion, POPULATION_TABLE, RegisterColumns, StudyPopulation, Window,
};
pub use workflow::{
    AppState, CaseCommand, CaseEvent, CaseView, Refusal, Role, User, assignee_of, decide, may_read,
    state_of,
};

use chrono::{DateTime, NaiveDate, Utc};
use hdab_catalog::{DatasetDescription, Sensitivity, VariableType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// EHDS Art. 53(1) purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// (a) public interest in public and occupational health
    PublicHealth,
    /// (b) policy making and regulation
    PolicyMaking,
    /// (c) official statistics
    OfficialStatistics,
    /// (d) education and teaching
    Education,
    /// (e) scientific research
    ScientificResearch,
    /// (f) improvement of care and treatment
    CareImprovement,
}

impl Purpose {
    /// (a)–(c) are the public-sector purposes with the shorter deadline.
    pub fn is_public_sector(self) -> bool {
        matches!(
            self,
            Purpose::PublicHealth | Purpose::PolicyMaking | Purpose::OfficialStatistics
        )
    }
}

/// What the applicant asks for (EHDS Art. 67).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationContent {
    pub title: String,
    pub organisation: String,
    pub purpose: Purpose,
    pub intended_use: String,
    pub expected_benefit: String,
    /// User ids of everyone who will work with the data in the SPE, the applicant included.
    pub spe_users: Vec<String>,
    /// Who the study is about: every dataset delivers only these people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<StudyPopulation>,
    pub datasets: Vec<DatasetRequest>,
    /// `true`: pseudonymised data; `false`: anonymised.
    pub pseudonymised: bool,
    /// Why anonymised data would not do (required when `pseudonymised`).
    #[serde(default)]
    pub why_not_anonymised: String,
    /// Months of access needed (at most 120: a permit lasts at most 10 years).
    pub months_needed: u32,
    #[serde(default)]
    pub ethics_reference: Option<String>,
    #[serde(default)]
    pub safeguards: String,
}

impl ApplicationContent {
    /// The extraction spec as applied for (an approval may narrow it).
    pub fn asked_spec(&self) -> ExtractionSpec {
        ExtractionSpec {
            pseudonymised: self.pseudonymised,
            anonymisation: None,
            population: self.population.clone(),
            datasets: self.datasets.clone(),
        }
    }

    /// Everything missing or wrong for submission, listed at once. `catalogue` resolves a
    /// dataset id to its current description.
    pub fn completeness_problems(
        &self,
        catalogue: &dyn Fn(&str) -> Option<DatasetDescription>,
    ) -> Vec<String> {
        let mut p = Vec::new();
        for (field, text) in [
            ("title", &self.title),
            ("organisation", &self.organisation),
            ("intended_use", &self.intended_use),
            ("expected_benefit", &self.expected_benefit),
        ] {
            if text.trim().is_empty() {
                p.push(format!("{field}: must not be empty"));
            }
        }
        if self.spe_users.is_empty() {
            p.push("spe_users: name everyone who will get access, yourself included".into());
        }
        if self.pseudonymised && self.why_not_anonymised.trim().is_empty() {
            p.push("why_not_anonymised: explain why anonymised data will not do".into());
        }
        if self.months_needed == 0 || self.months_needed > 120 {
            p.push("months_needed: between 1 and 120 (a permit lasts at most 10 years)".into());
        }
        if self.purpose == Purpose::ScientificResearch
            && self
                .ethics_reference
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            p.push("ethics_reference: research on personal data needs an ethics approval (Etikprövningsmyndigheten reference)".into());
        }
        if self.datasets.is_empty() {
            p.push("datasets: ask for at least one dataset".into());
        }
        if let Some(pop) = &self.population {
            p.extend(pop.problems(catalogue));
        }
        for (i, req) in self.datasets.iter().enumerate() {
            if req.window.is_some() && self.population.is_none() {
                p.push(format!(
                    "datasets[{i}] ({}): a window counts from each person's index date; define the study population first",
                    req.dataset_id
                ));
            }
            if req.dataset_id == POPULATION_TABLE {
                p.push(format!(
                    "datasets[{i}]: '{POPULATION_TABLE}' is the name of the delivered population table"
                ));
            }
            match catalogue(&req.dataset_id) {
                None => p.push(format!(
                    "datasets[{i}]: no dataset '{}' in the catalogue",
                    req.dataset_id
                )),
                Some(d) => p.extend(
                    req.problems_against(&d)
                        .into_iter()
                        .map(|e| format!("datasets[{i}] ({}): {e}", req.dataset_id)),
                ),
            }
        }
        p
    }
}

/// A data request (EHDS Art. 69): statistics only, answered with a protected aggregate table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRequestContent {
    pub title: String,
    pub organisation: String,
    pub purpose: Purpose,
    pub dataset_id: String,
    /// Variables to group by (dates are grouped by year).
    pub group_by: Vec<String>,
    /// An integer or decimal variable to sum and average, if any.
    #[serde(default)]
    pub measure: Option<String>,
    #[serde(default)]
    pub cohort: Cohort,
}

/// The frozen extraction spec of a permit. Its digest names it in every manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractionSpec {
    pub pseudonymised: bool,
    /// For anonymised data: the k to reach and the records that may be suppressed (absent:
    /// k = 10, at most 2%). Absent in pseudonymised permits (their digest is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymisation: Option<Anonymisation>,
    /// Absent in permits without a study population (their digest is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<StudyPopulation>,
    pub datasets: Vec<DatasetRequest>,
}

/// What an anonymised delivery must reach (EHDS Art. 66(2)): every combination of delivered
/// quasi-identifiers shared by at least `k` records, suppressing at most
/// `max_suppressed_percent` of the records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Anonymisation {
    #[serde(default = "default_k")]
    pub k: u32,
    #[serde(default = "default_suppression")]
    pub max_suppressed_percent: f64,
}

fn default_k() -> u32 {
    10
}

fn default_suppression() -> f64 {
    2.0
}

impl Default for Anonymisation {
    fn default() -> Self {
        Anonymisation {
            k: default_k(),
            max_suppressed_percent: default_suppression(),
        }
    }
}

impl Anonymisation {
    /// What is wrong with it (k from 2 to 1,000; 0–20% suppressed).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(2..=1000).contains(&self.k) {
            p.push(format!(
                "anonymisation: k is {}; write 2 to 1000 (10 is the norm)",
                self.k
            ));
        }
        if !(0.0..=20.0).contains(&self.max_suppressed_percent) {
            p.push(format!(
                "anonymisation: max_suppressed_percent is {}; write 0 to 20",
                self.max_suppressed_percent
            ));
        }
        p
    }
}

impl ExtractionSpec {
    /// The anonymisation target of an anonymised spec (its own or the default).
    pub fn anonymisation_target(&self) -> Option<Anonymisation> {
        (!self.pseudonymised).then(|| self.anonymisation.unwrap_or_default())
    }

    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }

    /// What a run of this spec delivers into the workspace, in order: the population table
    /// (when there is a study population and the data is pseudonymised), then each dataset.
    pub fn delivered_tables(&self) -> Vec<&str> {
        self.population
            .as_ref()
            .filter(|_| self.pseudonymised)
            .map(|_| POPULATION_TABLE)
            .into_iter()
            .chain(self.datasets.iter().map(|d| d.dataset_id.as_str()))
            .collect()
    }

    /// Checks that `narrower` asks for no more than `self`: a subset of datasets and
    /// variables, and for each dataset every condition of the original cohort still applies.
    pub fn is_narrowing(&self, narrower: &ExtractionSpec) -> Result<(), String> {
        if narrower.pseudonymised && !self.pseudonymised {
            return Err("anonymised data cannot be widened to pseudonymised".into());
        }
        if let (Some(a), Some(n)) = (self.anonymisation_target(), narrower.anonymisation_target())
            && (n.k < a.k || n.max_suppressed_percent > a.max_suppressed_percent)
        {
            return Err(format!(
                "the anonymisation cannot be weakened: k {} with at most {}% suppressed was asked",
                a.k, a.max_suppressed_percent
            ));
        }
        if let Some(a) = narrower.anonymisation {
            if narrower.pseudonymised {
                return Err(
                    "anonymisation settings apply only to anonymised data (pseudonymised = false)"
                        .into(),
                );
            }
            if let Some(p) = a.problems().into_iter().next() {
                return Err(p);
            }
        }
        match (&self.population, &narrower.population) {
            (None, None) => {}
            (Some(_), None) => {
                return Err("the study population cannot be dropped: every dataset would go out for everyone".into());
            }
            (None, Some(_)) => {
                return Err("a study population was not applied for; it changes what is delivered, so it needs a new application".into());
            }
            (Some(o), Some(n)) => o.is_narrowing(n)?,
        }
        for n in &narrower.datasets {
            let Some(o) = self.datasets.iter().find(|o| o.dataset_id == n.dataset_id) else {
                return Err(format!("dataset '{}' was not applied for", n.dataset_id));
            };
            for v in &n.variables {
                if !o.variables.iter().any(|w| w.eq_ignore_ascii_case(v)) {
                    return Err(format!(
                        "variable '{v}' of '{}' was not applied for",
                        n.dataset_id
                    ));
                }
            }
            match (&o.window, &n.window) {
                (None, _) => {}
                (Some(_), None) => {
                    return Err(format!(
                        "the window of '{}' cannot be dropped",
                        n.dataset_id
                    ));
                }
                (Some(ow), Some(nw)) => {
                    if nw.column != ow.column
                        || nw.from_days < ow.from_days
                        || nw.to_days > ow.to_days
                    {
                        return Err(format!("the window of '{}' may only shrink", n.dataset_id));
                    }
                }
            }
            for c in &o.cohort.conditions {
                if !n.cohort.conditions.contains(c) {
                    return Err(format!(
                        "the cohort of '{}' drops a condition the applicant asked for; add conditions, do not remove them",
                        n.dataset_id
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A data permit: created by an approval, never edited; revoked or expired permits
/// cannot be extracted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permit {
    pub id: String,
    pub application_id: String,
    pub spec: ExtractionSpec,
    pub spec_digest: String,
    pub spe_users: Vec<String>,
    /// Conditions the decision attaches (publication, output checking, …).
    #[serde(default)]
    pub conditions: Vec<String>,
    pub granted_at: DateTime<Utc>,
    pub valid_until: NaiveDate,
    /// Id of the master key the permit's keys derive from (the current key at grant).
    pub key_id: String,
    /// Version of the permit's pseudonym key; bumped only by key rotation.
    pub key_version: u32,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A public-interest exception to the opt-out (Art. 71(4)), where the law provides one:
    /// opt-outs are then not applied to this permit's deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optout_exception: Option<OptOutException>,
}

/// A public-interest exception to the opt-out (EHDS Art. 71(4)): granted only by a decision
/// maker, only under a legal basis the law provides (a setting lists them), with the three
/// conditions recorded; logged and published in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutException {
    /// The provision of law that allows the exception.
    pub legal_basis: String,
    /// The important reason of public interest.
    pub public_interest: String,
    /// Why the purpose cannot be met otherwise (without the opted-out people's data).
    pub necessity: String,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

impl OptOutException {
    /// Refused unless all three conditions are stated and the legal basis is one the law
    /// provides (`allowed`; none: the law provides no exception).
    pub fn check(&self, allowed: &[String]) -> Result<(), String> {
        if allowed.is_empty() {
            return Err("the law provides no exception to the opt-out here (no legal basis is configured in HDAB_OPTOUT_EXCEPTION_BASES): opt-outs apply to every permit".into());
        }
        for (text, what) in [
            (&self.legal_basis, "the legal basis"),
            (&self.public_interest, "the reason of public interest"),
            (&self.necessity, "why the purpose cannot be met otherwise"),
        ] {
            if text.trim().is_empty() {
                return Err(format!("an exception to the opt-out states {what}"));
            }
        }
        if !allowed.iter().any(|a| a.trim() == self.legal_basis.trim()) {
            return Err(format!(
                "'{}' is not a legal basis that provides an exception to the opt-out; the law provides: {}",
                self.legal_basis,
                allowed.join("; ")
            ));
        }
        Ok(())
    }
}

/// Why a permit cannot be extracted now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermitUnusable {
    #[error("permit {0} was revoked")]
    Revoked(String),
    #[error("permit {0} expired on {1}")]
    Expired(String, NaiveDate),
}

impl Permit {
    pub fn check_usable(&self, today: NaiveDate) -> Result<(), PermitUnusable> {
        if self.revoked_at.is_some() {
            return Err(PermitUnusable::Revoked(self.id.clone()));
        }
        if today > self.valid_until {
            return Err(PermitUnusable::Expired(self.id.clone(), self.valid_until));
        }
        Ok(())
    }
}

/// When a permit's data must be gone (EHDS Art. 68(12)): a revoked permit's after a short
/// grace period, an expired one's within six months of its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureRules {
    /// Days a revoked permit's data waits (out of the researchers' reach) before erasure.
    pub revoked_grace_days: u32,
    /// Months after the permit's end (at most 6).
    pub after_expiry_months: u32,
}

impl Default for ErasureRules {
    fn default() -> Self {
        ErasureRules {
            revoked_grace_days: 30,
            after_expiry_months: 6,
        }
    }
}

impl ErasureRules {
    /// The rules, refused when the law would be broken.
    pub fn new(revoked_grace_days: u32, after_expiry_months: u32) -> Result<Self, String> {
        if after_expiry_months > 6 {
            return Err(format!(
                "data must be erased within six months of a permit's end (EHDS Art. 68(12)); {after_expiry_months} months is longer"
            ));
        }
        if revoked_grace_days > 183 {
            return Err(format!(
                "a revoked permit's data waits at most six months; {revoked_grace_days} days is longer"
            ));
        }
        Ok(ErasureRules {
            revoked_grace_days,
            after_expiry_months,
        })
    }

    /// When `permit`'s data is due for erasure, and why.
    pub fn due(&self, permit: &Permit) -> (DateTime<Utc>, &'static str) {
        match permit.revoked_at {
            Some(at) => (
                at + chrono::Duration::days(i64::from(self.revoked_grace_days)),
                "revoked",
            ),
            None => {
                let end = permit
                    .valid_until
                    .checked_add_months(chrono::Months::new(self.after_expiry_months))
                    .unwrap_or(permit.valid_until);
                // The day after: valid through `valid_until`, erased the day the period ends.
                (
                    (end + chrono::Duration::days(1))
                        .and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc(),
                    "expired",
                )
            }
        }
    }
}

/// Variables of a dataset that may be asked for: anything but direct identifiers.
/// The person id leaves only as a pseudonym, which every pseudonymised extract carries.
pub fn requestable(d: &DatasetDescription) -> impl Iterator<Item = &hdab_catalog::Variable> {
    d.variables.iter().filter(|v| {
        v.sensitivity != Sensitivity::DirectIdentifier && v.variable_type != VariableType::PersonId
    })
}

/// What the unit tests of this crate build their cases from.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A user of organisation "org" with these roles.
    pub(crate) fn user(id: &str, roles: &[Role]) -> User {
        User {
            id: id.into(),
            name: id.into(),
            organisation: "org".into(),
            roles: roles.to_vec(),
        }
    }

    /// Permit "P-1" naming "anna", granted at the epoch, valid until `valid_until`.
    pub(crate) fn permit(valid_until: NaiveDate, revoked: bool) -> Permit {
        Permit {
            id: "P-1".into(),
            application_id: "A-1".into(),
            spec: ExtractionSpec {
                pseudonymised: true,
                anonymisation: None,
                population: None,
                datasets: vec![],
            },
            spec_digest: String::new(),
            spe_users: vec!["anna".into()],
            conditions: vec![],
            granted_at: DateTime::<Utc>::UNIX_EPOCH,
            valid_until,
            key_id: "k".into(),
            key_version: 1,
            revoked_at: revoked.then_some(DateTime::<Utc>::UNIX_EPOCH),
            optout_exception: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::permit;
    use super::*;

    #[test]
    fn erasure_is_due_after_the_grace_period_or_within_six_months_of_the_end() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        let rules = ErasureRules::default();
        let (due, why) = rules.due(&permit(d(2027, 6, 30), false));
        assert_eq!((due.date_naive(), why), (d(2027, 12, 31), "expired"));
        let (due, why) = rules.due(&permit(d(2030, 1, 1), true));
        assert_eq!((due.date_naive(), why), (d(1970, 1, 31), "revoked"));
        assert!(ErasureRules::new(30, 7).is_err());
    }

    #[test]
    fn an_expired_or_revoked_permit_cannot_be_used() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        let p = permit(d(2027, 6, 30), false);
        assert_eq!(p.check_usable(d(2027, 6, 30)), Ok(()));
        assert_eq!(
            p.check_usable(d(2027, 7, 1)),
            Err(PermitUnusable::Expired("P-1".into(), d(2027, 6, 30)))
        );
        let r = permit(d(2030, 1, 1), true);
        assert_eq!(
            r.check_usable(d(2027, 1, 1)),
            Err(PermitUnusable::Revoked("P-1".into()))
        );
    }

    #[test]
    fn narrowing_may_only_take_away() {
        let req = |vars: &[&str], conditions: Vec<Condition>| DatasetRequest {
            dataset_id: "d".into(),
            variables: vars.iter().map(|v| v.to_string()).collect(),
            cohort: Cohort { conditions },
            generalisations: vec![],
            window: None,
            person_role: None,
        };
        let age = |min| Condition::AgeRange {
            min: Some(min),
            max: None,
            at: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
        };
        let asked = ExtractionSpec {
            pseudonymised: true,
            anonymisation: None,
            population: None,
            datasets: vec![req(&["A", "B"], vec![age(18)])],
        };
        let narrower = ExtractionSpec {
            pseudonymised: true,
            anonymisation: None,
            population: None,
            datasets: vec![req(&["a"], vec![age(18), age(65)])],
        };
        assert_eq!(asked.is_narrowing(&narrower), Ok(()));
        let wider = ExtractionSpec {
            pseudonymised: true,
            anonymisation: None,
            population: None,
            datasets: vec![req(&["A", "C"], vec![age(18)])],
        };
        assert!(asked.is_narrowing(&wider).is_err());
        let looser = ExtractionSpec {
            pseudonymised: true,
            anonymisation: None,
            population: None,
            datasets: vec![req(&["A"], vec![])],
        };
        assert!(asked.is_narrowing(&looser).is_err());
    }
}
