//! The HDAB master secret and the per-purpose keys derived from it.
//!
//! Why the key is everything: a personnummer has about 3.6×10⁷ valid values per century
//! (999 birth numbers per date, the check digit fixed by the rest), so an unkeyed hash of one
//! is reversed by enumerating them all in seconds. A pseudonym is only as strong as the
//! secrecy of the key it is computed under.
//!
//! Derivation (documented exactly so another engine can reproduce it, and tested by the
//! published vectors in `pipelines/test-vectors/`):
//!
//! ```text
//! prk  = HKDF-Extract(salt = "hdab/hkdf-salt/v1", ikm = master secret (32 bytes))
//! info = lp("hdab") ‖ lp(scheme version) ‖ lp(purpose) ‖ lp(scope) ‖ lp(identifier type) ‖ lp(key version)
//!        where lp(x) = 4-byte big-endian length of x ‖ x, every field UTF-8 text
//! key  = HKDF-Expand(prk, info, 32 bytes), used as an HMAC-SHA-256 key
//! ```
//!
//! Length prefixes make the encoding injective: no two different contexts give the same
//! `info`, so no two purposes can share a key.

use ring::{hkdf, hmac};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Version of the derivation and pseudonym scheme; part of every `info`.
pub const SCHEME_VERSION: &str = "1";
const HKDF_SALT: &[u8] = b"hdab/hkdf-salt/v1";

/// Problems with key material. Never carries key bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "the master key must be 64 hexadecimal characters (32 bytes); found {found} characters"
    )]
    WrongLength { found: usize },
    #[error("the master key is not hexadecimal")]
    NotHex,
}

/// The HDAB's master secret: 32 bytes, zeroised when dropped, never printed.
pub struct MasterKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(id={}, <redacted>)", self.key_id())
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey {
            bytes: Zeroizing::new(bytes),
        }
    }

    /// Parses the text form kept in key files and environment variables: 64 hex digits,
    /// surrounding white space ignored.
    pub fn from_hex(text: &str) -> Result<MasterKey, KeyError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(KeyError::WrongLength { found: text.len() });
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| KeyError::NotHex)?;
        let key = MasterKey::from_bytes(bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// Fresh random key from the operating system's generator.
    pub fn generate() -> MasterKey {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 32];
        // SystemRandom only fails if the OS has no entropy source, which is not recoverable.
        if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
            panic!("the operating system's random number generator failed");
        }
        let key = MasterKey::from_bytes(bytes);
        bytes.zeroize();
        key
    }

    /// The text form to write into a key file. The caller must keep it secret.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.bytes))
    }

    /// A public name for the key: the first 8 bytes of SHA-256("hdab key id" ‖ key), as hex.
    /// One-way; identifies which key made a delivery without revealing it.
    pub fn key_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"hdab key id\0");
        h.update(*self.bytes);
        hex::encode(&h.finalize()[..8])
    }

    /// Derives the HMAC key for one context.
    pub fn derive(&self, context: &KeyContext<'_>) -> DerivedKey {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(&*self.bytes);
        let info = context.info();
        let parts = [info.as_slice()];
        // Expanding 32 bytes from SHA-256 HKDF cannot exceed the 255×32 byte limit.
        let key: hmac::Key = match prk.expand(&parts, hmac::HMAC_SHA256) {
            Ok(okm) => okm.into(),
            Err(_) => unreachable!("32-byte HKDF output is always in range"),
        };
        DerivedKey { key }
    }
}

/// What a derived key is for. Each distinct value yields an unrelated key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyContext<'a> {
    /// `"pseudonym"`, `"optout-registry"`, …
    pub purpose: &'a str,
    /// The permit id for pseudonyms; `"registry"` for the opt-out registry.
    pub scope: &'a str,
    /// The kind of identifier hashed, e.g. `"se-personnummer"`.
    pub identifier_type: &'a str,
    /// The permit's key version (bumped by rotation); 1 for a new permit.
    pub key_version: u32,
}

impl KeyContext<'_> {
    /// The HKDF `info` bytes: length-prefixed fields, so the encoding is injective.
    pub fn info(&self) -> Vec<u8> {
        let version = self.key_version.to_string();
        let fields: [&[u8]; 6] = [
            b"hdab",
            SCHEME_VERSION.as_bytes(),
            self.purpose.as_bytes(),
            self.scope.as_bytes(),
            self.identifier_type.as_bytes(),
            version.as_bytes(),
        ];
        let mut out = Vec::with_capacity(64);
        for f in fields {
            out.extend_from_slice(&(f.len() as u32).to_be_bytes());
            out.extend_from_slice(f);
        }
        out
    }
}

/// Identifier type label for Swedish personnummer and samordningsnummer (one number space).
pub const SE_PERSON_ID: &str = "se-personnummer";

/// The key for pseudonyms of one permit at one key version.
pub fn permit_context(permit_id: &str, key_version: u32) -> KeyContext<'_> {
    KeyContext {
        purpose: "pseudonym",
        scope: permit_id,
        identifier_type: SE_PERSON_ID,
        key_version,
    }
}

/// The key under which the opt-out registry stores its hashes.
/// The key that orders a permit's draw of matched controls: scoped to the permit and
/// independent of its key version (rotating pseudonyms never changes who is in the study).
pub fn control_draw_context(permit_id: &str) -> KeyContext<'_> {
    KeyContext {
        purpose: "control-draw",
        scope: permit_id,
        identifier_type: SE_PERSON_ID,
        key_version: 1,
    }
}

pub fn optout_registry_context() -> KeyContext<'static> {
    KeyContext {
        purpose: "optout-registry",
        scope: "registry",
        identifier_type: SE_PERSON_ID,
        key_version: 1,
    }
}

/// The key from which the audit log's checkpoint signing key (Ed25519) is derived.
pub fn audit_checkpoint_context() -> KeyContext<'static> {
    KeyContext {
        purpose: "audit-checkpoint",
        scope: "audit",
        identifier_type: "none",
        key_version: 1,
    }
}

/// An HMAC-SHA-256 key for one purpose. ring keeps the key schedule; it is not printable.
pub struct DerivedKey {
    key: hmac::Key,
}

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedKey(<redacted>)")
    }
}

impl DerivedKey {
    /// HMAC-SHA-256 of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.key, message);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_encoding_is_injective_on_field_boundaries() {
        let a = KeyContext {
            purpose: "pseudonym",
            scope: "P-1",
            identifier_type: "x1",
            key_version: 1,
        };
        let b = KeyContext {
            purpose: "pseudonym",
            scope: "P-1x",
            identifier_type: "1",
            key_version: 1,
        };
        assert_ne!(a.info(), b.info());
    }

    #[test]
    fn different_contexts_give_different_keys() {
        let m = MasterKey::from_bytes([7; 32]);
        let msg = b"191212121212";
        let k1 = m.derive(&permit_context("P-1", 1)).mac(msg);
        let k2 = m.derive(&permit_context("P-2", 1)).mac(msg);
        let k3 = m.derive(&permit_context("P-1", 2)).mac(msg);
        let k4 = m.derive(&optout_registry_context()).mac(msg);
        assert_ne!(k1, k2);
        assert_ne!(k1, k3);
        assert_ne!(k1, k4);
        assert_eq!(k1, m.derive(&permit_context("P-1", 1)).mac(msg));
    }

    #[test]
    fn debug_never_shows_key_material() {
        let m = MasterKey::from_bytes([0xab; 32]);
        let shown = format!("{m:?} {:?}", m.derive(&optout_registry_context()));
        assert!(!shown.contains("abab"), "{shown}");
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let m = MasterKey::generate();
        let again = MasterKey::from_hex(&m.to_hex()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.key_id(), again.key_id());
        assert_eq!(
            MasterKey::from_hex("abc").err(),
            Some(KeyError::WrongLength { found: 3 })
        );
        assert_eq!(
            MasterKey::from_hex(&"zz".repeat(32)).err(),
            Some(KeyError::NotHex)
        );
    }
}
