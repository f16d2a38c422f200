//! `hdab report …`.

use crate::args::{Cli, ReportCmd, ReportFormat};
use anyhow::{Context, Result};
use hdab_app::App;

pub(crate) async fn report(app: &App, _cli: &Cli, command: &ReportCmd) -> Result<()> {
    match command {
        ReportCmd::Activity {
            from,
            to,
            format,
            out,
        } => {
            let r = app.activity_report(*from, *to).await?;
            let lang = crate::output::lang();
            let text = match format {
                ReportFormat::Csv => r.to_csv(),
                ReportFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                ReportFormat::Html => hdab_server::pages::activity::activity_html(&r, lang)?,
                ReportFormat::Text => {
                    let mut t = format!("{from} – {to}\n");
                    for (label, value) in hdab_server::pages::activity::figures(&r, lang) {
                        t.push_str(&format!("{label:<52} {value:>10}\n"));
                    }
                    for (ground, n) in &r.refusals_by_ground {
                        t.push_str(&format!("  refused: {ground}: {n}\n"));
                    }
                    t
                }
            };
            match out {
                Some(path) => {
                    std::fs::write(path, text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => say_raw!("{text}"),
            }
        }
    }
    Ok(())
}
