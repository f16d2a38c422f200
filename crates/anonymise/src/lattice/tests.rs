use super::*;
use crate::hierarchy::{Hierarchy, ValueKind};

fn quasi(name: &str, hierarchy: Hierarchy) -> Quasi {
    Quasi {
        name: name.into(),
        hierarchy,
        floor: 0,
    }
}

/// A seeded table: sex, age, admission date (2016–2018), county.
fn table(records_n: usize) -> Table {
    let mut t = Table::new(vec![
        quasi("KON", Hierarchy::parse(&[], ValueKind::Text).unwrap()),
        quasi("ALDER", Hierarchy::default_for(ValueKind::Integer)),
        quasi("INDATUM", Hierarchy::default_for(ValueKind::Date)),
        quasi(
            "LAN",
            Hierarchy::parse(&["region".into()], ValueKind::Text).unwrap(),
        ),
    ]);
    for r in records(records_n) {
        t.add(&[Some(&r[0]), Some(&r[1]), Some(&r[2]), Some(&r[3])])
            .unwrap();
    }
    t
}

/// Seeded records: sex, age, admission date (2016–2018), county.
fn records(n: usize) -> Vec<[String; 4]> {
    let mut x: u64 = 42;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let counties = ["01", "03", "12", "14", "25"];
    (0..n)
        .map(|_| {
            let sex = (1 + next(2)).to_string();
            let age = (20 + next(60)).to_string();
            let date = format!(
                "20{:02}-{:02}-{:02}",
                16 + next(3),
                1 + next(12),
                1 + next(28)
            );
            [sex, age, date, counties[next(5) as usize].to_string()]
        })
        .collect()
}

fn every_node(t: &Table) -> Vec<Vec<usize>> {
    let tops: Vec<usize> = t.quasi().map(|q| q.hierarchy.top()).collect();
    let mut out = vec![vec![]];
    for top in tops {
        out = out
            .into_iter()
            .flat_map(|n: Vec<usize>| {
                (0..=top).map(move |l| {
                    let mut m = n.clone();
                    m.push(l);
                    m
                })
            })
            .collect();
    }
    out
}

#[test]
fn the_chosen_node_passes_and_each_one_step_finer_choice_fails() {
    let mut t = table(5_000);
    let target = Target::default();
    let outcome = t.search(&target).unwrap();
    let chosen = outcome.chosen.clone().expect("a node passes");
    let counts = t.value_counts();
    let eval = |levels: &[usize]| t.evaluate(levels, &target, &counts, 1.0);
    assert!(eval(&chosen.levels).passes);
    for i in 0..chosen.levels.len() {
        if chosen.levels[i] > 0 {
            let mut finer = chosen.levels.clone();
            finer[i] -= 1;
            let e = eval(&finer);
            assert!(
                !e.passes,
                "{finer:?} passes too ({} suppressed)",
                e.suppressed
            );
        }
    }
    // Fewer nodes were evaluated than the lattice holds.
    assert!(outcome.evaluated < outcome.lattice_size, "{outcome:?}");
}

#[test]
fn the_search_finds_exactly_the_minimal_nodes_a_brute_force_finds() {
    let mut t = table(2_000);
    let target = Target {
        k: 5,
        max_suppressed_share: 0.05,
    };
    let outcome = t.search(&target).unwrap();
    let counts = t.value_counts();
    let passing: HashSet<Vec<usize>> = every_node(&t)
        .into_iter()
        .filter(|n| t.evaluate(n, &target, &counts, 1.0).passes)
        .collect();
    let brute: HashSet<Vec<usize>> = passing
        .iter()
        .filter(|n| {
            (0..n.len()).all(|i| {
                n[i] == 0 || {
                    let mut f = (*n).clone();
                    f[i] -= 1;
                    !passing.contains(&f)
                }
            })
        })
        .cloned()
        .collect();
    let found: HashSet<Vec<usize>> = outcome.minimal.iter().map(|e| e.levels.clone()).collect();
    assert_eq!(found, brute);
    // And the chosen one has the least loss of them.
    let least = outcome
        .minimal
        .iter()
        .map(|e| e.loss)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(outcome.chosen.unwrap().loss, least);
}

#[test]
fn after_the_chosen_node_every_class_has_at_least_k_records() {
    let mut t = table(5_000);
    let outcome = t.search(&Target::default()).unwrap();
    let chosen = outcome.chosen.unwrap();
    let after = t.risk_after(&chosen.levels, 10);
    assert!(after.k >= 10, "{after:?}");
    let before = t.risk_at(&[0, 0, 0, 0], 10);
    assert!(before.share_sample_unique > 0.9, "{before:?}");
    assert_eq!(after.records + chosen.suppressed, 5_000);
}

#[test]
fn when_nothing_passes_the_blocking_variable_is_named() {
    // Dates only to the day (no hierarchy): unique per record whatever the others do.
    let mut t = Table::new(vec![
        quasi("KON", Hierarchy::parse(&[], ValueKind::Text).unwrap()),
        quasi("INDATUM", Hierarchy::parse(&[], ValueKind::Date).unwrap()),
    ]);
    for i in 0..500 {
        let date = format!("2020-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        t.add(&[Some(if i % 2 == 0 { "1" } else { "2" }), Some(&date)])
            .unwrap();
    }
    let outcome = t.search(&Target::default()).unwrap();
    assert!(outcome.chosen.is_none());
    assert_eq!(outcome.blocking, vec!["INDATUM".to_string()]);
}

#[test]
fn a_column_with_more_values_than_its_share_of_the_key_is_refused_by_name() {
    // 32 quasi-identifiers: 4 bits each, 16 distinct values at most.
    let quasi = (0..32)
        .map(|i| Quasi {
            name: format!("Q{i}"),
            hierarchy: Hierarchy::parse(&[], ValueKind::Text).unwrap(),
            floor: 0,
        })
        .collect();
    let mut t = Table::new(quasi);
    let rest = vec![Some("x"); 31];
    for v in 0..16 {
        let value = v.to_string();
        let mut row = vec![Some(value.as_str())];
        row.extend(rest.iter().copied());
        t.add(&row).unwrap();
    }
    let mut row = vec![Some("16")];
    row.extend(rest.iter().copied());
    let e = t.add(&row).unwrap_err();
    assert_eq!(
        e,
        SearchError::TooManyValues {
            column: "Q0".into(),
            limit: 16
        }
    );
    assert_eq!(t.records(), 16);
}

#[test]
fn compacting_the_table_often_changes_nothing_it_measures_or_chooses() {
    let mut once = table(5_000);
    let mut often = table(0);
    often.pending_limit = 7;
    // The same records, compacted every 7, and merged from a second table in two parts.
    let mut rest = table(0);
    rest.pending_limit = 3;
    for (i, r) in records(5_000).iter().enumerate() {
        let row = [Some(r[0].as_str()), Some(&r[1]), Some(&r[2]), Some(&r[3])];
        if i < 3_000 {
            often.add(&row)
        } else {
            rest.add(&row)
        }
        .unwrap();
    }
    often.merge(rest).unwrap();
    assert_eq!(often.records(), 5_000);
    assert_eq!(
        often.risk_at(&[0, 0, 0, 0], 10),
        once.risk_at(&[0, 0, 0, 0], 10)
    );
    assert_eq!(
        often.risk_at(&[0, 2, 3, 1], 10),
        once.risk_at(&[0, 2, 3, 1], 10)
    );
    let target = Target::default();
    assert_eq!(
        often.search(&target).unwrap(),
        once.search(&target).unwrap()
    );
}

#[test]
fn merging_sorted_combinations_sums_the_keys_in_both() {
    let pairs = |p: &[(u128, u64)]| -> Vec<(Half, u64)> {
        p.iter().map(|(k, n)| (narrow(*k), *n)).collect()
    };
    // Keys above 2^64 too: the halves sort as the key does.
    let big = 1u128 << 70;
    let mut into = pairs(&[(1, 1), (3, 2), (5, 1), (9, 4), (big, 1)]);
    merge_sorted(
        &mut into,
        &pairs(&[(0, 7), (3, 1), (4, 1), (9, 1), (12, 2), (big, 2)]),
    );
    assert_eq!(
        into,
        pairs(&[
            (0, 7),
            (1, 1),
            (3, 3),
            (4, 1),
            (5, 1),
            (9, 5),
            (12, 2),
            (big, 3)
        ])
    );
    assert_eq!(wide(narrow(big + 5)), big + 5);
    let mut empty = Vec::new();
    merge_sorted(&mut empty, &pairs(&[(2, 1)]));
    assert_eq!(empty, pairs(&[(2, 1)]));
    merge_sorted(&mut empty, &[]);
    assert_eq!(empty, pairs(&[(2, 1)]));
}
