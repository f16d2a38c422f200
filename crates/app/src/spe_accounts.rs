//! hdab's own SPE on one Linux host: one operating-system group per permit, one account per
//! SPE user, and each workspace's `work/` folder usable by exactly its permit's group while
//! the permit is valid (`hdab spe sync`, run after every permit change and every delivery).
//! The delivered data are never the group's: they are read only through the SPE gateway,
//! which logs every query (see `pipeline/src/spe/share.rs`).
//!
//! Accounts and groups are named with a prefix (setting `HDAB_SPE_ACCOUNTS`, e.g. `hdab-`):
//! the account of user `anna` is `hdab-anna`, the group of permit P-2026-0001 is
//! `hdab-p-2026-0001`. hdab creates them with the host's own tools (`groupadd`, `useradd`,
//! `gpasswd`; it must run as root for that) and reads `/etc/group` for who is in a group.
//! A revoked or expired permit's group is emptied and its workspace taken back.

use crate::{App, AppError};
use chrono::Utc;
use hdab_permits::access::{self, Duty};
use std::process::Command;

/// The host's accounts for workspaces: the prefix of every name hdab makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeAccounts {
    pub prefix: String,
}

/// A group as `/etc/group` has it: its id and members.
fn group(name: &str) -> Result<Option<(u32, Vec<String>)>, AppError> {
    let text =
        std::fs::read_to_string("/etc/group").map_err(|e| AppError::Io("/etc/group".into(), e))?;
    Ok(text.lines().find_map(|line| {
        let mut f = line.split(':');
        (f.next() == Some(name)).then(|| {
            let gid = f.nth(1).and_then(|g| g.parse().ok()).unwrap_or(u32::MAX);
            let members = f
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect();
            (gid, members)
        })
    }))
}

fn account_exists(name: &str) -> Result<bool, AppError> {
    let text = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| AppError::Io("/etc/passwd".into(), e))?;
    Ok(text.lines().any(|l| l.split(':').next() == Some(name)))
}

fn run(tool: &str, args: &[&str]) -> Result<(), AppError> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .map_err(|e| AppError::Io(format!("running {tool} (hdab spe sync needs root)"), e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(AppError::Refused(format!(
            "{tool} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// A name the host accepts (lower-case letters, digits, `-`, `_`; at most 32), or why not.
fn host_name(prefix: &str, id: &str) -> Result<String, AppError> {
    let name = format!("{prefix}{}", id.to_lowercase());
    let ok = name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(AppError::Invalid(format!(
            "'{id}' makes no valid host account or group name with prefix '{prefix}' (letters, digits, - and _, at most 32)"
        )))
    }
}

impl App {
    /// Makes the host match the permits: groups, accounts, memberships and workspace
    /// modes; returns what it changed (nothing on a second run). An admin's command; hdab
    /// runs it itself after permit changes and deliveries (`actor` is then who caused it).
    pub async fn spe_sync(&self, actor: &str, by_hand: bool) -> Result<Vec<String>, AppError> {
        let result = async {
            if by_hand {
                access::require(&self.user(actor).await?, Duty::ManageSpe)?;
            }
            let Some(accounts) = self.settings.spe_accounts.clone() else {
                return Err(AppError::Refused(
                    "hdab runs no SPE accounts here: set HDAB_SPE_ACCOUNTS to the prefix of the host accounts and groups it may make (e.g. hdab-)".into(),
                ));
            };
            let changes = self.sync_host(&accounts).await?;
            let words = if changes.is_empty() {
                "no change".to_string()
            } else {
                changes.join("; ")
            };
            Ok((changes, words))
        }
        .await;
        let changes = self.audited(actor, "spe.sync", "-", result).await?;
        Ok(changes)
    }

    async fn sync_host(&self, accounts: &SpeAccounts) -> Result<Vec<String>, AppError> {
        let mut changes = Vec::new();
        let spe = self.settings.spe();
        if spe.let_accounts_pass()? {
            changes.push("the SPE root lets workspace accounts pass (0711)".to_string());
        }
        let today = Utc::now().date_naive();
        for p in self.store.permits().await? {
            let group_name = host_name(&accounts.prefix, &p.id)?;
            let valid = p.check_usable(today).is_ok();
            let wanted: Vec<String> = if valid {
                p.spe_users
                    .iter()
                    .map(|u| host_name(&accounts.prefix, u))
                    .collect::<Result<_, _>>()?
            } else {
                vec![]
            };
            if group(&group_name)?.is_none() {
                run("groupadd", &[&group_name])?;
                changes.push(format!("group {group_name} created"));
            }
            for account in &wanted {
                if !account_exists(account)? {
                    run(
                        "useradd",
                        &[
                            "--no-create-home",
                            "--no-user-group",
                            "--shell",
                            "/bin/sh",
                            account,
                        ],
                    )?;
                    changes.push(format!("account {account} created"));
                }
            }
            let (gid, members) = group(&group_name)?.unwrap_or((u32::MAX, vec![]));
            for account in wanted.iter().filter(|a| !members.contains(a)) {
                run("gpasswd", &["-a", account, &group_name])?;
                changes.push(format!("{account} added to {group_name}"));
            }
            for account in members.iter().filter(|m| !wanted.contains(m)) {
                run("gpasswd", &["-d", account, &group_name])?;
                changes.push(format!("{account} removed from {group_name}"));
            }
            let n = spe.share(&p.id, valid.then_some(gid))?;
            if n > 0 {
                let to = if valid {
                    format!(
                        "group {group_name} (its work/ folder; the data through the gateway only)"
                    )
                } else {
                    "the service account alone".into()
                };
                changes.push(format!(
                    "workspace {}: {n} file(s) and folder(s) to {to}",
                    p.id
                ));
            }
        }
        Ok(changes)
    }

    /// After a permit change or a delivery: brings the host in line, when hdab runs the
    /// SPE accounts here. A failure is audited and returned.
    pub(crate) async fn sync_after(&self, actor: &str) -> Result<(), AppError> {
        if self.settings.spe_accounts.is_some() {
            self.spe_sync(actor, false).await?;
        }
        Ok(())
    }
}
