//! Figures and documents: the text and metadata inside PNG, SVG and PDF files, scanned
//! like any text, and stripped on release.
//!
//! - PNG: the text chunks (`tEXt`, `zTXt`, `iTXt`, inflated where compressed) are scanned;
//!   they, `eXIf` and `tIME` are dropped on release; the image chunks are copied as they are.
//! - SVG: the whole document is text and is scanned; `<metadata>` elements and comments are
//!   removed on release.
//! - PDF: the file and every Flate-compressed stream (page content, where text drawn with
//!   a simple font is legible) are scanned; the document information's values are blanked
//!   in place on release (same length, so the cross-reference table stays right) and an
//!   uncompressed XMP packet is blanked; a compressed XMP packet cannot be blanked in place
//!   and the file must be exported without it.

use crate::{Context, FileKind, Finding, Place, Rule};
use std::io::Read;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_METADATA: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"];
const PDF_INFO_KEYS: [&str; 8] = [
    "/Author",
    "/Creator",
    "/Producer",
    "/Title",
    "/Subject",
    "/Keywords",
    "/CreationDate",
    "/ModDate",
];

pub(crate) fn check(
    kind: FileKind,
    bytes: &[u8],
    context: &Context<'_>,
    out: &mut Vec<Finding>,
    metadata: &mut Vec<String>,
) {
    let parts = match kind {
        FileKind::Png => png_text(bytes, metadata),
        FileKind::Svg => svg_text(bytes, metadata),
        FileKind::Pdf => pdf_text(bytes, metadata, out),
        _ => Ok(vec![]),
    };
    match parts {
        Ok(parts) => {
            for (part, offset, text) in parts {
                // An SVG's text is the file itself: the hit's own offset. Elsewhere the text
                // is inflated or decoded, and the place is where its chunk or stream starts.
                let exact = kind == FileKind::Svg;
                let place = |at: usize| Place::Embedded {
                    part: part.clone(),
                    offset: if exact { offset + at } else { offset },
                };
                crate::text::scan_str(&text, context, &place, out);
            }
        }
        Err(why) => out.push(Finding {
            rule: Rule::Unreadable,
            place: Place::File,
            why,
        }),
    }
}

/// A PNG chunk: its type, the offset where it starts, its data.
type Chunk<'a> = ([u8; 4], usize, &'a [u8]);

/// The PNG's chunks.
fn png_chunks(bytes: &[u8]) -> Result<Vec<Chunk<'_>>, String> {
    let bad = |at: usize| format!("the PNG is damaged at byte {at}; export the figure again");
    let mut at = PNG_SIGNATURE.len();
    let mut chunks = Vec::new();
    while at < bytes.len() {
        let head = bytes.get(at..at + 8).ok_or_else(|| bad(at))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        let data = bytes.get(at + 8..at + 8 + len).ok_or_else(|| bad(at))?;
        bytes
            .get(at + 8 + len..at + 12 + len)
            .ok_or_else(|| bad(at))?;
        chunks.push((kind, at, data));
        at += 12 + len;
        if &kind == b"IEND" {
            break;
        }
    }
    Ok(chunks)
}

type Parts = Vec<(String, usize, String)>;

fn png_text(bytes: &[u8], metadata: &mut Vec<String>) -> Result<Parts, String> {
    let mut parts = Vec::new();
    for (kind, at, data) in png_chunks(bytes)? {
        if !PNG_METADATA.contains(&&kind) {
            continue;
        }
        let name = String::from_utf8_lossy(&kind).to_string();
        let (keyword, rest) = match data.iter().position(|b| *b == 0) {
            Some(z) => (&data[..z], &data[z + 1..]),
            None => (&data[..0], data),
        };
        metadata.push(format!("PNG {name} {}", String::from_utf8_lossy(keyword)));
        let text = match &kind {
            b"zTXt" => inflate(rest.get(1..).unwrap_or_default()),
            b"iTXt" => {
                let compressed = rest.first() == Some(&1);
                // flag, method, language\0, translated keyword\0, text
                let mut fields = rest.get(2..).unwrap_or_default().splitn(3, |b| *b == 0);
                let (lang, translated) = (fields.next(), fields.next());
                let body = fields.next().unwrap_or_default();
                let mut t = String::new();
                for f in [lang, translated].into_iter().flatten() {
                    t.push_str(&String::from_utf8_lossy(f));
                    t.push('\n');
                }
                t.push_str(&if compressed {
                    inflate(body)
                } else {
                    String::from_utf8_lossy(body).to_string()
                });
                t
            }
            _ => String::from_utf8_lossy(rest).to_string(),
        };
        let text = format!("{}\n{text}", String::from_utf8_lossy(keyword));
        parts.push((format!("PNG {name} chunk"), at, text));
    }
    Ok(parts)
}

fn inflate(data: &[u8]) -> String {
    String::from_utf8_lossy(&inflate_bytes(data)).to_string()
}

/// A Flate stream inflated (at most 64 MiB; what does not inflate gives what did).
pub(crate) fn inflate_bytes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut d = flate2::read::ZlibDecoder::new(data).take(64 << 20);
    let _ = d.read_to_end(&mut out);
    out
}

fn svg_text(bytes: &[u8], metadata: &mut Vec<String>) -> Result<Parts, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "the SVG is not UTF-8 (byte {}); export it again",
            e.valid_up_to()
        )
    })?;
    if svg_spans(text, "<metadata", "</metadata>").next().is_some() {
        metadata.push("SVG <metadata>".into());
    }
    if svg_spans(text, "<!--", "-->").next().is_some() {
        metadata.push("SVG comments".into());
    }
    Ok(vec![("SVG document".into(), 0, text.to_string())])
}

/// Byte ranges from `open` to the end of `close` (case-insensitive), in order.
fn svg_spans<'a>(
    text: &'a str,
    open: &'a str,
    close: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    std::iter::from_fn(move || {
        let start = from + lower[from..].find(open)?;
        let end = lower[start..]
            .find(close)
            .map_or(lower.len(), |e| start + e + close.len());
        from = end;
        Some((start, end))
    })
}

/// The PDF's streams: (offset of the data, data, the dictionary before it).
pub(crate) fn pdf_streams(bytes: &[u8]) -> Vec<(usize, &[u8], &[u8])> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(s) = find(&bytes[from..], b"stream") {
        let kw = from + s;
        let mut start = kw + b"stream".len();
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) != Some(&b'\n') || bytes[..kw].ends_with(b"end") {
            from = kw + 6;
            continue;
        }
        start += 1;
        let Some(e) = find(&bytes[start..], b"endstream") else {
            break;
        };
        let end = start + e;
        let dict_start = rfind(&bytes[..kw], b"obj").unwrap_or(0);
        out.push((start, &bytes[start..end], &bytes[dict_start..kw]));
        from = end + b"endstream".len();
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn is_xmp(dict: &[u8]) -> bool {
    let d: Vec<u8> = dict
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    find(&d, b"/Type/Metadata").is_some()
}

fn pdf_text(
    bytes: &[u8],
    metadata: &mut Vec<String>,
    out: &mut Vec<Finding>,
) -> Result<Parts, String> {
    let mut parts = vec![(
        "PDF file".to_string(),
        0,
        String::from_utf8_lossy(bytes).to_string(),
    )];
    for key in PDF_INFO_KEYS {
        if find(bytes, key.as_bytes()).is_some() {
            metadata.push(format!("PDF {key}"));
        }
    }
    for (at, data, dict) in pdf_streams(bytes) {
        let compressed = find(dict, b"FlateDecode").is_some();
        if is_xmp(dict) {
            metadata.push("PDF XMP metadata".into());
            if compressed {
                out.push(Finding {
                    rule: Rule::Unreadable,
                    place: Place::Embedded { part: "PDF XMP metadata".into(), offset: at },
                    why: "the PDF's XMP metadata is compressed and cannot be stripped in place; export the PDF without metadata (or as PNG/SVG)".into(),
                });
            }
        }
        if compressed {
            parts.push(("PDF stream".into(), at, inflate(data)));
        }
    }
    Ok(parts)
}

/// The file as it leaves: metadata stripped (see the module's words). Tables and text leave
/// as they are.
pub fn released_form(kind: FileKind, bytes: &[u8]) -> Result<Vec<u8>, String> {
    match kind {
        FileKind::Png => {
            let mut out = PNG_SIGNATURE.to_vec();
            for (kind, at, data) in png_chunks(bytes)? {
                if !PNG_METADATA.contains(&&kind) {
                    out.extend_from_slice(&bytes[at..at + 12 + data.len()]);
                }
            }
            Ok(out)
        }
        FileKind::Svg => {
            let text =
                std::str::from_utf8(bytes).map_err(|_| "the SVG is not UTF-8".to_string())?;
            let mut spans: Vec<(usize, usize)> = svg_spans(text, "<metadata", "</metadata>")
                .chain(svg_spans(text, "<!--", "-->"))
                .collect();
            spans.sort();
            let mut out = String::new();
            let mut at = 0;
            for (s, e) in spans {
                if s >= at {
                    out.push_str(&text[at..s]);
                    at = e;
                }
            }
            out.push_str(&text[at..]);
            Ok(out.into_bytes())
        }
        FileKind::Pdf => Ok(blank_pdf_metadata(bytes)),
        _ => Ok(bytes.to_vec()),
    }
}

/// Blanks the document information's string values and an uncompressed XMP packet with
/// spaces, keeping every byte offset.
fn blank_pdf_metadata(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for key in PDF_INFO_KEYS {
        let mut from = 0;
        while let Some(p) = find(&out[from..], key.as_bytes()) {
            let mut i = from + p + key.len();
            while out.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
                i += 1;
            }
            match out.get(i) {
                Some(b'(') => {
                    let mut depth = 0usize;
                    let mut j = i;
                    while j < out.len() {
                        match out[j] {
                            b'\\' => {
                                out[j] = b' ';
                                if j + 1 < out.len() {
                                    out[j + 1] = b' ';
                                }
                                j += 2;
                                continue;
                            }
                            b'(' => depth += 1,
                            b')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        if j > i {
                            out[j] = b' ';
                        }
                        j += 1;
                    }
                    from = j;
                }
                Some(b'<') if out.get(i + 1) != Some(&b'<') => {
                    let mut j = i + 1;
                    while j < out.len() && out[j] != b'>' {
                        out[j] = b'0';
                        j += 1;
                    }
                    from = j;
                }
                _ => from = i,
            }
        }
    }
    let xmp: Vec<(usize, usize)> = pdf_streams(&out)
        .into_iter()
        .filter(|(_, _, dict)| is_xmp(dict) && find(dict, b"FlateDecode").is_none())
        .map(|(at, data, _)| (at, data.len()))
        .collect();
    for (at, len) in xmp {
        out[at..at + len].fill(b' ');
    }
    out
}
