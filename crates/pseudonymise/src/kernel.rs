//! Column kernels: plain functions over Arrow arrays, no I/O, so the same code can run in
//! the local pipeline or inside a distributed engine's executor.

use crate::keys::DerivedKey;
use crate::person_id::{IdRejection, PersonId};
use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, StringArray};
use arrow_schema::DataType;
use chrono::NaiveDate;
use std::collections::HashMap;

/// Bits of the HMAC kept in a pseudonym (160 bits, well above the 128-bit floor).
pub const PSEUDONYM_BYTES: usize = 20;

/// The identifier column could not be read as text at all (a schema problem, not a value problem).
#[derive(Debug, thiserror::Error)]
#[error("identifier column has type {data_type}, expected text or integers")]
pub struct UnsupportedIdType {
    pub data_type: DataType,
}

/// Parses every value of an identifier column. Nulls are [`IdRejection::Empty`].
/// Text (any Arrow string layout) and integer columns are accepted; holders' exports often
/// turn a 12-digit number into an integer.
pub fn parse_id_column(
    array: &dyn Array,
    reference: NaiveDate,
) -> Result<Vec<Result<PersonId, IdRejection>>, UnsupportedIdType> {
    let parse = |v: Option<&str>| match v {
        None => Err(IdRejection::Empty),
        Some(s) => PersonId::parse(s, reference),
    };
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().map(parse).collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().map(parse).collect(),
        DataType::Utf8View => array.as_string_view().iter().map(parse).collect(),
        DataType::Int64 => array
            .as_primitive::<arrow_array::types::Int64Type>()
            .iter()
            .map(|v| parse(v.map(|n| n.to_string()).as_deref()))
            .collect(),
        other => {
            return Err(UnsupportedIdType {
                data_type: other.clone(),
            });
        }
    })
}

/// Encodes an HMAC as a pseudonym: the first 160 bits in lower-case RFC 4648 base32,
/// 32 characters. Its alphabet holds only the digits 2–7, so a pseudonym can never be read
/// as a personnummer, and it is plain ASCII for every reader.
pub fn encode_pseudonym(mac: &[u8; 32]) -> String {
    data_encoding::BASE32_NOPAD
        .encode(&mac[..PSEUDONYM_BYTES])
        .to_ascii_lowercase()
}

/// The pseudonym of one person under one permit key.
pub fn pseudonym(key: &DerivedKey, id: &PersonId) -> String {
    encode_pseudonym(&key.mac(id.canonical()))
}

/// Pseudonyms for a batch of valid ids, hashing each distinct person once. A register
/// usually lists one person's rows together: the row before is checked first.
pub fn pseudonymise_ids(key: &DerivedKey, ids: &[PersonId]) -> StringArray {
    let mut seen: HashMap<PersonId, String> = HashMap::with_capacity(ids.len() / 2 + 1);
    let mut out = StringBuilder::with_capacity(ids.len(), ids.len() * 32);
    let mut previous: Option<(&PersonId, String)> = None;
    for id in ids {
        if let Some((last, p)) = &previous
            && *last == id
        {
            out.append_value(p);
            continue;
        }
        let p = seen.entry(*id).or_insert_with(|| pseudonym(key, id));
        out.append_value(&*p);
        previous = Some((id, p.clone()));
    }
    out.finish()
}

/// The opt-out registry's hash of a person: HMAC under the registry key, full 256 bits.
pub fn registry_hash(registry_key: &DerivedKey, id: &PersonId) -> [u8; 32] {
    registry_key.mac(id.canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{MasterKey, permit_context};
    use arrow_array::{Int64Array, StringViewArray};

    fn reference() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn string_views_and_integers_parse_alike() {
        let text = StringViewArray::from(vec![Some("19121212-1212"), None, Some("nope")]);
        let ints = Int64Array::from(vec![Some(191212121212), None, Some(5)]);
        let a = parse_id_column(&text, reference()).unwrap_or_default();
        let b = parse_id_column(&ints, reference()).unwrap_or_default();
        assert_eq!(a[0], b[0]);
        assert!(a[0].is_ok());
        assert_eq!(a[1], Err(IdRejection::Empty));
        assert_eq!(a[2], Err(IdRejection::Unparseable));
        assert_eq!(b[2], Err(IdRejection::Unparseable));
    }

    #[test]
    fn pseudonyms_are_32_chars_without_digits_0_1_8_9() {
        let key = MasterKey::from_bytes([1; 32]).derive(&permit_context("P", 1));
        let id = PersonId::parse("191212121212", reference()).unwrap_or_else(|e| panic!("{e}"));
        let p = pseudonymise_ids(&key, &[id, id]);
        assert_eq!(p.value(0), p.value(1));
        assert_eq!(p.value(0).len(), 32);
        assert!(
            !p.value(0)
                .bytes()
                .any(|b| matches!(b, b'0' | b'1' | b'8' | b'9'))
        );
    }
}
