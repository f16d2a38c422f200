//! Signed checkpoints of the audit log. The hash chain shows an entry was not edited, removed
//! or moved; a checkpoint — Ed25519 over (sequence number, head hash), with a key derived from
//! the oldest master key — shows the log once reached that entry, so cutting off its tail is
//! detected too. Copies live outside the database: in every delivery manifest and in the
//! public register. Verification gathers checkpoints from the store and from every manifest
//! under the SPE root, checks each signature, then the chain against all of them.

use crate::{App, AppError, keyfile};
use chrono::Utc;
use data_encoding::BASE64URL_NOPAD;
use hdab_permits::access::{self, Duty};
use hdab_store::{Anchor, AuditError, Checkpoint, checkpoint_message};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

/// What `audit verify` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    pub entries: usize,
    /// Checkpoints whose signatures were checked, by where they were found.
    pub checkpoints_in_store: usize,
    pub checkpoints_in_manifests: usize,
    pub checkpoints_witnessed: usize,
    pub latest_checkpoint: Option<i64>,
}

pub(crate) fn signing_key(keyring: &keyfile::Keyring) -> Result<Ed25519KeyPair, AppError> {
    let seed = keyring
        .oldest()
        .derive(&hdab_pseudonymise::audit_checkpoint_context())
        .mac(b"ed25519 seed");
    Ed25519KeyPair::from_seed_unchecked(&seed)
        .map_err(|_| AppError::Key("cannot make the audit signing key".into()))
}

fn signature_ok(c: &Checkpoint, public_key: &[u8]) -> bool {
    let Ok(sig) = BASE64URL_NOPAD.decode(c.signature.as_bytes()) else {
        return false;
    };
    BASE64URL_NOPAD
        .decode(c.public_key.as_bytes())
        .ok()
        .as_deref()
        == Some(public_key)
        && UnparsedPublicKey::new(&ED25519, public_key)
            .verify(&checkpoint_message(c.seq, &c.head_hash), &sig)
            .is_ok()
}

impl App {
    /// The public key checkpoints are signed with (base64url), as the register publishes it.
    pub fn audit_public_key(&self) -> Result<String, AppError> {
        let keyring = self.settings.keyring()?;
        Ok(BASE64URL_NOPAD.encode(signing_key(&keyring)?.public_key().as_ref()))
    }

    /// Signs the log's current head and keeps the checkpoint.
    pub async fn audit_checkpoint(&self) -> Result<Checkpoint, AppError> {
        let keyring = self.settings.keyring()?;
        let key = signing_key(&keyring)?;
        let (seq, head_hash) = self.store.audit_head().await?;
        let checkpoint = Checkpoint {
            seq,
            signature: BASE64URL_NOPAD
                .encode(key.sign(&checkpoint_message(seq, &head_hash)).as_ref()),
            public_key: BASE64URL_NOPAD.encode(key.public_key().as_ref()),
            head_hash,
            at: Utc::now(),
        };
        self.store.add_checkpoint(&checkpoint).await?;
        self.settings.witness.record(&checkpoint)?;
        Ok(checkpoint)
    }

    /// Signs a checkpoint over the log's head unless the latest one already covers it: after
    /// every entry that records data leaving, and periodically from `hdab serve`.
    pub async fn cover_head(&self) -> Result<Option<Checkpoint>, AppError> {
        let (seq, _) = self.store.audit_head().await?;
        let covered = self.store.checkpoints().await?.last().map(|c| c.seq);
        if seq == 0 || covered >= Some(seq) {
            return Ok(None);
        }
        Ok(Some(self.audit_checkpoint().await?))
    }

    /// The latest stored checkpoint (for the public register).
    pub async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, AppError> {
        Ok(self.store.checkpoints().await?.pop())
    }

    /// Checkpoints copied into delivery manifests under the SPE root, with where each was.
    fn manifest_checkpoints(&self) -> Vec<(String, Checkpoint)> {
        self.settings
            .spe()
            .manifests()
            .into_iter()
            .filter_map(|(place, manifest)| {
                serde_json::from_value::<Checkpoint>(manifest["audit_checkpoint"].clone())
                    .ok()
                    .map(|c| (format!("spe/{place}"), c))
            })
            .collect()
    }

    /// Verifies the audit log: the hash chain, and every signed checkpoint found in the store
    /// and in delivery manifests (which detects a cut-off tail). `Ok(Err(_))` says what is
    /// wrong with the log.
    pub async fn audit_verify_report(&self) -> Result<Result<AuditReport, AuditError>, AppError> {
        let stored = self.store.checkpoints().await?;
        let copies = self.manifest_checkpoints();
        let witnessed = match self.settings.witness.checkpoints() {
            Ok(w) => w,
            Err((line, _)) => {
                return Ok(Err(AuditError::BadCheckpoint {
                    seq: 0,
                    source_name: format!(
                        "the witness {}, line {line} (unreadable)",
                        self.settings.witness.file.display()
                    ),
                }));
            }
        };
        let witness_name = |line: usize| {
            format!(
                "the witness {}, line {line}",
                self.settings.witness.file.display()
            )
        };
        let mut anchors = Vec::new();
        if !stored.is_empty() || !copies.is_empty() || !witnessed.is_empty() {
            let keyring = self.settings.keyring()?;
            let key = signing_key(&keyring)?;
            let public = key.public_key().as_ref().to_vec();
            let all = stored
                .iter()
                .map(|c| ("the store".to_string(), c))
                .chain(copies.iter().map(|(n, c)| (n.clone(), c)))
                .chain(witnessed.iter().map(|(line, c)| (witness_name(*line), c)));
            for (source_name, c) in all {
                if !signature_ok(c, &public) {
                    return Ok(Err(AuditError::BadCheckpoint {
                        seq: c.seq,
                        source_name,
                    }));
                }
                anchors.push(Anchor {
                    seq: c.seq,
                    head_hash: c.head_hash.clone(),
                });
            }
        }
        let entries = match self.store.verify_audit_with(&anchors).await? {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        if let Some(missing) = self.unaudited_delivery().await? {
            return Ok(Err(missing));
        }
        Ok(Ok(AuditReport {
            entries,
            checkpoints_in_store: stored.len(),
            checkpoints_in_manifests: copies.len(),
            checkpoints_witnessed: witnessed.len(),
            latest_checkpoint: anchors.iter().map(|a| a.seq).max(),
        }))
    }

    /// The first delivery — on disk or in the `extractions` table — that no `extract` entry
    /// of the log names, if any.
    async fn unaudited_delivery(&self) -> Result<Option<AuditError>, AppError> {
        let extracts: Vec<hdab_store::AuditEntry> = self
            .store
            .audit_entries()
            .await?
            .into_iter()
            .filter(|e| e.action == "extract" && e.outcome == "ok")
            .collect();
        let audited = |permit: &str, dataset: &str, run: &str| {
            extracts.iter().any(|e| {
                e.object == permit
                    && crate::extraction::runs_in_detail(&e.detail)
                        .any(|(d, r)| d == dataset && run.starts_with(r))
            })
        };
        let on_disk = self
            .settings
            .spe()
            .manifests()
            .into_iter()
            .map(|(place, m)| {
                (
                    format!("spe/{place}"),
                    m["permit_id"].as_str().unwrap_or_default().to_string(),
                    m["dataset_id"].as_str().unwrap_or_default().to_string(),
                    m["run_id"].as_str().unwrap_or_default().to_string(),
                )
            });
        let recorded = self.store.all_deliveries().await?.into_iter().map(|d| {
            (
                format!(
                    "the delivery of {}/{} recorded at {}",
                    d.permit_id,
                    d.dataset_id,
                    d.recorded_at.format("%Y-%m-%d %H:%M:%S")
                ),
                d.permit_id,
                d.dataset_id,
                d.run_id.unwrap_or_default(),
            )
        });
        for (delivery, permit, dataset, run) in on_disk.chain(recorded) {
            if !audited(&permit, &dataset, &run) {
                return Ok(Some(AuditError::Unaudited {
                    delivery,
                    run: run.chars().take(16).collect(),
                }));
            }
        }
        Ok(None)
    }
}

impl App {
    /// The audit log's entries and whether the chain is intact.
    /// The audit check: the hash chain and every signed checkpoint (see [`audit`]).
    pub async fn audit_verify(&self) -> Result<Result<usize, hdab_store::AuditError>, AppError> {
        Ok(self.audit_verify_report().await?.map(|r| r.entries))
    }

    /// The audit check as a named user (the API's): admins only.
    pub async fn audit_verify_by(
        &self,
        actor: &str,
    ) -> Result<Result<usize, hdab_store::AuditError>, AppError> {
        let user = self.user(actor).await?;
        access::require(&user, Duty::VerifyAudit)?;
        self.audit_verify().await
    }

    /// The audit log's entries, for an administrator; reading it is itself audited.
    pub async fn audit_entries(
        &self,
        actor: &str,
    ) -> Result<Vec<hdab_store::AuditEntry>, AppError> {
        let result = async {
            access::require(&self.user(actor).await?, Duty::ReadAudit)?;
            let entries = self.store.audit_entries().await?;
            let detail = format!("{} entries", entries.len());
            Ok((entries, detail))
        }
        .await;
        self.audited(actor, "audit.show", "audit_log", result).await
    }
}
