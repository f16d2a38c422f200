//! Registration numbers (diarienummer): every application, data request and output request
//! is registered when the HDAB receives it (offentlighets- och sekretesslagen's rule that
//! incoming documents be registered), in one series per year, in the agency's format.

use crate::{App, AppError};
use chrono::{DateTime, Utc};

/// How numbers are written: `{year}` and `{seq}` (or `{seq:05}`, zero-padded to 5 digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiariumFormat(String);

impl Default for DiariumFormat {
    fn default() -> Self {
        DiariumFormat("{year}/{seq:05}".into())
    }
}

impl DiariumFormat {
    /// A format with `{seq}` in it (else two cases of a year would share a number).
    pub fn parse(text: &str) -> Result<DiariumFormat, String> {
        let has_seq = text.contains("{seq}")
            || text.split("{seq:0").nth(1).is_some_and(|rest| {
                rest.split_once('}')
                    .is_some_and(|(w, _)| w.parse::<u8>().is_ok())
            });
        if !has_seq {
            return Err(format!(
                "the registration number format '{text}' has no {{seq}} (or {{seq:05}}): numbers of one year would be the same"
            ));
        }
        Ok(DiariumFormat(text.to_string()))
    }

    /// The number `seq` of `year`.
    pub fn write(&self, year: i32, seq: i64) -> String {
        let mut out = self.0.replace("{year}", &year.to_string());
        while let Some(start) = out.find("{seq") {
            let Some(len) = out[start..].find('}') else {
                break;
            };
            let spec = &out[start + 4..start + len];
            let width = spec
                .strip_prefix(":0")
                .and_then(|w| w.parse::<usize>().ok())
                .unwrap_or(0);
            out.replace_range(start..=start + len, &format!("{seq:0width$}"));
        }
        out
    }
}

impl App {
    /// Registers a case (idempotent): its number.
    pub(crate) async fn register_case(
        &self,
        object_id: &str,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let format = self.settings.diarium.clone();
        Ok(self
            .store
            .register(object_id, kind, at, &|year, seq| format.write(year, seq))
            .await?)
    }

    /// A case's registration number, if it was received.
    pub async fn registration_number(&self, object_id: &str) -> Result<Option<String>, AppError> {
        Ok(self.store.registration(object_id).await?)
    }

    /// Every registration number, by case id (for lists).
    pub async fn registration_numbers(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, AppError> {
        Ok(self.store.registrations().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_the_agencys_format() {
        let f = DiariumFormat::default();
        assert_eq!(f.write(2026, 1234), "2026/01234");
        assert_eq!(f.write(2027, 1), "2027/00001");
        let g = DiariumFormat::parse("HDAB {year}-{seq}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(g.write(2026, 42), "HDAB 2026-42");
        assert!(DiariumFormat::parse("{year}/1").is_err());
    }
}
