//! What the CLI prints: tables, deadlines, the progress bar, and every line of standard
//! output through [`say!`], which treats a closed pipe (`hdab … | head`) as the reader
//! having had enough rather than as an error.

use hdab_i18n::Lang;
use std::io::Write;
use std::sync::OnceLock;

static LANG: OnceLock<Lang> = OnceLock::new();

/// The language of this run's messages: `HDAB_LANG`, else the locale, else Swedish (set once
/// by `main`, before any work).
pub(crate) fn lang() -> Lang {
    LANG.get().copied().unwrap_or_default()
}

pub(crate) fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

/// `println!` that ends the process quietly when standard output is a closed pipe.
macro_rules! say {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($t:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($t)*)))
    };
}

/// `print!` with the same rule as [`say!`].
macro_rules! say_raw {
    ($($t:tt)*) => {
        $crate::output::write(format_args!($($t)*))
    };
}

/// Writes to standard output; a closed pipe ends the process with success (the reader
/// stopped reading), any other failure with an error.
pub(crate) fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// A progress bar on stderr for interactive runs (rows and bytes, rate, ETA); nothing when
/// stderr is not a terminal or CI is set, so logs stay clean.
pub(crate) fn progress_bar(
    p: std::sync::Arc<hdab_app::Progress>,
) -> Option<(
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
)> {
    use std::sync::atomic::Ordering::Relaxed;
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) || std::env::var_os("CI").is_some() {
        return None;
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let handle = std::thread::spawn(move || {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>12} [{bar:30}] {human_pos}/{human_len} rows {per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        while !stop.load(Relaxed) {
            let (done_rows, total) = (p.rows_done.load(Relaxed), p.rows_total.load(Relaxed));
            let bytes = p.bytes_total.load(Relaxed);
            let dataset = p.dataset.lock().map(|d| d.clone()).unwrap_or_default();
            if bar.length() != Some(total) {
                bar.reset();
                bar.set_length(total);
            }
            bar.set_position(done_rows.min(total));
            let mib = |b: u64| b as f64 / (1 << 20) as f64;
            let read = (bytes * done_rows.min(total))
                .checked_div(total)
                .unwrap_or(0);
            bar.set_message(format!("{dataset} {:.0}/{:.0} MiB", mib(read), mib(bytes)));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Some((done, handle))
}

pub(crate) fn print_datasets(datasets: &[hdab_store::DatasetVersion]) {
    for d in datasets {
        say!(
            "{:<14} v{:<3} {:<18} {}",
            d.dataset_id,
            d.version,
            d.description.holder,
            d.description.title.en
        );
    }
}

pub(crate) fn print_table(t: &hdab_disclosure::ReleasedTable) {
    let dims = t.dimensions.join(" / ");
    let measure = t
        .measure
        .as_deref()
        .map(|m| format!("mean {m}"))
        .unwrap_or_default();
    say!("{dims:<24} {:>9} {:>12}  note", "persons", measure);
    for c in t
        .cells
        .iter()
        .chain(std::iter::once(&t.total_of_released_cells))
    {
        let count = c.count.map_or("·".to_string(), |n| n.to_string());
        let mean = c.mean.map_or(String::new(), |m| format!("{m:.1}"));
        say!(
            "{:<24} {count:>9} {mean:>12}  {}",
            c.key.join(" / "),
            c.reason.as_deref().unwrap_or_default()
        );
    }
    say!(
        "suppressed: {} below {} persons, {} dominated, {} to protect others",
        t.n_suppressed(hdab_disclosure::Rule::MinimumCount),
        t.rules.min_count,
        t.n_suppressed(hdab_disclosure::Rule::Dominance),
        t.n_suppressed(hdab_disclosure::Rule::Secondary)
    );
}

pub(crate) fn describe_deadline(d: &hdab_permits::Deadline) -> String {
    let lang = lang();
    let Some(due) = d.due else {
        return lang.text("cli-deadline-draft");
    };
    let mut parts = vec![lang.text_with(
        "cli-deadline-due",
        &[("date", due.format("%Y-%m-%d").to_string().as_str().into())],
    )];
    if d.extended {
        parts.push(lang.text("cli-deadline-extended"));
    }
    if d.paused {
        parts.push(lang.text("cli-deadline-paused"));
    } else if let Some(days) = d.days_left {
        parts.push(lang.text_with("cli-deadline-days-left", &[("days", days.into())]));
    }
    if d.overdue {
        parts.push(lang.text("cli-deadline-overdue"));
    }
    parts.join(", ")
}

pub(crate) fn print_deliveries(deliveries: &[hdab_app::Delivery]) {
    let lang = lang();
    for s in deliveries.iter().filter_map(|d| d.population.as_ref()) {
        say!(
            "{}",
            lang.text_with(
                "cli-population",
                &[
                    ("people", (s.cases + s.controls).into()),
                    ("cases", s.cases.into()),
                    ("qualifying", s.qualifying.into()),
                    ("excluded", s.excluded.into()),
                    ("controls", s.controls.into()),
                    ("short", s.cases_short_of_controls.into()),
                ],
            )
        );
    }
    say!(
        "{:<12} {:>8} {:>10} {:>18} {:>15} {:>10} {:>19}",
        lang.text("cli-col-dataset"),
        lang.text("cli-col-rows-in"),
        lang.text("cli-col-delivered"),
        lang.text("cli-col-outside-population"),
        lang.text("cli-col-outside-filter"),
        lang.text("cli-col-opted-out"),
        lang.text("cli-col-invalid")
    );
    for d in deliveries {
        let r = &d.manifest.rows;
        say!(
            "{:<12} {:>8} {:>10} {:>18} {:>15} {:>10} {:>19}",
            d.dataset_id,
            r.rows_in,
            r.delivered,
            r.outside_population,
            r.outside_cohort,
            r.opted_out,
            r.invalid_identifier
        );
    }
    for d in deliveries {
        if let Some(order) = &d.order_id {
            say!(
                "{}",
                lang.text_with(
                    "cli-read-from-order",
                    &[
                        ("dataset", d.dataset_id.as_str().into()),
                        ("order", order.as_str().into()),
                        ("upload", d.manifest.upload_id.as_str().into()),
                    ],
                )
            );
        }
    }
    for d in deliveries {
        if let Some(a) = &d.manifest.anonymisation {
            say!(
                "{}",
                lang.text_with(
                    "cli-anonymised",
                    &[
                        ("dataset", d.dataset_id.as_str().into()),
                        ("k_after", a.after.k.into()),
                        (
                            "levels",
                            hdab_anonymise::levels_in_words(&a.levels).as_str().into()
                        ),
                        ("suppressed", a.suppressed.into()),
                        ("k", a.k.into()),
                        (
                            "loss",
                            format!("{:.1}%", a.information_loss * 100.0)
                                .as_str()
                                .into()
                        ),
                    ],
                )
            );
            say!("  {}: {}", lang.text("cli-before"), a.before.in_words(lang));
            say!("  {}: {}", lang.text("cli-after"), a.after.in_words(lang));
        }
        say!(
            "{}",
            lang.text_with(
                "cli-delivered-files",
                &[
                    ("dataset", d.dataset_id.as_str().into()),
                    ("count", d.manifest.files.len().into()),
                    ("folder", d.folder.display().to_string().as_str().into()),
                ],
            )
        );
    }
}

/// The risk preview of a request, dataset by dataset.
pub(crate) fn print_risk(previews: &[hdab_pipeline::RiskPreview]) {
    for p in previews {
        say!(
            "{}: quasi-identifiers {}",
            p.dataset_id,
            if p.quasi_identifiers.is_empty() {
                "none".to_string()
            } else {
                p.quasi_identifiers.join(", ")
            }
        );
        say!("  per record: {}", p.records.in_words(lang()));
        if let Some(persons) = &p.persons {
            say!(
                "  per person (all their records together): {} of {} persons ({:.1}%) are unique",
                persons.sample_uniques,
                persons.records,
                persons.share_sample_unique * 100.0
            );
        }
        match &p.anonymised {
            None => {}
            Some(Ok(a)) => say!(
                "  anonymised: {}; {} records suppressed; information loss {:.1}%; then {}",
                hdab_anonymise::levels_in_words(&a.levels),
                a.suppressed,
                a.information_loss * 100.0,
                a.after.in_words(lang())
            ),
            Some(Err(e)) => say!("  anonymised: {e}"),
        }
    }
}

/// Overdue confirmations, grouped under each holder.
pub(crate) fn print_overdue(overdue: &[hdab_app::OverdueDescription]) {
    if overdue.is_empty() {
        say!("every description has been confirmed within the last 12 months");
    }
    let mut shown = "";
    for o in overdue {
        if o.holder != shown {
            say!("{}:", o.holder);
            shown = &o.holder;
        }
        say!(
            "  {:<14} last confirmed {} ({} days overdue)",
            o.dataset_id,
            o.last_confirmed.format("%Y-%m-%d"),
            o.days_overdue
        );
    }
}
