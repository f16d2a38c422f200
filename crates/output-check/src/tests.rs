//! Each rule on a file made for it, and the released form of each figure kind.

use super::*;
use std::io::Write;

/// Skatteverket's published test personnummer (valid check digit).
const PNR: &str = "19121212-1212";

fn rules_fired(check: &FileCheck) -> Vec<(Rule, String)> {
    check
        .findings
        .iter()
        .map(|f| (f.rule, f.place.to_string()))
        .collect()
}

fn check(name: &str, text: &str) -> FileCheck {
    check_file(name, text.as_bytes(), &Context::default())
}

#[test]
fn a_cell_of_three_persons_is_flagged_with_its_row_and_column() {
    let c = check(
        "t.csv",
        "county,women,men\nStockholm,120,3\nUppsala,45,52\n",
    );
    assert_eq!(c.verdict, Verdict::Fail);
    assert_eq!(
        rules_fired(&c),
        vec![(Rule::Threshold, "row 1 (Stockholm), column men".into())]
    );
    let ok = check(
        "t.csv",
        "county;women;men\nStockholm;120;30\nUppsala;45;52\n",
    );
    assert_eq!((ok.verdict, ok.findings.len()), (Verdict::Pass, 0));
}

#[test]
fn zeros_totals_and_earlier_releases_are_differenced() {
    let zero = check("t.csv", "group,yes,no\na,0,40\nb,25,30\n");
    assert_eq!(
        rules_fired(&zero),
        vec![(Rule::Zero, "row 1 (a), column yes".into())]
    );
    // Suppressed once in a row that has a total: recoverable.
    let t = "group,yes,no,Total\na,*,40,44\nb,25,30,55\nTotal,29,70,99\n";
    let c = check("t.csv", t);
    let fired = rules_fired(&c);
    assert!(
        fired.contains(&(Rule::Differencing, "row 1 (a), column yes".into())),
        "{fired:?}"
    );
    // The same table one release later with 3 more persons in one cell.
    let before = Table::parse("t.csv", b"group,yes,no\na,50,40\nb,25,30\n").unwrap();
    let context = Context {
        earlier: vec![("release O-2026-1".into(), before)],
        ..Context::default()
    };
    let now = check_file("t.csv", b"group,yes,no\na,53,40\nb,25,30\n", &context);
    assert_eq!(
        rules_fired(&now),
        vec![(Rule::Differencing, "row 1 (a), column yes".into())]
    );
    assert!(now.findings[0].why.contains("release O-2026-1"));
}

#[test]
fn magnitude_cells_are_checked_for_contributors_dominance_and_the_p_rule() {
    let t = "ward,n,mean_cost,top1,top2,sum\n\
             a,40,100,300,200,4000\n\
             b,12,100,1000,150,1200\n\
             c,12,100,600,550,1200\n\
             d,4,100,100,100,400\n";
    let c = check("m.csv", t);
    let fired = rules_fired(&c);
    assert!(
        fired.contains(&(Rule::Dominance, "row 2 (b), column sum".into())),
        "{fired:?}"
    );
    assert!(
        fired.contains(&(Rule::PRatio, "row 2 (b), column sum".into())),
        "{fired:?}"
    );
    assert!(
        fired.contains(&(Rule::Dominance, "row 3 (c), column sum".into())),
        "{fired:?}"
    );
    assert!(
        fired.contains(&(Rule::Threshold, "row 4 (d), column n".into())),
        "{fired:?}"
    );
    assert!(!fired.iter().any(|(_, p)| p.contains("(a)")), "{fired:?}");
    let means = check("m.csv", "ward,mean_cost\na,100.5\nb,99\n");
    assert_eq!(means.verdict, Verdict::NeedsJustification);
    assert_eq!(means.findings[0].rule, Rule::MissingContributors);
}

#[test]
fn record_level_files_are_blocked() {
    let mut t = String::from("person,sex,los\n");
    for i in 0..30 {
        t.push_str(&format!("p{i},{},{}.5\n", ["F", "M"][i % 2], i));
    }
    let c = check("r.csv", &t);
    assert!(
        c.findings
            .iter()
            .any(|f| f.rule == Rule::RecordLevel && f.rule.blocks())
    );
    let mut long = String::from("band,n\n");
    for i in 0..1001 {
        long.push_str(&format!("b{i},20\n"));
    }
    assert_eq!(check("l.csv", &long).findings[0].rule, Rule::RecordLevel);
}

#[test]
fn identifiers_and_the_permits_pseudonyms_are_found_in_any_text() {
    let pseudonym = "abcdefghijklmnopqrstuvwxyz234567";
    let set: HashSet<String> = [pseudonym.to_string()].into();
    let context = Context {
        pseudonyms: Some(&set),
        ..Context::default()
    };
    let text = format!("model fit\nresidual for {pseudonym} is large\nsee {PNR}\n");
    let c = check_file("summary.txt", text.as_bytes(), &context);
    assert_eq!(
        rules_fired(&c),
        vec![
            (Rule::Pseudonym, "line 2 (byte 10)".into()),
            (Rule::PersonId, "line 3 (byte 65)".into())
        ]
    );
    let table = format!("id,n\n{pseudonym},12\n");
    let c = check_file("t.csv", table.as_bytes(), &context);
    assert!(c.findings.iter().any(|f| f.rule == Rule::Pseudonym
        && f.place.to_string() == "row 1 (row 1), column id"));
    // A name that reads as a personnummer is a finding too (the name leaves with the file).
    let named = check_file(&format!("{PNR}.txt"), b"n=40\n", &context);
    assert!(
        named
            .findings
            .iter()
            .any(|f| f.rule == Rule::PersonId && f.place.to_string().contains("the file name"))
    );
    // Never the value in a finding.
    assert!(!format!("{c:?}").contains("row 1 (abcdef"));
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&[0, 0, 0, 0]);
    c
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn png_text_chunks_are_scanned_and_stripped() {
    let mut png = PNG_SIG.to_vec();
    png.extend(chunk(b"IHDR", &[0; 13]));
    png.extend(chunk(b"tEXt", b"Author\0Anna"));
    let mut z = b"Comment\0\0".to_vec();
    z.extend(zlib(format!("patient {PNR}").as_bytes()));
    png.extend(chunk(b"zTXt", &z));
    png.extend(chunk(b"IDAT", &[1, 2, 3]));
    png.extend(chunk(b"IEND", &[]));
    let c = check_file("fig.png", &png, &Context::default());
    assert_eq!(c.kind, FileKind::Png);
    assert_eq!(
        rules_fired(&c),
        vec![(Rule::PersonId, "PNG zTXt chunk at byte 56".into())]
    );
    assert_eq!(c.metadata, vec!["PNG tEXt Author", "PNG zTXt Comment"]);
    let out = released_form(FileKind::Png, &png).unwrap();
    let again = check_file("fig.png", &out, &Context::default());
    assert_eq!((again.verdict, again.metadata.len()), (Verdict::Pass, 0));
    assert!(out.windows(4).any(|w| w == b"IDAT"));
}

const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";

#[test]
fn svg_and_pdf_text_and_metadata() {
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg'><metadata>made by anna</metadata><!-- {PNR} --><text>n=40</text></svg>"
    );
    let c = check("fig.svg", &svg);
    assert_eq!(c.findings[0].rule, Rule::PersonId);
    let out = released_form(FileKind::Svg, svg.as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<svg xmlns='http://www.w3.org/2000/svg'><text>n=40</text></svg>"
    );
    let content = zlib(format!("BT ({PNR}) Tj ET").as_bytes());
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Author (Anna \\(A\\)) /Producer (x) >> endobj\n2 0 obj << /Length 9 /Filter /FlateDecode >>\nstream\n".to_vec();
    pdf.extend(&content);
    pdf.extend(b"\nendstream\nendobj\n3 0 obj << /Type /Metadata /Length 5 >>\nstream\nanna!\nendstream\nendobj\n%%EOF\n");
    let c = check_file("doc.pdf", &pdf, &Context::default());
    assert_eq!(c.kind, FileKind::Pdf);
    assert!(c.findings.iter().any(|f| f.rule == Rule::PersonId
        && matches!(&f.place, Place::Embedded { part, .. } if part == "PDF stream")));
    assert!(c.metadata.contains(&"PDF /Author".to_string()));
    assert!(c.metadata.contains(&"PDF XMP metadata".to_string()));
    let out = released_form(FileKind::Pdf, &pdf).unwrap();
    assert_eq!(out.len(), pdf.len(), "offsets kept");
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("Anna") && !text.contains("anna!"), "{text}");
    assert!(text.contains("/Author (") && text.contains("/Type /Metadata"));
}

#[test]
fn other_files_and_broken_tables_are_refused_in_words() {
    let c = check_file("data.parquet", b"PAR1\0\0", &Context::default());
    assert!(c.findings[0].rule.blocks() && c.findings[0].why.contains("CSV"));
    let c = check("t.csv", "a,b\n1,2,3\n");
    assert_eq!(c.findings[0].rule, Rule::Unreadable);
    assert!(c.findings[0].why.contains("row 1"), "{}", c.findings[0].why);
}
