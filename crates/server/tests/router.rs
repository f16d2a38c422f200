//! Every endpoint, called by every kind of caller, through the router (no socket), on SQLite
//! and — when CI provides `HDAB_TEST_POSTGRES_URL` — on PostgreSQL. Refusals are checked
//! first and must leave no trace; then each endpoint is called by those who may call it.

use axum::body::Body;
use axum::http::{Request, header};
use hdab_app::{App, CaseOptions};
use hdab_permits::{CaseCommand, Role, User};
use hdab_server::{ServerState, router};
use hdab_test_support::{fresh_databases, read, repo};
use std::collections::HashMap;
use tower::ServiceExt;

/// The callers of the matrix, and `EVERYONE`: all of them, in the order written.
macro_rules! callers {
    ($($who:ident),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        enum Who {
            $($who),+
        }
        const EVERYONE: &[Who] = &[$(Who::$who),+];
    };
}

callers!(
    Anonymous,
    Admin,
    Holder,
    OtherHolder,
    Applicant,
    OtherApplicant,
    Officer,
    DecisionMaker,
    Registrar,
);

use Who::*;

/// Everyone but the anonymous caller.
fn logged_in() -> Vec<Who> {
    EVERYONE
        .iter()
        .copied()
        .filter(|w| *w != Anonymous)
        .collect()
}

/// The ids the fixture made.
struct Fixture {
    tokens: HashMap<Who, String>,
    taken_for_form: String,
    to_decide_by_form: String,
    draft: String,
    taken: String,
    to_decide: String,
    permit: String,
    /// The permit's data order of slutenvard, open until the table's upload for it.
    order: String,
    data_request: String,
}

fn user(id: &str, org: &str, role: Role) -> User {
    User {
        id: id.into(),
        name: id.into(),
        organisation: org.into(),
        roles: vec![role],
    }
}

async fn fixture(app: &App) -> Fixture {
    let ok = |e: hdab_app::AppError| -> ! { panic!("fixture: {e}") };
    app.keys_add(None, true).await.unwrap_or_else(|e| ok(e));
    app.add_user(None, &user("admin", "socialstyrelsen", Role::Admin))
        .await
        .unwrap_or_else(|e| ok(e));
    let people = [
        (Holder, user("sara", "socialstyrelsen", Role::DataHolder)),
        (
            OtherHolder,
            user("hugo", "region-halland", Role::DataHolder),
        ),
        (
            Applicant,
            user("anna", "karolinska-institutet", Role::Applicant),
        ),
        (
            OtherApplicant,
            user("bo", "lunds-universitet", Role::Applicant),
        ),
        (Officer, user("olle", "socialstyrelsen", Role::CaseOfficer)),
        (
            DecisionMaker,
            user("dora", "socialstyrelsen", Role::DecisionMaker),
        ),
        (
            Registrar,
            user("otto", "socialstyrelsen", Role::OptOutRegistrar),
        ),
    ];
    let mut tokens = HashMap::new();
    tokens.insert(
        Admin,
        app.create_api_token("admin", "tests")
            .await
            .unwrap_or_else(|e| ok(e)),
    );
    app.set_password("admin", "admin", PASSWORD)
        .await
        .unwrap_or_else(|e| ok(e));
    for (who, u) in &people {
        app.add_user(Some("admin"), u)
            .await
            .unwrap_or_else(|e| ok(e));
        app.set_password("admin", &u.id, PASSWORD)
            .await
            .unwrap_or_else(|e| ok(e));
        tokens.insert(
            *who,
            app.create_api_token(&u.id, "tests")
                .await
                .unwrap_or_else(|e| ok(e)),
        );
    }
    for name in ["slutenvard", "lakemedel"] {
        app.register_dataset("sara", &read(&format!("catalog/{name}.toml")))
            .await
            .unwrap_or_else(|e| ok(e));
        app.upload(
            "sara",
            name,
            &repo().join(format!("sample-data/{name}.csv")),
            chrono::NaiveDate::from_ymd_opt(2024, 3, 31),
        )
        .await
        .unwrap_or_else(|e| ok(e));
    }
    let application = read("pipelines/demo-application.toml");
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(
            app.create_application("anna", &application)
                .await
                .unwrap_or_else(|e| ok(e)),
        );
    }
    let run = |who: &'static str, id: String, c: CaseCommand, comment: &'static str| async move {
        app.case_command(who, &id, c, comment, CaseOptions::default())
            .await
            .unwrap_or_else(|e| panic!("fixture: {e}"))
    };
    for id in &ids[1..] {
        run("anna", id.clone(), CaseCommand::Submit, "").await;
        run("olle", id.clone(), CaseCommand::Take, "").await;
    }
    let (_, permit) = run("dora", ids[3].clone(), CaseCommand::Approve, "as asked").await;
    let permit = permit.unwrap_or_else(|| panic!("approval made no permit"));
    // The grant ordered its datasets from the holder; one is fulfilled here, the other by
    // the table's upload for the order, so that the permit can be extracted.
    let today = chrono::Utc::now().date_naive();
    let orders = app
        .orders("olle", Some(&permit), today)
        .await
        .unwrap_or_else(|e| ok(e));
    let order_of = |dataset: &str| {
        orders
            .iter()
            .find(|o| o.order.dataset_id == dataset)
            .map(|o| o.order.id.clone())
            .unwrap_or_else(|| panic!("no order of {dataset}"))
    };
    app.upload_for_order(
        "sara",
        &order_of("lakemedel"),
        None,
        &repo().join("sample-data/lakemedel.csv"),
        chrono::NaiveDate::from_ymd_opt(2024, 3, 31),
    )
    .await
    .unwrap_or_else(|e| ok(e));
    let order = order_of("slutenvard");
    let (taken_for_form, to_decide_by_form) = (ids[4].clone(), ids[5].clone());
    let data_request = app
        .submit_data_request("anna", &read("pipelines/demo-data-request.toml"))
        .await
        .unwrap_or_else(|e| ok(e));
    app.decide_data_request("dora", &data_request, true, "serves the purpose")
        .await
        .unwrap_or_else(|e| ok(e));
    Fixture {
        tokens,
        draft: ids[0].clone(),
        taken: ids[1].clone(),
        to_decide: ids[2].clone(),
        permit,
        order,
        data_request,
        taken_for_form,
        to_decide_by_form,
    }
}

const PASSWORD: &str = "a long enough password";

/// One endpoint: who may call it (and gets `ok`), and what the others get.
struct Row {
    method: &'static str,
    path: String,
    body: Payload,
    allowed: Vec<Who>,
    ok: u16,
    /// What everyone else gets (anonymous callers of protected API endpoints get 401 and
    /// of protected pages a redirect to the login page, whatever this says).
    refused: u16,
    /// Exceptions to `refused` (e.g. 404 for an application the caller may not know of).
    except: Vec<(Who, u16)>,
}

#[derive(Clone)]
enum Payload {
    None,
    Json(serde_json::Value),
    Text(&'static str, String),
    Bytes(&'static str, Vec<u8>),
    /// An urlencoded form posted with the caller's session (and its CSRF token).
    Form(String),
    /// A multipart form with one file, posted with the caller's session.
    Upload(Vec<u8>),
}

fn row(method: &'static str, path: impl Into<String>, allowed: &[Who], ok: u16) -> Row {
    Row {
        method,
        path: path.into(),
        body: Payload::None,
        allowed: allowed.to_vec(),
        ok,
        refused: 403,
        except: Vec::new(),
    }
}

impl Row {
    fn body(mut self, b: Payload) -> Row {
        self.body = b;
        self
    }
    fn refused(mut self, status: u16) -> Row {
        self.refused = status;
        self
    }
    fn except(mut self, who: Who, status: u16) -> Row {
        self.except.push((who, status));
        self
    }
    fn expected(&self, who: Who) -> u16 {
        if self.allowed.contains(&who) {
            return self.ok;
        }
        if who == Anonymous {
            return if self.path.starts_with("/api/") {
                401
            } else {
                303
            };
        }
        self.except
            .iter()
            .find(|(w, _)| *w == who)
            .map_or(self.refused, |(_, s)| *s)
    }
}

fn table(f: &Fixture) -> Vec<Row> {
    let application: serde_json::Value =
        toml::from_str(&read("pipelines/demo-application.toml")).unwrap_or_else(|e| panic!("{e}"));
    let data_request: serde_json::Value =
        toml::from_str(&read("pipelines/demo-data-request.toml")).unwrap_or_else(|e| panic!("{e}"));
    let new_dataset = read("catalog/dodsorsak.toml");
    let csv = std::fs::read(repo().join("sample-data/slutenvard.csv")).unwrap_or_default();
    let (draft, taken, to_decide, permit, dr, order) = (
        &f.draft,
        &f.taken,
        &f.to_decide,
        &f.permit,
        &f.data_request,
        &f.order,
    );
    let officers = [Admin, Officer, DecisionMaker];
    vec![
        row("GET", "/api/openapi.json", EVERYONE, 200),
        row("GET", "/api/v1/me", &logged_in(), 200),
        row("GET", "/api/v1/users", &[Admin], 200),
        row("POST", "/api/v1/users", &[Admin], 201).body(Payload::Json(serde_json::json!({
            "id": "newbie", "name": "New Officer", "organisation": "socialstyrelsen",
            "roles": ["case_officer"], "password": "a long enough password"
        }))),
        row("POST", "/api/v1/tokens", &logged_in(), 201)
            .body(Payload::Json(serde_json::json!({"label": "router test"}))),
        row("GET", "/api/v1/catalog?text=register", EVERYONE, 200),
        row("GET", "/api/v1/catalog/export", EVERYONE, 200),
        row("GET", "/api/v1/catalog/export?format=jsonld&dataset=slutenvard", EVERYONE, 200),
        row("GET", "/api/v1/catalog/harvest?page=1&per_page=1", EVERYONE, 200),
        row("GET", "/api/v1/catalog/harvest?page=0", EVERYONE, 422),
        row("GET", "/api/v1/catalog/overdue", &[Admin, Holder, OtherHolder, Officer], 200),
        row("GET", "/api/v1/catalog/slutenvard", EVERYONE, 200),
        row("GET", "/api/v1/catalog/slutenvard/versions", EVERYONE, 200),
        row("GET", "/api/v1/catalog/slutenvard/diff?from=1&to=1", EVERYONE, 200),
        row("POST", "/api/v1/catalog", &[Holder, Admin], 201)
            .body(Payload::Text("application/toml", new_dataset)),
        row("POST", "/api/v1/catalog/slutenvard/confirm", &[Holder, Admin], 200),
        row("GET", "/api/v1/catalog/slutenvard/uploads", &[Holder, Admin, Officer], 200),
        row("PUT", "/api/v1/catalog/slutenvard/uploads?reference_date=2024-03-31", &[Holder], 201)
            .body(Payload::Bytes("text/csv", csv.clone()))
            .except(Admin, 201),
        row("GET", "/api/v1/applications", &logged_in(), 200),
        row("POST", "/api/v1/applications", &[Applicant, OtherApplicant], 201)
            .body(Payload::Json(application.clone())),
        row("GET", format!("/api/v1/applications/{draft}"), &[Applicant, Admin, DecisionMaker], 200)
            .refused(404),
        row("PUT", format!("/api/v1/applications/{draft}"), &[Applicant], 204)
            .body(Payload::Json(application))
            .refused(404),
        row("POST", format!("/api/v1/applications/{taken}/commands"), &[Officer], 200)
            .body(Payload::Json(serde_json::json!({"command": "return", "comment": "add the ethics approval's decision"})))
            .except(Holder, 404).except(OtherHolder, 404).except(OtherApplicant, 404).except(Registrar, 404),
        row("POST", format!("/api/v1/applications/{to_decide}/commands"), &[DecisionMaker], 200)
            .body(Payload::Json(serde_json::json!({"command": "approve", "comment": "meets Art. 68", "conditions": ["output checking"]})))
            .except(Holder, 404).except(OtherHolder, 404).except(OtherApplicant, 404).except(Registrar, 404),
        row("GET", "/api/v1/queue", &officers, 200),
        row("GET", "/api/v1/register", EVERYONE, 200),
        row("GET", "/api/v1/permits", &logged_in(), 200),
        row("GET", "/api/v1/permits?all=true", &officers, 200),
        row("GET", format!("/api/v1/permits/{permit}"), &[Applicant, Admin, Officer, DecisionMaker], 200),
        row("GET", "/api/v1/orders", &[Admin, Holder, OtherHolder, Officer, DecisionMaker], 200),
        row("GET", format!("/api/v1/orders/{order}"), &[Admin, Holder, Officer, DecisionMaker], 200)
            .except(OtherHolder, 404),
        row("POST", format!("/api/v1/orders/{order}/extend"), &[Officer], 200)
            .body(Payload::Json(serde_json::json!({"months": 2, "reason": "the region asked"}))),
        row("PUT", format!("/api/v1/orders/{order}/uploads?reference_date=2024-03-31"), &[Holder, Admin], 201)
            .body(Payload::Bytes("text/csv", csv)),
        row("POST", format!("/api/v1/permits/{permit}/extractions"), &[Officer], 201),
        row("GET", "/api/v1/audit/checkpoint", EVERYONE, 200),
        row("POST", format!("/api/v1/permits/{permit}/amend"), &[DecisionMaker], 200)
            .body(Payload::Json(serde_json::json!({"reason": "a new analyst", "add": ["bo"]}))),
        row("POST", "/api/v1/optouts", &[Registrar], 200).body(Payload::Json(
            serde_json::json!({"lines": "19121212-1212\nnot a number\n", "opt_out": true}),
        )),
        row("POST", "/api/v1/optouts/status", &[Registrar], 200)
            .body(Payload::Json(serde_json::json!({"lines": "19121212-1212\n"}))),
        row("POST", "/api/v1/data-requests", &[Applicant, OtherApplicant], 201)
            .body(Payload::Json(data_request)),
        row("GET", format!("/api/v1/data-requests/{dr}"), &[Applicant, Admin, Officer], 200)
            .refused(404),
        row("POST", format!("/api/v1/data-requests/{dr}/decision"), &[], 204)
            .body(Payload::Json(serde_json::json!({"approve": false, "reason": "again"})))
            .except(DecisionMaker, 403),
        row("POST", format!("/api/v1/data-requests/{dr}/answer"), &[Officer], 200),
        row("POST", format!("/api/v1/permits/{permit}/outputs"), &[Applicant], 201).body(
            Payload::Json(serde_json::json!({
                "description": "admissions by county",
                "files": [{"name": "by_county.csv", "content_base64": "Y291bnR5LG4KQSwyMAo="}]
            })),
        ),
        row("GET", "/api/v1/outputs", &logged_in(), 200),
        row("GET", "/outputs", &logged_in(), 200),
        row("POST", "/api/v1/keys", &[Admin], 201),
        row("POST", "/api/v1/keys/rotate", &[Admin], 200)
            .body(Payload::Json(serde_json::json!({"reason": "yearly rotation"}))),
        row("GET", "/api/v1/audit/verify", &[Admin], 200),
        row("GET", "/api/v1/entitlements", &[Admin], 200),
        // Pages.
        row("GET", "/", EVERYONE, 200),
        row("GET", "/static/hdab.css", EVERYONE, 200),
        row("GET", "/login", EVERYONE, 200),
        row("GET", "/catalog?text=drug", EVERYONE, 200),
        row("GET", "/catalog/slutenvard", EVERYONE, 200),
        row("GET", "/register", EVERYONE, 200),
        row("GET", "/report/activity?from=2026-01-01&to=2026-12-31", EVERYONE, 200),
        row("GET", "/report/activity?format=csv", EVERYONE, 200),
        row("GET", "/optout", EVERYONE, 200),
        row("GET", "/holder", &[Holder, OtherHolder, Admin], 200),
        row("GET", "/holder/datasets/slutenvard", &[Holder, Admin], 200)
            .except(OtherHolder, 404),
        row("GET", "/holder/datasets/slutenvard/edit", &logged_in(), 200),
        row("GET", "/holder/datasets/slutenvard/profile", &[Holder, Admin, Officer], 200),
        row("GET", "/applications", &logged_in(), 200),
        row("GET", "/applications/new", &logged_in(), 200),
        row("GET", format!("/applications/{draft}"), &[Applicant, Admin, DecisionMaker], 200)
            .refused(404),
        row("GET", format!("/applications/{draft}/edit"), &[Applicant, Admin, DecisionMaker], 200)
            .refused(404),
        row("GET", "/cases", &officers, 200),
        row("GET", "/permits", &logged_in(), 200),
        row("GET", format!("/permits/{permit}"), &[Applicant, OtherApplicant, Admin, Officer, DecisionMaker], 200),
        row("GET", "/orders", &[Admin, Holder, OtherHolder, Officer, DecisionMaker], 200),
        row("GET", format!("/orders/{order}"), &[Admin, Holder, Officer, DecisionMaker], 200)
            .except(OtherHolder, 404),
        // Forms, posted with each caller's browser session and its CSRF token.
        row("POST", "/holder/datasets", &[Holder, Admin], 303)
            .body(Payload::Form(form(&[("description", &read("catalog/dodsorsak.toml"))]))),
        row("POST", "/holder/datasets/slutenvard", &[Holder, Admin], 303)
            .body(Payload::Form(form(&[("description", &read("catalog/slutenvard.toml"))]))),
        row("POST", "/holder/datasets/slutenvard/confirm", &[Holder, Admin], 303).body(Payload::Form(String::new())),
        row("POST", "/holder/datasets/slutenvard/uploads", &[Holder], 303)
            .body(Payload::Upload(std::fs::read(repo().join("sample-data/slutenvard.csv")).unwrap_or_default()))
            .except(Admin, 303),
        row("POST", "/applications", &[Applicant, OtherApplicant], 303).body(Payload::Form(application_form())),
        row("POST", format!("/applications/{draft}"), &[Applicant], 303)
            .body(Payload::Form(application_form()))
            .refused(404),
        row("POST", format!("/applications/{}/command", f.taken_for_form), &[Officer], 303)
            .body(Payload::Form(form(&[("command", "return"), ("comment", "the cohort needs an end date")])))
            .except(Holder, 404).except(OtherHolder, 404).except(OtherApplicant, 404).except(Registrar, 404),
        row("POST", format!("/applications/{}/command", f.to_decide_by_form), &[DecisionMaker], 303)
            .body(Payload::Form(form(&[
                ("command", "approve"), ("comment", "approved without county"),
                ("keep_slutenvard", "KON"), ("keep_slutenvard", "ALDER"), ("keep_slutenvard", "INDATUM"),
                ("keep_slutenvard", "UTDATUM"), ("keep_slutenvard", "HDIA"), ("keep_slutenvard", "DIA1"),
                ("keep_lakemedel", "EDATUM"), ("keep_lakemedel", "ATC"), ("keep_lakemedel", "ANTAL"),
                ("keep_lakemedel", "DDD"), ("valid_months", "24"),
            ])))
            .except(Holder, 404).except(OtherHolder, 404).except(OtherApplicant, 404).except(Registrar, 404),
        row("POST", format!("/permits/{permit}/extract"), &[Officer], 303).body(Payload::Form(String::new())),
        row("POST", "/logout", &logged_in(), 303).body(Payload::Form(String::new())),
        // Last: the permit's end.
        row("POST", format!("/api/v1/permits/{permit}/revoke"), &[DecisionMaker], 204)
            .body(Payload::Json(serde_json::json!({"reason": "the project ended"}))),
    ]
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn application_form() -> String {
    form(&[
        ("title", "Readmissions"),
        ("organisation", "karolinska-institutet"),
        ("purpose", "scientific_research"),
        ("intended_use", "Describe readmissions."),
        ("expected_benefit", "Better follow-up."),
        ("spe_users", "anna"),
        ("pseudonymised", "true"),
        ("why_not_anonymised", "Linkage over time."),
        ("months_needed", "24"),
        ("ethics_reference", "Dnr 2026-1"),
        ("ds", "slutenvard"),
        ("var_slutenvard", "KON"),
        ("var_slutenvard", "HDIA"),
        ("codes_slutenvard", "I21"),
        ("code_columns_slutenvard", "HDIA"),
    ])
}

/// A browser session per caller: (cookie, CSRF token).
type Sessions = HashMap<Who, (String, String)>;

async fn sessions(app: &axum::Router) -> Sessions {
    let mut out = HashMap::new();
    for (who, id) in [
        (Admin, "admin"),
        (Holder, "sara"),
        (OtherHolder, "hugo"),
        (Applicant, "anna"),
        (OtherApplicant, "bo"),
        (Officer, "olle"),
        (DecisionMaker, "dora"),
        (Registrar, "otto"),
    ] {
        let login = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[("user", id), ("password", PASSWORD)])))
            .unwrap_or_else(|e| panic!("{e}"));
        let res = app
            .clone()
            .oneshot(login)
            .await
            .unwrap_or_else(|e| match e {});
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no session for {id}: {}", res.status()))
            .to_string();
        let home = Request::get("/")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let res = app
            .clone()
            .oneshot(home)
            .await
            .unwrap_or_else(|e| match e {});
        let page = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let page = String::from_utf8_lossy(&page);
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no form token for {id}"))
            .to_string();
        out.insert(who, (cookie, csrf));
    }
    out
}

async fn call(
    app: &axum::Router,
    row: &Row,
    who: Who,
    tokens: &HashMap<Who, String>,
    sessions: &Sessions,
) -> (u16, String) {
    let mut req = Request::builder().method(row.method).uri(&row.path);
    let session = sessions.get(&who);
    if !matches!(row.body, Payload::Form(_) | Payload::Upload(_))
        && let Some(t) = tokens.get(&who)
    {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match &row.body {
        Payload::Form(text) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let mut text = text.clone();
            if let Some((cookie, csrf)) = session {
                req = req.header(header::COOKIE, cookie);
                text = format!(
                    "{}{}",
                    form(&[("csrf", csrf)]),
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!("&{text}")
                    }
                );
            }
            Body::from(text)
        }
        Payload::Upload(bytes) => {
            let mut uri = row.path.clone();
            if let Some((cookie, csrf)) = session {
                req = req.header(header::COOKIE, cookie);
                uri = format!("{uri}?{}", form(&[("csrf", csrf)]));
            }
            req = req
                .uri(uri)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ");
            let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"reference_date\"\r\n\r\n2024-03-31\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/x.csv\"\r\nContent-Type: text/csv\r\n\r\n".to_vec();
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n--XyZ--\r\n");
            Body::from(body)
        }
        Payload::None => Body::empty(),
        Payload::Json(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        Payload::Text(ct, t) => {
            req = req.header(header::CONTENT_TYPE, *ct);
            Body::from(t.clone())
        }
        Payload::Bytes(ct, b) => {
            req = req.header(header::CONTENT_TYPE, *ct);
            Body::from(b.clone())
        }
    };
    let req = req.body(body).unwrap_or_else(|e| panic!("{e}"));
    let res = app
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_each_role_as_the_permission_matrix_says() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (db, settings) in fresh_databases(dir.path()).await {
        let app = App::open(settings)
            .await
            .unwrap_or_else(|e| panic!("{db}: {e}"));
        let f = fixture(&app).await;
        let rows = table(&f);
        let router = router(ServerState::new(app.clone()));
        let sessions = sessions(&router).await;
        let audit_before = app.audit_verify().await.ok().and_then(Result::ok);
        let mut failures = Vec::new();
        // Refusals first: none of them may change anything.
        for r in &rows {
            for who in EVERYONE.iter().filter(|w| !r.allowed.contains(w)) {
                let (status, body) = call(&router, r, *who, &f.tokens, &sessions).await;
                if status != r.expected(*who) {
                    failures.push(format!(
                        "[{db}] {} {} as {who:?}: {status} (expected {}): {}",
                        r.method,
                        r.path,
                        r.expected(*who),
                        body.chars().take(200).collect::<String>()
                    ));
                }
                if status >= 500 {
                    failures.push(format!(
                        "[{db}] {} {} as {who:?}: server error",
                        r.method, r.path
                    ));
                }
            }
        }
        assert!(
            app.my_permits("bo")
                .await
                .map(|p| p.is_empty())
                .unwrap_or(false),
            "[{db}] a refused amendment changed the permit"
        );
        let _ = audit_before;
        for r in &rows {
            for who in &r.allowed {
                let (status, body) = call(&router, r, *who, &f.tokens, &sessions).await;
                if status != r.ok {
                    failures.push(format!(
                        "[{db}] {} {} as {who:?}: {status} (expected {}): {}",
                        r.method,
                        r.path,
                        r.ok,
                        body.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // The successful calls did what they say.
        assert!(
            app.my_permits("bo")
                .await
                .map(|p| p.len() == 1)
                .unwrap_or(false),
            "[{db}] the amendment did not add the analyst"
        );
        let status = app
            .permit_status("olle", &f.permit)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            status.manifests.len(),
            2,
            "[{db}] the extraction delivered both datasets"
        );
        assert!(
            status.permit.revoked_at.is_some(),
            "[{db}] the permit was revoked last"
        );
        assert!(
            matches!(app.audit_verify().await, Ok(Ok(_))),
            "[{db}] audit chain intact"
        );
        // The web upload named itself '../../etc/x.csv': the server chose the name.
        let uploads = app
            .dataset_uploads("sara", "slutenvard")
            .await
            .unwrap_or_default();
        assert!(uploads.len() >= 3, "[{db}] fixture, API and form uploads");
        assert!(
            uploads
                .iter()
                .all(|u| !u.file_name.contains("x.csv") && !u.file_name.contains('/'))
        );
        // The form approval narrowed the permit: no county.
        let narrowed = app
            .my_permits("anna")
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.application_id == f.to_decide_by_form)
            .unwrap_or_else(|| panic!("[{db}] the form approval made no permit"));
        let slutenvard = &narrowed.spec.datasets[0];
        assert!(
            !slutenvard.variables.contains(&"LAN".to_string())
                && slutenvard.variables.contains(&"HDIA".to_string())
        );
    }
}
