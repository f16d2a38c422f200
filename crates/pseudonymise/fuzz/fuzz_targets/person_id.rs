//! Arbitrary bytes into the identifier parser and the leak detector: never a panic, and
//! whatever parses is valid (its check digit holds and it detects itself).
#![no_main]

use hdab_pseudonymise::{PersonId, contains_person_id, luhn_check_digit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reference = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default();
    if let Ok(id) = PersonId::parse(text, reference) {
        let c = id.canonical();
        assert_eq!(luhn_check_digit(&c[2..11]), c[11] - b'0');
        assert!(contains_person_id(
            std::str::from_utf8(c).unwrap_or_default()
        ));
        for form in id.written_forms(reference) {
            assert_eq!(PersonId::parse(&form, reference), Ok(id));
        }
    }
    let _ = contains_person_id(text);
});
