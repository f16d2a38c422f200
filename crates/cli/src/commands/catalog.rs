//! `hdab catalog …` and `hdab upload`.

use crate::args;
use crate::args::{CatalogCmd, Cli, Command};
use crate::output::print_datasets;
use crate::output::print_overdue;
use crate::{actor, read_input};
use anyhow::{Context, Result};
use hdab_app::{App, CatalogQuery};

pub(crate) async fn catalog(app: &App, cli: &Cli, command: &CatalogCmd) -> Result<()> {
    match command {
        // Profiling needs no installation; `offline` ran it.
        CatalogCmd::Profile { .. } => return Err(crate::commands::misrouted(&cli.command)),
        CatalogCmd::Register { file, data } => {
            let text = read_input(&Some(file.clone()))?;
            let v = app
                .register_dataset_checked(&actor(cli)?, &text, data.as_deref())
                .await?;
            say!(
                "registered {} version {} ({} variables)",
                v.dataset_id,
                v.version,
                v.description.variables.len()
            );
        }
        CatalogCmd::List => {
            print_datasets(&app.catalog_search(&CatalogQuery::default()).await?);
        }
        CatalogCmd::Search {
            text,
            category,
            holder,
            coding_system,
        } => {
            let q = CatalogQuery {
                text: text.clone(),
                category: category.clone(),
                holder: holder.clone(),
                coding_system: coding_system.clone(),
            };
            print_datasets(&app.catalog_search(&q).await?);
        }
        CatalogCmd::Show { id, version } => {
            let versions = app.catalog_versions(id).await?;
            let v = match version {
                Some(n) => versions
                    .iter()
                    .find(|v| v.version == *n)
                    .with_context(|| format!("'{id}' has no version {n}"))?,
                None => versions.last().context("no versions")?,
            };
            say!(
                "# {id} version {} by {} at {}",
                v.version,
                v.created_by,
                v.created_at.format("%Y-%m-%d %H:%M")
            );
            say_raw!("{}", toml::to_string_pretty(&v.description)?);
        }
        CatalogCmd::Versions { id } => {
            for v in app.catalog_versions(id).await? {
                say!(
                    "v{:<3} {} by {:<10} {}",
                    v.version,
                    v.created_at.format("%Y-%m-%d %H:%M"),
                    v.created_by,
                    &v.digest[..16]
                );
            }
        }
        CatalogCmd::Diff { id, from, to } => {
            let changes = app.catalog_diff(id, *from, *to).await?;
            if changes.is_empty() {
                say!("no differences");
            }
            for c in changes {
                match (c.before, c.after) {
                    (Some(b), Some(a)) => say!("~ {}: {b} → {a}", c.path),
                    (None, Some(a)) => say!("+ {}: {a}", c.path),
                    (Some(b), None) => say!("- {}: {b}", c.path),
                    (None, None) => {}
                }
            }
        }
        CatalogCmd::Confirm { id } => {
            let v = app.confirm_dataset(&actor(cli)?, id).await?;
            say!("{id} version {v} confirmed; next confirmation due within 12 months");
        }
        CatalogCmd::Overdue { as_of } => {
            let now = match as_of {
                Some(d) => d
                    .and_hms_opt(12, 0, 0)
                    .map(|t| t.and_utc())
                    .unwrap_or_else(chrono::Utc::now),
                None => chrono::Utc::now(),
            };
            print_overdue(&app.catalog_overdue(now).await?);
        }
        CatalogCmd::Export {
            dataset,
            page,
            per_page,
            format,
            out,
        } => {
            if app.settings.catalog.base_iri == hdab_app::CatalogIdentity::PLACEHOLDER {
                eprintln!(
                    "note: the catalogue's IRIs are placeholders ({}); set HDAB_CATALOG_BASE_IRI (or HDAB_PUBLIC_URL) before HealthData@EU harvests it",
                    hdab_app::CatalogIdentity::PLACEHOLDER
                );
            }
            let jsonld = matches!(format, args::RdfFormat::Jsonld);
            let rdf = match page {
                Some(page) => app.catalog_harvest(*page, *per_page, jsonld).await?,
                None => app.catalog_export(dataset.as_deref(), jsonld).await?,
            };
            match out {
                Some(path) => {
                    std::fs::write(path, rdf)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => say_raw!("{rdf}"),
            }
        }
    }
    Ok(())
}

pub(crate) async fn upload(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Upload {
            dataset,
            order,
            file,
            extract_date,
        } => {
            let (upload, report) = match (order, dataset) {
                (Some(order), _) => {
                    app.upload_for_order(
                        &actor(cli)?,
                        order,
                        dataset.as_deref(),
                        file,
                        *extract_date,
                    )
                    .await?
                }
                (None, Some(dataset)) => {
                    app.upload(&actor(cli)?, dataset, file, *extract_date)
                        .await?
                }
                (None, None) => anyhow::bail!("give --dataset, or --order for a data order"),
            };
            say!(
                "accepted upload {} of {}: {} rows, sha256 {}",
                upload.id,
                upload.dataset_id,
                report.n_rows,
                upload.sha256
            );
            if let Some(order) = order {
                say!("data order {order} fulfilled");
            }
            let invalid: u64 = report.invalid_identifiers.values().sum();
            say!(
                "identifiers: {} valid, {invalid} invalid (set aside at extraction)",
                report.n_valid_identifiers
            );
            for (reason, n) in report.invalid_identifiers.iter().filter(|(_, n)| **n > 0) {
                say!("  {reason}: {n}");
            }
            for w in report.warnings() {
                say!("warning: {w}");
            }
        }
        other => return Err(crate::commands::misrouted(other)),
    }
    Ok(())
}
