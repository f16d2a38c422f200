//! Racing decisions on one case yield exactly one decision, on SQLite and (when CI provides
//! `HDAB_TEST_POSTGRES_URL`) on PostgreSQL.

use hdab_app::{App, CaseOptions};
use hdab_permits::{AppState, CaseCommand, Role, User, state_of};
use hdab_test_support::{fresh_databases, repo};

async fn case_under_review(app: &App, deciders: usize) -> String {
    app.keys_add(None, true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user = |id: String, org: &str, role: Role| User {
        id: id.clone(),
        name: id,
        organisation: org.into(),
        roles: vec![role],
    };
    app.add_user(None, &user("admin".into(), "socialstyrelsen", Role::Admin))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut users = vec![
        user("sara".into(), "socialstyrelsen", Role::DataHolder),
        user("anna".into(), "karolinska-institutet", Role::Applicant),
        user("olle".into(), "socialstyrelsen", Role::CaseOfficer),
    ];
    users.extend(
        (0..deciders).map(|i| user(format!("dm{i}"), "socialstyrelsen", Role::DecisionMaker)),
    );
    for u in &users {
        app.add_user(Some("admin"), u)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for name in ["slutenvard", "lakemedel"] {
        let text = std::fs::read_to_string(repo().join(format!("catalog/{name}.toml")))
            .unwrap_or_default();
        app.register_dataset("sara", &text)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let text =
        std::fs::read_to_string(repo().join("pipelines/demo-application.toml")).unwrap_or_default();
    let id = app
        .create_application("anna", &text)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (who, command) in [("anna", CaseCommand::Submit), ("olle", CaseCommand::Take)] {
        app.case_command(who, &id, command, "", CaseOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_on_one_case_yield_exactly_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (_, settings) in fresh_databases(dir.path()).await {
        let app = App::open(settings.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let deciders = 16;
        let id = case_under_review(&app, deciders).await;
        let mut tasks = Vec::new();
        for i in 0..deciders {
            let (app, id) = (app.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let command = if i % 2 == 0 {
                    CaseCommand::Approve
                } else {
                    CaseCommand::Reject
                };
                app.case_command(
                    &format!("dm{i}"),
                    &id,
                    command,
                    "decided",
                    CaseOptions::default(),
                )
                .await
            }));
        }
        let mut wins = 0;
        for t in tasks {
            if matches!(t.await, Ok(Ok(_))) {
                wins += 1;
            }
        }
        let case = app
            .store
            .application(&id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let decisions = case
            .events
            .iter()
            .filter(|e| matches!(e.command, CaseCommand::Approve | CaseCommand::Reject))
            .count();
        assert_eq!((wins, decisions), (1, 1), "{}", settings.database_url);
        let state = state_of(&case.events);
        assert!(matches!(state, AppState::Approved | AppState::Rejected));
        let permits = app.store.count_permits().await.unwrap_or_default();
        assert_eq!(permits, i64::from(state == AppState::Approved));
        // Every attempt, won or refused, is in the audit log, and the chain is intact.
        let entries = app.store.audit_entries().await.unwrap_or_default();
        let attempts = entries
            .iter()
            .filter(|e| e.action == "case.approve" || e.action == "case.reject")
            .count();
        assert_eq!(attempts, deciders);
        assert!(matches!(app.store.verify_audit().await, Ok(Ok(_))));
    }
}
