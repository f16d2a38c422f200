//! Identifiers, keys and pseudonyms: the privacy core of hdab.
//!
//! Owns the rule "a raw identifier never leaves, and a pseudonym is computed only under a key
//! derived for its permit". It never touches the file system, the network or a database:
//! callers hand it text, Arrow arrays and key material, and get back types that prove validity
//! ([`PersonId`]) and redact themselves when printed.

pub mod kernel;
pub mod keys;
pub mod person_id;

pub use kernel::{
    UnsupportedIdType, encode_pseudonym, parse_id_column, pseudonym, pseudonymise_ids,
    registry_hash,
};
pub use keys::{
    DerivedKey, KeyContext, KeyError, MasterKey, audit_checkpoint_context, control_draw_context,
    optout_registry_context, permit_context,
};
pub use person_id::{
    IdKind, IdRejection, PersonId, contains_person_id, luhn_check_digit, may_contain_person_id,
};
