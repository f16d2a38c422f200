//! The readers of documents hdab reads back: a delivery's manifest (JSON), a permit and its
//! extraction spec (JSON, as stored), an application and a dataset description (TOML).
//! Never a panic; what parses is checked the way hdab uses it.
#![no_main]

use hdab_permits::{ApplicationContent, ExtractionSpec, Permit};
use hdab_pipeline::Manifest;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        let _ = m.rows.balances();
        let _ = serde_json::to_vec(&m);
    }
    if let Ok(p) = serde_json::from_slice::<Permit>(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2029, 1, 1).unwrap_or_default();
        let _ = p.check_usable(today);
        let _ = p.spec.digest();
        let _ = p.spec.is_narrowing(&p.spec);
    }
    if let Ok(s) = serde_json::from_slice::<ExtractionSpec>(data) {
        let _ = s.is_narrowing(&s);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = toml::from_str::<ApplicationContent>(text) {
        let _ = a.completeness_problems(&|_| None);
    }
    if let Ok(d) = hdab_catalog::DatasetDescription::from_toml(text) {
        let _ = d.variables.len();
    }
});
