//! Active content in a PDF: scripts, actions run on opening, launched programs, embedded
//! files, forms that submit elsewhere. What no file hdab keeps for people to open may carry
//! (an application's attachments; the PDF figures of an output request are checked by
//! `figures`). Names are read as PDF reads them (`/J#61vaScript` is `/JavaScript`), in the
//! file and in every Flate-compressed stream (object streams hide dictionaries there).

use crate::figures::{inflate_bytes, pdf_streams};

/// The PDF names that make a document active, and what each does.
const ACTIVE: &[(&str, &str)] = &[
    ("JavaScript", "a script"),
    ("JS", "a script"),
    ("OpenAction", "an action run when the document opens"),
    ("AA", "actions run on events (opening a page, closing)"),
    ("Launch", "a program launched from the document"),
    ("EmbeddedFile", "an embedded file"),
    ("EmbeddedFiles", "embedded files"),
    ("RichMedia", "embedded media (Flash)"),
    ("XFA", "an XML form (XFA)"),
    ("SubmitForm", "a form that sends its contents elsewhere"),
    ("ImportData", "data imported from a file"),
    ("GoToE", "a jump into an embedded file"),
    ("GoToR", "a jump into another file"),
];

/// What active content a PDF carries (each kind once, in the order of `ACTIVE`); an error
/// when the bytes are not a PDF.
pub fn pdf_active_content(bytes: &[u8]) -> Result<Vec<&'static str>, String> {
    if !bytes.starts_with(b"%PDF-") {
        return Err("the file is not a PDF (it does not start with %PDF-)".into());
    }
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err("the PDF is cut off (no %%EOF at its end): export it again".into());
    }
    let mut names = Vec::new();
    collect_names(bytes, &mut names);
    for (_, data, dict) in pdf_streams(bytes) {
        if dict.windows(11).any(|w| w == b"FlateDecode") {
            collect_names(&inflate_bytes(data), &mut names);
        }
    }
    Ok(ACTIVE
        .iter()
        .filter(|(name, _)| names.iter().any(|n| n == name))
        .map(|(_, what)| *what)
        .fold(Vec::new(), |mut out, what| {
            if !out.contains(&what) {
                out.push(what);
            }
            out
        }))
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b"/[]<>(){}%".contains(&b)
}

/// Every name (`/Name`) in `bytes`, with `#xx` escapes decoded.
fn collect_names(bytes: &[u8], names: &mut Vec<String>) {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut name = Vec::new();
        while j < bytes.len() && !is_delimiter(bytes[j]) {
            if bytes[j] == b'#'
                && let Some(v) = bytes
                    .get(j + 1..j + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                name.push(v);
                j += 3;
                continue;
            }
            name.push(bytes[j]);
            j += 1;
        }
        if !name.is_empty() && name.len() <= 32 {
            names.push(String::from_utf8_lossy(&name).into_owned());
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pdf(body: &[u8]) -> Vec<u8> {
        let mut v = b"%PDF-1.7\n".to_vec();
        v.extend_from_slice(body);
        v.extend_from_slice(b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        v
    }

    #[test]
    fn a_plain_document_is_passive() {
        let plain = pdf(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj");
        assert_eq!(pdf_active_content(&plain), Ok(vec![]));
    }

    #[test]
    fn scripts_and_actions_are_found_plain_escaped_and_compressed() {
        let script = pdf(b"1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj");
        let found = pdf_active_content(&script).unwrap_or_default();
        assert!(
            found.contains(&"a script") && found.contains(&"an action run when the document opens")
        );
        let escaped = pdf(b"1 0 obj\n<< /Names << /J#61vaScript 3 0 R >> >>\nendobj");
        assert_eq!(pdf_active_content(&escaped), Ok(vec!["a script"]));
        // Hidden in a compressed object stream.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = z.write_all(b"<< /Type /Action /S /Launch /F (calc.exe) >>");
        let data = z.finish().unwrap_or_default();
        let mut body =
            b"4 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length 99 >>\nstream\n".to_vec();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream\nendobj");
        assert_eq!(
            pdf_active_content(&pdf(&body)),
            Ok(vec!["a program launched from the document"])
        );
        // A longer name that merely starts like one is not it.
        let lookalike = pdf(b"1 0 obj\n<< /JSON (x) /AAA 1 >>\nendobj");
        assert_eq!(pdf_active_content(&lookalike), Ok(vec![]));
    }

    #[test]
    fn what_is_not_a_whole_pdf_is_refused() {
        assert!(pdf_active_content(b"<html>").is_err());
        assert!(pdf_active_content(b"%PDF-1.7\n1 0 obj").is_err());
    }
}
