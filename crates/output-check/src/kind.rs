//! A file's kind, from its name and its first bytes (a figure is what its bytes say, not
//! its name: a PNG renamed `.txt` is still scanned as a PNG).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// CSV or TSV.
    Table,
    /// Plain text: model summaries, logs, notes.
    Text,
    Png,
    Svg,
    Pdf,
    Other,
}

impl FileKind {
    pub fn of(name: &str, bytes: &[u8]) -> FileKind {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return FileKind::Png;
        }
        if bytes.starts_with(b"%PDF-") {
            return FileKind::Pdf;
        }
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "csv" | "tsv" | "tab" => FileKind::Table,
            "svg" => FileKind::Svg,
            "png" | "pdf" => FileKind::Other,
            _ if std::str::from_utf8(bytes).is_err() => FileKind::Other,
            _ if looks_like_svg(bytes) => FileKind::Svg,
            "txt" | "md" | "log" | "out" | "lst" | "rtf" | "html" | "htm" | "json" | "tex" => {
                FileKind::Text
            }
            _ => FileKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Table => "table",
            FileKind::Text => "text",
            FileKind::Png => "png",
            FileKind::Svg => "svg",
            FileKind::Pdf => "pdf",
            FileKind::Other => "other",
        }
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    String::from_utf8_lossy(head).contains("<svg")
}
