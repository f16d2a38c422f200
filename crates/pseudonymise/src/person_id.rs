//! Swedish personnummer and samordningsnummer.
//!
//! A [`PersonId`] can only be made by [`PersonId::parse`], so holding one proves the number
//! is well formed: a real calendar date (day + 60 for samordningsnummer) and a correct Luhn
//! check digit. Its `Debug` and `Display` never print the number; the digits come out only
//! through [`PersonId::canonical`], which the keyed hash and the opt-out registry use.
//!
//! Century: a 12-digit form carries it. A 10-digit form does not: the person is taken to be
//! the youngest possible age on the reference date (the date the holder extracted the file),
//! or 100 years older when the separator is `+`. The reference date is always passed in,
//! never read from the clock, so the same file parses the same way on any day.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Why a value in an identifier column is not a usable personnummer or samordningsnummer.
///
/// The variants are the reasons the manifest counts; they name the problem, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdRejection {
    /// Empty or only white space.
    Empty,
    /// Shaped like a personnummer but the Luhn check digit is wrong.
    BadCheckDigit,
    /// Shaped like a personnummer but the date part is not a real date.
    ImpossibleDate,
    /// A regional reservnummer (temporary number in care), which has no national standard.
    Reservnummer,
    /// Anything else: wrong length, letters, stray characters.
    Unparseable,
}

impl IdRejection {
    /// All reasons, in the order reports list them.
    pub const ALL: [IdRejection; 5] = [
        IdRejection::Empty,
        IdRejection::BadCheckDigit,
        IdRejection::ImpossibleDate,
        IdRejection::Reservnummer,
        IdRejection::Unparseable,
    ];

    /// A stable snake_case name, used as a key in manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IdRejection::Empty => "empty",
            IdRejection::BadCheckDigit => "bad_check_digit",
            IdRejection::ImpossibleDate => "impossible_date",
            IdRejection::Reservnummer => "reservnummer",
            IdRejection::Unparseable => "unparseable",
        }
    }
}

impl fmt::Display for IdRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            IdRejection::Empty => "the identifier is empty",
            IdRejection::BadCheckDigit => "the check digit is wrong",
            IdRejection::ImpossibleDate => "the date part is not a real date",
            IdRejection::Reservnummer => "a reservnummer, not a personnummer",
            IdRejection::Unparseable => "not a personnummer or samordningsnummer",
        };
        f.write_str(text)
    }
}

impl std::error::Error for IdRejection {}

/// Which national identifier a [`PersonId`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    Personnummer,
    Samordningsnummer,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Personnummer => "personnummer",
            IdKind::Samordningsnummer => "samordningsnummer",
        }
    }
}

/// A valid personnummer or samordningsnummer, held as its canonical 12 ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId {
    digits: [u8; 12],
}

impl fmt::Debug for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonId({}, <redacted>)", self.kind().as_str())
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted person id>")
    }
}

impl PersonId {
    /// Parses any written form holders use: `YYYYMMDD-NNNC`, `YYYYMMDDNNNC`, `YYMMDD-NNNC`,
    /// `YYMMDD+NNNC`, `YYMMDDNNNC`, with surrounding white space.
    ///
    /// `reference` is the date the extract was made; it decides the century of 10-digit forms.
    pub fn parse(text: &str, reference: NaiveDate) -> Result<PersonId, IdRejection> {
        let text = text.trim();
        if text.is_empty() {
            return Err(IdRejection::Empty);
        }
        let bytes = text.as_bytes();
        // Split off one separator between date part and birth number, if any (on the
        // stack: this runs once per row of every extraction).
        let mut buffer = [0u8; 13];
        let (len, separator) = match bytes.len() {
            11 | 13 if matches!(bytes[bytes.len() - 5], b'-' | b'+') => {
                let cut = bytes.len() - 5;
                buffer[..cut].copy_from_slice(&bytes[..cut]);
                buffer[cut..cut + 4].copy_from_slice(&bytes[cut + 1..]);
                (cut + 4, Some(bytes[cut]))
            }
            n if n <= buffer.len() => {
                buffer[..n].copy_from_slice(bytes);
                (n, None)
            }
            _ if bytes.iter().all(u8::is_ascii_digit) => return Err(IdRejection::Unparseable),
            _ => return Err(classify_non_numeric(bytes)),
        };
        let digits = &buffer[..len];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(classify_non_numeric(bytes));
        }
        if digits.first() == Some(&b'9') && digits.get(1) == Some(&b'9') && digits.len() == 12 {
            // Regions hand out 99…-prefixed reservnummer; no one is born in the year 99xx.
            return Err(IdRejection::Reservnummer);
        }
        let (century, short): (Option<u32>, &[u8]) = match digits.len() {
            12 => {
                if separator == Some(b'+') {
                    // `+` only makes sense in the 10-digit form.
                    return Err(IdRejection::Unparseable);
                }
                let century = two_digits(&digits[0..2]);
                if !(18..=20).contains(&century) {
                    // Stored numbers carry the century 18, 19 or 20; anything else is not one.
                    return Err(IdRejection::Unparseable);
                }
                (Some(century), &digits[2..])
            }
            10 => (None, digits),
            _ => return Err(IdRejection::Unparseable),
        };
        if luhn_check_digit(&short[..9]) != short[9] - b'0' {
            // The date might be impossible too; the check digit is the first thing we know is wrong.
            return Err(IdRejection::BadCheckDigit);
        }
        let yy = two_digits(&short[0..2]);
        let month = two_digits(&short[2..4]);
        let raw_day = two_digits(&short[4..6]);
        let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
        let full_year = match century {
            Some(c) => c * 100 + yy,
            None => century_for(yy, month, day, separator == Some(b'+'), reference),
        };
        let Some(birth) = NaiveDate::from_ymd_opt(full_year as i32, month, day) else {
            return Err(IdRejection::ImpossibleDate);
        };
        if birth > reference {
            // Not born yet on the day the extract was made.
            return Err(IdRejection::ImpossibleDate);
        }
        let mut out = [0u8; 12];
        let century_digits = full_year / 100;
        out[0] = b'0' + (century_digits / 10) as u8;
        out[1] = b'0' + (century_digits % 10) as u8;
        out[2..].copy_from_slice(short);
        Ok(PersonId { digits: out })
    }

    /// The canonical 12 digits (`YYYYMMDDNNNC`). This is what gets hashed; never log it.
    pub fn canonical(&self) -> &[u8; 12] {
        &self.digits
    }

    /// Personnummer or samordningsnummer (day + 60).
    pub fn kind(&self) -> IdKind {
        if two_digits(&self.digits[6..8]) > 60 {
            IdKind::Samordningsnummer
        } else {
            IdKind::Personnummer
        }
    }

    /// The birth date the number encodes (for samordningsnummer, with 60 taken off the day).
    pub fn birth_date(&self) -> NaiveDate {
        let year = (two_digits(&self.digits[0..2]) * 100 + two_digits(&self.digits[2..4])) as i32;
        let month = two_digits(&self.digits[4..6]);
        let raw_day = two_digits(&self.digits[6..8]);
        let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
        // parse() only builds PersonIds whose date exists.
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
    }

    /// Legal sex as the birth number encodes it: odd = male, even = female.
    pub fn is_birth_number_odd(&self) -> bool {
        (self.digits[10] - b'0') % 2 == 1
    }

    /// The written forms holders use, for tests and test vectors: 12 digits with and
    /// without `-`, and the 10-digit form with the separator a reader on `reference` would
    /// write. The 10-digit form only exists below the age of 200: `+` covers one century
    /// (found by the fuzzer: `18180519-9971` on a 2024 reference date).
    pub fn written_forms(&self, reference: NaiveDate) -> Vec<String> {
        let d = std::str::from_utf8(&self.digits).unwrap_or_default();
        let age_years = reference.year() - self.birth_date().year();
        let mut forms = vec![
            d.to_string(),
            format!("{}-{}", &d[..8], &d[8..]),
            format!(" {} ", d),
        ];
        if age_years < 200 {
            let sep = if age_years >= 100 { '+' } else { '-' };
            forms.push(format!("{}{}{}", &d[2..8], sep, &d[8..]));
        }
        forms
    }
}

/// Luhn over the nine digits `YYMMDDNNN`, weights 2,1,2,… from the left.
pub fn luhn_check_digit(nine: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, b) in nine.iter().enumerate() {
        let mut v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
        if v > 9 {
            v -= 9;
        }
        sum += v;
    }
    ((10 - (sum % 10)) % 10) as u8
}

fn two_digits(b: &[u8]) -> u32 {
    u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0')
}

/// Century of a 10-digit form. Skatteverket writes `+` from the year a person turns 100, so
/// `+` means the latest year ending in `yy` at least 100 years before the reference year.
/// `-` (or no separator) means the latest year ending in `yy` whose date is not after the
/// reference date: someone born "240601" on an extract made 2024-03-31 was born in 1924.
fn century_for(yy: u32, month: u32, day: u32, plus: bool, reference: NaiveDate) -> u32 {
    let ref_year = reference.year() as u32;
    let mut year = (ref_year / 100) * 100 + yy;
    if year > ref_year {
        year -= 100;
    }
    if plus {
        return year - 100;
    }
    if year == ref_year && (month, day) > (reference.month(), reference.day()) {
        year -= 100;
    }
    year
}

fn classify_non_numeric(bytes: &[u8]) -> IdRejection {
    // Regional reservnummer carry letters in the birth-number part (e.g. `19800101-K123`,
    // `800101-R123`) or a letter prefix; only recognise the shape, never pass it through.
    let letters = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if (1..=2).contains(&letters) && digits >= 8 && bytes.len() <= 14 {
        IdRejection::Reservnummer
    } else {
        IdRejection::Unparseable
    }
}

/// True if `text` contains anything that reads as a valid personnummer or samordningsnummer
/// in any written form (10 or 12 digits, with or without `-`/`+`), anywhere inside it —
/// including inside a longer run of digits. Used by the leak scanner: it errs on the side of
/// finding. Any century is accepted (the reference date is far in the future).
pub fn contains_person_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 10 {
        return false;
    }
    let far = NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or(NaiveDate::MAX);
    let mut i = 0;
    while i < bytes.len() {
        // A maximal run of digits and separators.
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'-' | b'+')) {
            i += 1;
        }
        let run = &text[start..i];
        if run.len() >= 10 {
            for s in 0..run.len() {
                if !run.as_bytes()[s].is_ascii_digit() {
                    continue;
                }
                for len in [10, 11, 12, 13] {
                    if let Some(candidate) = run.get(s..s + len)
                        && PersonId::parse(candidate, far).is_ok()
                    {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// False only if `bytes` certainly holds no personnummer or samordningsnummer in any
/// written form: every form is ten or more bytes in a row of digits, `-` and `+`. A cheap
/// first look over many values at once (a column's whole text buffer) before
/// [`contains_person_id`] looks at each value; values run together in such a buffer can
/// only add runs, never break one.
pub fn may_contain_person_id(bytes: &[u8]) -> bool {
    const RUN: usize = 10;
    let part = |b: u8| b.is_ascii_digit() || b == b'-' || b == b'+';
    // The last byte of each window of ten is looked at first: where it cannot be part of a
    // number, no window holding it can be one, and the next ten bytes are skipped (in a
    // column of pseudonyms most bytes are letters: about one byte in ten is read).
    let mut end = RUN - 1;
    while end < bytes.len() {
        if !part(bytes[end]) {
            end += RUN;
            continue;
        }
        match (end + 1 - RUN..end).rev().find(|&j| !part(bytes[j])) {
            None => return true,
            Some(j) => end = j + RUN,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_look_never_misses_what_the_full_check_finds() {
        let found = [
            "191212121212",
            "19121212-1212",
            "121212+1212",
            "x1212121212y",
            "id:201212121212!",
        ];
        for text in found {
            assert!(contains_person_id(text), "{text}");
            assert!(may_contain_person_id(text.as_bytes()), "{text}");
        }
        // Random texts over digits, separators and letters: whenever the full check finds
        // one, so does the first look.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet = b"0123456789-+ab ";
        let mut hits = 0;
        for _ in 0..20_000 {
            let text: String = (0..24)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize] as char
                })
                .collect();
            if contains_person_id(&text) {
                hits += 1;
                assert!(may_contain_person_id(text.as_bytes()), "{text}");
            }
            // And it answers exactly "ten bytes in a row of digits, `-` and `+`".
            let runs = text
                .split(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
                .any(|run| run.len() >= 10);
            assert_eq!(may_contain_person_id(text.as_bytes()), runs, "{text}");
        }
        assert!(
            hits > 20,
            "the random texts held {hits} numbers: too few to test with"
        );
        assert!(!may_contain_person_id(b"gwvrk6po5ek2trb3zokbh6gpetigbbrm"));
        assert!(!may_contain_person_id(b"123456789"));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    const REF: (i32, u32, u32) = (2024, 6, 30);

    #[test]
    fn all_written_forms_of_one_number_agree() {
        let r = d(REF.0, REF.1, REF.2);
        // Skatteverket's well-known test number 19121212-1212.
        let forms = [
            "191212121212",
            "19121212-1212",
            "121212+1212",
            " 121212+1212 ",
        ];
        let parsed: Vec<_> = forms.iter().map(|f| PersonId::parse(f, r)).collect();
        for p in &parsed {
            assert_eq!(p.as_ref().map(|p| *p.canonical()), Ok(*b"191212121212"));
        }
    }

    #[test]
    fn ten_digit_form_takes_the_youngest_century_before_the_reference_date() {
        let r = d(REF.0, REF.1, REF.2);
        let p = PersonId::parse("121212-1212", r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.canonical(), b"201212121212");
        assert_eq!(p.birth_date(), d(2012, 12, 12));
    }

    #[test]
    fn samordningsnummer_is_recognised_by_day_plus_sixty() {
        let r = d(REF.0, REF.1, REF.2);
        let nine = b"701063239";
        let check = luhn_check_digit(nine);
        let text = format!("19701063-239{check}");
        let p = PersonId::parse(&text, r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.kind(), IdKind::Samordningsnummer);
        assert_eq!(p.birth_date(), d(1970, 10, 3));
    }

    #[test]
    fn rejections_are_classified() {
        let r = d(REF.0, REF.1, REF.2);
        assert_eq!(PersonId::parse("  ", r), Err(IdRejection::Empty));
        assert_eq!(
            PersonId::parse("19121212-1213", r),
            Err(IdRejection::BadCheckDigit)
        );
        assert_eq!(PersonId::parse("abc", r), Err(IdRejection::Unparseable));
        assert_eq!(
            PersonId::parse("19800101-K123", r),
            Err(IdRejection::Reservnummer)
        );
        // 1913-02-30 with a correct check digit.
        let nine = b"130230123";
        let text = format!("19130230-123{}", luhn_check_digit(nine));
        assert_eq!(PersonId::parse(&text, r), Err(IdRejection::ImpossibleDate));
    }

    #[test]
    fn people_born_two_centuries_before_the_extract_have_no_ten_digit_form() {
        // Found by the fuzzer: a 12-digit number from 1818 read on a 2024 extract.
        let r = d(REF.0, REF.1, REF.2);
        let p = PersonId::parse("18180519-9971", r).unwrap_or_else(|e| panic!("{e}"));
        for form in p.written_forms(r) {
            assert_eq!(PersonId::parse(&form, r), Ok(p), "{form}");
        }
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let r = d(REF.0, REF.1, REF.2);
        let p = PersonId::parse("19121212-1212", r).unwrap_or_else(|e| panic!("{e}"));
        for shown in [format!("{p:?}"), format!("{p}")] {
            assert!(!shown.contains("1212"), "{shown}");
        }
    }
}
