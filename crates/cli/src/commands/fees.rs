//! `hdab fee …`.

use crate::actor;
use crate::args::{Cli, FeeCmd};
use anyhow::Result;
use hdab_app::App;
use hdab_permits::fees::FeeStatement;

pub(crate) async fn fee(app: &App, cli: &Cli, command: &FeeCmd) -> Result<()> {
    match command {
        FeeCmd::Schedule => match &app.settings.fees {
            None => say!(
                "no fees are charged (no fee schedule is set: HDAB_FEE_HOURLY_SEK, HDAB_FEE_PER_DATASET_SEK, HDAB_FEE_SPE_MONTHLY_SEK)"
            ),
            Some(s) => say!(
                "per hour {} SEK; per dataset and holder {} SEK; SPE per month {} SEK",
                s.hourly_sek,
                s.per_dataset_sek,
                s.spe_monthly_sek
            ),
        },
        FeeCmd::Estimate {
            application,
            hours,
            holder_costs,
            spe_months,
        } => {
            let s = app
                .estimate_fee(
                    &actor(cli)?,
                    application,
                    *hours,
                    holder_costs.clone(),
                    *spe_months,
                )
                .await?;
            print_statement(&s);
            say!(
                "the applicant accepts it (hdab fee accept {application}) or withdraws; the decision waits"
            );
        }
        FeeCmd::Accept { application } => {
            let total = app.accept_fee(&actor(cli)?, application).await?;
            say!("fee estimate of {total} SEK accepted for {application}");
        }
        FeeCmd::Show { application, json } => {
            let v = app.fees(&actor(cli)?, application).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            if !v.charged && v.state.estimate.is_none() {
                say!("no fees are charged");
            }
            match &v.state.estimate {
                None => say!("no estimate yet"),
                Some(e) => {
                    say!("estimate:");
                    print_statement(e);
                    match &v.state.accepted {
                        Some((who, at)) => {
                            say!("accepted by {who} on {}", at.format("%Y-%m-%d"))
                        }
                        None => say!("not accepted yet: the decision waits"),
                    }
                }
            }
            if let Some(i) = &v.state.invoice {
                say!("invoice:");
                print_statement(i);
            }
        }
        FeeCmd::Invoice { application, hours } => {
            let s = app.invoice_fee(&actor(cli)?, application, *hours).await?;
            say!("invoice of {application}:");
            print_statement(&s);
        }
    }
    Ok(())
}

/// The lines, the total and each party's share.
fn print_statement(s: &FeeStatement) {
    for l in &s.lines {
        let what = match l.item {
            hdab_permits::fees::FeeItem::Work => "hours of work".to_string(),
            hdab_permits::fees::FeeItem::Dataset => format!("dataset {}", l.dataset),
            hdab_permits::fees::FeeItem::HolderCost => "holder's stated cost".to_string(),
            hdab_permits::fees::FeeItem::Spe => "months of SPE".to_string(),
        };
        say!(
            "  {:<30} {:<18} {:>5} × {:>7} = {:>9} SEK",
            what,
            l.party,
            l.quantity,
            l.unit_sek,
            l.sek
        );
    }
    say!("  total {} SEK", s.total_sek);
    for (party, sek) in s.shares() {
        say!("  share of {party}: {sek} SEK");
    }
}
