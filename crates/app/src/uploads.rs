//! Uploads: a holder's file copied in (inflated, transcoded, checksummed), checked against
//! the dictionary in a bounded child, and kept only if it passes.

use chrono::{NaiveDate, Utc};
use hdab_pipeline::UploadReport;
use hdab_store::Upload;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::{App, AppError, inflate};
use hdab_permits::access::{self, Duty};

impl App {
    /// Copies the file into the upload store (checksumming as it goes), checks it against the
    /// dataset's data dictionary, and records it. A rejected file leaves nothing behind.
    pub async fn upload(
        &self,
        actor: &str,
        dataset_id: &str,
        file: &Path,
        reference_date: Option<NaiveDate>,
    ) -> Result<(Upload, UploadReport), AppError> {
        self.receive_upload(actor, dataset_id, file, reference_date, None)
            .await
    }

    /// An upload of the register as a whole, or (`order`) one made for a data order, which
    /// it fulfils in the same transaction.
    pub(crate) async fn receive_upload(
        &self,
        actor: &str,
        dataset_id: &str,
        file: &Path,
        reference_date: Option<NaiveDate>,
        order: Option<hdab_store::StoredOrder>,
    ) -> Result<(Upload, UploadReport), AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::UploadData)?;
            let current = self.holders_dataset(&user, dataset_id).await?;
            let id = upload_id(dataset_id);
            // An order is fulfilled once, by an upload of its dataset (checked before the
            // file is read, and again when the event is stored: a racing upload collides).
            if let Some(o) = &order {
                o.order.fulfil(&o.events, dataset_id, &id)?;
            }
            let dir = self.settings.data_dir.join("uploads");
            let Received {
                incoming,
                ext,
                sha256,
                bytes,
            } = self.receive(file, &dir, &id)?;
            // Holders' exports are UTF-8 or Windows-1252; the pipeline reads UTF-8.
            let encoding = if ext == "parquet" {
                "parquet"
            } else {
                match transcode_to_utf8(&incoming) {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = std::fs::remove_file(&incoming);
                        return Err(e);
                    }
                }
            };
            let reference = reference_date.unwrap_or_else(|| Utc::now().date_naive());
            let report = match self
                .check_upload_bounded(&incoming, &current.description, reference)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    // Quarantined files were moved away; anything else is removed.
                    let _ = std::fs::remove_file(&incoming);
                    return Err(e);
                }
            };
            let file_name = format!("{id}.{ext}");
            let stored = dir.join(&file_name);
            std::fs::rename(&incoming, &stored)
                .map_err(|e| AppError::Io(stored.display().to_string(), e))?;
            let upload = Upload {
                id: id.clone(),
                dataset_id: dataset_id.to_string(),
                dataset_version: current.version,
                file_name,
                sha256,
                bytes: bytes as i64,
                n_rows: report.n_rows as i64,
                reference_date: reference,
                report: {
                    let mut r = serde_json::to_value(&report).unwrap_or_default();
                    r["encoding"] = serde_json::Value::from(encoding);
                    r
                },
                uploaded_by: actor.to_string(),
                uploaded_at: Utc::now(),
            };
            let added = match &order {
                None => self.store.add_upload(&upload).await,
                Some(o) => {
                    let event = hdab_permits::orders::OrderEvent {
                        change: o.order.fulfil(&o.events, dataset_id, &id)?,
                        actor: actor.to_string(),
                        at: upload.uploaded_at,
                    };
                    self.store
                        .add_order_upload(&upload, &o.order.id, o.events.len(), &event)
                        .await
                }
            };
            if let Err(e) = added {
                let _ = std::fs::remove_file(&stored);
                return Err(e.into());
            }
            let for_order = order
                .as_ref()
                .map(|o| format!(" for order {}", o.order.id))
                .unwrap_or_default();
            let detail = format!(
                "upload {id}{for_order} rows {} sha256 {}",
                report.n_rows,
                &upload.sha256[..16]
            );
            Ok(((upload, report), detail))
        }
        .await;
        self.audited(actor, "upload", dataset_id, result).await
    }
}

/// A copy of a holder's file that the pipeline can read, as an upload would be stored:
/// inflated if compressed (within `limits`), transcoded to UTF-8 if it was Windows-1252,
/// under `dir`. For reading a file outside an installation (`hdab catalog profile`).
pub fn readable_copy(
    file: &Path,
    dir: &Path,
    limits: inflate::InflateLimits,
) -> Result<PathBuf, AppError> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::Io(dir.display().to_string(), e))?;
    // The copy holds the holder's data, identifiers included: the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| AppError::Io(dir.display().to_string(), e))?;
    }
    let received = receive(file, dir, "profile", limits)?;
    if received.ext != "parquet" {
        transcode_to_utf8(&received.incoming)?;
    }
    let path = dir.join(format!("profile.{}", received.ext));
    std::fs::rename(&received.incoming, &path)
        .map_err(|e| AppError::Io(path.display().to_string(), e))?;
    Ok(path)
}

impl App {
    fn receive(&self, file: &Path, dir: &Path, id: &str) -> Result<Received, AppError> {
        receive(file, dir, id, self.settings.inflate)
    }
}

/// Copies (or, when compressed, inflates within bounds) the holder's file into the upload
/// folder under a hidden name, checksumming as it goes; tells Parquet from text.
fn receive(
    file: &Path,
    dir: &Path,
    id: &str,
    limits: inflate::InflateLimits,
) -> Result<Received, AppError> {
    // Compressed uploads are told by their content and inflated, within bounds,
    // as they are stored.
    let packing = inflate::Packing::sniff(file)?;
    let ext = match file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(e) if e == "csv" || e == "txt" || e == "parquet" => e,
        _ if packing != inflate::Packing::Plain => "csv".to_string(),
        _ => {
            return Err(AppError::Invalid(
                "send CSV (.csv, .txt) or Parquet (.parquet), plain or compressed with gzip (.gz) or zstd (.zst)".into(),
            ));
        }
    };
    std::fs::create_dir_all(dir).map_err(|e| AppError::Io(dir.display().to_string(), e))?;
    let (incoming, ext, sha256, bytes) = if packing == inflate::Packing::Plain {
        let incoming = dir.join(format!(".incoming-{id}.{ext}"));
        let (sha256, bytes) = copy_with_sha256(file, &incoming)?;
        (incoming, ext, sha256, bytes)
    } else {
        let inflated = dir.join(format!(".incoming-{id}.inflating"));
        let (sha256, bytes) = inflate::inflate_with_sha256(file, &inflated, packing, limits)?;
        // What was inside: Parquet by its magic bytes, else text.
        let mut head = [0u8; 4];
        let ext = match std::fs::File::open(&inflated)
            .and_then(|mut f| f.read(&mut head).map(|n| &head[..n]))
        {
            Ok(b"PAR1") => "parquet".to_string(),
            Ok(_) => "csv".to_string(),
            Err(e) => {
                let _ = std::fs::remove_file(&inflated);
                return Err(AppError::Io(inflated.display().to_string(), e));
            }
        };
        let incoming = dir.join(format!(".incoming-{id}.{ext}"));
        if let Err(e) = std::fs::rename(&inflated, &incoming) {
            let _ = std::fs::remove_file(&inflated);
            return Err(AppError::Io(incoming.display().to_string(), e));
        }
        (incoming, ext, sha256, bytes)
    };
    Ok(Received {
        incoming,
        ext,
        sha256,
        bytes,
    })
}

/// A new upload's id: the dataset and twelve random letters. Letters only: random hex digits
/// can spell a valid personnummer (`…-720429565842` holds 7204295658), and the id travels
/// into every manifest, where the leak scanner would rightly refuse it.
fn upload_id(dataset_id: &str) -> String {
    let letters: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(12)
        .map(|c| match c.to_digit(16) {
            // 0–9 become g–p; a–f stay: sixteen letters, the same randomness.
            Some(d) if d < 10 => char::from(b'g' + d as u8),
            _ => c,
        })
        .collect();
    format!("{dataset_id}-{letters}")
}

/// A holder's file as received, not yet checked.
struct Received {
    incoming: PathBuf,
    ext: String,
    sha256: String,
    bytes: u64,
}

/// Leaves a UTF-8 file as it is; rewrites anything else as UTF-8 from Windows-1252 (which
/// maps every byte, so nothing is lost). Returns the encoding found.
pub(crate) fn transcode_to_utf8(path: &Path) -> Result<&'static str, AppError> {
    use std::io::Write;
    let io = |e: std::io::Error| AppError::Io(path.display().to_string(), e);
    let mut src = std::fs::File::open(path).map_err(io)?;
    let mut decoder = encoding_rs::UTF_8.new_decoder_without_bom_handling();
    let mut buf = vec![0u8; 1 << 20];
    let mut scratch = vec![0u8; (1 << 20) + 16];
    let mut valid = true;
    loop {
        let n = src.read(&mut buf).map_err(io)?;
        let (result, _, _) =
            decoder.decode_to_utf8_without_replacement(&buf[..n], &mut scratch, n == 0);
        if matches!(result, encoding_rs::DecoderResult::Malformed(..)) {
            valid = false;
            break;
        }
        if n == 0 {
            break;
        }
    }
    if valid {
        return Ok("utf-8");
    }
    let tmp = path.with_extension("utf8.tmp");
    let mut src = std::fs::File::open(path).map_err(io)?;
    let mut dst = std::fs::File::create(&tmp).map_err(io)?;
    let mut decoder = encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(3 << 20);
    loop {
        let n = src.read(&mut buf).map_err(io)?;
        out.clear();
        let _ = decoder.decode_to_string(&buf[..n], &mut out, n == 0);
        dst.write_all(out.as_bytes()).map_err(io)?;
        if n == 0 {
            break;
        }
    }
    dst.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok("windows-1252")
}

pub(crate) fn copy_with_sha256(from: &Path, to: &Path) -> Result<(String, u64), AppError> {
    use std::io::Write;
    let mut src =
        std::fs::File::open(from).map_err(|e| AppError::Io(from.display().to_string(), e))?;
    let mut dst =
        std::fs::File::create(to).map_err(|e| AppError::Io(to.display().to_string(), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let result = (|| -> std::io::Result<()> {
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            dst.write_all(&buf[..n])?;
            total += n as u64;
        }
        dst.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(to);
        return Err(AppError::Io(to.display().to_string(), e));
    }
    Ok((hex::encode(h.finalize()), total))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_upload_id_never_holds_a_digit_of_its_own() {
        for _ in 0..1000 {
            let id = super::upload_id("slutenvard");
            let random = id.strip_prefix("slutenvard-").unwrap_or_default();
            assert_eq!(random.len(), 12);
            assert!(random.bytes().all(|b| b.is_ascii_lowercase()), "{id}");
        }
    }
}
