//! The risk preview an officer sees before deciding: what one dataset of a request would
//! release, and how identifying it is — per record, per person across their records
//! (pseudonymised data links a person's rows, and linked rows identify more than single
//! ones), and for anonymised data what the lattice search would choose.

use crate::PipelineError;
use crate::anonymised::{for_each_batch, quasi_identifiers, quasi_texts, row_values};
use crate::extract::{open_request, output_variables};
use crate::input::ExtractionInput;
use hdab_anonymise::{ChosenLevel, Quasi, RiskReport, Table, Target};
use hdab_pseudonymise::PersonId;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The preview of one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct RiskPreview {
    pub dataset_id: String,
    /// The permitted quasi-identifiers, as they would be delivered.
    pub quasi_identifiers: Vec<String>,
    /// Each record against the others.
    pub records: RiskReport,
    /// Pseudonymised: each person by the set of quasi-identifier values of all their rows.
    pub persons: Option<RiskReport>,
    /// Anonymised: what the search would deliver, or why nothing would pass.
    pub anonymised: Option<Result<AnonymisedPreview, String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnonymisedPreview {
    pub levels: Vec<ChosenLevel>,
    pub suppressed: u64,
    pub information_loss: f64,
    pub after: RiskReport,
}

/// Measures the request on the dataset's current upload (its cohort and the opt-out
/// registry applied; the study population is not, since it is built for a permit).
pub async fn preview_risk(
    input: &ExtractionInput<'_>,
    anonymised: Option<Target>,
) -> Result<RiskPreview, PipelineError> {
    let problems = input.request.problems_against(input.description);
    if !problems.is_empty() {
        return Err(PipelineError::InvalidRequest(problems));
    }
    let (prepared, streams) = open_request(input).await?;
    let mut outputs = output_variables(input, &prepared.typed_vars);
    let k = anonymised.unwrap_or_default().k;
    // Pseudonymised: the values as delivered (the permit's own generalisations applied).
    // Anonymised: exact values, the generalisations as floors of the search.
    let quasi: Vec<(usize, Quasi)> = if anonymised.is_some() {
        quasi_identifiers(&mut outputs)?
    } else {
        outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| o.variable.sensitivity == hdab_catalog::Sensitivity::QuasiIdentifier)
            .map(|(i, o)| {
                (
                    i,
                    Quasi {
                        name: o.variable.name.clone(),
                        hierarchy: hdab_anonymise::Hierarchy {
                            levels: vec![hdab_anonymise::Level::Exact],
                        },
                        floor: 0,
                    },
                )
            })
            .collect()
    };
    let mut table = Table::new(quasi.iter().map(|(_, q)| q.clone()).collect());
    let mut persons: HashMap<PersonId, Vec<u64>> = HashMap::new();
    for_each_batch(&prepared, &outputs, streams, input, |columns, c| {
        let texts = quasi_texts(&quasi, columns)?;
        for (row, person) in c.kept_ids.iter().enumerate() {
            let values = row_values(&texts, row);
            table.add(&values).map_err(crate::anonymised::too_many)?;
            if anonymised.is_none() {
                let mut h = DefaultHasher::new();
                values.hash(&mut h);
                persons.entry(*person).or_default().push(h.finish());
            }
        }
        Ok(())
    })
    .await?;
    let floors: Vec<usize> = quasi.iter().map(|(_, q)| q.floor).collect();
    let records = table.risk_at(&floors, k);
    let persons = anonymised.is_none().then(|| {
        let mut signatures: HashMap<u64, u64> = HashMap::new();
        for rows in persons.values_mut() {
            rows.sort_unstable();
            rows.dedup();
            let mut h = DefaultHasher::new();
            rows.hash(&mut h);
            *signatures.entry(h.finish()).or_default() += 1;
        }
        RiskReport::from_class_sizes(signatures.into_values(), k)
    });
    let anonymised = anonymised.map(|target| match table.search(&target) {
        Err(e) => Err(e.to_string()),
        Ok(outcome) => match outcome.chosen {
            None => Err(crate::anonymised::nothing_passes(
                &target,
                &outcome.blocking,
                table.records(),
            )),
            Some(chosen) => Ok(AnonymisedPreview {
                levels: quasi
                    .iter()
                    .zip(&chosen.levels)
                    .map(|((_, q), level)| ChosenLevel::of(q, *level))
                    .collect(),
                suppressed: chosen.suppressed,
                information_loss: chosen.loss,
                after: table.risk_after(&chosen.levels, target.k),
            }),
        },
    });
    Ok(RiskPreview {
        dataset_id: input.description.id.clone(),
        quasi_identifiers: quasi.into_iter().map(|(_, q)| q.name).collect(),
        records,
        persons,
        anonymised,
    })
}
