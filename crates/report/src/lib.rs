//! Reports people read: a data profile as an HTML page with compact charts drawn on the
//! server as SVG (plotters), so the page needs no JavaScript and works offline.
//!
//! Owns the rule "text from data is escaped wherever it is shown": every string that came
//! from an upload goes through [`escape`]. No I/O: callers write the returned strings.

use hdab_catalog::profile::Profile;
use plotters::prelude::*;

/// HTML-escapes text (for element content and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart of labelled values, as an SVG document.
pub fn bar_chart(title: &str, bars: &[(String, f64)], max: f64, unit: &str) -> String {
    let height = 40 + 18 * bars.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 14))
            .margin(6)
            .x_label_area_size(18)
            .y_label_area_size(110)
            .build_cartesian_2d(
                0f64..max.max(1e-9),
                (0usize..bars.len().max(1)).into_segmented(),
            );
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(bars.len().max(1))
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .x_label_formatter(&|v| format!("{v:.0}{unit}"))
                .draw();
            // One band per bar, with a gap between bands so that neighbours do not merge.
            let _ = chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    RGBColor(46, 110, 160).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }));
        }
        let _ = root.present();
    }
    svg
}

/// The profile as a self-contained HTML page: the figures, then records per year,
/// completeness per variable and the top codes, drawn as SVG.
pub fn profile_html(p: &Profile) -> String {
    let mut html = String::new();
    html.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str(&format!(
        "<title>Profile of {}</title>",
        escape(&p.file_name)
    ));
    html.push_str("<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}figure{display:inline-block;margin:.5rem}</style></head><body>");
    html.push_str(&format!("<h1>Profile of {}</h1>", escape(&p.file_name)));
    html.push_str("<table>");
    let mut row = |k: &str, v: String| {
        html.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(k),
            escape(&v)
        ));
    };
    row("Records", p.n_rows.to_string());
    if let Some(n) = p.n_unique_individuals {
        row("Unique individuals", n.to_string());
        row(
            "Invalid or missing identifiers",
            p.n_invalid_identifiers.to_string(),
        );
    }
    if let Some((a, b)) = p.temporal {
        row("Temporal coverage", format!("{a} – {b}"));
    }
    row("Extract date", p.reference_date.to_string());
    html.push_str("</table><h2>Quality</h2><ul>");
    for q in p.quality_annotations() {
        html.push_str(&format!("<li>{}</li>", escape(&q)));
    }
    html.push_str("</ul><h2>Charts</h2>");
    let per_year: Vec<(String, f64)> = p
        .records_per_year
        .iter()
        .map(|(y, n)| (y.to_string(), *n as f64))
        .collect();
    if !per_year.is_empty() {
        let max = per_year.iter().map(|b| b.1).fold(0.0, f64::max);
        html.push_str(&figure(&bar_chart("Records per year", &per_year, max, "")));
    }
    let completeness: Vec<(String, f64)> = p
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.completeness * 100.0))
        .collect();
    html.push_str(&figure(&bar_chart(
        "Completeness per variable",
        &completeness,
        100.0,
        "%",
    )));
    for c in p.columns.iter().filter(|c| !c.top_values.is_empty()) {
        let bars: Vec<(String, f64)> = c
            .top_values
            .iter()
            .map(|(v, n)| (v.clone(), *n as f64))
            .collect();
        let max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
        html.push_str(&figure(&bar_chart(
            &format!("Top values of {}", c.name),
            &bars,
            max,
            "",
        )));
    }
    html.push_str("<h2>Variables</h2><table><tr><th>Variable</th><th>Type</th><th>Code system</th><th>Complete</th><th>Valid</th><th>Distinct</th></tr>");
    for c in &p.columns {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{:.1}%</td><td>{}{}</td></tr>",
            escape(&c.name),
            c.inferred_type.as_str(),
            escape(c.code_system.as_deref().unwrap_or("")),
            c.completeness * 100.0,
            c.validity * 100.0,
            c.n_distinct,
            if c.distinct_capped { "+" } else { "" }
        ));
    }
    html.push_str("</table></body></html>\n");
    html
}

/// An SVG document inlined in a figure (its XML prologue dropped; plotters escapes the
/// text it draws).
fn figure(svg: &str) -> String {
    let body = svg.find("<svg").map_or(svg, |i| &svg[i..]);
    format!("<figure>{body}</figure>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_data_is_escaped() {
        assert_eq!(
            escape("<script>\"x\"&'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;"
        );
    }

    #[test]
    fn a_bar_chart_is_an_svg_with_one_bar_per_value() {
        let svg = bar_chart(
            "t",
            &[("a".into(), 1.0), ("b".into(), 2.0), ("c".into(), 0.5)],
            2.0,
            "",
        );
        assert!(svg.contains("<svg"));
        assert!(svg.matches("<rect").count() >= 3, "{svg}");
    }
}
