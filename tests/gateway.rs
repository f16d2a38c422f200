//! The SPE gateway (issue 22), through a real Flight SQL client against `hdab spe serve`:
//! the permit's researcher gets exactly the delivered rows; a researcher of another permit,
//! a wrong password, a revoked permit and an expired one are refused; nothing outside the
//! workspace can be named; every query (and refusal) is in `hdab spe log` with user, SQL and
//! row count, no personnummer reaches the log, and the audit chain verifies.

use crate::support::{self, Hdab, gateway};
use hdab_gateway::arrow::record_batch::RecordBatch;
use hdab_gateway::arrow::util::display::array_value_to_string;
use hdab_gateway::{Client, ClientError};
use std::collections::HashMap;

const PERMIT: &str = "P-2026-0001";
const OTHER: &str = "P-2026-0002";
const PASSWORD: &str = "ett långt lösenord 7";

fn rows_of(batches: &[RecordBatch]) -> Vec<Vec<(String, String)>> {
    let mut rows = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let mut row: Vec<_> = b
                .schema()
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let col = b.column(i);
                    let v = if hdab_gateway::arrow::array::Array::is_null(col, r) {
                        String::new()
                    } else {
                        array_value_to_string(col, r).unwrap()
                    };
                    (f.name().clone(), v)
                })
                .collect();
            row.sort();
            rows.push(row);
        }
    }
    rows.sort();
    rows
}

fn sorted(rows: Vec<HashMap<String, String>>) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = rows
        .into_iter()
        .map(|r| {
            let mut r: Vec<_> = r.into_iter().collect();
            r.sort();
            r
        })
        .collect();
    out.sort();
    out
}

async fn refused(addr: &str, user: &str, permit: Option<&str>, sql: &str) -> ClientError {
    let mut c = Client::connect(addr, user, PASSWORD, permit).await.unwrap();
    c.query(sql).await.unwrap_err()
}

fn log_of(hdab: &Hdab, who: &str, permit: &str) -> Vec<serde_json::Value> {
    let out = hdab.ok_as(who, &["spe", "log", permit, "--json"]);
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_permits_researchers_query_its_data_and_every_query_is_logged() {
    let hdab = Hdab::demo();
    hdab.add_user("rita", "lunds-universitet", &["applicant"]);
    hdab.amend(&[], OTHER, &["rita"], &[]);
    for id in ["anna", "rita", "olle"] {
        hdab.set_password(id, PASSWORD);
    }
    let g = gateway(&hdab, &[], &[]);
    let addr = g.1.as_str();

    // The permit's researcher reads every delivered table, equal to the files.
    let mut anna = Client::connect(addr, "anna", PASSWORD, Some(PERMIT))
        .await
        .unwrap();
    let mut compared = 0;
    for entry in std::fs::read_dir(hdab.spe().join(PERMIT))
        .unwrap()
        .flatten()
    {
        let table = entry.file_name().to_string_lossy().to_string();
        if table.starts_with('.') || !entry.path().join("manifest.json").exists() {
            continue;
        }
        let got = anna.query(&format!("SELECT * FROM {table}")).await.unwrap();
        let want = sorted(support::delivered_rows(&entry.path()));
        assert!(!want.is_empty());
        assert_eq!(rows_of(&got), want, "{table} through the gateway");
        compared += 1;
    }
    assert!(compared >= 2, "every dataset of the permit was compared");
    let counted = anna
        .query("SELECT count(*) AS n FROM slutenvard")
        .await
        .unwrap();
    let n = support::delivered_rows(&hdab.spe().join(PERMIT).join("slutenvard")).len();
    assert_eq!(rows_of(&counted), vec![vec![("n".into(), n.to_string())]]);

    // Columns are named as in the register (capitals), unquoted, and functions in any case.
    let by_sex = anna
        .query("SELECT KON, COUNT(*) AS n FROM slutenvard GROUP BY KON")
        .await
        .unwrap();
    let total: i64 = rows_of(&by_sex)
        .iter()
        .map(|r| {
            r.iter()
                .find(|(k, _)| k == "n")
                .unwrap()
                .1
                .parse::<i64>()
                .unwrap()
        })
        .sum();
    assert_eq!(total as usize, n);

    // Who is refused, and how.
    let e = Client::connect(addr, "anna", "not her password", Some(PERMIT))
        .await
        .unwrap_err();
    assert_eq!(e.code, Some(tonic::Code::Unauthenticated), "{e}");
    let e = refused(addr, "rita", Some(PERMIT), "SELECT 1").await;
    assert_eq!(e.code, Some(tonic::Code::PermissionDenied), "{e}");
    assert!(e.message.contains("not named in permit P-2026-0001"), "{e}");
    let e = refused(addr, "olle", Some(PERMIT), "SELECT 1").await;
    assert_eq!(
        e.code,
        Some(tonic::Code::PermissionDenied),
        "case staff do not query: {e}"
    );
    let e = refused(addr, "anna", None, "SELECT 1").await;
    assert!(e.message.contains("x-hdab-permit"), "{e}");
    // rita's own (only) permit needs no header.
    let mut rita = Client::connect(addr, "rita", PASSWORD, None).await.unwrap();
    assert!(
        !rita
            .query("SELECT * FROM slutenvard")
            .await
            .unwrap()
            .is_empty()
    );

    // Nothing outside the workspace can be named, nothing written, nothing set.
    let elsewhere = hdab.spe().join(OTHER).join("slutenvard");
    for sql in [
        format!(
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '{}/'",
            elsewhere.display()
        ),
        format!("COPY (SELECT 1) TO '{}/x.csv'", hdab.dir().display()),
        "SET datafusion.execution.batch_size = 1".into(),
        "INSERT INTO slutenvard SELECT * FROM slutenvard".into(),
    ] {
        let e = anna.query(&sql).await.unwrap_err();
        assert!(e.message.contains("not supported"), "{sql}: {e}");
    }
    // A personnummer in the SQL: refused, and it never reaches the log.
    let e = anna
        .query("SELECT * FROM slutenvard WHERE pseudonym = '19121212-1212'")
        .await
        .unwrap_err();
    assert!(e.message.contains("personal identity number"), "{e}");

    // The log: each query with user, SQL and rows; refusals too; for the permit's people
    // and case staff only.
    let log = log_of(&hdab, "anna", PERMIT);
    let count = log
        .iter()
        .find(|q| q["sql"] == "SELECT count(*) AS n FROM slutenvard")
        .unwrap();
    assert_eq!(count["user"], "anna");
    assert_eq!(count["status"], "done");
    assert_eq!(count["rows"], 1);
    let whole = log
        .iter()
        .find(|q| q["sql"] == "SELECT * FROM slutenvard")
        .unwrap();
    assert_eq!(whole["rows"], n as u64);
    assert!(whole["bytes"].as_u64().unwrap() > 0);
    assert!(
        log.iter()
            .any(|q| q["user"] == "rita" && q["status"] == "refused"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|q| q["sql"] == "[withheld]" && q["status"] == "refused")
    );
    assert_eq!(log_of(&hdab, "olle", PERMIT).len(), log.len());
    let e = hdab.fails_as("rita", &["spe", "log", PERMIT]);
    assert!(e.contains("may not read the query log"), "{e}");
    let audit = hdab.ok_as("admin", &["audit", "show"]);
    assert!(
        !audit.contains("19121212"),
        "a personnummer reached the audit log"
    );
    assert!(!support::contains_person_id(&audit, support::reference()));

    // The permit page shows the log to the permit's people (and tells them how to connect).
    let token = hdab.ok_as("anna", &["users", "token", "--label", "page"]);
    let (mut web, web_addr) = support::serve(&[("HDAB_DATA_DIR", hdab.dir().as_os_str())]);
    let (status, page) = support::http(
        &web_addr,
        "GET",
        &format!("/permits/{PERMIT}"),
        token.trim(),
        "",
    );
    let _ = web.kill();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"queries\""), "{page}");
    assert!(
        page.contains("SELECT count(*) AS n FROM slutenvard"),
        "{page}"
    );
    assert!(page.contains("x-hdab-permit: P-2026-0001"), "{page}");

    // Revoked: refused at once.
    hdab.ok_as("dora", &["permit", "revoke", PERMIT, "--reason", "ended"]);
    let e = refused(addr, "anna", Some(PERMIT), "SELECT 1").await;
    assert!(e.message.contains("revoked"), "{e}");

    // Expired: a gateway judging permits the day after the other permit's end refuses.
    let after = hdab.valid_until(OTHER) + chrono::Duration::days(1);
    let late = gateway(&hdab, &[], &["--as-of", &after.to_string()]);
    let e = refused(&late.1, "rita", Some(OTHER), "SELECT 1").await;
    assert!(e.message.contains("expired"), "{e}");
    drop(late);

    let verified = hdab.ok_as("admin", &["audit", "verify"]);
    assert!(verified.contains("intact"), "{verified}");
}
