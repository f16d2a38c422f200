//! Results out of the SPE (EHDS Art. 73), significant findings (Art. 61(5)) and
//! publications (Art. 61(4)), through the CLI on the demo's pseudonymised permit.

use crate::support::{self, Hdab, reference, repo};
use hdab_pseudonymise::{permit_context, pseudonym};
use sha2::{Digest, Sha256};
use std::path::Path;

const PERMIT: &str = "P-2026-0001";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// A pseudonym delivered under the demo permit.
fn a_delivered_pseudonym(hdab: &Hdab) -> String {
    let rows = support::delivered_rows(&hdab.spe().join(PERMIT).join("slutenvard"));
    rows[0]["pseudonym"].clone()
}

/// anna reports a significant finding about `pseudonym`; its id.
fn report(hdab: &Hdab, pseudonym: &str, reason: &str) -> String {
    let args = [
        "finding",
        "report",
        PERMIT,
        "--pseudonym",
        pseudonym,
        "--reason",
        reason,
    ];
    let out = hdab.ok_as("anna", &args);
    out.split(':').next().unwrap().trim().to_string()
}

fn submit(hdab: &Hdab, files: &[&str]) -> (String, String) {
    let mut args = vec!["output", "submit", PERMIT];
    args.extend(files);
    args.extend([
        "--description",
        "Admissions by county and sex, 2016-2023 (pandas crosstab)",
    ]);
    let out = hdab.ok_as("anna", &args);
    let id = out.split_whitespace().next().unwrap().to_string();
    (id, out)
}

#[test]
fn small_cells_and_pseudonyms_are_flagged_and_two_independent_checkers_release() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let small = write(
        dir.path(),
        "by_county.csv",
        "county,women,men\nStockholm,120,3\nUppsala,45,52\n",
    );
    let (small_id, out) = submit(&hdab, &[&small]);
    assert!(
        out.contains("threshold  at row 1 (Stockholm), column men"),
        "{out}"
    );
    let p = a_delivered_pseudonym(&hdab);
    let leak = write(
        dir.path(),
        "residuals.txt",
        &format!("largest residual\n{p} 4.2\n"),
    );
    // The limits are settings: one file a request here, so two are refused in words.
    let too_many = hdab
        .command()
        .env("HDAB_OUTPUT_MAX_FILES", "1")
        .args([
            "--as",
            "anna",
            "output",
            "submit",
            PERMIT,
            &small,
            &leak,
            "--description",
            "x",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&too_many.stderr);
    assert!(
        !too_many.status.success() && err.contains("more than one request may carry (1)"),
        "{err}"
    );
    // A file named with a personnummer is refused without the number being repeated.
    let named = write(dir.path(), "19121212-1212.csv", "county,n\nA,20\n");
    let err = hdab.fails_as(
        "anna",
        &["output", "submit", PERMIT, &named, "--description", "x"],
    );
    assert!(
        err.contains("file 1 reads as a personnummer") && !err.contains("1212"),
        "{err}"
    );
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(!log.contains("19121212"), "the audit log repeats the name");
    let (leak_id, out) = submit(&hdab, &[&leak]);
    assert!(out.contains("pseudonym  at line 2"), "{out}");
    assert!(
        !out.contains(&p),
        "the finding repeats the pseudonym:\n{out}"
    );

    // bo is named in the permit and is an output checker too; anna asked.
    hdab.add_user("bo", "socialstyrelsen", &["applicant", "output_checker"]);
    hdab.amend(&[], PERMIT, &["bo"], &[]);
    let err = hdab.fails_as("anna", &["output", "review", &small_id, "--approve"]);
    assert!(err.contains("output_checker"), "{err}");
    let err = hdab.fails_as("bo", &["output", "review", &small_id, "--approve"]);
    assert!(err.contains("named in permit"), "{err}");
    // A disclosive finding needs the researcher's justification; a pseudonym never leaves.
    let err = hdab.fails_as("cia", &["output", "review", &small_id, "--approve"]);
    assert!(err.contains("no justification"), "{err}");
    let err = hdab.fails_as("cia", &["output", "review", &leak_id, "--approve"]);
    assert!(err.contains("may never leave"), "{err}");
    let err = hdab.fails_as(
        "anna",
        &[
            "output",
            "justify",
            &leak_id,
            "--finding",
            "residuals.txt#1",
            "--reason",
            "x",
        ],
    );
    assert!(err.contains("may never leave"), "{err}");
    hdab.ok_as(
        "cia",
        &[
            "output",
            "review",
            &leak_id,
            "--reject",
            "--reason",
            "a pseudonym",
        ],
    );

    // Returned, changed, resubmitted: a new version, approvals start over.
    hdab.ok_as(
        "cia",
        &[
            "output",
            "review",
            &small_id,
            "--return",
            "--reason",
            "cell of 3",
        ],
    );
    let fixed = write(
        dir.path(),
        "by_county.csv",
        "county,women,men\nStockholm,120,30\nUppsala,45,52\n",
    );
    let svg = write(
        dir.path(),
        "figure.svg",
        "<svg xmlns='http://www.w3.org/2000/svg'><metadata>C:/Users/anna/secret</metadata><text>n=45</text></svg>",
    );
    let out = hdab.ok_as(
        "anna",
        &[
            "output",
            "resubmit",
            &small_id,
            &fixed,
            &svg,
            "--description",
            "fixed",
        ],
    );
    assert!(out.contains("version 2: checked"), "{out}");
    hdab.ok_as("cia", &["output", "review", &small_id, "--approve"]);
    let err = hdab.fails_as("cia", &["output", "review", &small_id, "--approve"]);
    assert!(err.contains("already approved"), "{err}");
    let err = hdab.fails_as("cia", &["output", "release", &small_id]);
    assert!(
        err.contains("2 approvals"),
        "one approval is not enough: {err}"
    );
    hdab.ok_as("ture", &["output", "review", &small_id, "--approve"]);
    let out = hdab.ok_as("ture", &["output", "release", &small_id]);
    let outbox = Path::new(out.trim().rsplit(' ').next().unwrap()).to_path_buf();
    let released = std::fs::read_to_string(outbox.join("figure.svg")).unwrap();
    assert!(
        !released.contains("secret") && released.contains("n=45"),
        "{released}"
    );
    let sums = std::fs::read_to_string(outbox.join("SHA256SUMS")).unwrap();
    let table = std::fs::read(outbox.join("by_county.csv")).unwrap();
    let sum = hex::encode(Sha256::digest(&table));
    assert!(sums.contains(&format!("{sum}  by_county.csv")), "{sums}");

    // The public register: the release, its checksums and descriptions, never contents.
    let register = hdab.ok(&["register", "--json"]);
    assert!(
        register.contains(&small_id) && register.contains(&sum),
        "{register}"
    );
    assert!(!register.contains("Stockholm"), "contents in the register");
    assert!(
        !register.contains(&leak_id),
        "a rejected request is not a release"
    );

    // A revoked permit: nothing more leaves.
    let again = write(dir.path(), "again.csv", "county,n\nStockholm,120\n");
    let (late, _) = submit(&hdab, &[&again]);
    hdab.ok_as("cia", &["output", "review", &late, "--approve"]);
    hdab.ok_as("ture", &["output", "review", &late, "--approve"]);
    hdab.ok_as("dora", &["permit", "revoke", PERMIT, "--reason", "ended"]);
    let err = hdab.fails_as("ture", &["output", "release", &late]);
    assert!(err.contains("revoked"), "{err}");
    let err = hdab.fails_as(
        "anna",
        &["output", "submit", PERMIT, &again, "--description", "x"],
    );
    assert!(err.contains("revoked"), "{err}");
    let verify = hdab.ok_as("admin", &["audit", "verify"]);
    assert!(
        verify.contains("intact") || verify.contains("ok"),
        "{verify}"
    );
}

#[test]
fn a_significant_finding_reaches_only_the_holder_after_two_approvals() {
    let hdab = Hdab::demo();
    let p = a_delivered_pseudonym(&hdab);
    let id = report(&hdab, &p, "Untreated aneurysm seen in imaging codes");
    let err = hdab.fails_as("sara", &["finding", "show", &id]);
    assert!(err.contains("reported"), "{err}");
    let err = hdab.fails_as("anna", &["finding", "approve", &id, "--reason", "mine"]);
    assert!(err.contains("case officer"), "{err}");
    hdab.ok_as(
        "olle",
        &["finding", "approve", &id, "--reason", "vital interest"],
    );
    let err = hdab.fails_as("olle", &["finding", "approve", &id, "--reason", "again"]);
    assert!(err.contains("already approved"), "{err}");
    let err = hdab.fails_as("sara", &["finding", "show", &id]);
    assert!(
        err.contains("reported"),
        "one approval is not enough: {err}"
    );
    hdab.ok_as("dora", &["finding", "approve", &id, "--reason", "agreed"]);

    // The person behind the pseudonym, from the raw sample.
    let key = hdab.master_key().derive(&permit_context(PERMIT, 1));
    let person = support::person_ids_in(&repo().join("sample-data/slutenvard.csv"), reference())
        .into_iter()
        .find(|id| pseudonym(&key, id) == p)
        .unwrap();
    let digits = String::from_utf8_lossy(person.canonical()).to_string();
    let written = format!("{}-{}", &digits[..8], &digits[8..]);
    let shown = hdab.ok_as("sara", &["finding", "show", &id]);
    assert!(
        shown.contains(&written) && shown.contains("slutenvard"),
        "{shown}"
    );
    // Not to the researcher, not to another holder.
    let err = hdab.fails_as("anna", &["finding", "show", &id]);
    assert!(!err.contains(&written), "{err}");
    let listed = hdab.ok_as("anna", &["finding", "list", "--json"]);
    assert!(
        !listed.contains(&written) && !listed.contains("slutenvard"),
        "{listed}"
    );
    let err = hdab.fails_as("stig", &["finding", "show", &id]);
    assert!(!err.contains(&written), "{err}");
    // The audit log names the steps, never the person.
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(log.contains("finding.disclose") && !log.contains(&written) && !log.contains(&digits));

    // A refused one leaves nothing to open.
    let second = report(&hdab, &p, "again");
    hdab.ok_as(
        "dora",
        &["finding", "refuse", &second, "--reason", "not significant"],
    );
    let err = hdab.fails_as("sara", &["finding", "show", &second]);
    assert!(err.contains("refused") && !err.contains(&written), "{err}");
    let err = hdab.fails_as(
        "anna",
        &[
            "finding",
            "report",
            PERMIT,
            "--pseudonym",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "--reason",
            "x",
        ],
    );
    assert!(err.contains("not a pseudonym delivered"), "{err}");
}

#[test]
fn a_permit_eighteen_months_past_its_end_without_a_publication_is_overdue() {
    let hdab = Hdab::demo();
    let show = hdab.ok_as("olle", &["permit", "show", PERMIT]);
    let until: chrono::NaiveDate = show
        .split("valid until ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(',')
        .parse()
        .unwrap();
    let at = |months: u32| {
        until
            .checked_add_months(chrono::Months::new(months))
            .unwrap()
            .to_string()
    };
    let before = hdab.ok(&[
        "permit",
        "overdue-publications",
        "--today",
        &at(17),
        "--json",
    ]);
    assert!(!before.contains(PERMIT), "{before}");
    let after = hdab.ok(&[
        "permit",
        "overdue-publications",
        "--today",
        &at(19),
        "--json",
    ]);
    assert!(after.contains(PERMIT), "{after}");
    hdab.ok_as(
        "anna",
        &[
            "permit",
            "publication",
            PERMIT,
            "--reference",
            "doi:10.1000/xyz",
            "--date",
            "2027-03-01",
        ],
    );
    let now = hdab.ok(&[
        "permit",
        "overdue-publications",
        "--today",
        &at(19),
        "--json",
    ]);
    assert!(!now.contains(PERMIT), "{now}");
}
