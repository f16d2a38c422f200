//! `hdab demo`: the whole chain on the bundled synthetic data, in a folder of its own.

use anyhow::{Context, Result, bail};
use hdab_app::{App, CaseOptions, Settings};
use hdab_permits::{CaseCommand, Role, User};
use std::path::{Path, PathBuf};

pub(crate) const MARKER: &str = ".hdab-demo";

/// The repository folder with catalog/, sample-data/ and pipelines/: given, or found from the
/// working directory upwards, or where this binary was built from.
fn find_source(given: Option<&Path>) -> Result<PathBuf> {
    let ok = |p: &Path| p.join("catalog").is_dir() && p.join("sample-data").is_dir();
    if let Some(p) = given {
        if ok(p) {
            return Ok(p.to_path_buf());
        }
        bail!("{} has no catalog/ and sample-data/ folders", p.display());
    }
    let mut here = std::env::current_dir().ok();
    while let Some(dir) = here {
        if ok(&dir) {
            return Ok(dir);
        }
        here = dir.parent().map(Path::to_path_buf);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if ok(&built) {
        return Ok(built);
    }
    bail!("cannot find the sample data: run from the repository or pass --source DIR")
}

fn step(text: &str) {
    eprintln!("· {text}");
}

/// `database_url`: run the demo's metadata on this (empty) database instead of a SQLite file
/// in `dir` — how the load benchmark fills PostgreSQL.
pub async fn run(dir: &Path, source: Option<&Path>, database_url: Option<&str>) -> Result<()> {
    let source = find_source(source)?;
    prepare_folder(dir)?;
    let mut settings = Settings::under(dir);
    if let Some(url) = database_url {
        settings.database_url = url.to_string();
    }
    // The demo charges fees (EHDS Art. 62) under an example schedule; an installation sets
    // its own (HDAB_FEE_*), or charges none.
    settings.fees = Some(DEMO_FEES);
    let app = App::open(settings).await?;
    let key_id = app.keys_add(None, true).await?;
    step(&format!("master key {key_id} created (mode 600)"));
    add_users(&app).await?;
    register_and_upload(&app, &source).await?;

    let optouts = std::fs::read_to_string(source.join("sample-data/optouts.txt"))?;
    let (changed, _, rejected) = app
        .optout_lines("otto", &optouts, true, Some(hdab_synth::extract_date()))
        .await?;
    step(&format!(
        "opt-out registry: {changed} people opted out ({} lines rejected)",
        rejected.len()
    ));

    let permit = approve_the_application(
        &app,
        &source,
        "demo-population-study.toml",
        "Scientific research (Art. 53(1)(e)); data minimised to the variables needed.",
    )
    .await?;
    fulfil_orders(&app, &source, &permit).await?;
    let deliveries = app
        .extract("olle", &permit, hdab_pipeline::Compression::Zstd)
        .await?;
    say!();
    crate::output::print_deliveries(&deliveries);
    invoice(&app, &permit).await?;
    // The form the regulation prefers: anonymised, k = 10 reached by the lattice search.
    let anonymised = approve_the_application(
        &app,
        &source,
        "demo-anonymised.toml",
        "Improvement of care (Art. 53(1)(f)); anonymised data suffices (Art. 66(2)).",
    )
    .await?;
    fulfil_orders(&app, &source, &anonymised).await?;
    let deliveries = app
        .extract("olle", &anonymised, hdab_pipeline::Compression::Zstd)
        .await?;
    say!();
    crate::output::print_deliveries(&deliveries);
    // (Its invoice would follow the same way; the demo's log ends with this extraction.)
    match app.audit_verify().await? {
        Ok(n) => say!("audit log: {n} entries, hash chain intact"),
        Err(e) => bail!("audit log broken: {e}"),
    }
    Ok(())
}

/// An empty folder, or one an earlier demo made (which is cleared); anything else is refused.
fn prepare_folder(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !dir.join(MARKER).exists() {
            bail!(
                "{} exists and is not an earlier demo; choose another folder with --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by `hdab demo`; safe to delete\n")?;
    Ok(())
}

/// The demo's people: (id, name, organisation, role), the administrator first.
const DEMO_USERS: [(&str, &str, &str, Role); 9] = [
    ("admin", "Administratör", "socialstyrelsen", Role::Admin),
    (
        "sara",
        "Sara Holm (registerhållare)",
        "socialstyrelsen",
        Role::DataHolder,
    ),
    (
        "stig",
        "Stig Berg (registerhållare, SCB)",
        "scb",
        Role::DataHolder,
    ),
    (
        "anna",
        "Anna Berg (forskare)",
        "karolinska-institutet",
        Role::Applicant,
    ),
    (
        "olle",
        "Olle Lind (handläggare)",
        "socialstyrelsen",
        Role::CaseOfficer,
    ),
    (
        "dora",
        "Dora Ek (beslutsfattare)",
        "socialstyrelsen",
        Role::DecisionMaker,
    ),
    (
        "otto",
        "Opt-out service",
        "socialstyrelsen",
        Role::OptOutRegistrar,
    ),
    (
        "cia",
        "Cia Holm (utdatagranskare)",
        "socialstyrelsen",
        Role::OutputChecker,
    ),
    (
        "ture",
        "Ture Sand (utdatagranskare)",
        "socialstyrelsen",
        Role::OutputChecker,
    ),
];

async fn add_users(app: &App) -> Result<()> {
    for (i, (id, name, organisation, role)) in DEMO_USERS.into_iter().enumerate() {
        let user = User {
            id: id.into(),
            name: name.into(),
            organisation: organisation.into(),
            roles: vec![role],
        };
        // The first user is the bootstrap administrator, who adds the others.
        app.add_user((i > 0).then_some("admin"), &user).await?;
    }
    step(
        "users: admin, sara (holder, Socialstyrelsen), stig (holder, SCB), anna (researcher), olle (officer), dora (decision maker), otto (opt-out registry), cia and ture (output checkers)",
    );
    Ok(())
}

/// The four sample registers (three of Socialstyrelsen's, SCB's population register):
/// described, then uploaded and checked.
async fn register_and_upload(app: &App, source: &Path) -> Result<()> {
    for (name, holder) in [
        ("slutenvard", "sara"),
        ("lakemedel", "sara"),
        ("dodsorsak", "sara"),
        ("befolkning", "stig"),
    ] {
        let path = source.join("catalog").join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let v = app.register_dataset(holder, &text).await?;
        let file = source.join("sample-data").join(format!("{name}.csv"));
        let (upload, report) = app
            .upload(holder, name, &file, Some(hdab_synth::extract_date()))
            .await?;
        step(&format!(
            "{name}: description v{} registered; upload {} checked ({} rows)",
            v.version, upload.id, report.n_rows
        ));
    }
    Ok(())
}

/// After delivery, the consolidated invoice with each party's share.
async fn invoice(app: &App, permit: &str) -> Result<()> {
    let status = app.permit_status("olle", permit).await?;
    let application = status.permit.application_id.clone();
    let invoice = app.invoice_fee("olle", &application, None).await?;
    let shares: Vec<String> = invoice
        .shares()
        .iter()
        .map(|(party, sek)| format!("{party} {sek}"))
        .collect();
    step(&format!(
        "invoice for {permit}: {} SEK ({})",
        invoice.total_sek,
        shares.join(", ")
    ));
    Ok(())
}

/// The example fee schedule of the demo (SEK).
const DEMO_FEES: hdab_permits::fees::FeeSchedule = hdab_permits::fees::FeeSchedule {
    hourly_sek: 1_200,
    per_dataset_sek: 2_500,
    spe_monthly_sek: 3_000,
};

/// The grant ordered each dataset from its holder (due in three months); each holder
/// fulfils its order with an upload made for it (here: the same sample register).
async fn fulfil_orders(app: &App, source: &Path, permit: &str) -> Result<()> {
    let today = chrono::Utc::now().date_naive();
    for o in app.orders("olle", Some(permit), today).await? {
        let dataset = &o.order.dataset_id;
        let holder = if dataset == "befolkning" {
            "stig"
        } else {
            "sara"
        };
        let file = source.join("sample-data").join(format!("{dataset}.csv"));
        let (upload, _) = app
            .upload_for_order(
                holder,
                &o.order.id,
                None,
                &file,
                Some(hdab_synth::extract_date()),
            )
            .await?;
        step(&format!(
            "data order {} ({dataset}, {}, due {}): fulfilled by upload {}",
            o.order.id, o.order.holder, o.order.due_on, upload.id
        ));
    }
    Ok(())
}

/// A demo application (`pipelines/<file>`): submitted by anna, prepared by olle, approved by
/// dora; returns the permit's id.
async fn approve_the_application(
    app: &App,
    source: &Path,
    file: &str,
    reason: &str,
) -> Result<String> {
    let application = std::fs::read_to_string(source.join("pipelines").join(file))?;
    let id = app.create_application("anna", &application).await?;
    let none = CaseOptions::default;
    app.case_command("anna", &id, CaseCommand::Submit, "", none())
        .await?;
    app.case_command(
        "olle",
        &id,
        CaseCommand::Take,
        "Complete; ethics approval checked.",
        none(),
    )
    .await?;
    // The fee estimate precedes the decision; the applicant accepts it.
    // SCB states its cost of the population register where the study draws controls.
    let costs = if application.contains("befolkning") {
        vec![("scb".to_string(), 6_000)]
    } else {
        Vec::new()
    };
    let estimate = app.estimate_fee("olle", &id, 16, costs, None).await?;
    app.accept_fee("anna", &id).await?;
    step(&format!(
        "application {id}: fee estimate {} SEK accepted by anna",
        estimate.total_sek
    ));
    let (_, permit) = app
        .case_command("dora", &id, CaseCommand::Approve, reason, none())
        .await?;
    let permit = permit.context("approval gave no permit")?;
    step(&format!(
        "application {id}: submitted by anna, prepared by olle, approved by dora: permit {permit}"
    ));
    Ok(permit)
}
