//! An application's documents: PDF only, size-limited, checksummed, refused when they carry
//! active content (however it is written: plainly, with escaped names, inside a compressed
//! object stream), attached only while the application may change, opened by the case's
//! officer with the bytes and checksum that were attached — and by nobody outside the case.

use crate::support::{Hdab, repo};
use std::io::Write;

/// A small, valid, passive PDF (one page, one line of text).
fn plain_pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The same document made active by `extra` in its catalogue.
fn active_pdf(extra: &str) -> Vec<u8> {
    let plain = String::from_utf8_lossy(&plain_pdf("x")).to_string();
    plain
        .replace(
            "<< /Type /Catalog /Pages 2 0 R >>",
            &format!("<< /Type /Catalog /Pages 2 0 R {extra} >>"),
        )
        .into_bytes()
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

#[test]
fn pdfs_without_active_content_are_attached_while_the_application_may_change_and_opened_by_its_officer()
 {
    let hdab = Hdab::demo();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = repo().join("pipelines/demo-application.toml");
    let id = hdab
        .ok_as(
            "anna",
            &["apply", "create", file.to_str().unwrap_or_default()],
        )
        .trim()
        .to_string();
    let ethics = plain_pdf("Etikprovningsmyndigheten Dnr 2026-01234-01");
    let path = write(tmp.path(), "etikbeslut.pdf", &ethics);
    let out = hdab.ok_as(
        "anna",
        &["apply", "attach", &id, &path, "--kind", "ethics_decision"],
    );
    let attachment = out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let sha = hex_sha256(&ethics);
    assert!(out.contains(&sha), "{out}");

    // Active content, however written, is refused with what it is.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(b"<< /S /Launch /F (calc.exe) >>");
    let hidden = z.finish().unwrap_or_default();
    let mut in_stream = plain_pdf("x");
    let tail = in_stream.split_off(in_stream.len() - 6); // "%%EOF\n"
    in_stream.extend_from_slice(
        format!(
            "9 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length {} >>\nstream\n",
            hidden.len()
        )
        .as_bytes(),
    );
    in_stream.extend_from_slice(&hidden);
    in_stream.extend_from_slice(b"\nendstream\nendobj\n");
    in_stream.extend_from_slice(&tail);
    for (name, bytes, what) in [
        (
            "script.pdf",
            active_pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
            "a script",
        ),
        (
            "escaped.pdf",
            active_pdf("/Names << /J#61vaScript 7 0 R >>"),
            "a script",
        ),
        (
            "embedded.pdf",
            active_pdf("/Names << /EmbeddedFiles 8 0 R >>"),
            "embedded files",
        ),
        ("hidden.pdf", in_stream, "a program launched"),
    ] {
        let path = write(tmp.path(), name, &bytes);
        let err = hdab.fails_as("anna", &["apply", "attach", &id, &path, "--kind", "other"]);
        assert!(
            err.contains("active content") && err.contains(what),
            "{name}: {err}"
        );
    }
    // Not a PDF, a cut-off PDF, too big, an unknown kind: refused, saying what to do.
    let html = write(tmp.path(), "plan.pdf", b"<html><script>x</script></html>");
    let err = hdab.fails_as(
        "anna",
        &["apply", "attach", &id, &html, "--kind", "research_plan"],
    );
    assert!(err.contains("not a PDF"), "{err}");
    let cut = write(tmp.path(), "cut.pdf", &ethics[..ethics.len() / 2]);
    let err = hdab.fails_as(
        "anna",
        &["apply", "attach", &id, &cut, "--kind", "research_plan"],
    );
    assert!(err.contains("cut off"), "{err}");
    let mut big = plain_pdf("x");
    big.splice(10..10, std::iter::repeat_n(b' ', 21 << 20));
    let big = write(tmp.path(), "big.pdf", &big);
    let err = hdab.fails_as(
        "anna",
        &["apply", "attach", &id, &big, "--kind", "research_plan"],
    );
    assert!(err.contains("at most 20 MiB"), "{err}");
    let err = hdab.fails_as("anna", &["apply", "attach", &id, &path, "--kind", "cv"]);
    assert!(
        err.contains("ethics_decision, research_plan, other"),
        "{err}"
    );
    // Someone else's application takes nothing.
    hdab.add_user("bo", "lunds-universitet", &["applicant"]);
    let err = hdab.fails_as("bo", &["apply", "attach", &id, &path, "--kind", "other"]);
    assert!(err.contains("does not exist"), "{err}");

    // Submitted: nothing more is attached; the officer lists and opens it.
    hdab.ok_as("anna", &["apply", "submit", &id]);
    let err = hdab.fails_as("anna", &["apply", "attach", &id, &path, "--kind", "other"]);
    assert!(err.contains("draft or returned"), "{err}");
    hdab.ok_as("olle", &["case", "take", &id]);
    let list = hdab.ok_as("olle", &["apply", "attachments", &id]);
    assert!(
        list.contains("etikbeslut.pdf") && list.contains(&sha),
        "{list}"
    );
    let opened = tmp.path().join("opened.pdf");
    hdab.ok_as(
        "olle",
        &[
            "apply",
            "open-attachment",
            &id,
            &attachment,
            "--out",
            opened.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(std::fs::read(&opened).unwrap_or_default(), ethics);
    let err = hdab.fails_as("bo", &["apply", "attachments", &id]);
    assert!(err.contains("does not exist"), "{err}");
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(
        log.contains("application.attachment.open"),
        "opening is audited"
    );
}

fn hex_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
