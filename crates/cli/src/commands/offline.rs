//! Commands that need no installation: the upload checker's child, the demo, the
//! synthetic data generator, profiling a file, measuring its risk and scanning a folder.

use crate::args::{CatalogCmd, Cli, Command, OutputCmd, SpeCmd};
use crate::demo;
use anyhow::{Context, Result};
use std::io::Write;

/// Runs a command that needs no installation; `None` for every other command.
pub(crate) async fn run(cli: &Cli) -> Option<Result<()>> {
    let result = async {
        match &cli.command {
        Command::InternalCheckUpload {
            description,
            file,
            reference,
        } => {
            let outcome = hdab_app::boundary::check_in_child(description, file, *reference).await;
            say!("{}", serde_json::to_string(&outcome)?);
            Ok(true)
        }
        Command::Cluster(c) => {
            crate::commands::cluster::run(cli, c).await?;
            Ok(true)
        }
        Command::Risk {
            file,
            quasi,
            levels,
            k,
            max_suppressed_percent,
            search,
            json,
        } => {
            risk(file, quasi, levels, *k, *max_suppressed_percent, *search, *json).await?;
            Ok(true)
        }
        Command::Demo { dir, source } => {
            // The demo acts as its named people on trust, as `--as` does.
            let demo = demo::run(dir, source.as_deref(), cli.database_url.as_deref());
            hdab_app::identity::identified(hdab_app::identity::Via::Asserted, demo).await?;
                Ok(true)
        }
        Command::Synth {
            out,
            persons,
            seed,
            inpatient_per_person,
            only,
        } => {
            if !(inpatient_per_person.is_finite() && *inpatient_per_person > 0.0) {
                anyhow::bail!("--inpatient-per-person must be a positive number");
            }
            let config = hdab_synth::Config {
                persons: *persons,
                seed: *seed,
                inpatient_per_person: *inpatient_per_person,
                ..hdab_synth::Config::default()
            };
            let only: Vec<&str> = if only.is_empty() {
                hdab_synth::REGISTERS.to_vec()
            } else {
                only.iter().map(String::as_str).collect()
            };
            eprintln!("generating {persons} persons into {} …", out.display());
            let c = hdab_synth::write_some(&config, out, &only)
                .with_context(|| format!("writing into {}", out.display()))?;
            say!(
                "slutenvard.csv: {} rows\nlakemedel.csv: {} rows\ndodsorsak.csv: {} rows\noptouts.txt: {} numbers\nbefolkning.csv: {} persons",
                c.inpatient, c.dispensings, c.deaths, c.optouts, c.population
            );
            Ok(true)
        }
        Command::Catalog(CatalogCmd::Profile {
            file,
            extract_date,
            id,
            holder,
            draft,
            html,
            json,
        }) => {
            profile(file, *extract_date, id, holder, draft, html, *json).await?;
            Ok(true)
        }
        Command::Spe(SpeCmd::VerifyEntitlements { file, public_key }) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let signed: hdab_app::SignedFeed = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a signed entitlements feed", file.display()))?;
            let feed = signed.verify(public_key).map_err(anyhow::Error::msg)?;
            say!("signature verified with the given key");
            say!("{}", serde_json::to_string_pretty(&feed)?);
            Ok(true)
        }
        Command::Spe(SpeCmd::Query {
            sql,
            gateway,
            user,
            permit,
        }) => {
            gateway_query(sql, gateway, user, permit.as_deref()).await?;
            Ok(true)
        }
        Command::Output(OutputCmd::Check { files, json }) => {
            super::outputs::check_offline(files, *json)?;
            Ok(true)
        }
        Command::Scan { folder } => {
            let findings = hdab_pipeline::scan_delivery(folder)?;
            if findings.is_empty() {
                say!(
                    "{}: nothing reads as a personnummer or samordningsnummer",
                    folder.display()
                );
                return Ok(true);
            }
            for f in &findings {
                say!("found: {}", f.place);
            }
            anyhow::bail!(
                "{} place(s) hold what reads as a person identifier",
                findings.len()
            );
        }
            _ => Ok(false),
        }
    }
    .await;
    match result {
        Ok(false) => None,
        Ok(true) => Some(Ok(())),
        Err(e) => Some(Err(e)),
    }
}

/// `hdab catalog profile`: measures a file and prints, drafts a description or writes an
/// HTML report.
async fn profile(
    file: &std::path::Path,
    extract_date: Option<chrono::NaiveDate>,
    id: &Option<String>,
    holder: &str,
    draft: &Option<std::path::PathBuf>,
    html: &Option<std::path::PathBuf>,
    json: bool,
) -> Result<()> {
    let reference = extract_date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    eprintln!("profiling {} …", file.display());
    // Read as an upload would be: inflated if compressed, UTF-8 if it was Windows-1252.
    let scratch = std::env::temp_dir().join(format!("hdab-profile-{}", std::process::id()));
    let readable =
        hdab_app::readable_copy(file, &scratch, hdab_app::inflate::InflateLimits::default());
    let profiled = match readable {
        Ok(copy) => hdab_pipeline::profile(&copy, reference)
            .await
            .map_err(anyhow::Error::from),
        Err(e) => Err(anyhow::Error::from(e)),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    let mut p = profiled?;
    p.file_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    if json {
        say!("{}", serde_json::to_string_pretty(&p)?);
    } else {
        say!("{}: {} records", p.file_name, p.n_rows);
        if let Some(n) = p.n_unique_individuals {
            say!(
                "unique individuals: {n} ({} records without a valid id)",
                p.n_invalid_identifiers
            );
        }
        if let Some((a, b)) = p.temporal {
            say!("temporal coverage: {a} – {b}");
        }
        for c in &p.columns {
            say!(
                "  {:<12} {:<9} {:<10} complete {:>5.1}%  valid {:>5.1}%  distinct {}{}",
                c.name,
                c.inferred_type.as_str(),
                c.code_system.as_deref().unwrap_or(""),
                c.completeness * 100.0,
                c.validity * 100.0,
                c.n_distinct,
                if c.distinct_capped { "+" } else { "" }
            );
        }
    }
    if let Some(path) = draft {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("dataset");
        let id = id.clone().unwrap_or_else(|| {
            stem.to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect()
        });
        let text = format!(
            "# Drafted by `hdab catalog profile` from {} on {}. Replace every TODO, then\n# register it with `hdab catalog register`.\n{}",
            p.file_name,
            reference,
            toml::to_string_pretty(&p.draft(&id, holder))?
        );
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote the draft description {}", path.display());
    }
    if let Some(path) = html {
        std::fs::write(path, hdab_report::profile_html(&p))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote the report {}", path.display());
    }
    Ok(())
}

/// `hdab risk`: a file's re-identification risk, and with `search` what k-anonymisation
/// would make of it.
async fn risk(
    file: &std::path::Path,
    quasi: &[String],
    levels: &[String],
    k: u64,
    max_suppressed_percent: f64,
    search: bool,
    json: bool,
) -> Result<()> {
    use hdab_catalog::VariableType;
    let mut columns = Vec::new();
    for q in quasi {
        let (name, kind) = q.split_once('=').unwrap_or((q.as_str(), "text"));
        let (variable_type, value_kind) = match kind {
            "date" => (VariableType::Date, hdab_anonymise::ValueKind::Date),
            "integer" => (VariableType::Integer, hdab_anonymise::ValueKind::Integer),
            "text" => (VariableType::Text, hdab_anonymise::ValueKind::Text),
            other => anyhow::bail!(
                "--quasi {q}: '{other}' is not a kind; write NAME=date, NAME=integer or NAME=text"
            ),
        };
        let hierarchy = match levels.iter().find_map(|l| {
            l.split_once('=')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        }) {
            Some((_, list)) => {
                let declared: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && *l != "exact")
                    .map(str::to_string)
                    .collect();
                hdab_anonymise::Hierarchy::parse(&declared, value_kind)
                    .map_err(|e| anyhow::anyhow!("--levels {name}: {e}"))?
            }
            None => hdab_anonymise::Hierarchy::default_for(value_kind),
        };
        columns.push((
            hdab_anonymise::Quasi {
                name: name.to_string(),
                hierarchy,
                floor: 0,
            },
            variable_type,
        ));
    }
    let target = hdab_anonymise::Target {
        k,
        max_suppressed_share: max_suppressed_percent / 100.0,
    };
    let partitions =
        crate::settings::partitions_from_env()?.unwrap_or(hdab_pipeline::DEFAULT_PARTITIONS);
    eprintln!("reading {} on {partitions} partitions …", file.display());
    let r = hdab_pipeline::measure_file(file, columns, target, search, partitions).await?;
    if json {
        say!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    say!(
        "{}: {} records over {}",
        file.display(),
        r.records,
        r.quasi_identifiers.join(", ")
    );
    for (name, n) in r.unreadable.iter().filter(|(_, n)| *n > 0) {
        say!("  {name}: {n} values did not read as its type; counted as missing");
    }
    say!("  {}", r.risk.in_words(crate::output::lang()));
    if let Some((outcome, after)) = &r.search {
        match (&outcome.chosen, after) {
            (Some(chosen), Some(after)) => say!(
                "  k = {k}: levels {}; {} records suppressed; information loss {:.1}%; {} of {} combinations evaluated\n  then: {}",
                r.quasi_identifiers
                    .iter()
                    .zip(&r.chosen_levels)
                    .map(|(n, l)| format!("{n} {l}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                chosen.suppressed,
                chosen.loss * 100.0,
                outcome.evaluated,
                outcome.lattice_size,
                after.in_words(crate::output::lang())
            ),
            _ => say!(
                "  k = {k}: no combination of levels reaches it with at most {max_suppressed_percent}% suppressed{}",
                if outcome.blocking.is_empty() {
                    String::new()
                } else {
                    format!("; {} blocks it", outcome.blocking.join(" or "))
                }
            ),
        }
    }
    Ok(())
}

/// `hdab spe query`: signs in to the gateway, runs the query, prints tab-separated rows.
async fn gateway_query(sql: &str, gateway: &str, user: &str, permit: Option<&str>) -> Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    let mut client = hdab_gateway::Client::connect(gateway, user, password, permit).await?;
    let batches = client.query(sql).await?;
    let mut out = std::io::stdout().lock();
    if let Some(first) = batches.first() {
        let names: Vec<_> = first
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        writeln!(out, "{}", names.join("\t"))?;
    }
    let options = hdab_gateway::arrow::util::display::FormatOptions::default().with_null("");
    for batch in &batches {
        let columns = batch
            .columns()
            .iter()
            .map(|c| {
                hdab_gateway::arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options)
            })
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = columns.iter().map(|c| c.value(row).to_string()).collect();
            writeln!(out, "{}", cells.join("\t"))?;
        }
    }
    Ok(())
}
