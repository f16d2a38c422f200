//! The DCAT-AP / HealthDCAT-AP export of the sample catalogue, parsed back as RDF.

use hdab_catalog::DatasetDescription;
use hdab_catalog::dcat::{CatalogEntry, CatalogInfo, to_jsonld, to_turtle};
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
