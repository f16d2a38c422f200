//! Compressed uploads: gzip (`.gz`, also concatenated members) and zstd (`.zst`), told by
//! their magic bytes, never by the name. They are inflated while they are stored, under two
//! bounds, so that a decompression bomb is refused rather than filling the disk: the output
//! may not outgrow [`InflateLimits::ratio`] times the compressed bytes read (once past
//! [`InflateLimits::floor_bytes`]), nor [`InflateLimits::total_bytes`] in all. Memory stays
//! bounded too: both decoders stream, and zstd refuses windows above 128 MiB.

use crate::AppError;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::Path;
use std::rc::Rc;

/// How an upload arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    Plain,
    Gzip,
    Zstd,
}

impl Packing {
    /// From the first bytes of the file.
    pub fn sniff(path: &Path) -> Result<Packing, AppError> {
        let mut head = [0u8; 4];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| AppError::Io(path.display().to_string(), e))?;
        Ok(match &head[..n] {
            [0x1f, 0x8b, ..] => Packing::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd] => Packing::Zstd,
            _ => Packing::Plain,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Packing::Plain => "plain",
            Packing::Gzip => "gzip",
            Packing::Zstd => "zstd",
        }
    }
}

/// Bounds on what a compressed upload may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InflateLimits {
    /// Output bytes per compressed byte (register exports compress 5–30 times).
    pub ratio: u64,
    /// Below this much output the ratio is not checked (small files compress well).
    pub floor_bytes: u64,
    /// The most one upload may expand to.
    pub total_bytes: u64,
}

impl Default for InflateLimits {
    fn default() -> Self {
        InflateLimits {
            ratio: 200,
            floor_bytes: 64 << 20,
            total_bytes: 256 << 30,
        }
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.set(self.n.get() + k as u64);
        Ok(k)
    }
}

/// Inflates `from` into `to` within `limits`; returns the SHA-256 and size of what was
/// written (the data as the pipeline reads it). On any refusal `to` is removed.
pub fn inflate_with_sha256(
    from: &Path,
    to: &Path,
    packing: Packing,
    limits: InflateLimits,
) -> Result<(String, u64), AppError> {
    let src = std::fs::File::open(from).map_err(|e| AppError::Io(from.display().to_string(), e))?;
    let read = Rc::new(Cell::new(0u64));
    let counting = Counting {
        inner: std::io::BufReader::new(src),
        n: read.clone(),
    };
    let mut decoder: Box<dyn Read> = match packing {
        Packing::Plain => Box::new(counting),
        Packing::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counting)),
        Packing::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(counting)
                .map_err(|e| AppError::Io(from.display().to_string(), e))?;
            d.window_log_max(27)
                .map_err(|e| AppError::Io(from.display().to_string(), e))?;
            Box::new(d)
        }
    };
    let mut dst =
        std::fs::File::create(to).map_err(|e| AppError::Io(to.display().to_string(), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let result = (|| -> Result<(), AppError> {
        loop {
            let n = decoder.read(&mut buf).map_err(|e| {
                AppError::Invalid(format!(
                    "the {} file is damaged ({e}); compress it again, or send it uncompressed",
                    packing.name()
                ))
            })?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limits.total_bytes {
                return Err(AppError::Invalid(format!(
                    "the upload expands to more than {} GiB; split it into smaller files or ask the HDAB",
                    limits.total_bytes >> 30
                )));
            }
            if total > limits.floor_bytes && total > limits.ratio.saturating_mul(read.get()) {
                return Err(AppError::Invalid(format!(
                    "the {} file expands more than {} times (refused as a possible decompression bomb); send it uncompressed or ask the HDAB",
                    packing.name(),
                    limits.ratio
                )));
            }
            h.update(&buf[..n]);
            dst.write_all(&buf[..n])
                .map_err(|e| AppError::Io(to.display().to_string(), e))?;
        }
        dst.sync_all()
            .map_err(|e| AppError::Io(to.display().to_string(), e))
    })();
    if let Err(e) = result {
        drop(dst);
        let _ = std::fs::remove_file(to);
        return Err(e);
    }
    Ok((hex::encode(h.finalize()), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = e.write_all(data);
        e.finish().unwrap_or_default()
    }

    #[test]
    fn gzip_and_zstd_inflate_to_the_same_bytes_and_digest_as_plain() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let text = "PERSONNR;KON\n".repeat(1000);
        let plain = dir.path().join("a.csv");
        std::fs::write(&plain, &text).unwrap_or_else(|e| panic!("{e}"));
        let gz = dir.path().join("a.gz");
        // Two members, as `gzip -c a >> b` makes.
        let mut two = gzip(&text.as_bytes()[..5000]);
        two.extend(gzip(&text.as_bytes()[5000..]));
        std::fs::write(&gz, two).unwrap_or_else(|e| panic!("{e}"));
        let zst = dir.path().join("a.zst");
        std::fs::write(
            &zst,
            zstd::encode_all(text.as_bytes(), 3).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut digests = Vec::new();
        for (path, packing) in [
            (&plain, Packing::Plain),
            (&gz, Packing::Gzip),
            (&zst, Packing::Zstd),
        ] {
            assert_eq!(Packing::sniff(path).ok(), Some(packing));
            let out = dir.path().join("out");
            let (sha, n) = inflate_with_sha256(path, &out, packing, InflateLimits::default())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(std::fs::read_to_string(&out).unwrap_or_default(), text);
            assert_eq!(n, text.len() as u64);
            digests.push(sha);
        }
        assert!(digests.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_decompression_bomb_is_refused_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // 16 MiB of zeros compress over 100 times; ratio 50, checked past 1 MiB here.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..16 {
            let _ = e.write_all(&zeros);
        }
        let bomb = e.finish().unwrap_or_default();
        let path = dir.path().join("bomb.gz");
        std::fs::write(&path, &bomb).unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("out");
        let limits = InflateLimits {
            ratio: 50,
            floor_bytes: 1 << 20,
            ..InflateLimits::default()
        };
        let err = inflate_with_sha256(&path, &out, Packing::Gzip, limits)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("decompression bomb"),
            "{} compressed bytes: {err}",
            bomb.len()
        );
        assert!(!out.exists());
        // The absolute bound holds whatever the ratio.
        let tight = InflateLimits {
            ratio: u64::MAX,
            floor_bytes: 0,
            total_bytes: 10 << 20,
        };
        let err = inflate_with_sha256(&path, &out, Packing::Gzip, tight)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("expands to more than"), "{err}");
        assert!(!out.exists());
        // A damaged stream is named as such.
        let text = gzip(&b"PERSONNR;KON\n".repeat(5000));
        let cut = dir.path().join("cut.gz");
        std::fs::write(&cut, &text[..text.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
        let err = inflate_with_sha256(&cut, &out, Packing::Gzip, InflateLimits::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("damaged"), "{err}");
    }
}
