//! The demo's study population, computed here independently from the raw sample files (own
//! personnummer normalisation, own criteria, own matching check), against what was
//! delivered: every delivered person is in it, every case meets the criteria, every control
//! matches its case and was eligible, rows outside a window are absent, and the delivered
//! population table agrees.

use crate::support::{Hdab, delivered_rows, repo};
use chrono::{Datelike, Duration, NaiveDate};
use hdab_pseudonymise::{PersonId, permit_context, pseudonym};
use std::collections::{BTreeMap, HashMap, HashSet};

const PERMIT: &str = "P-2026-0001";

/// A Swedish personnummer or samordningsnummer in any written form, as 12 canonical digits
/// (century from the 2024-03-31 extract date; `+` for 100 years or older), or `None`.
fn normalise(written: &str) -> Option<String> {
    let t = written.trim();
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let plus = t.contains('+');
    let twelve = match digits.len() {
        12 => digits,
        10 => {
            let yy: i32 = digits[..2].parse().ok()?;
            let (month, day): (u32, u32) = (digits[2..4].parse().ok()?, digits[4..6].parse().ok()?);
            // Skatteverket's rule: `+` from the year the person turns 100; otherwise the
            // latest century that does not put the birth after the extract date.
            let mut year = 2000 + yy;
            while year > if plus { 1924 } else { 2024 } {
                year -= 100;
            }
            if !plus && (year, month, day % 60) > (2024, 3, 31) {
                year -= 100;
            }
            format!("{}{}", year / 100, digits)
        }
        _ => return None,
    };
    if !matches!(&twelve[..2], "18" | "19" | "20") {
        return None;
    }
    let month: u32 = twelve[4..6].parse().ok()?;
    let mut day: u32 = twelve[6..8].parse().ok()?;
    if day > 60 {
        day -= 60;
    }
    let year: i32 = twelve[..4].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)?;
    // Luhn over the last ten digits.
    let sum: u32 = twelve[2..]
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            if v > 9 { v - 9 } else { v }
        })
        .sum();
    sum.is_multiple_of(10).then_some(twelve)
}

fn birth_of(canonical: &str) -> NaiveDate {
    let day: u32 = canonical[6..8].parse().unwrap();
    NaiveDate::from_ymd_opt(
        canonical[..4].parse().unwrap(),
        canonical[4..6].parse().unwrap(),
        if day > 60 { day - 60 } else { day },
    )
    .unwrap()
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y%m%d").ok()
}

fn csv(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(repo().join("sample-data").join(name))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

fn has_mi(codes: &[&String]) -> bool {
    codes
        .iter()
        .any(|c| c.starts_with("I21") || c.starts_with("I22"))
}

#[test]
fn the_delivered_population_is_exactly_the_one_the_sample_defines() {
    let hdab = Hdab::demo();
    let master = hdab.master_key();
    let key = master.derive(&permit_context(PERMIT, 1));
    let pseudonym_of = |canonical: &str| {
        pseudonym(
            &key,
            &PersonId::parse(canonical, crate::support::reference()).unwrap(),
        )
    };
    let opted_out: HashSet<String> =
        std::fs::read_to_string(repo().join("sample-data/optouts.txt"))
            .unwrap()
            .lines()
            .filter_map(normalise)
            .collect();

    // Cases: an infarction code in any diagnosis, admitted 2016–2023, 18 or older on
    // 2020-01-01; index date the first such admission; none within five years before.
    let at = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let inpatient = csv("slutenvard.csv");
    let mut index: HashMap<String, NaiveDate> = HashMap::new();
    for f in &inpatient {
        let (Some(id), Some(admitted)) = (normalise(&f[0]), date(&f[3])) else {
            continue;
        };
        let b = birth_of(&id);
        let age = at.year() - b.year() - i32::from((at.month(), at.day()) < (b.month(), b.day()));
        if has_mi(&[&f[5], &f[6], &f[7]]) && (2016..=2023).contains(&admitted.year()) && age >= 18 {
            let e = index.entry(id).or_insert(admitted);
            *e = (*e).min(admitted);
        }
    }
    let qualifying: HashSet<String> = index.keys().cloned().collect();
    for f in &inpatient {
        let (Some(id), Some(admitted)) = (normalise(&f[0]), date(&f[3])) else {
            continue;
        };
        if let Some(i) = index.get(&id).copied()
            && has_mi(&[&f[5], &f[6], &f[7]])
            && admitted < i
            && admitted >= i - Duration::days(1826)
        {
            index.remove(&id);
        }
    }
    let cases: HashMap<String, NaiveDate> = index
        .into_iter()
        .filter(|(id, _)| !opted_out.contains(id))
        .collect();
    assert!(cases.len() > 100, "{} cases", cases.len());

    // The population register, by person.
    struct Resident {
        sex: String,
        birth: NaiveDate,
        immigrated: Option<NaiveDate>,
        emigrated: Option<NaiveDate>,
        died: Option<NaiveDate>,
    }
    let register: HashMap<String, Resident> = csv("befolkning.csv")
        .iter()
        .filter_map(|f| {
            Some((
                normalise(&f[0])?,
                Resident {
                    sex: f[1].clone(),
                    birth: date(&f[2])?,
                    immigrated: date(&f[4]),
                    emigrated: date(&f[5]),
                    died: date(&f[6]),
                },
            ))
        })
        .collect();
    let by_pseudonym: HashMap<String, String> = register
        .keys()
        .chain(cases.keys())
        .map(|id| (pseudonym_of(id), id.clone()))
        .collect();

    // The delivered population table.
    let spe = hdab.spe().join(PERMIT);
    let table = delivered_rows(&spe.join("population"));
    let mut sets: BTreeMap<String, Vec<(String, String, NaiveDate)>> = BTreeMap::new();
    let mut members: HashMap<String, NaiveDate> = HashMap::new();
    for r in &table {
        let id = by_pseudonym
            .get(&r["pseudonym"])
            .unwrap_or_else(|| panic!("a delivered pseudonym of no sample person"))
            .clone();
        let d = NaiveDate::parse_from_str(&r["index_date"], "%Y-%m-%d").unwrap();
        assert!(
            members.insert(id.clone(), d).is_none(),
            "a person twice in the population"
        );
        sets.entry(r["matched_set"].clone())
            .or_default()
            .push((r["role"].clone(), id, d));
    }
    // Every case exactly, with its index date.
    let delivered_cases: HashMap<String, NaiveDate> = table
        .iter()
        .filter(|r| r["role"] == "case")
        .map(|r| {
            (
                by_pseudonym[&r["pseudonym"]].clone(),
                NaiveDate::parse_from_str(&r["index_date"], "%Y-%m-%d").unwrap(),
            )
        })
        .collect();
    let differ: Vec<String> = cases
        .iter()
        .filter(|(id, d)| delivered_cases.get(*id) != Some(d))
        .map(|(id, d)| {
            format!(
                "expected case {id} on {d}, delivered {:?}",
                delivered_cases.get(id)
            )
        })
        .chain(
            delivered_cases
                .keys()
                .filter(|id| !cases.contains_key(*id))
                .map(|id| format!("delivered case {id} is no case")),
        )
        .take(5)
        .collect();
    assert!(
        differ.is_empty(),
        "the cases and their index dates: {differ:#?}"
    );
    // Every control: two per case, same sex and birth year, alive and resident at the
    // index date, never a case, not opted out, drawn once.
    let mut controls = 0;
    for (set, people) in &sets {
        let case: Vec<_> = people
            .iter()
            .filter(|(role, _, _)| role == "case")
            .collect();
        assert_eq!(case.len(), 1, "set {set} has one case");
        let (_, case_id, index_date) = case[0];
        let c = &register[case_id];
        let matched: Vec<_> = people
            .iter()
            .filter(|(role, _, _)| role == "control")
            .collect();
        assert_eq!(matched.len(), 2, "set {set}: two controls");
        for (_, id, d) in matched {
            controls += 1;
            let r = &register[id];
            assert_eq!(d, index_date, "a control carries its case's index date");
            assert_eq!(r.sex, c.sex, "set {set}: sex matches");
            assert_eq!(
                r.birth.year(),
                c.birth.year(),
                "set {set}: birth year matches"
            );
            assert!(r.birth <= *d && r.immigrated.is_none_or(|i| i <= *d));
            assert!(
                r.emigrated.is_none_or(|e| e > *d),
                "resident at the index date"
            );
            assert!(r.died.is_none_or(|x| x > *d), "alive at the index date");
            assert!(!qualifying.contains(id), "a control is never a case");
            assert!(!opted_out.contains(id), "a control has not opted out");
        }
    }
    assert_eq!(controls, 2 * cases.len());

    // Every delivered person of every dataset is in the population; rows outside a window
    // are absent; and the dispensings are exactly those the permit allows.
    for dataset in ["slutenvard", "lakemedel", "dodsorsak"] {
        for r in delivered_rows(&spe.join(dataset)) {
            let id = by_pseudonym
                .get(&r["pseudonym"])
                .unwrap_or_else(|| panic!("{dataset}: a pseudonym outside the population"));
            let index_date = members
                .get(id)
                .unwrap_or_else(|| panic!("{dataset}: a person outside the population"));
            let window = match dataset {
                "slutenvard" => Some(("INDATUM", -1826, 730)),
                "lakemedel" => Some(("EDATUM", -365, 730)),
                _ => None,
            };
            if let Some((column, from, to)) = window {
                let d = NaiveDate::parse_from_str(&r[column], "%Y-%m-%d").unwrap();
                let offset = (d - *index_date).num_days();
                assert!(
                    (from..=to).contains(&offset),
                    "{dataset}: a row {offset} days from the index date"
                );
            }
        }
    }
    let expected_dispensings = csv("lakemedel.csv")
        .iter()
        .filter(|f| {
            let Some(id) = normalise(&f[0]) else {
                return false;
            };
            let (Some(i), Some(d)) = (members.get(&id), date(&f[1])) else {
                return false;
            };
            let offset = (d - *i).num_days();
            ["C07", "B01AC", "C10"].iter().any(|p| f[2].starts_with(p))
                && (-365..=730).contains(&offset)
                && !opted_out.contains(&id)
        })
        .count();
    let lakemedel = delivered_rows(&spe.join("lakemedel"));
    assert_eq!(
        lakemedel.len(),
        expected_dispensings,
        "the dispensings in the window"
    );
    let record = crate::support::read_delivery(&spe.join("lakemedel")).record;
    assert!(record["rows"]["outside_population"].as_u64().unwrap() > 0);
    let population_manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(spe.join("population/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        population_manifest["rows"]["delivered"].as_u64().unwrap() as usize,
        table.len()
    );
    println!(
        "{} cases, {controls} controls; {} dispensings in the window",
        cases.len(),
        lakemedel.len()
    );
}
