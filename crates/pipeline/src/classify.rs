//! One batch of an upload, typed by the dictionary and classified row by row: a valid
//! person id, in the cohort and the study population, not opted out. Every row lands in
//! exactly one class of the delivery's accounting.

use crate::PipelineError;
use crate::cohort::{BIRTH_DATE, CompiledCohort};
use crate::deliver::PartitionCounts;
use crate::source::{map_columns, open_streams};
use crate::values::{as_text, date32, type_array};
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, BooleanArray, Date32Builder, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use hdab_catalog::{DatasetDescription, Variable, VariableType};
use hdab_permits::optout::Excluded;
use hdab_pseudonymise::{DerivedKey, PersonId, parse_id_column, registry_hash};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// What every batch of one upload needs to be typed and classified.
pub(crate) struct Prepared {
    pub id_index: usize,
    /// (column index in the file, role) of every other person identifier.
    pub other_ids: Vec<(usize, String)>,
    /// (column index in the file, variable) of every non-id variable, in file order.
    pub typed_vars: Vec<(usize, Variable)>,
    pub typed_schema: SchemaRef,
    pub cohort: CompiledCohort,
    pub reference: NaiveDate,
    /// The study population's membership and this dataset's window (set by the extraction).
    pub population: Option<crate::members::PopulationFilter>,
}

/// Opens the upload and compiles what classification needs.
pub(crate) async fn prepare(
    upload_path: &Path,
    description: &DatasetDescription,
    cohort: &hdab_permits::Cohort,
    subject_role: Option<&str>,
    reference: NaiveDate,
    ctx: datafusion::prelude::SessionContext,
) -> Result<(Prepared, Vec<SendableRecordBatchStream>), PipelineError> {
    let (names, streams) = open_streams(&ctx, upload_path).await?;
    let file_vars: Vec<Variable> = map_columns(&names, description)?
        .into_iter()
        .cloned()
        .collect();
    let FileColumns {
        id_index,
        other_ids,
        typed_vars,
    } = file_columns(&file_vars, description, subject_role)?;
    let mut typed_fields: Vec<Field> = typed_vars
        .iter()
        .map(|(_, v)| Field::new(&v.name, crate::values::arrow_type(v.variable_type), true))
        .collect();
    typed_fields.push(Field::new(BIRTH_DATE, DataType::Date32, true));
    let typed_schema: SchemaRef = Arc::new(Schema::new(typed_fields));
    let cohort = CompiledCohort::new(cohort, description, typed_schema.clone())?;
    Ok((
        Prepared {
            id_index,
            other_ids,
            typed_vars,
            typed_schema,
            cohort,
            reference,
            population: None,
        },
        streams,
    ))
}

/// What each column of an upload is to an extraction (indexes in the file).
pub(crate) struct FileColumns {
    /// The subject's person id.
    pub id_index: usize,
    /// Everyone else a row names (a child's mother), with their role: pseudonymised under
    /// the same key.
    pub other_ids: Vec<(usize, String)>,
    /// Every non-id variable, typed by the dictionary.
    pub typed_vars: Vec<(usize, Variable)>,
}

/// The subject's id column (of `subject_role`), the other persons' and the typed variables.
pub(crate) fn file_columns(
    file_vars: &[Variable],
    description: &DatasetDescription,
    subject_role: Option<&str>,
) -> Result<FileColumns, PipelineError> {
    let no_id = || PipelineError::Unsupported("the dataset has no person id column".into());
    let subject = description
        .person_id_of_role(subject_role)
        .ok_or_else(no_id)?;
    let id_index = file_vars
        .iter()
        .position(|v| v.name == subject.name)
        .ok_or_else(no_id)?;
    Ok(FileColumns {
        id_index,
        other_ids: file_vars
            .iter()
            .enumerate()
            .filter(|(i, v)| v.variable_type == VariableType::PersonId && *i != id_index)
            .map(|(i, v)| (i, v.role.clone().unwrap_or_else(|| v.name.to_lowercase())))
            .collect(),
        typed_vars: file_vars
            .iter()
            .enumerate()
            .filter(|(_, v)| v.variable_type != VariableType::PersonId)
            .map(|(i, v)| (i, v.clone()))
            .collect(),
    })
}

/// The typed batch's column of a variable, by name.
pub(crate) fn typed_index(prepared: &Prepared, name: &str) -> Result<usize, PipelineError> {
    prepared
        .typed_vars
        .iter()
        .position(|(_, v)| v.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            PipelineError::InvalidRequest(vec![format!("'{name}' is not a column of the dataset")])
        })
}

/// One batch, typed and classified.
pub(crate) struct Classified {
    pub typed: RecordBatch,
    /// Precision columns of partial dates, by index in the typed batch.
    pub precisions: HashMap<usize, ArrayRef>,
    /// Rows to keep: valid id, in the cohort, not opted out.
    pub keep: BooleanArray,
    pub kept_ids: Vec<PersonId>,
    /// Per other person identifier (in `Prepared::other_ids` order), for each kept row: the
    /// person, or `None` (no valid id, or opted out), and whether they were withheld because
    /// they opted out.
    pub others: Vec<(Vec<Option<PersonId>>, BooleanArray)>,
}

/// Types a batch by the dictionary, validates its ids, applies the cohort and the opt-out
/// registry, and counts every row in exactly one class.
pub(crate) fn classify(
    batch: &RecordBatch,
    cx: &Prepared,
    registry_key: &DerivedKey,
    optouts: &Excluded,
    counts: &mut PartitionCounts,
) -> Result<Classified, PipelineError> {
    let n = batch.num_rows();
    counts.rows_in += n as u64;
    let ids = parse_id_column(as_text(batch.column(cx.id_index))?.as_ref(), cx.reference)
        .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(cx.typed_vars.len() + 1);
    let mut precisions: HashMap<usize, ArrayRef> = HashMap::new();
    for (k, (i, v)) in cx.typed_vars.iter().enumerate() {
        let typed = type_array(batch.column(*i), v)?;
        if let Some(p) = typed.precision {
            precisions.insert(k, p);
        }
        columns.push(typed.values);
    }
    let mut births = Date32Builder::with_capacity(n);
    for id in &ids {
        births.append_option(id.as_ref().ok().map(|p| date32(p.birth_date())));
    }
    columns.push(Arc::new(births.finish()));
    let typed = RecordBatch::try_new(cx.typed_schema.clone(), columns)?;
    let in_cohort = cx.cohort.evaluate(&typed)?;
    // Each distinct person is looked up in the registry once per batch.
    let mut opted = RegistryLookup::new(registry_key, optouts);
    let mut keep = Vec::with_capacity(n);
    let mut kept_ids = Vec::with_capacity(n);
    for (row, id) in ids.iter().enumerate() {
        let decision = match id {
            Err(reason) => {
                *counts.invalid.entry(reason.as_str()).or_default() += 1;
                false
            }
            Ok(p) if cx.population.is_some() && !in_population(cx, p, &typed, row, counts) => false,
            Ok(_) if !in_cohort[row] => {
                counts.outside_cohort += 1;
                false
            }
            Ok(p) => {
                let (hash, out, first) = opted.state(p);
                if out {
                    counts.opted_out += 1;
                    false
                } else {
                    if first {
                        counts.delivered_persons.insert(&hash);
                    }
                    kept_ids.push(*p);
                    true
                }
            }
        };
        keep.push(decision);
    }
    counts.delivered += kept_ids.len() as u64;
    let keep = BooleanArray::from(keep);
    let mut others = Vec::with_capacity(cx.other_ids.len());
    for (col, _) in &cx.other_ids {
        let ids = parse_id_column(as_text(batch.column(*col))?.as_ref(), cx.reference)
            .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
        let mut persons = Vec::with_capacity(kept_ids.len());
        let mut withheld = Vec::with_capacity(kept_ids.len());
        for (row, id) in ids.iter().enumerate() {
            if !keep.value(row) {
                continue;
            }
            match id {
                Ok(p) => {
                    let (hash, out, first) = opted.state(p);
                    if out {
                        counts.other_role_opted_out += 1;
                        persons.push(None);
                        withheld.push(true);
                    } else {
                        if first {
                            counts.delivered_persons.insert(&hash);
                        }
                        persons.push(Some(*p));
                        withheld.push(false);
                    }
                }
                Err(_) => {
                    counts.other_role_no_valid_id += 1;
                    persons.push(None);
                    withheld.push(false);
                }
            }
        }
        others.push((persons, BooleanArray::from(withheld)));
    }
    Ok(Classified {
        typed,
        precisions,
        keep,
        kept_ids,
        others,
    })
}

/// Each person's registry hash and whether they opted out, computed once per batch.
struct RegistryLookup<'a> {
    key: &'a DerivedKey,
    optouts: &'a Excluded,
    seen: HashMap<PersonId, ([u8; 32], bool)>,
    /// The person asked about last: a register usually lists one person's rows together.
    previous: Option<(PersonId, [u8; 32], bool)>,
}

impl<'a> RegistryLookup<'a> {
    fn new(key: &'a DerivedKey, optouts: &'a Excluded) -> Self {
        RegistryLookup {
            key,
            optouts,
            seen: HashMap::new(),
            previous: None,
        }
    }

    /// The person's registry hash, whether they opted out, and whether this is the batch's
    /// first sight of them (the delivered-persons filter takes each person once).
    fn state(&mut self, person: &PersonId) -> ([u8; 32], bool, bool) {
        if let Some((last, hash, out)) = &self.previous
            && last == person
        {
            return (*hash, *out, false);
        }
        let mut first = false;
        let (hash, out) = *self.seen.entry(*person).or_insert_with(|| {
            first = true;
            let hash = registry_hash(self.key, person);
            (hash, self.optouts.contains(&hash))
        });
        self.previous = Some((*person, hash, out));
        (hash, out, first)
    }
}

/// Pseudonyms of persons who may be absent (null where they are).
pub(crate) fn pseudonymise_optional(key: &DerivedKey, persons: &[Option<PersonId>]) -> StringArray {
    let mut seen: HashMap<PersonId, String> = HashMap::new();
    persons
        .iter()
        .map(|p| {
            p.map(|p| {
                seen.entry(p)
                    .or_insert_with(|| hdab_pseudonymise::pseudonym(key, &p))
                    .clone()
            })
        })
        .collect()
}

/// Whether a valid person's row is in the study population (and the dataset's window),
/// counting it where it goes when not.
fn in_population(
    cx: &Prepared,
    person: &PersonId,
    typed: &RecordBatch,
    row: usize,
    counts: &mut PartitionCounts,
) -> bool {
    let Some(filter) = &cx.population else {
        return true;
    };
    match filter.place(person, typed, row) {
        Ok(()) => true,
        Err(true) => {
            counts.outside_population += 1;
            false
        }
        Err(false) => {
            counts.outside_cohort += 1;
            false
        }
    }
}
