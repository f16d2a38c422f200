//! The `hdab` command: argument parsing and printing. Every command's work happens in
//! `hdab-app`, which authorises and audits it.
//!
//! `args` holds the clap types, `settings` resolves them with the environment into the
//! app's settings once, `commands/` runs each command group, `output` prints.

#[macro_use]
mod output;
mod args;
mod commands;
mod demo;
mod identity;
mod settings;

use anyhow::{Context, Result};
use args::Cli;
use clap::Parser;
use hdab_app::App;
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Everything hdab writes (uploads with personnummer in clear, the database, staging,
    // deliveries) is the service account's alone, whatever umask it was started with;
    // access for a permit's people is granted explicitly, never by default.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    output::set_lang(hdab_i18n::Lang::from_environment(|name| {
        std::env::var(name).ok()
    }));
    let filter = tracing_subscriber::EnvFilter::try_from_env("HDAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let lang = output::lang();
            eprintln!("{}: {}", lang.text("cli-error"), in_words(&e, lang));
            for cause in e.chain().skip(1) {
                eprintln!("  {}: {cause}", lang.text("cli-because"));
            }
            ExitCode::FAILURE
        }
    }
}

/// An error in the reader's language where hdab has its words (a refused case command);
/// otherwise as it was written.
fn in_words(e: &anyhow::Error, lang: hdab_i18n::Lang) -> String {
    match e.downcast_ref::<hdab_app::AppError>() {
        Some(hdab_app::AppError::Case(refusal)) => refusal.in_words(lang),
        _ => e.to_string(),
    }
}

/// The user the command acts as (identified before any command runs, see `identity`).
fn actor(cli: &Cli) -> Result<String> {
    cli.acting_user.clone().context(
        "say who you are: --as USER (or HDAB_USER) on the embedded default; elsewhere run the command as your operating-system account mapped to your hdab user, or set HDAB_TOKEN to one of your API tokens",
    )
}

fn read_input(path: &Option<std::path::PathBuf>) -> Result<String> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
        }
        _ => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading standard input")?;
            Ok(s)
        }
    }
}

async fn run(mut cli: Cli) -> Result<()> {
    if let Some(done) = commands::offline::run(&cli).await {
        return done;
    }
    let settings = settings::resolve(&cli)?;
    // Only `init` and `keys init` make an installation; every other command needs one.
    if !matches!(
        cli.command,
        args::Command::Init | args::Command::Keys(args::KeysCmd::Init)
    ) {
        settings::require_installation(&settings)?;
    }
    let mode = identity::mode(
        &settings,
        std::env::var("HDAB_CLI_IDENTITY").ok().as_deref(),
    )?;
    let app = App::open(settings).await?;
    // Who runs the command is settled once, before it runs; everything it audits says how.
    match identity::identify(&app, &cli, mode).await? {
        Some((user, via)) => {
            cli.acting_user = Some(user);
            hdab_app::identity::identified(via, commands::run(&app, &cli)).await
        }
        None => {
            cli.acting_user = None;
            commands::run(&app, &cli).await
        }
    }
}
