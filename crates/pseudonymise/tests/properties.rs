//! Property tests of the identifier parser and the pseudonym function.

use chrono::{Datelike, NaiveDate};
use hdab_pseudonymise::{
    IdKind, IdRejection, MasterKey, PersonId, luhn_check_digit, permit_context, pseudonym,
};
use proptest::prelude::*;

fn reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()
}

/// A valid number: birth date, birth number, coordination or not → its 12 canonical digits.
fn valid_number() -> impl Strategy<Value = (NaiveDate, String)> {
    (0i64..(175 * 365), 0u32..1000, any::<bool>()).prop_map(|(days, nnn, coordination)| {
        let birth =
            NaiveDate::from_ymd_opt(1850, 1, 1).unwrap_or_default() + chrono::Duration::days(days);
        let birth = birth.min(reference());
        let day = birth.day() + if coordination { 60 } else { 0 };
        let nine = format!(
            "{:02}{:02}{:02}{nnn:03}",
            birth.year() % 100,
            birth.month(),
            day
        );
        let check = luhn_check_digit(nine.as_bytes());
        (birth, format!("{:02}{nine}{check}", birth.year() / 100))
    })
}

/// The forms holders write, with the separator Skatteverket's rule gives on `reference`.
fn forms(birth: NaiveDate, canonical: &str) -> Vec<String> {
    let sep = if reference().year() - birth.year() >= 100 {
        '+'
    } else {
        '-'
    };
    let mut forms = vec![
        canonical.to_string(),
        format!("{}-{}", &canonical[..8], &canonical[8..]),
        format!("{}{sep}{}", &canonical[2..8], &canonical[8..]),
        format!("  {canonical}\t"),
    ];
    if sep == '-' {
        forms.push(canonical[2..].to_string());
    }
    forms
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_valid_number_is_accepted_in_every_form((birth, canonical) in valid_number()) {
        for form in forms(birth, &canonical) {
            let parsed = PersonId::parse(&form, reference());
            prop_assert_eq!(parsed.map(|p| *p.canonical()).ok(), canonical.as_bytes().try_into().ok());
        }
    }

    #[test]
    fn round_trips_keep_kind_and_birth_date((birth, canonical) in valid_number()) {
        let p = PersonId::parse(&canonical, reference()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(p.birth_date(), birth);
        let day: u32 = canonical[6..8].parse().unwrap_or(0);
        prop_assert_eq!(p.kind() == IdKind::Samordningsnummer, day > 60);
        for form in p.written_forms(reference()) {
            prop_assert_eq!(PersonId::parse(&form, reference()).ok(), Some(p));
        }
    }

    #[test]
    fn every_single_digit_change_is_caught_by_the_check_digit(
        (_, canonical) in valid_number(), position in 2usize..12, delta in 1u8..10
    ) {
        let mut bytes = canonical.into_bytes();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap_or_default();
        prop_assert_eq!(PersonId::parse(&changed, reference()), Err(IdRejection::BadCheckDigit));
    }

    #[test]
    fn arbitrary_text_never_panics_and_never_passes_unchecked(text in "\\PC{0,20}") {
        if let Ok(p) = PersonId::parse(&text, reference()) {
            // Whatever is accepted has a correct check digit over its last ten digits.
            let c = p.canonical();
            prop_assert_eq!(luhn_check_digit(&c[2..11]), c[11] - b'0');
        }
    }

    #[test]
    fn near_miss_text_never_panics(text in "[0-9+\\- ]{8,15}") {
        let _ = PersonId::parse(&text, reference());
    }

    #[test]
    fn pseudonyms_agree_within_a_permit_and_differ_across((birth, canonical) in valid_number()) {
        let key = MasterKey::from_bytes([42; 32]);
        let a = key.derive(&permit_context("P-1", 1));
        let b = key.derive(&permit_context("P-2", 1));
        let forms = forms(birth, &canonical);
        let first = PersonId::parse(&forms[0], reference()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for form in &forms {
            let p = PersonId::parse(form, reference()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(pseudonym(&a, &p), pseudonym(&a, &first));
        }
        prop_assert_ne!(pseudonym(&a, &first), pseudonym(&b, &first));
    }
}
