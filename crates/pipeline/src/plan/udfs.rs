//! The extraction's kernels as DataFusion scalar functions, so that one logical plan runs
//! on this machine or on a cluster's executors. A function crosses the wire by its name
//! only: each side resolves it in its own registry. Keyed functions (`hdab_pseudonym`,
//! `hdab_registry_hash`) take the key from a [`KeySource`] of the process that runs them; a
//! process without one (a cluster's scheduler, the client that plans) holds the same
//! functions keyless, and they refuse to run there. The plan names the permit, the key id
//! and the key version; never a key.

use crate::values::{arrow_type, date32, generalise, truncate_dates, type_array};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, Date32Builder, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use hdab_catalog::{Variable, VariableType};
use hdab_permits::Generalisation;
use hdab_pseudonymise::{DerivedKey, IdRejection, PersonId, parse_id_column};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where a process's keyed functions get their keys. Executors derive them from their own
/// master key file; the single-machine run hands over the keys it derived.
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// The permit's pseudonym key (HKDF of the master key named `key_id`).
    fn permit_key(
        &self,
        key_id: &str,
        permit_id: &str,
        key_version: u32,
    ) -> std::result::Result<Arc<DerivedKey>, String>;
    /// The opt-out registry's key.
    fn registry_key(&self) -> std::result::Result<Arc<DerivedKey>, String>;
}

/// The keys one single-machine run derived (the plan's keyed functions check that the plan
/// names this permit and key).
#[derive(Debug)]
pub struct GivenKeys {
    pub key_id: String,
    pub permit_id: String,
    pub key_version: u32,
    pub pseudonym: Arc<DerivedKey>,
    pub registry: Arc<DerivedKey>,
}

impl KeySource for GivenKeys {
    fn permit_key(
        &self,
        key_id: &str,
        permit_id: &str,
        key_version: u32,
    ) -> std::result::Result<Arc<DerivedKey>, String> {
        if (key_id, permit_id, key_version)
            != (
                self.key_id.as_str(),
                self.permit_id.as_str(),
                self.key_version,
            )
        {
            return Err(format!(
                "the plan asks for permit {permit_id}'s key version {key_version}, not the one this run derived"
            ));
        }
        Ok(self.pseudonym.clone())
    }

    fn registry_key(&self) -> std::result::Result<Arc<DerivedKey>, String> {
        Ok(self.registry.clone())
    }
}

pub const PSEUDONYM_FN: &str = "hdab_pseudonym";
pub const REGISTRY_HASH_FN: &str = "hdab_registry_hash";
pub const ID_REJECTION_FN: &str = "hdab_id_rejection";
pub const BIRTH_DATE_FN: &str = "hdab_birth_date";
pub const TYPED_FN: &str = "hdab_typed";
pub const PRECISION_FN: &str = "hdab_precision";
pub const GENERALISE_FN: &str = "hdab_generalise";
pub const GENERALISE_PRECISION_FN: &str = "hdab_generalise_precision";

/// Every function the extraction plan uses. `keys: None` gives the keyless stubs (same
/// names and signatures) for a scheduler or a planning client.
pub fn extraction_functions(keys: Option<Arc<dyn KeySource>>) -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Keyed::new(KeyedFn::Pseudonym, keys.clone())),
        ScalarUDF::new_from_impl(Keyed::new(KeyedFn::RegistryHash, keys)),
        ScalarUDF::new_from_impl(Pure::new(PureFn::IdRejection)),
        ScalarUDF::new_from_impl(Pure::new(PureFn::BirthDate)),
        ScalarUDF::new_from_impl(Pure::new(PureFn::Typed)),
        ScalarUDF::new_from_impl(Pure::new(PureFn::Precision)),
        ScalarUDF::new_from_impl(Pure::new(PureFn::Generalise)),
        ScalarUDF::new_from_impl(Pure::new(PureFn::GeneralisePrecision)),
    ]
}

/// The argument `i` as an array of `rows` (a literal repeated).
fn array_arg(args: &ScalarFunctionArgs, i: usize) -> Result<ArrayRef> {
    match args.args.get(i) {
        Some(v) => v.to_array(args.number_rows),
        None => exec_err!("argument {} is missing", i + 1),
    }
}

/// The literal argument `i` as text (the JSON of a variable or a generalisation, a permit id).
fn literal_text<'a>(scalars: &'a [Option<&'a ScalarValue>], i: usize) -> Result<&'a str> {
    match scalars.get(i).copied().flatten() {
        Some(ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s))) => Ok(s),
        _ => plan_err!("argument {} must be a text literal", i + 1),
    }
}

fn scalar_text(args: &ScalarFunctionArgs, i: usize) -> Result<String> {
    match args.args.get(i) {
        Some(ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)),
        )) => Ok(s.clone()),
        _ => exec_err!("argument {} must be a text literal", i + 1),
    }
}

fn scalar_date(args: &ScalarFunctionArgs, i: usize) -> Result<chrono::NaiveDate> {
    match args.args.get(i) {
        Some(ColumnarValue::Scalar(ScalarValue::Date32(Some(d)))) => {
            Ok(crate::values::from_date32(*d))
        }
        _ => exec_err!("argument {} must be a date literal", i + 1),
    }
}

fn scalar_int(args: &ScalarFunctionArgs, i: usize) -> Result<i64> {
    match args.args.get(i) {
        Some(ColumnarValue::Scalar(ScalarValue::Int64(Some(n)))) => Ok(*n),
        _ => exec_err!("argument {} must be an integer literal", i + 1),
    }
}

fn parse_ids(args: &ScalarFunctionArgs) -> Result<Vec<std::result::Result<PersonId, IdRejection>>> {
    let ids = array_arg(args, 0)?;
    let reference = scalar_date(args, 1)?;
    let text = crate::values::as_text(&ids)?;
    parse_id_column(text.as_ref(), reference).map_err(|e| DataFusionError::Execution(e.to_string()))
}

fn variable_of(text: &str) -> Result<Variable> {
    serde_json::from_str(text)
        .map_err(|e| DataFusionError::Plan(format!("not a variable's description: {e}")))
}

fn generalisation_of(text: &str) -> Result<Generalisation> {
    serde_json::from_str(text)
        .map_err(|e| DataFusionError::Plan(format!("not a generalisation: {e}")))
}

/// The delivered type of a generalised value of type `input`.
pub(crate) fn generalised_type(g: &Generalisation, input: &DataType) -> DataType {
    match g {
        Generalisation::AgeBands { .. } | Generalisation::Truncate { .. } => DataType::Utf8,
        _ => input.clone(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PureFn {
    /// (id, reference date) → why the id is not a valid person's (text), or null.
    IdRejection,
    /// (id, reference date) → the birth date a valid id gives, or null.
    BirthDate,
    /// (value, variable JSON) → the value typed by the data dictionary.
    Typed,
    /// (value, variable JSON) → a partial date's precision (day, month, year).
    Precision,
    /// (typed value, generalisation JSON) → the value generalised.
    Generalise,
    /// (precision, generalisation JSON) → the precision after a date's generalisation.
    GeneralisePrecision,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Pure {
    f: PureFn,
    signature: Signature,
}

impl Pure {
    fn new(f: PureFn) -> Self {
        Pure {
            f,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Pure {
    fn name(&self) -> &str {
        match self.f {
            PureFn::IdRejection => ID_REJECTION_FN,
            PureFn::BirthDate => BIRTH_DATE_FN,
            PureFn::Typed => TYPED_FN,
            PureFn::Precision => PRECISION_FN,
            PureFn::Generalise => GENERALISE_FN,
            PureFn::GeneralisePrecision => GENERALISE_PRECISION_FN,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("{} is typed from its arguments", self.name())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let data_type = match self.f {
            PureFn::IdRejection | PureFn::Precision | PureFn::GeneralisePrecision => DataType::Utf8,
            PureFn::BirthDate => DataType::Date32,
            PureFn::Typed => {
                arrow_type(variable_of(literal_text(args.scalar_arguments, 1)?)?.variable_type)
            }
            PureFn::Generalise => {
                let g = generalisation_of(literal_text(args.scalar_arguments, 1)?)?;
                let input = args
                    .arg_fields
                    .first()
                    .map(|f| f.data_type().clone())
                    .unwrap_or(DataType::Null);
                generalised_type(&g, &input)
            }
        };
        Ok(Arc::new(Field::new(self.name(), data_type, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let out: ArrayRef = match self.f {
            PureFn::IdRejection => Arc::new(
                parse_ids(&args)?
                    .iter()
                    .map(|r| r.as_ref().err().map(|e| e.as_str()))
                    .collect::<StringArray>(),
            ),
            PureFn::BirthDate => {
                let ids = parse_ids(&args)?;
                let mut b = Date32Builder::with_capacity(ids.len());
                for id in &ids {
                    b.append_option(id.as_ref().ok().map(|p| date32(p.birth_date())));
                }
                Arc::new(b.finish())
            }
            PureFn::Typed | PureFn::Precision => {
                let variable = variable_of(&scalar_text(&args, 1)?)?;
                let typed = type_array(&array_arg(&args, 0)?, &variable)?;
                match self.f {
                    PureFn::Typed => typed.values,
                    _ => typed.precision.unwrap_or_else(|| {
                        Arc::new(StringArray::new_null(args.number_rows)) as ArrayRef
                    }),
                }
            }
            PureFn::Generalise => {
                let g = generalisation_of(&scalar_text(&args, 1)?)?;
                let values = array_arg(&args, 0)?;
                match &g {
                    Generalisation::DateToYear { .. } | Generalisation::DateToMonth { .. } => {
                        if values.data_type() != &DataType::Date32 {
                            return exec_err!(
                                "a date generalisation of a value that is not a date"
                            );
                        }
                        let to_year = matches!(g, Generalisation::DateToYear { .. });
                        Arc::new(truncate_dates(values.as_primitive(), to_year))
                    }
                    _ => generalise(&values, &g),
                }
            }
            PureFn::GeneralisePrecision => {
                let g = generalisation_of(&scalar_text(&args, 1)?)?;
                let precision = array_arg(&args, 0)?;
                let to_year = matches!(g, Generalisation::DateToYear { .. });
                Arc::new(crate::values::coarsen_precision(&precision, to_year))
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyedFn {
    /// (id, reference date, permit, key id, key version) → the permit's pseudonym, or null.
    Pseudonym,
    /// (id, reference date) → the opt-out registry's hash (32 bytes), or null.
    RegistryHash,
}

/// A keyed function: with a [`KeySource`] on executors, keyless (refusing to run) elsewhere.
#[derive(Debug)]
struct Keyed {
    f: KeyedFn,
    keys: Option<Arc<dyn KeySource>>,
    signature: Signature,
    /// Keys derived so far, by (key id, permit, version).
    derived: Mutex<HashMap<(String, String, u32), Arc<DerivedKey>>>,
    /// The registry key, derived on first use.
    registry: std::sync::OnceLock<Arc<DerivedKey>>,
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.f == other.f && self.keys.is_some() == other.keys.is_some()
    }
}

impl Eq for Keyed {}

impl std::hash::Hash for Keyed {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.f.hash(state);
        self.keys.is_some().hash(state);
    }
}

impl Keyed {
    fn new(f: KeyedFn, keys: Option<Arc<dyn KeySource>>) -> Self {
        let arity = match f {
            KeyedFn::Pseudonym => 5,
            KeyedFn::RegistryHash => 2,
        };
        Keyed {
            f,
            keys,
            // Volatile: never folded into a constant by an optimiser (which may run where
            // there is no key).
            signature: Signature::any(arity, Volatility::Volatile),
            derived: Mutex::new(HashMap::new()),
            registry: std::sync::OnceLock::new(),
        }
    }

    fn source(&self) -> Result<&Arc<dyn KeySource>> {
        self.keys.as_ref().ok_or_else(|| {
            DataFusionError::Execution(format!(
                "{} ran where there is no key (a scheduler or a planning client); it runs only on executors that hold the master key",
                self.name()
            ))
        })
    }

    fn permit_key(&self, args: &ScalarFunctionArgs) -> Result<Arc<DerivedKey>> {
        let permit = scalar_text(args, 2)?;
        let key_id = scalar_text(args, 3)?;
        let version = u32::try_from(scalar_int(args, 4)?)
            .map_err(|_| DataFusionError::Execution("key version out of range".into()))?;
        let mut derived = self
            .derived
            .lock()
            .map_err(|_| DataFusionError::Execution("key cache poisoned".into()))?;
        let entry = (key_id, permit, version);
        if let Some(k) = derived.get(&entry) {
            return Ok(k.clone());
        }
        let key = self
            .source()?
            .permit_key(&entry.0, &entry.1, entry.2)
            .map_err(DataFusionError::Execution)?;
        derived.insert(entry, key.clone());
        Ok(key)
    }
}

impl ScalarUDFImpl for Keyed {
    fn name(&self) -> &str {
        match self.f {
            KeyedFn::Pseudonym => PSEUDONYM_FN,
            KeyedFn::RegistryHash => REGISTRY_HASH_FN,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.f {
            KeyedFn::Pseudonym => DataType::Utf8,
            KeyedFn::RegistryHash => DataType::Binary,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ids = parse_ids(&args)?;
        let out: ArrayRef = match self.f {
            KeyedFn::Pseudonym => {
                let key = self.permit_key(&args)?;
                // The kernel the single-machine pipeline uses, over the valid ids; nulls
                // where an id is not valid.
                let valid: Vec<PersonId> = ids.iter().filter_map(|r| r.ok()).collect();
                let pseudonyms = hdab_pseudonymise::pseudonymise_ids(&key, &valid);
                let mut next = 0;
                let mut b = StringBuilder::with_capacity(ids.len(), valid.len() * 32);
                for id in &ids {
                    if id.is_ok() {
                        b.append_value(pseudonyms.value(next));
                        next += 1;
                    } else {
                        b.append_null();
                    }
                }
                Arc::new(b.finish())
            }
            KeyedFn::RegistryHash => {
                let key = match self.registry.get() {
                    Some(k) => k.clone(),
                    None => {
                        let k = self
                            .source()?
                            .registry_key()
                            .map_err(DataFusionError::Execution)?;
                        self.registry.get_or_init(|| k).clone()
                    }
                };
                let mut b = BinaryBuilder::with_capacity(ids.len(), ids.len() * 32);
                let mut previous: Option<(PersonId, [u8; 32])> = None;
                for id in &ids {
                    match id {
                        Ok(p) => {
                            let hash = match previous {
                                Some((last, h)) if last == *p => h,
                                _ => hdab_pseudonymise::registry_hash(&key, p),
                            };
                            previous = Some((*p, hash));
                            b.append_value(hash);
                        }
                        Err(_) => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// A variable's description as the literal the typing functions take.
pub(crate) fn variable_literal(v: &Variable) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Whether the typing functions deliver a precision column for this variable.
pub(crate) fn has_precision(v: &Variable) -> bool {
    v.variable_type == VariableType::Date && v.partial_dates
}
