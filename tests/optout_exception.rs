//! A public-interest exception to the opt-out (EHDS Art. 71(4)): only under a legal basis the
//! law provides (a setting), with its three conditions, by a decision maker; that permit's
//! deliveries then keep the opted-out people, every other permit's do not; the register
//! publishes it and the opt-out page says truthfully what happens.

use crate::support::{self, Hdab, read_delivery, reference, repo};
use hdab_pseudonymise::{PersonId, permit_context, pseudonym};
use std::collections::HashSet;

const LAW: &str = "Lag (2029:1) om sekundär användning av hälsodata, 4 kap. 2 §";

fn run(hdab: &Hdab, env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let out = hdab
        .command()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Pseudonyms, under `permit`'s key, of the opted-out people of the in-patient register.
fn opted_out_pseudonyms(hdab: &Hdab, permit: &str) -> HashSet<String> {
    let key = hdab.master_key().derive(&permit_context(permit, 1));
    let out = support::sample_optouts();
    support::person_ids_in(&repo().join("sample-data/slutenvard.csv"), reference())
        .into_iter()
        .filter(|p: &PersonId| out.contains(p.canonical()))
        .map(|p| pseudonym(&key, &p))
        .collect()
}

#[test]
fn only_the_law_allows_the_exception_and_only_its_permit_keeps_the_opted_out() {
    let hdab = Hdab::demo();
    let id = hdab.apply_and_take("anna", &repo().join("pipelines/demo-application.toml"));
    let exception = [
        "--as",
        "dora",
        "case",
        "approve",
        id.as_str(),
        "--reason",
        "as asked",
        "--optout-exception",
        LAW,
        "--public-interest",
        "A national screening programme's effect on mortality.",
        "--necessity",
        "Leaving out those who opted out would bias the mortality estimate.",
    ];
    // Without a legal basis in the law (the default), no exception.
    let (ok, _, err) = run(&hdab, &[], &exception);
    assert!(!ok && err.contains("no exception"), "{err}");
    let law = [("HDAB_OPTOUT_EXCEPTION_BASES", LAW)];
    // Another basis than the law's is refused.
    let mut other = exception;
    other[8] = "Förordning (2030:2) om annat";
    let (ok, _, err) = run(&hdab, &law, &other);
    assert!(!ok && err.contains("not a legal basis"), "{err}");
    // Each condition must be stated.
    let mut empty = exception;
    empty[12] = " ";
    let (ok, _, err) = run(&hdab, &law, &empty);
    assert!(!ok && err.contains("cannot be met otherwise"), "{err}");
    // Only a decision maker grants it (the approval is hers).
    let mut officer = exception;
    officer[1] = "olle";
    assert!(!run(&hdab, &law, &officer).0);
    let (ok, out, err) = run(&hdab, &law, &exception);
    assert!(ok, "{err}");
    let permit = support::permit_in(&out);
    hdab.fulfil_orders(&permit, &[]);
    hdab.ok_as("olle", &["extract", &permit]);

    // The exception's permit keeps people who opted out; the demo's permit of the same data
    // does not.
    let kept: HashSet<String> = read_delivery(&hdab.spe().join(&permit).join("slutenvard"))
        .pseudonyms
        .into_iter()
        .collect();
    let out_here = opted_out_pseudonyms(&hdab, &permit);
    assert!(!out_here.is_empty());
    assert!(
        out_here.iter().any(|p| kept.contains(p)),
        "the exception's delivery keeps the opted-out people"
    );
    let other: HashSet<String> = read_delivery(&hdab.spe().join("P-2026-0001/slutenvard"))
        .pseudonyms
        .into_iter()
        .collect();
    assert!(
        opted_out_pseudonyms(&hdab, "P-2026-0001")
            .iter()
            .all(|p| !other.contains(p)),
        "no other permit's delivery holds an opted-out person"
    );

    // Published, logged, and said on the opt-out page.
    let register = hdab.ok(&["register"]);
    assert!(
        register.contains(&format!(
            "public-interest exception (EHDS Art. 71(4)) under {LAW}, decided by dora"
        )),
        "{register}"
    );
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(
        log.contains("opt-outs not applied under the public-interest exception"),
        "{log}"
    );
    hdab.ok(&["audit", "verify"]);
}
