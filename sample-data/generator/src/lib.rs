//! Seeded generator of synthetic Swedish register extracts. Never real data.
//!
//! One population feeds three registers, as Socialstyrelsen's extracts look today:
//! the in-patient register (`slutenvard.csv`), the prescribed drug register
//! (`lakemedel.csv`) and the cause of death register (`dodsorsak.csv`), plus a list of
//! persons who opted out (`optouts.txt`, as a citizen service sends it) and the total
//! population register (`befolkning.csv`, as SCB's RTB: everyone in the registers and as
//! many again who never met care, with sex, birth date, county, immigration, emigration
//! and death), from which matched controls are drawn. Identifiers come in
//! the mixed written forms holders really use, with a few samordningsnummer, some invalid
//! numbers and reservnummer. The same seed gives the same bytes; rows are streamed to the
//! writers, so any size can be made (millions of rows for benchmarks).

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

/// The date the synthetic holder made its extract; decides the century of 10-digit numbers.
pub fn extract_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub seed: u64,
    pub persons: u64,
    /// Mean in-patient episodes per person.
    pub inpatient_per_person: f64,
    /// Mean dispensings per person.
    pub dispensings_per_person: f64,
    /// Share of persons who have opted out of secondary use.
    pub optout_share: f64,
    /// Persons in the population register only (no care events), per person of the
    /// registers.
    pub population_extra_per_person: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 20_291_001,
            persons: 2_000,
            inpatient_per_person: 2.0,
            dispensings_per_person: 8.0,
            optout_share: 0.03,
            population_extra_per_person: 3,
        }
    }
}

/// Rows written per register.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub inpatient: u64,
    pub dispensings: u64,
    pub deaths: u64,
    pub optouts: u64,
    pub population: u64,
}

struct Person {
    birth: NaiveDate,
    birth_number: u32,
    coordination: bool,
    region: &'static str,
}

impl Person {
    fn nine_digits(&self) -> String {
        let day = self.birth.day() + if self.coordination { 60 } else { 0 };
        format!(
            "{:02}{:02}{:02}{:03}",
            self.birth.year() % 100,
            self.birth.month(),
            day,
            self.birth_number
        )
    }

    fn canonical(&self) -> String {
        let nine = self.nine_digits();
        let check = luhn(nine.as_bytes());
        format!("{:02}{nine}{check}", self.birth.year() / 100)
    }

    /// The identifier as one holder's system happens to write it on one row.
    fn written(&self, rng: &mut ChaCha8Rng) -> String {
        let c = self.canonical();
        let roll: f64 = rng.random();
        if roll < 0.010 {
            // A typo in the last digit: the check digit catches it.
            let last = c.as_bytes()[11] - b'0';
            return format!(
                "{}-{}",
                &c[..8],
                &format!("{}{}", &c[8..11], (last + 1) % 10)
            );
        }
        if roll < 0.014 {
            // A regional reservnummer.
            return format!("99{}{:06}", &c[2..6], rng.random_range(0..1_000_000));
        }
        if roll < 0.016 {
            return String::new();
        }
        self.written_valid(rng)
    }

    /// A correct written form of the number.
    fn written_valid(&self, rng: &mut ChaCha8Rng) -> String {
        let c = self.canonical();
        let sep = if extract_date().year() - self.birth.year() >= 100 {
            '+'
        } else {
            '-'
        };
        match rng.random_range(0..100) {
            0..40 => format!("{}-{}", &c[..8], &c[8..]),
            40..70 => c,
            70..90 => format!("{}{sep}{}", &c[2..8], &c[8..]),
            90..97 => c[2..].to_string(),
            _ => format!(" {}-{} ", &c[..8], &c[8..]),
        }
    }
}

fn luhn(nine: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, b) in nine.iter().enumerate() {
        let mut v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
        if v > 9 {
            v -= 9;
        }
        sum += v;
    }
    ((10 - sum % 10) % 10) as u8
}

const REGIONS: [(&str, &[&str]); 5] = [
    ("01", &["11001", "11003", "11010"]),
    ("03", &["12001"]),
    ("12", &["41001", "41002", "41012"]),
    ("14", &["51001", "51012", "53010"]),
    ("25", &["64001"]),
];

const DIAGNOSES: [(&str, u32); 20] = [
    ("I219", 6),
    ("I214", 3),
    ("I639", 4),
    ("I500", 5),
    ("I480", 5),
    ("E119", 4),
    ("J189", 6),
    ("J441", 4),
    ("C509", 2),
    ("C619", 2),
    ("S720", 3),
    ("F329", 2),
    ("K358", 3),
    ("N390", 4),
    ("O800", 2),
    ("I10", 6),
    ("G459", 2),
    ("R074", 5),
    ("K590", 2),
    ("Z380", 1),
];

const DRUGS: [(&str, &str); 12] = [
    ("C07AB02", "0,75"),
    ("C10AA01", "1"),
    ("B01AC06", "1"),
    ("A10BA02", "0,5"),
    ("N06AB06", "1"),
    ("C09AA05", "2"),
    ("R03AC02", "0,25"),
    ("J01CE02", "0,5"),
    ("N02BE01", "0,33"),
    ("H03AA01", "1"),
    ("C03CA01", "1"),
    ("B01AF01", "1"),
];

const DEATH_CAUSES: [&str; 8] = [
    "I219", "I639", "C509", "C619", "J441", "I500", "E119", "X599",
];

fn weighted<'a>(rng: &mut ChaCha8Rng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (code, w) in items {
        if pick < *w {
            return code;
        }
        pick -= w;
    }
    items[0].0
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// Number of events for a person with the given mean (geometric-like, seeded).
fn count(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let mut n = 0;
    let p = 1.0 / (1.0 + mean);
    while rng.random::<f64>() > p && n < 200 {
        n += 1;
    }
    n
}

/// Where each register is written.
#[allow(missing_debug_implementations)]
pub struct Writers<'a> {
    pub inpatient: &'a mut dyn Write,
    pub drugs: &'a mut dyn Write,
    pub deaths: &'a mut dyn Write,
    pub optouts: &'a mut dyn Write,
    pub population: &'a mut dyn Write,
}

/// Writes the registers. The writers receive `;`-separated CSV with a header row, as the
/// registers' exports look; DDD uses a decimal comma.
pub fn generate(config: &Config, w: Writers<'_>) -> io::Result<Counts> {
    let Writers {
        inpatient,
        drugs,
        deaths,
        optouts,
        population,
    } = w;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    // The population register draws from its own stream: the other registers' bytes do not
    // depend on it.
    let mut rtb = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5CB0_5CB0);
    let mut counts = Counts::default();
    let mut numbers = std::collections::HashSet::new();
    writeln!(
        inpatient,
        "PERSONNR;KON;ALDER;INDATUM;UTDATUM;HDIA;DIA1;DIA2;SJUKHUS;LAN"
    )?;
    writeln!(drugs, "PERSONNR;EDATUM;ATC;ANTAL;DDD")?;
    writeln!(deaths, "PERSONNR;DODSDAT;ULORSAK;MORSAK1")?;
    writeln!(population, "{POPULATION_HEADER}")?;
    let start = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or(NaiveDate::MIN);
    let span_days = (extract_date() - start).num_days();
    for _ in 0..config.persons {
        let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap_or(NaiveDate::MIN)
            + Duration::days(rng.random_range(0..(90 * 365)));
        let (region, hospitals) = REGIONS[rng.random_range(0..REGIONS.len())];
        let person = Person {
            birth,
            birth_number: rng.random_range(1..1000),
            coordination: rng.random::<f64>() < 0.02,
            region,
        };
        if rng.random::<f64>() < config.optout_share {
            // As a citizen service would send them: one number a line, any written form.
            writeln!(optouts, "{}", person.written_valid(&mut rng))?;
            counts.optouts += 1;
        }
        let sex = if person.birth_number % 2 == 1 {
            "1"
        } else {
            "2"
        };
        let dies = rng.random::<f64>() < 0.05 + (2024 - birth.year()) as f64 / 2000.0;
        let death_day = start + Duration::days(rng.random_range(0..span_days));
        let last_day = if dies { death_day } else { extract_date() };
        if numbers.insert(person.canonical()) {
            resident(&person, dies.then_some(death_day), &mut rtb, population)?;
            counts.population += 1;
        }
        for _ in 0..count(&mut rng, config.inpatient_per_person) {
            let admitted = start + Duration::days(rng.random_range(0..span_days));
            if admitted > last_day {
                continue;
            }
            let discharged = (admitted + Duration::days(rng.random_range(0..21))).min(last_day);
            let age = (admitted.year() - birth.year()).max(0);
            let secondary = |rng: &mut ChaCha8Rng| {
                if rng.random::<f64>() < 0.5 {
                    weighted(rng, &DIAGNOSES).to_string()
                } else {
                    String::new()
                }
            };
            let (d1, d2) = (secondary(&mut rng), secondary(&mut rng));
            writeln!(
                inpatient,
                "{};{sex};{age};{};{};{};{d1};{d2};{};{}",
                person.written(&mut rng),
                ymd(admitted),
                ymd(discharged),
                weighted(&mut rng, &DIAGNOSES),
                hospitals[rng.random_range(0..hospitals.len())],
                person.region
            )?;
            counts.inpatient += 1;
        }
        for _ in 0..count(&mut rng, config.dispensings_per_person) {
            let day = start + Duration::days(rng.random_range(0..span_days));
            if day > last_day {
                continue;
            }
            let (atc, ddd) = DRUGS[rng.random_range(0..DRUGS.len())];
            // Negative package counts are corrections in the real register, not errors.
            let packages: i32 = if rng.random::<f64>() < 0.01 {
                -1
            } else {
                rng.random_range(1..4)
            };
            writeln!(
                drugs,
                "{};{};{atc};{packages};{ddd}",
                person.written(&mut rng),
                ymd(day)
            )?;
            counts.dispensings += 1;
        }
        if dies {
            // Partial dates are common in DODSDAT: the month or the day may be unknown.
            let roll: f64 = rng.random();
            let date = if roll < 0.03 {
                format!("{}0000", death_day.year())
            } else if roll < 0.08 {
                format!("{}{:02}00", death_day.year(), death_day.month())
            } else {
                ymd(death_day)
            };
            writeln!(
                deaths,
                "{};{date};{};{}",
                person.written(&mut rng),
                DEATH_CAUSES[rng.random_range(0..DEATH_CAUSES.len())],
                if rng.random::<f64>() < 0.6 {
                    weighted(&mut rng, &DIAGNOSES)
                } else {
                    ""
                }
            )?;
            counts.deaths += 1;
        }
    }
    // Everyone else: people who never met in-patient care or a pharmacy in the period.
    for _ in 0..config.persons * config.population_extra_per_person {
        let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap_or(NaiveDate::MIN)
            + Duration::days(rtb.random_range(0..(90 * 365)));
        let person = Person {
            birth,
            birth_number: rtb.random_range(1..1000),
            coordination: false,
            region: REGIONS[rtb.random_range(0..REGIONS.len())].0,
        };
        let dies = rtb.random::<f64>() < 0.02 + (2024 - birth.year()) as f64 / 4000.0;
        let death_day = start + Duration::days(rtb.random_range(0..span_days));
        if numbers.insert(person.canonical()) {
            resident(&person, dies.then_some(death_day), &mut rtb, population)?;
            counts.population += 1;
        }
    }
    Ok(counts)
}

/// The header of `befolkning.csv`.
pub const POPULATION_HEADER: &str =
    "PERSONNR;KON;FODELSEDATUM;LAN;INVANDRINGSDATUM;UTVANDRINGSDATUM;DODSDATUM";

/// One person's row of the population register: sex from the birth number, full dates
/// (SCB keeps them), some immigrated after birth, a few emigrated.
fn resident(
    person: &Person,
    death: Option<NaiveDate>,
    rng: &mut ChaCha8Rng,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sex = if person.birth_number % 2 == 1 { 1 } else { 2 };
    let until = death.unwrap_or(extract_date());
    let span = (until - person.birth).num_days().max(1);
    let immigrated = (rng.random::<f64>() < 0.10)
        .then(|| person.birth + Duration::days(rng.random_range(0..span)));
    let emigrated = (rng.random::<f64>() < 0.03).then(|| {
        let from = immigrated.unwrap_or(person.birth);
        let days = (until - from).num_days().max(1);
        from + Duration::days(rng.random_range(0..days))
    });
    let opt = |d: Option<NaiveDate>| d.map(ymd).unwrap_or_default();
    writeln!(
        out,
        "{};{sex};{};{};{};{};{}",
        person.canonical(),
        ymd(person.birth),
        person.region,
        opt(immigrated),
        opt(emigrated.filter(|_| death.is_none())),
        opt(death)
    )
}

/// Writes the registers as files into `dir`.
pub fn write_files(config: &Config, dir: &std::path::Path) -> io::Result<Counts> {
    write_some(config, dir, &REGISTERS)
}

/// The files [`write_files`] writes, by name without `.csv`/`.txt`.
pub const REGISTERS: [&str; 5] = [
    "slutenvard",
    "lakemedel",
    "dodsorsak",
    "optouts",
    "befolkning",
];

/// Like [`write_files`], writing only the registers named in `only` (the others are
/// generated, so every register's rows stay the same, but not written): a 100M-row
/// in-patient register without the 400M-row drug register beside it.
pub fn write_some(config: &Config, dir: &std::path::Path, only: &[&str]) -> io::Result<Counts> {
    if let Some(bad) = only.iter().find(|o| !REGISTERS.contains(o)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no register '{bad}': choose from {}", REGISTERS.join(", ")),
        ));
    }
    std::fs::create_dir_all(dir)?;
    let open = |name: &str| -> io::Result<Box<dyn Write>> {
        if !only.contains(&name) {
            return Ok(Box::new(io::sink()));
        }
        let file = if name == "optouts" {
            "optouts.txt".to_string()
        } else {
            format!("{name}.csv")
        };
        Ok(Box::new(io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(dir.join(file))?,
        )))
    };
    let (mut a, mut b, mut c, mut d, mut e) = (
        open("slutenvard")?,
        open("lakemedel")?,
        open("dodsorsak")?,
        open("optouts")?,
        open("befolkning")?,
    );
    let counts = generate(
        config,
        Writers {
            inpatient: &mut a,
            drugs: &mut b,
            deaths: &mut c,
            optouts: &mut d,
            population: &mut e,
        },
    )?;
    for w in [&mut a, &mut b, &mut c, &mut d, &mut e] {
        w.flush()?;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_some_registers_writes_them_as_writing_all_would() {
        let config = Config {
            persons: 300,
            ..Config::default()
        };
        let (all, some) = (tempfile::tempdir(), tempfile::tempdir());
        let (Ok(all), Ok(some)) = (all, some) else {
            panic!("no temporary folder");
        };
        assert!(write_files(&config, all.path()).is_ok());
        assert!(write_some(&config, some.path(), &["slutenvard", "optouts"]).is_ok());
        let names = |d: &std::path::Path| {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(some.path()), ["optouts.txt", "slutenvard.csv"]);
        for f in ["optouts.txt", "slutenvard.csv"] {
            assert_eq!(
                std::fs::read(all.path().join(f)).ok(),
                std::fs::read(some.path().join(f)).ok(),
                "{f}"
            );
        }
        assert!(write_some(&config, some.path(), &["nope"]).is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let run = || {
            let mut v: [Vec<u8>; 5] = Default::default();
            let config = Config {
                persons: 200,
                ..Config::default()
            };
            let [a, b, c, d, e] = &mut v;
            generate(
                &config,
                Writers {
                    inpatient: a,
                    drugs: b,
                    deaths: c,
                    optouts: d,
                    population: e,
                },
            )
            .map(|_| v)
        };
        let (x, y) = (run().ok(), run().ok());
        assert!(x.is_some());
        assert_eq!(x, y);
    }

    #[test]
    fn generated_numbers_have_valid_check_digits() {
        let p = Person {
            birth: NaiveDate::from_ymd_opt(1912, 12, 12).unwrap_or(NaiveDate::MIN),
            birth_number: 121,
            coordination: false,
            region: "01",
        };
        assert_eq!(p.canonical(), "191212121212");
    }
}
