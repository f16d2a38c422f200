//! A permit's study population, built from the index dataset and (for controls) the
//! population register, then applied to every dataset and delivered as its own table.
//!
//! Cases: people with a valid id and a row meeting the criteria; the index date is
//! their first qualifying date; an exclusion's row shortly before it removes the case.
//! Controls: per case, `per_case` people of the register with the case's sex and birth year
//! (and county), alive and resident at the index date, who never met the criteria, drawn
//! without replacement in an order keyed by the permit (reproducible, not guessable). The
//! strata are matched in parallel (rayon); within one the cases take turns in keyed order.

use crate::PipelineError;
use crate::classify::{Classified, Prepared, classify, prepare, typed_index};
use crate::deliver::PartitionCounts;
use crate::members::{Member, MemberRole, Population, PopulationSummary};
use crate::source::session;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, Date32Array, StringArray};
use datafusion::arrow::datatypes::Date32Type;
use futures::StreamExt;
use hdab_catalog::DatasetDescription;
use hdab_permits::optout::Excluded;
use hdab_permits::{Cohort, StudyPopulation};
use hdab_pseudonymise::{DerivedKey, PersonId, registry_hash};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// One dataset the population is built from: its description and latest checked upload.
#[derive(Debug, Clone, Copy)]
pub struct PopulationSource<'a> {
    pub description: &'a DatasetDescription,
    pub upload_id: &'a str,
    pub upload_path: &'a Path,
    pub upload_sha256: &'a str,
    pub dataset_version: i64,
    pub reference_date: NaiveDate,
}

/// Everything building a population needs. Keys are derived by the caller.
#[allow(missing_debug_implementations)]
pub struct PopulationInput<'a> {
    pub spec: &'a StudyPopulation,
    pub index: PopulationSource<'a>,
    /// The population register, when controls are asked for.
    pub register: Option<PopulationSource<'a>>,
    pub registry_key: &'a DerivedKey,
    /// Orders the draw of controls (derived from the permit, not from its key version:
    /// a key rotation changes pseudonyms, never who is in the study).
    pub draw_key: &'a DerivedKey,
    pub optouts: &'a Excluded,
    pub partitions: usize,
}

/// Folds every batch of `source`, typed and classified under `cohort` (kept rows: valid id,
/// meeting the cohort; opted-out people are kept too: they stay in the population and each
/// delivery counts them as opted out, so the accounting shows them), one accumulator per
/// partition, the partitions on their own threads (both cores read and hash at once).
async fn fold_batches<A, F>(
    source: &PopulationSource<'_>,
    cohort: &Cohort,
    role: Option<&str>,
    input: &PopulationInput<'_>,
    f: F,
) -> Result<Vec<A>, PipelineError>
where
    A: Default + Send,
    F: Fn(&Classified, &Prepared, &mut A) -> Result<(), PipelineError> + Sync,
{
    let (prepared, streams) = prepare(
        source.upload_path,
        source.description,
        cohort,
        role,
        source.reference_date,
        session(input.partitions),
    )
    .await?;
    let (prepared, f, registry_key) = (&prepared, &f, input.registry_key);
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let workers: Vec<_> = streams
                .into_iter()
                .map(|mut stream| {
                    scope.spawn(move || -> Result<A, PipelineError> {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
                        runtime.block_on(async {
                            let mut acc = A::default();
                            let mut counts = PartitionCounts::default();
                            let nobody = Excluded::default();
                            while let Some(batch) = stream.next().await {
                                let c = classify(
                                    &batch?,
                                    prepared,
                                    registry_key,
                                    &nobody,
                                    &mut counts,
                                )?;
                                f(&c, prepared, &mut acc)?;
                            }
                            Ok(acc)
                        })
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(PipelineError::Unsupported(
                            "a population worker crashed".into(),
                        ))
                    })
                })
                .collect()
        })
    })
}

/// (person, date) of every kept row with a date in `column`.
fn kept_dates<'c>(
    c: &'c Classified,
    col: usize,
) -> impl Iterator<Item = (&'c PersonId, Option<i32>)> + 'c {
    let dates = c.typed.column(col).as_primitive::<Date32Type>();
    c.keep
        .iter()
        .enumerate()
        .filter(|(_, k)| k == &Some(true))
        .map(|(row, _)| row)
        .zip(&c.kept_ids)
        .map(move |(row, id)| (id, (!dates.is_null(row)).then(|| dates.value(row))))
}

/// Builds the population (see the module's description).
pub async fn build_population(input: &PopulationInput<'_>) -> Result<Population, PipelineError> {
    let spec = input.spec;
    // Cases: the first qualifying date per person.
    let mut first: HashMap<PersonId, i32> = HashMap::new();
    let parts = fold_batches(
        &input.index,
        &spec.criteria,
        spec.person_role.as_deref(),
        input,
        |c, p, acc: &mut HashMap<PersonId, i32>| {
            let col = typed_index(p, &spec.index_date)?;
            for (id, day) in kept_dates(c, col) {
                if let Some(day) = day {
                    acc.entry(*id)
                        .and_modify(|d| *d = (*d).min(day))
                        .or_insert(day);
                }
            }
            Ok(())
        },
    )
    .await?;
    for part in parts {
        for (id, day) in part {
            first
                .entry(id)
                .and_modify(|d| *d = (*d).min(day))
                .or_insert(day);
        }
    }
    let mut summary = PopulationSummary {
        qualifying: first.len() as u64,
        ..PopulationSummary::default()
    };
    // Exclusions look back from each index date.
    let mut excluded: HashSet<PersonId> = HashSet::new();
    for e in &spec.exclusions {
        let cohort = Cohort {
            conditions: e.conditions.clone(),
        };
        let first = &first;
        let parts = fold_batches(
            &input.index,
            &cohort,
            spec.person_role.as_deref(),
            input,
            |c, p, acc: &mut HashSet<PersonId>| {
                let col = typed_index(p, &spec.index_date)?;
                for (id, day) in kept_dates(c, col) {
                    if let (Some(day), Some(index)) = (day, first.get(id))
                        && day < *index
                        && day >= index - e.days_before as i32
                    {
                        acc.insert(*id);
                    }
                }
                Ok(())
            },
        )
        .await?;
        excluded.extend(parts.into_iter().flatten());
    }
    summary.excluded = excluded.len() as u64;
    let rank = |p: &PersonId| -> u64 {
        let h = registry_hash(input.draw_key, p);
        u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
    };
    let mut cases: Vec<(u64, PersonId, i32)> = first
        .iter()
        .filter(|(p, _)| !excluded.contains(*p))
        .map(|(p, d)| (rank(p), *p, *d))
        .collect();
    cases.sort_unstable_by_key(|(r, p, _)| (*r, *p.canonical()));
    summary.cases = cases.len() as u64;
    let mut members: HashMap<PersonId, Member> = HashMap::with_capacity(cases.len());
    for (i, (_, p, day)) in cases.iter().enumerate() {
        members.insert(
            *p,
            Member {
                role: MemberRole::Case,
                index_day: *day,
                set: i as u32 + 1,
            },
        );
    }
    if let (Some(controls), Some(register)) = (&spec.controls, &input.register) {
        let pools = candidate_pools(input, register, controls, &first, &members, &rank).await?;
        let drawn = draw_controls(input, controls, &members, pools);
        summary.controls = drawn.members.len() as u64;
        summary.cases_short_of_controls = drawn.short;
        summary.cases_not_in_register = drawn.not_in_register;
        members.extend(drawn.members);
    }
    let digest = digest_of(&members, input.registry_key);
    Ok(Population {
        members: Arc::new(members),
        summary,
        digest,
    })
}

/// A person of the register who could be drawn, with the days of their life in Sweden.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rank: u64,
    id: PersonId,
    born: i32,
    immigrated: i32,
    left: i32,
}

impl Candidate {
    /// Alive and resident in Sweden on `day`.
    fn eligible_on(&self, day: i32) -> bool {
        self.born <= day && self.immigrated <= day && day < self.left
    }
}

/// Sex, birth year and (when matched) county.
type Stratum = (String, i32, String);

struct Drawn {
    members: Vec<(PersonId, Member)>,
    short: u64,
    not_in_register: u64,
}

type Pools = (HashMap<Stratum, Vec<Candidate>>, HashMap<PersonId, Stratum>);

/// One pass over the register: every possible control in the pool of their stratum (never a
/// case, never anyone who met the criteria), and the stratum of every case.
async fn candidate_pools(
    input: &PopulationInput<'_>,
    register: &PopulationSource<'_>,
    controls: &hdab_permits::Controls,
    qualifying: &HashMap<PersonId, i32>,
    cases: &HashMap<PersonId, Member>,
    rank: &(dyn Fn(&PersonId) -> u64 + Sync),
) -> Result<Pools, PipelineError> {
    let cols = &controls.columns;
    let parts = fold_batches(
        register,
        &Cohort::default(),
        None,
        input,
        |c, p, acc: &mut Pools| {
            let (pools, case_strata) = acc;
            let text = |name: &str| -> Result<&StringArray, PipelineError> {
                Ok(c.typed.column(typed_index(p, name)?).as_string::<i32>())
            };
            let date = |name: &str| -> Result<&Date32Array, PipelineError> {
                Ok(c.typed
                    .column(typed_index(p, name)?)
                    .as_primitive::<Date32Type>())
            };
            let (sex, county) = (text(&cols.sex)?, text(&cols.county)?);
            let (birth, immigration) = (date(&cols.birth_date)?, date(&cols.immigration)?);
            let (emigration, death) = (date(&cols.emigration)?, date(&cols.death)?);
            let kept = c
                .keep
                .iter()
                .enumerate()
                .filter(|(_, k)| k == &Some(true))
                .map(|(row, _)| row);
            for (row, id) in kept.zip(&c.kept_ids) {
                let born = if birth.is_null(row) {
                    crate::values::date32(id.birth_date())
                } else {
                    birth.value(row)
                };
                let year = chrono::NaiveDate::from_num_days_from_ce_opt(born + 719_163)
                    .map(|d| chrono::Datelike::year(&d))
                    .unwrap_or_default();
                let stratum = (
                    if sex.is_null(row) {
                        String::new()
                    } else {
                        sex.value(row).to_string()
                    },
                    year,
                    if controls.match_county && !county.is_null(row) {
                        county.value(row).to_string()
                    } else {
                        String::new()
                    },
                );
                if cases.contains_key(id) {
                    case_strata.insert(*id, stratum);
                    continue;
                }
                // Never a case (whether someone opted out is asked only of those drawn).
                if qualifying.contains_key(id) {
                    continue;
                }
                let day = |a: &Date32Array, missing: i32| {
                    if a.is_null(row) {
                        missing
                    } else {
                        a.value(row)
                    }
                };
                pools.entry(stratum).or_default().push(Candidate {
                    rank: rank(id),
                    id: *id,
                    born,
                    immigrated: day(immigration, i32::MIN),
                    left: day(emigration, i32::MAX).min(day(death, i32::MAX)),
                });
            }
            Ok(())
        },
    )
    .await?;
    let mut pools: HashMap<Stratum, Vec<Candidate>> = HashMap::new();
    let mut case_strata: HashMap<PersonId, Stratum> = HashMap::new();
    for (p, c) in parts {
        for (stratum, candidates) in p {
            pools.entry(stratum).or_default().extend(candidates);
        }
        case_strata.extend(c);
    }
    Ok((pools, case_strata))
}

/// Draws each case's controls from the pools of its stratum.
fn draw_controls(
    input: &PopulationInput<'_>,
    controls: &hdab_permits::Controls,
    cases: &HashMap<PersonId, Member>,
    (mut pools, case_strata): Pools,
) -> Drawn {
    let mut by_stratum: HashMap<&Stratum, Vec<(&PersonId, &Member)>> = HashMap::new();
    let mut not_in_register = 0;
    for (p, m) in cases {
        // An opted-out case is never delivered: controls for it would be data for nothing.
        if input
            .optouts
            .contains(&registry_hash(input.registry_key, p))
        {
            continue;
        }
        match case_strata.get(p) {
            Some(s) => by_stratum.entry(s).or_default().push((p, m)),
            None => not_in_register += 1,
        }
    }
    let per_case = controls.per_case as usize;
    // Each stratum with cases takes its pool; the others are freed before matching.
    let work: Vec<_> = by_stratum
        .into_iter()
        .map(|(stratum, in_stratum)| (in_stratum, pools.remove(stratum).unwrap_or_default()))
        .collect();
    drop(pools);
    let results: Vec<(Vec<(PersonId, Member)>, u64)> = work
        .into_par_iter()
        .map(|(in_stratum, pool)| match_stratum(in_stratum, pool, per_case, input))
        .collect();
    let mut out = Drawn {
        members: Vec::new(),
        short: not_in_register,
        not_in_register,
    };
    for (drawn, short) in results {
        out.members.extend(drawn);
        out.short += short;
    }
    out
}

/// The controls of one stratum's cases, in the permit's keyed order: each case in turn takes
/// the first `per_case` unused candidates eligible on its index date; returns them and how
/// many cases got fewer.
fn match_stratum(
    mut in_stratum: Vec<(&PersonId, &Member)>,
    mut pool: Vec<Candidate>,
    per_case: usize,
    input: &PopulationInput<'_>,
) -> (Vec<(PersonId, Member)>, u64) {
    in_stratum.sort_unstable_by_key(|(_, m)| m.set);
    pool.sort_unstable_by_key(|c| (c.rank, *c.id.canonical()));
    let mut used = vec![false; pool.len()];
    let mut drawn = Vec::new();
    let mut short = 0;
    for (_, case) in in_stratum {
        let mut n = 0;
        for (i, cand) in pool.iter().enumerate() {
            if n == per_case {
                break;
            }
            if !used[i] && cand.eligible_on(case.index_day) {
                used[i] = true;
                // Never someone who opted out: they could not be delivered.
                if input
                    .optouts
                    .contains(&registry_hash(input.registry_key, &cand.id))
                {
                    continue;
                }
                n += 1;
                drawn.push((
                    cand.id,
                    Member {
                        role: MemberRole::Control,
                        index_day: case.index_day,
                        set: case.set,
                    },
                ));
            }
        }
        if n < per_case {
            short += 1;
        }
    }
    (drawn, short)
}

/// SHA-256 over every member (by registry hash, so it names no one), in hash order.
fn digest_of(members: &HashMap<PersonId, Member>, registry_key: &DerivedKey) -> String {
    let mut rows: Vec<([u8; 32], &Member)> = members
        .iter()
        .map(|(p, m)| (registry_hash(registry_key, p), m))
        .collect();
    rows.sort_unstable_by_key(|(h, _)| *h);
    let mut h = Sha256::new();
    for (hash, m) in rows {
        h.update(hash);
        h.update([m.role as u8]);
        h.update(m.index_day.to_be_bytes());
        h.update(m.set.to_be_bytes());
    }
    hex::encode(h.finalize())
}
