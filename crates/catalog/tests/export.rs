//! The DCAT-AP / HealthDCAT-AP export of the sample catalogue, parsed back as RDF.

use hdab_catalog::DatasetDescription;
use hdab_catalog::dcat::{CatalogEntry, CatalogInfo, Page, to_jsonld, to_turtle, to_turtle_page};
use sophia_api::prelude::*;
use sophia_api::term::SimpleTerm;

fn samples() -> Vec<DatasetDescription> {
    ["slutenvard", "lakemedel", "dodsorsak"]
        .iter()
        .map(|n| {
            let path = format!("{}/../../catalog/{n}.toml", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            DatasetDescription::from_toml(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect()
}

/// HealthDCAT-AP's mandatory properties of a dataset (HDAB is mandatory for non-public data).
const MANDATORY: &[&str] = &[
    "http://purl.org/dc/terms/title",
    "http://purl.org/dc/terms/description",
    "http://purl.org/dc/terms/identifier",
    "http://purl.org/dc/terms/publisher",
    "http://purl.org/dc/terms/accessRights",
    "http://data.europa.eu/r5r/applicableLegislation",
    "http://www.w3.org/ns/dcat#contactPoint",
    "http://www.w3.org/ns/dcat#theme",
    "http://www.w3.org/ns/dcat#keyword",
    "http://healthdataportal.eu/ns/health#healthCategory",
    "http://healthdataportal.eu/ns/health#hdab",
    "http://purl.org/dc/terms/temporal",
    "http://purl.org/dc/terms/spatial",
];

#[test]
fn every_dataset_has_every_healthdcat_ap_mandatory_property_after_a_round_trip() {
    let descriptions = samples();
    let now = chrono::Utc::now();
    let entries: Vec<CatalogEntry<'_>> = descriptions
        .iter()
        .map(|d| CatalogEntry {
            description: d,
            version: 1,
            issued: now,
            modified: now,
            records: None,
            individuals: None,
        })
        .collect();
    let info = CatalogInfo::default();
    let turtle = to_turtle(&info, &entries).unwrap_or_else(|e| panic!("{e}"));
    let graph: Vec<[SimpleTerm<'static>; 3]> = sophia_turtle::parser::turtle::parse_str(&turtle)
        .collect_triples()
        .unwrap_or_else(|e| panic!("the Turtle does not parse: {e}"));
    for d in &descriptions {
        let subject = format!("{}dataset/{}", info.base, d.id);
        for p in MANDATORY {
            let found = graph.iter().any(|t| {
                t[0].iri().is_some_and(|s| s.as_str() == subject)
                    && t[1].iri().is_some_and(|x| x.as_str() == *p)
            });
            assert!(found, "{}: {p} is missing", d.id);
        }
        // Titles and descriptions carry their language.
        let langs: Vec<String> = graph
            .iter()
            .filter(|t| {
                t[0].iri().is_some_and(|s| s.as_str() == subject)
                    && t[1]
                        .iri()
                        .is_some_and(|x| x.as_str() == "http://purl.org/dc/terms/title")
            })
            .filter_map(|t| t[2].language_tag().map(|l| l.as_str().to_string()))
            .collect();
        assert_eq!(langs.len(), 2, "{}: {langs:?}", d.id);
    }
    let jsonld = to_jsonld(&info, &entries).unwrap_or_else(|e| panic!("{e}"));
    let parsed: serde_json::Value = serde_json::from_str(&jsonld).unwrap_or_else(|e| panic!("{e}"));
    assert!(jsonld.contains("\"@language\":\"sv\"") && parsed.is_array());
}

fn parse(turtle: &str) -> Vec<[SimpleTerm<'static>; 3]> {
    sophia_turtle::parser::turtle::parse_str(turtle)
        .collect_triples()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn objects(graph: &[[SimpleTerm<'static>; 3]], s: &str, p: &str) -> Vec<String> {
    graph
        .iter()
        .filter(|t| {
            t[0].iri().is_some_and(|i| i.as_str() == s)
                && t[1].iri().is_some_and(|i| i.as_str() == p)
        })
        .map(|t| match &t[2] {
            SimpleTerm::Iri(i) => i.as_str().to_string(),
            SimpleTerm::LiteralDatatype(v, _) => v.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn every_dataset_has_a_distribution_through_the_access_service_and_the_uploads_counts() {
    let descriptions = samples();
    let now = chrono::Utc::now();
    let entries: Vec<CatalogEntry<'_>> = descriptions
        .iter()
        .enumerate()
        .map(|(i, d)| CatalogEntry {
            description: d,
            version: 1,
            issued: now,
            modified: now,
            records: Some(1000 + i as u64),
            individuals: Some(100 + i as u64),
        })
        .collect();
    let info = CatalogInfo {
        base: "https://hdab.socialstyrelsen.se/",
        ..CatalogInfo::default()
    };
    let graph = parse(&to_turtle(&info, &entries).unwrap());
    let text = format!("{graph:?}");
    assert!(
        !text.contains("hdab.example.se"),
        "the base IRI is the setting"
    );
    let h = "http://healthdataportal.eu/ns/health#";
    for (i, d) in descriptions.iter().enumerate() {
        let ds = format!("https://hdab.socialstyrelsen.se/dataset/{}", d.id);
        assert_eq!(
            objects(&graph, &ds, &format!("{h}numberOfRecords")),
            [(1000 + i).to_string()]
        );
        assert_eq!(
            objects(&graph, &ds, &format!("{h}numberOfUniqueIndividuals")),
            [(100 + i).to_string()]
        );
        let dists = objects(&graph, &ds, "http://www.w3.org/ns/dcat#distribution");
        assert_eq!(dists.len(), 1, "{}", d.id);
        let dist = &dists[0];
        assert_eq!(
            objects(&graph, dist, "http://www.w3.org/ns/dcat#accessService"),
            ["https://hdab.socialstyrelsen.se/service/spe"]
        );
        assert_eq!(
            objects(&graph, dist, "http://www.w3.org/ns/dcat#accessURL").len(),
            1
        );
        assert_eq!(
            objects(&graph, dist, "http://purl.org/dc/terms/format"),
            ["http://publications.europa.eu/resource/authority/file-type/PARQUET"]
        );
        // The data dictionary: one column per variable.
        let columns = graph
            .iter()
            .filter(|t| {
                t[1].iri()
                    .is_some_and(|i| i.as_str() == "http://www.w3.org/ns/csvw#column")
            })
            .count();
        assert!(columns >= d.variables.len());
    }
    assert_eq!(
        objects(
            &graph,
            "https://hdab.socialstyrelsen.se/service/spe",
            "http://www.w3.org/ns/dcat#endpointURL"
        ),
        ["https://hdab.socialstyrelsen.se/api/v1/"]
    );
}

#[test]
fn an_empty_catalogue_and_the_harvest_pages_are_exported_too() {
    let info = CatalogInfo::default();
    let empty = parse(&to_turtle(&info, &[]).unwrap());
    let catalog = "https://hdab.example.se/catalog";
    assert!(!objects(&empty, catalog, "http://purl.org/dc/terms/title").is_empty());
    assert!(objects(&empty, catalog, "http://www.w3.org/ns/dcat#dataset").is_empty());

    let descriptions = samples();
    let now = chrono::Utc::now();
    let entries: Vec<CatalogEntry<'_>> = descriptions
        .iter()
        .map(|d| CatalogEntry {
            description: d,
            version: 1,
            issued: now,
            modified: now,
            records: None,
            individuals: None,
        })
        .collect();
    // Page 2 of 2 datasets a page, of 3: one dataset, a previous page and no next.
    let page = Page {
        number: 2,
        size: 2,
        total: 3,
    };
    let graph = parse(&to_turtle_page(&info, &entries[2..], Some(page)).unwrap());
    assert_eq!(
        objects(&graph, catalog, "http://www.w3.org/ns/dcat#dataset").len(),
        1
    );
    assert_eq!(
        objects(
            &graph,
            catalog,
            "http://www.w3.org/ns/hydra/core#totalItems"
        ),
        ["3"]
    );
    let view = objects(&graph, catalog, "http://www.w3.org/ns/hydra/core#view");
    assert_eq!(
        view,
        ["https://hdab.example.se/api/v1/catalog/harvest?page=2&per_page=2"]
    );
    let hydra = "http://www.w3.org/ns/hydra/core#";
    assert_eq!(
        objects(&graph, &view[0], &format!("{hydra}previous")),
        ["https://hdab.example.se/api/v1/catalog/harvest?page=1&per_page=2"]
    );
    assert!(objects(&graph, &view[0], &format!("{hydra}next")).is_empty());
    assert_eq!(
        objects(&graph, &view[0], &format!("{hydra}last")),
        ["https://hdab.example.se/api/v1/catalog/harvest?page=2&per_page=2"]
    );
}
