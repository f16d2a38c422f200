//! The one place settings are resolved, before any work starts: defaults < environment <
//! flags (clap reads each flag's environment variable, `HDAB_DATA_DIR` and the like, as its
//! fallback). The libraries read no environment: what they need arrives here as settings.

use crate::args::Cli;
use anyhow::{Context, Result};
use hdab_app::Settings;

/// Settings for `cli`, from its flags and the environment.
pub(crate) fn resolve(cli: &Cli) -> Result<Settings> {
    let mut s = Settings::under(&cli.data_dir);
    if let Some(url) = &cli.database_url {
        s.database_url = url.clone();
    }
    if let Some(spe) = &cli.spe_root {
        s.spe_root = spe.clone();
    }
    if let Some(k) = &cli.key_file {
        s.key_file = k.clone();
    }
    if let Some(w) = &cli.witness_file {
        s.witness.file = w.clone();
    }
    s.witness.command = std::env::var("HDAB_WITNESS_COMMAND")
        .ok()
        .filter(|c| !c.trim().is_empty());
    s.spe_accounts = std::env::var("HDAB_SPE_ACCOUNTS")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .map(|prefix| hdab_app::SpeAccounts {
            prefix: prefix.trim().to_string(),
        });
    s.entitlements_command = std::env::var("HDAB_ENTITLEMENTS_COMMAND")
        .ok()
        .filter(|c| !c.trim().is_empty());
    // The master keys may come as text instead of a file (containers, tests).
    if let Ok(text) = std::env::var(hdab_app::keyfile::KEY_ENV) {
        s.key_text = Some(hdab_app::keyfile::KeyText::new(text));
    }
    s.partitions = partitions_from_env()?.unwrap_or(s.partitions);
    // When permits' data is erased (the law caps both).
    let number = |name: &str, default: u32| -> Result<u32> {
        match std::env::var(name) {
            Ok(v) => v
                .trim()
                .parse::<u32>()
                .with_context(|| format!("{name}={v}: give a whole number")),
            Err(_) => Ok(default),
        }
    };
    let rules = hdab_permits::ErasureRules::default();
    s.erasure = hdab_permits::ErasureRules::new(
        number("HDAB_REVOKED_GRACE_DAYS", rules.revoked_grace_days)?,
        number("HDAB_ERASE_AFTER_EXPIRY_MONTHS", rules.after_expiry_months)?,
    )
    .map_err(anyhow::Error::msg)?;
    // What one output request may carry, and the smallest count that may leave.
    let outputs = &mut s.outputs;
    let mib = number(
        "HDAB_OUTPUT_MAX_FILE_MIB",
        (outputs.max_file_bytes >> 20) as u32,
    )?;
    outputs.max_file_bytes = u64::from(mib.max(1)) << 20;
    outputs.max_files = number("HDAB_OUTPUT_MAX_FILES", outputs.max_files as u32)?.max(1) as usize;
    outputs.rules.threshold =
        u64::from(number("HDAB_OUTPUT_THRESHOLD", outputs.rules.threshold as u32)?.max(1));
    // The largest document an application may carry.
    let mib = number(
        "HDAB_ATTACHMENT_MAX_MIB",
        (s.attachment_max_bytes >> 20) as u32,
    )?;
    s.attachment_max_bytes = u64::from(mib.max(1)) << 20;
    // The fee schedule (EHDS Art. 62), in whole kronor: all three, or none (no fees).
    let fees = [
        "HDAB_FEE_HOURLY_SEK",
        "HDAB_FEE_PER_DATASET_SEK",
        "HDAB_FEE_SPE_MONTHLY_SEK",
    ]
    .map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
    if fees.iter().any(Option::is_some) {
        let sek = |i: usize, name: &str| -> Result<u64> {
            let v = fees[i].as_deref().with_context(|| {
                format!("{name} is not set: a fee schedule needs HDAB_FEE_HOURLY_SEK, HDAB_FEE_PER_DATASET_SEK and HDAB_FEE_SPE_MONTHLY_SEK")
            })?;
            v.trim()
                .parse::<u64>()
                .with_context(|| format!("{name}={v}: give whole kronor, such as 1200"))
        };
        s.fees = Some(hdab_permits::fees::FeeSchedule {
            hourly_sek: sek(0, "HDAB_FEE_HOURLY_SEK")?,
            per_dataset_sek: sek(1, "HDAB_FEE_PER_DATASET_SEK")?,
            spe_monthly_sek: sek(2, "HDAB_FEE_SPE_MONTHLY_SEK")?,
        });
    }
    // The catalogue's identity in HealthData@EU: its base IRI (else hdab's public address)
    // and the HDAB that publishes it.
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let base = var("HDAB_CATALOG_BASE_IRI").or_else(|| var("HDAB_PUBLIC_URL"));
    if let Some(base) = base {
        let base = base.trim();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            anyhow::bail!(
                "HDAB_CATALOG_BASE_IRI={base}: give the catalogue's address, such as https://hdab.socialstyrelsen.se/"
            );
        }
        s.catalog.base_iri = format!("{}/", base.trim_end_matches('/'));
    }
    if let Some(id) = var("HDAB_ID") {
        s.catalog.hdab_id = id.trim().to_string();
    }
    if let Some(name) = var("HDAB_NAME") {
        s.catalog.hdab_name = name.trim().to_string();
    }
    // The provisions of law that provide a public-interest exception to the opt-out (EHDS
    // Art. 71(4)), separated by ';'. None: opt-outs apply to every permit.
    if let Ok(bases) = std::env::var("HDAB_OPTOUT_EXCEPTION_BASES") {
        s.optout_exception_bases = bases
            .split(';')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .collect();
    }
    // How registration numbers (diarienummer) are written.
    if let Ok(format) = std::env::var("HDAB_DIARIUM_FORMAT") {
        s.diarium =
            hdab_app::registrations::DiariumFormat::parse(&format).map_err(anyhow::Error::msg)?;
    }
    // Notices: the mail server, the sender, hdab's address for links, and when the
    // time-based notices fall due.
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    s.notify.smtp_url = var("HDAB_SMTP_URL");
    if let Some(from) = var("HDAB_MAIL_FROM") {
        s.notify.from = from;
    }
    s.notify.public_url = var("HDAB_PUBLIC_URL");
    if let Some(share) = var("HDAB_DELAY_NOTICE_SHARE") {
        s.notify.delay_notice_share = share
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| (0.0..=1.0).contains(v))
            .with_context(|| {
                format!("HDAB_DELAY_NOTICE_SHARE={share}: give a share from 0 to 1, such as 0.75")
            })?;
    }
    s.notify.deadline_warning_days = i64::from(number(
        "HDAB_DEADLINE_WARNING_DAYS",
        s.notify.deadline_warning_days as u32,
    )?);
    s.notify.confirmation_warning_days = i64::from(number(
        "HDAB_CONFIRMATION_WARNING_DAYS",
        s.notify.confirmation_warning_days as u32,
    )?);
    // Which sign-ins through the identity provider count as multi-factor.
    s.sign_in.strong_acr = strong_acr();
    // The fault tests' crash points (see `hdab_pipeline::crash`).
    if let Ok(step) = std::env::var("HDAB_CRASH_AT") {
        hdab_pipeline::crash::arm(&step).map_err(anyhow::Error::msg)?;
    }
    // Uploads are read by this same binary in a bounded child process.
    s.upload_boundary =
        std::env::current_exe()
            .ok()
            .map(|checker| hdab_app::boundary::UploadBoundary {
                checker,
                memory_mib: cli.upload_memory_mib,
                seconds: cli.upload_seconds,
            });
    Ok(s)
}

/// Refuses to go on where there is no installation, rather than create an empty one and
/// answer from it (a command run in the wrong folder must not report success).
pub(crate) fn require_installation(s: &Settings) -> Result<()> {
    let url = s.database_url.as_str();
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let exists = if postgres {
        s.data_dir.is_dir()
    } else {
        let file = url.strip_prefix("sqlite://").unwrap_or(url);
        let file = file.split('?').next().unwrap_or(file);
        std::path::Path::new(file).is_file()
    };
    if exists {
        Ok(())
    } else {
        anyhow::bail!(
            "no hdab installation at {}: give --data-dir or set HDAB_DATA_DIR; `hdab init` creates one",
            s.data_dir.display()
        )
    }
}

/// `HDAB_PARTITIONS`, if set (checked against the pipeline's range).
pub(crate) fn partitions_from_env() -> Result<Option<usize>> {
    let Ok(n) = std::env::var("HDAB_PARTITIONS") else {
        return Ok(None);
    };
    let range = hdab_pipeline::PARTITIONS_RANGE;
    n.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| range.contains(n))
        .map(Some)
        .with_context(|| {
            format!(
                "HDAB_PARTITIONS={n}: give a whole number from {} to {}",
                range.start(),
                range.end()
            )
        })
}

/// `HDAB_OIDC_MFA_ACR`: the `acr` values that count as multi-factor, comma-separated (the
/// first is asked for when a user must sign in again more strongly).
fn strong_acr() -> Vec<String> {
    std::env::var("HDAB_OIDC_MFA_ACR")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// The identity provider, when `HDAB_OIDC_ISSUER` names one: its client id and secret
/// (`HDAB_OIDC_CLIENT_SECRET`, or a file named by `HDAB_OIDC_CLIENT_SECRET_FILE`), hdab's own
/// address as browsers reach it (`HDAB_PUBLIC_URL`) and the claim users are linked by
/// (`HDAB_OIDC_CLAIM`, default `sub`).
pub(crate) fn oidc() -> Result<Option<hdab_server::oidc::OidcSettings>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let Some(issuer) = var("HDAB_OIDC_ISSUER") else {
        return Ok(None);
    };
    let client_id = var("HDAB_OIDC_CLIENT_ID").context(
        "HDAB_OIDC_ISSUER is set: set HDAB_OIDC_CLIENT_ID to hdab's client id at the provider",
    )?;
    let public_url = var("HDAB_PUBLIC_URL").context(
        "HDAB_OIDC_ISSUER is set: set HDAB_PUBLIC_URL to hdab's address as browsers reach it (the provider sends them back to <it>/login/oidc/callback)",
    )?;
    let client_secret = match (
        var("HDAB_OIDC_CLIENT_SECRET"),
        var("HDAB_OIDC_CLIENT_SECRET_FILE"),
    ) {
        (Some(s), _) => Some(s),
        (None, Some(file)) => Some(
            std::fs::read_to_string(&file)
                .with_context(|| format!("reading HDAB_OIDC_CLIENT_SECRET_FILE {file}"))?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    Ok(Some(hdab_server::oidc::OidcSettings {
        issuer,
        client_id,
        client_secret,
        public_url,
        claim: var("HDAB_OIDC_CLAIM").unwrap_or_else(|| "sub".into()),
        strong_acr: strong_acr().into_iter().next(),
    }))
}
