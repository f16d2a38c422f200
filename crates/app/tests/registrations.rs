//! The diarium gives each case one number, in one series per year without gaps or
//! duplicates, however many register at once — on SQLite and (when CI provides
//! `HDAB_TEST_POSTGRES_URL`) on PostgreSQL.

use chrono::{TimeZone, Utc};
use hdab_app::App;
use hdab_app::registrations::DiariumFormat;
use hdab_test_support::fresh_databases;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_registrations_get_one_number_each_without_gaps_and_years_start_over() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let format = DiariumFormat::default();
    let written = move |year: i32, seq: i64| format.write(year, seq);
    for (backend, settings) in fresh_databases(dir.path()).await {
        std::fs::create_dir_all(&settings.data_dir).unwrap_or_else(|e| panic!("{e}"));
        let app = App::open(settings).await.unwrap_or_else(|e| panic!("{e}"));
        let at = Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 0, 0)
            .single()
            .unwrap_or_default();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = app.store.clone();
                let written = written.clone();
                tokio::spawn(async move {
                    store
                        .register(&format!("A-{i}"), "application", at, &written)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"))
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for t in tasks {
            numbers.push(t.await.unwrap_or_else(|e| panic!("{e}")));
        }
        numbers.sort();
        let expected: Vec<String> = (1..=16).map(|s| format!("2026/{s:05}")).collect();
        assert_eq!(numbers, expected, "{backend}");
        // Registering again gives the same number.
        let before = app.store.registration("A-3").await.unwrap_or_default();
        let again = app
            .store
            .register("A-3", "application", at, &written)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Some(again), before, "{backend}");
        // A new year, a new series.
        let new_year = Utc
            .with_ymd_and_hms(2027, 1, 1, 0, 5, 0)
            .single()
            .unwrap_or_default();
        let first = app
            .store
            .register("D-1", "data_request", new_year, &written)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first, "2027/00001", "{backend}");
    }
}
