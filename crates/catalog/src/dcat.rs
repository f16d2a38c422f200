//! DCAT-AP 3 / HealthDCAT-AP export, built as an RDF graph with sophia and serialised by
//! sophia's Turtle and JSON-LD serialisers (never by string concatenation).
//!
//! The controlled vocabularies the SHACL shapes check (access rights, frequency, country,
//! data theme) are EU Publications Office concepts; the export carries the few triples of
//! each concept it uses (`skos:inScheme`, `skos:prefLabel`), as harvesters expect.

mod access;

use crate::{DatasetDescription, EHDS_ELI};
use access::{describe_access_service, describe_distribution, describe_page};
use sophia_api::graph::Graph;
use sophia_api::serializer::{QuadSerializer, Stringifier, TripleSerializer};
use sophia_api::term::{BnodeId, IriRef, LanguageTag, SimpleTerm};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const DCATAP: &str = "http://data.europa.eu/r5r/";
const ELI: &str = "http://data.europa.eu/eli/ontology#";
const HEALTH: &str = "http://healthdataportal.eu/ns/health#";
const DQV: &str = "http://www.w3.org/ns/dqv#";
const OA: &str = "http://www.w3.org/ns/oa#";
const DPV: &str = "https://w3id.org/dpv#";
const EU: &str = "http://publications.europa.eu/resource/authority/";
const CSVW: &str = "http://www.w3.org/ns/csvw#";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const IANA: &str = "http://www.iana.org/assignments/media-types/";

/// What the export needs besides the description: where it lives and its version dates.
#[derive(Debug, Clone)]
pub struct CatalogEntry<'a> {
    pub description: &'a DatasetDescription,
    /// The catalogue's version number of this description.
    pub version: i64,
    /// When the first version was registered.
    pub issued: chrono::DateTime<chrono::Utc>,
    /// When this version was registered.
    pub modified: chrono::DateTime<chrono::Utc>,
    /// Rows of the latest checked upload (else the description's figure, if it gives one).
    pub records: Option<u64>,
    /// Distinct people in the latest checked upload (else the description's figure).
    pub individuals: Option<u64>,
}

/// The catalogue as a whole.
#[derive(Debug, Clone)]
pub struct CatalogInfo<'a> {
    /// Base IRI of the catalogue, ending in `/`.
    pub base: &'a str,
    pub title_sv: &'a str,
    pub title_en: &'a str,
    pub hdab_id: &'a str,
    pub hdab_name: &'a str,
}

/// One page of the catalogue for a harvester (Hydra paging): this page's number (from 1),
/// the page size and how many datasets there are in all.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub number: usize,
    pub size: usize,
    pub total: usize,
}

impl Default for CatalogInfo<'static> {
    fn default() -> Self {
        CatalogInfo {
            base: "https://hdab.example.se/",
            title_sv: "Nationell katalog över hälsodata",
            title_en: "National health data catalogue",
            hdab_id: "socialstyrelsen",
            hdab_name: "Socialstyrelsen",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("'{0}' cannot be written as an IRI")]
    Iri(String),
    #[error("serialising RDF failed: {0}")]
    Serialise(String),
}

type Triple = [SimpleTerm<'static>; 3];

struct Builder {
    triples: Vec<Triple>,
    next_bnode: usize,
}

impl Builder {
    fn iri(&self, s: &str) -> Result<SimpleTerm<'static>, ExportError> {
        IriRef::new(s.to_string().into())
            .map(SimpleTerm::Iri)
            .map_err(|_| ExportError::Iri(s.to_string()))
    }

    fn bnode(&mut self) -> SimpleTerm<'static> {
        self.next_bnode += 1;
        let id = format!("b{}", self.next_bnode);
        match BnodeId::new(id.into()) {
            Ok(b) => SimpleTerm::BlankNode(b),
            Err(_) => unreachable!("b<n> is a valid blank node id"),
        }
    }

    fn lang(text: &str, lang: &str) -> SimpleTerm<'static> {
        SimpleTerm::LiteralLanguage(
            text.to_string().into(),
            LanguageTag::new_unchecked(lang.to_string().into()),
            None,
        )
    }

    fn typed(&self, text: String, datatype: &str) -> Result<SimpleTerm<'static>, ExportError> {
        let dt = IriRef::new(format!("{XSD}{datatype}").into())
            .map_err(|_| ExportError::Iri(datatype.to_string()))?;
        Ok(SimpleTerm::LiteralDatatype(text.into(), dt))
    }

    fn add(
        &mut self,
        s: &SimpleTerm<'static>,
        p: &str,
        o: SimpleTerm<'static>,
    ) -> Result<(), ExportError> {
        let p = self.iri(p)?;
        self.triples.push([s.clone(), p, o]);
        Ok(())
    }

    fn a(&mut self, s: &SimpleTerm<'static>, class: &str) -> Result<(), ExportError> {
        let c = self.iri(class)?;
        self.add(s, &format!("{RDF}type"), c)
    }

    /// A concept of a controlled vocabulary, with the triples SHACL checks.
    fn concept(
        &mut self,
        iri: &str,
        scheme: &str,
        label: &str,
    ) -> Result<SimpleTerm<'static>, ExportError> {
        let c = self.iri(iri)?;
        self.a(&c, &format!("{SKOS}Concept"))?;
        self.add(&c, &format!("{SKOS}prefLabel"), Self::lang(label, "en"))?;
        let sch = self.iri(scheme)?;
        self.add(&c, &format!("{SKOS}inScheme"), sch.clone())?;
        self.a(&sch, &format!("{SKOS}ConceptScheme"))?;
        let title = scheme.rsplit('/').next().unwrap_or(scheme).to_string();
        self.add(&sch, &format!("{DCT}title"), Self::lang(&title, "en"))?;
        Ok(c)
    }

    /// Sweden, as the EU country authority names it (a `dct:Location`).
    fn sweden(&mut self) -> Result<SimpleTerm<'static>, ExportError> {
        let sweden = self.concept(
            &format!("{EU}country/SWE"),
            &format!("{EU}country"),
            "Sweden",
        )?;
        self.a(&sweden, &format!("{DCT}Location"))?;
        Ok(sweden)
    }

    fn agent(
        &mut self,
        base: &str,
        id: &str,
        name: &str,
    ) -> Result<SimpleTerm<'static>, ExportError> {
        let a = self.iri(&format!("{base}agent/{id}"))?;
        self.a(&a, &format!("{FOAF}Agent"))?;
        self.add(&a, &format!("{FOAF}name"), Self::lang(name, "sv"))?;
        // Swedish holders are authorities, regions, municipalities and companies; the ADMS
        // publisher types distinguish them, but the description does not say which yet, so
        // only agencies are typed.
        if id == "socialstyrelsen" {
            let kind = self.concept(
                "http://purl.org/adms/publishertype/NationalAuthority",
                "http://purl.org/adms/publishertype/1.0",
                "National authority",
            )?;
            self.add(&a, &format!("{DCT}type"), kind)?;
        }
        Ok(a)
    }
}

/// EU frequency concept for an update frequency (validation only lets these through).
pub fn frequency_code(update_frequency: &str) -> Option<&'static str> {
    Some(match update_frequency {
        "continuous" => "CONT",
        "daily" => "DAILY",
        "weekly" => "WEEKLY",
        "monthly" => "MONTHLY",
        "quarterly" => "QUARTERLY",
        "annual" => "ANNUAL",
        "irregular" => "IRREG",
        "never" => "NEVER",
        _ => return None,
    })
}

fn access_right_code(access: &str) -> &'static str {
    match access {
        "public" => "PUBLIC",
        "restricted" => "RESTRICTED",
        _ => "NON_PUBLIC",
    }
}

fn build(
    info: &CatalogInfo<'_>,
    entries: &[CatalogEntry<'_>],
    page: Option<Page>,
) -> Result<Vec<Triple>, ExportError> {
    let mut b = Builder {
        triples: Vec::new(),
        next_bnode: 0,
    };
    let (catalog, hdab) = describe_catalog(&mut b, info, entries)?;
    let service = describe_access_service(&mut b, info, &catalog, &hdab)?;
    for e in entries {
        let ds = describe_dataset(&mut b, info.base, &catalog, &hdab, e)?;
        describe_coverage(&mut b, info.base, &ds, e)?;
        describe_distribution(&mut b, info.base, &ds, &service, e)?;
    }
    if let Some(p) = page {
        describe_page(&mut b, info.base, &catalog, p)?;
    }
    // Concepts used by several datasets are described once.
    b.triples.sort_by_key(|t| format!("{t:?}"));
    b.triples.dedup();
    Ok(b.triples)
}

/// The catalogue node and what it shares with every dataset: its publisher (the HDAB) is
/// returned with it.
fn describe_catalog(
    b: &mut Builder,
    info: &CatalogInfo<'_>,
    entries: &[CatalogEntry<'_>],
) -> Result<(SimpleTerm<'static>, SimpleTerm<'static>), ExportError> {
    let base = info.base;
    let catalog = b.iri(&format!("{base}catalog"))?;
    b.a(&catalog, &format!("{DCAT}Catalog"))?;
    b.add(
        &catalog,
        &format!("{DCT}title"),
        Builder::lang(info.title_sv, "sv"),
    )?;
    b.add(
        &catalog,
        &format!("{DCT}title"),
        Builder::lang(info.title_en, "en"),
    )?;
    b.add(
        &catalog,
        &format!("{DCT}description"),
        Builder::lang(
            "Beskrivningar av hälsodata som kan användas för sekundär användning enligt EHDS.",
            "sv",
        ),
    )?;
    b.add(
        &catalog,
        &format!("{DCT}description"),
        Builder::lang(
            "Descriptions of health data available for secondary use under the EHDS.",
            "en",
        ),
    )?;
    let hdab = b.agent(base, info.hdab_id, info.hdab_name)?;
    b.add(&catalog, &format!("{DCT}publisher"), hdab.clone())?;
    let themes = b.iri(&format!("{EU}data-theme"))?;
    b.a(&themes, &format!("{SKOS}ConceptScheme"))?;
    // Titled here too: an empty catalogue uses no theme concept that would title it.
    b.add(
        &themes,
        &format!("{DCT}title"),
        Builder::lang("data-theme", "en"),
    )?;
    b.add(&catalog, &format!("{DCAT}themeTaxonomy"), themes)?;
    for (code, label) in [("SWE", "Swedish"), ("ENG", "English")] {
        let lang = b.concept(
            &format!("{EU}language/{code}"),
            &format!("{EU}language"),
            label,
        )?;
        b.a(&lang, &format!("{DCT}LinguisticSystem"))?;
        b.add(&catalog, &format!("{DCT}language"), lang)?;
    }
    let sweden = b.sweden()?;
    b.add(&catalog, &format!("{DCT}spatial"), sweden)?;
    let home = b.iri(base)?;
    b.a(&home, &format!("{FOAF}Document"))?;
    b.add(&catalog, &format!("{FOAF}homepage"), home)?;
    let first = entries.iter().map(|e| e.issued).min();
    let last = entries.iter().map(|e| e.modified).max();
    for (prop, when) in [("issued", first), ("modified", last)] {
        if let Some(t) = when {
            let lit = b.typed(
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "dateTime",
            )?;
            b.add(&catalog, &format!("{DCT}{prop}"), lit)?;
        }
    }
    let ehds = b.iri(EHDS_ELI)?;
    b.a(&ehds, &format!("{ELI}LegalResource"))?;

    Ok((catalog, hdab))
}

/// One dataset: identity, subject, publisher, contact, access and legislation.
fn describe_dataset(
    b: &mut Builder,
    base: &str,
    catalog: &SimpleTerm<'static>,
    hdab: &SimpleTerm<'static>,
    e: &CatalogEntry<'_>,
) -> Result<SimpleTerm<'static>, ExportError> {
    let d = e.description;
    let ds = b.iri(&format!("{base}dataset/{}", d.id))?;
    b.add(catalog, &format!("{DCAT}dataset"), ds.clone())?;
    b.a(&ds, &format!("{DCAT}Dataset"))?;
    b.add(
        &ds,
        &format!("{DCT}identifier"),
        Builder::lang(&d.id, "zxx"),
    )?;
    b.add(
        &ds,
        &format!("{DCT}title"),
        Builder::lang(&d.title.sv, "sv"),
    )?;
    b.add(
        &ds,
        &format!("{DCT}title"),
        Builder::lang(&d.title.en, "en"),
    )?;
    b.add(
        &ds,
        &format!("{DCT}description"),
        Builder::lang(&d.description.sv, "sv"),
    )?;
    b.add(
        &ds,
        &format!("{DCT}description"),
        Builder::lang(&d.description.en, "en"),
    )?;
    for k in &d.keywords {
        b.add(&ds, &format!("{DCAT}keyword"), Builder::lang(k, "sv"))?;
    }
    let heal = b.concept(
        &format!("{EU}data-theme/HEAL"),
        &format!("{EU}data-theme"),
        "Health",
    )?;
    b.add(&ds, &format!("{DCAT}theme"), heal)?;
    for c in &d.health_categories {
        let concept = b.concept(
            &format!("{base}vocabulary/ehds-category/{c}"),
            &format!("{base}vocabulary/ehds-category"),
            &c.replace('-', " "),
        )?;
        b.add(&ds, &format!("{HEALTH}healthCategory"), concept)?;
    }
    let publisher = b.agent(base, &d.holder, &d.holder_name)?;
    b.add(&ds, &format!("{DCT}publisher"), publisher)?;
    b.add(&ds, &format!("{HEALTH}hdab"), hdab.clone())?;
    let contact = b.bnode();
    b.a(&contact, &format!("{VCARD}Kind"))?;
    b.add(
        &contact,
        &format!("{VCARD}fn"),
        Builder::lang(&d.contact_point.name, "sv"),
    )?;
    let mail = b.iri(&format!("mailto:{}", d.contact_point.email))?;
    b.add(&contact, &format!("{VCARD}hasEmail"), mail)?;
    b.add(&ds, &format!("{DCAT}contactPoint"), contact)?;
    let access = b.concept(
        &format!("{EU}access-right/{}", access_right_code(&d.access_rights)),
        &format!("{EU}access-right"),
        &d.access_rights.replace('_', "-"),
    )?;
    b.a(&access, &format!("{DCT}RightsStatement"))?;
    b.add(&ds, &format!("{DCT}accessRights"), access)?;
    for l in &d.applicable_legislation {
        let law = b.iri(l)?;
        b.a(&law, &format!("{ELI}LegalResource"))?;
        b.add(&ds, &format!("{DCATAP}applicableLegislation"), law)?;
    }
    Ok(ds)
}

/// One dataset's coverage, counts, coding systems, legal basis, versions and quality.
fn describe_coverage(
    b: &mut Builder,
    base: &str,
    ds: &SimpleTerm<'static>,
    e: &CatalogEntry<'_>,
) -> Result<(), ExportError> {
    let d = e.description;
    let period = b.bnode();
    b.a(&period, &format!("{DCT}PeriodOfTime"))?;
    let start = b.typed(d.temporal_coverage.start.to_string(), "date")?;
    b.add(&period, &format!("{DCAT}startDate"), start)?;
    if let Some(end) = d.temporal_coverage.end {
        let end = b.typed(end.to_string(), "date")?;
        b.add(&period, &format!("{DCAT}endDate"), end)?;
    }
    b.add(ds, &format!("{DCT}temporal"), period)?;
    let sweden = b.sweden()?;
    b.add(ds, &format!("{DCT}spatial"), sweden)?;
    // The counts of the latest checked upload, where there is one.
    for (prop, value) in [
        (
            "numberOfRecords",
            e.records.or(d.number_of_records).map(|n| n as i64),
        ),
        (
            "numberOfUniqueIndividuals",
            e.individuals
                .or(d.number_of_unique_individuals)
                .map(|n| n as i64),
        ),
        ("minTypicalAge", d.min_typical_age.map(i64::from)),
        ("maxTypicalAge", d.max_typical_age.map(i64::from)),
    ] {
        if let Some(v) = value {
            let lit = b.typed(v.to_string(), "nonNegativeInteger")?;
            b.add(ds, &format!("{HEALTH}{prop}"), lit)?;
        }
    }
    if let Some(p) = &d.population_coverage {
        b.add(
            ds,
            &format!("{HEALTH}populationCoverage"),
            Builder::lang(p, "en"),
        )?;
    }
    for cs in &d.coding_systems {
        let slug: String = cs
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let standard = b.iri(&format!("{base}vocabulary/coding-system/{slug}"))?;
        b.a(&standard, &format!("{DCT}Standard"))?;
        b.add(&standard, &format!("{DCT}title"), Builder::lang(cs, "zxx"))?;
        b.add(ds, &format!("{HEALTH}hasCodingSystem"), standard)?;
    }
    let legal = b.bnode();
    b.a(&legal, &format!("{DPV}LegalBasis"))?;
    b.add(
        &legal,
        &format!("{DCT}description"),
        Builder::lang(&d.legal_basis, "sv"),
    )?;
    b.add(ds, &format!("{DPV}hasLegalBasis"), legal)?;
    if let Some(code) = frequency_code(&d.update_frequency) {
        let f = b.concept(
            &format!("{EU}frequency/{code}"),
            &format!("{EU}frequency"),
            &d.update_frequency,
        )?;
        b.a(&f, &format!("{DCT}Frequency"))?;
        b.add(ds, &format!("{DCT}accrualPeriodicity"), f)?;
    }
    b.add(
        ds,
        &format!("{DCAT}version"),
        Builder::lang(&d.version, "zxx"),
    )?;
    let issued = b.typed(
        e.issued.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "dateTime",
    )?;
    b.add(ds, &format!("{DCT}issued"), issued)?;
    let modified = b.typed(
        e.modified
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "dateTime",
    )?;
    b.add(ds, &format!("{DCT}modified"), modified)?;
    for q in &d.quality_annotations {
        let ann = b.bnode();
        b.a(&ann, &format!("{DQV}QualityAnnotation"))?;
        let body = b.bnode();
        b.a(&body, &format!("{OA}TextualBody"))?;
        b.add(&body, &format!("{RDF}value"), Builder::lang(q, "en"))?;
        b.add(&ann, &format!("{OA}hasBody"), body)?;
        let motive = b.iri(&format!("{DQV}qualityAssessment"))?;
        b.add(&ann, &format!("{OA}motivatedBy"), motive)?;
        b.add(ds, &format!("{DQV}hasQualityAnnotation"), ann)?;
    }
    Ok(())
}

/// The catalogue (or any subset of it) as Turtle.
pub fn to_turtle(
    info: &CatalogInfo<'_>,
    entries: &[CatalogEntry<'_>],
) -> Result<String, ExportError> {
    to_turtle_page(info, entries, None)
}

/// [`to_turtle`] of one page of the catalogue, with its Hydra paging.
pub fn to_turtle_page(
    info: &CatalogInfo<'_>,
    entries: &[CatalogEntry<'_>],
    page: Option<Page>,
) -> Result<String, ExportError> {
    let graph = build(info, entries, page)?;
    use sophia_turtle::serializer::turtle::{TurtleConfig, TurtleSerializer};
    let prefixes: Vec<_> = [
        ("rdf", RDF),
        ("xsd", XSD),
        ("dcat", DCAT),
        ("dct", DCT),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("skos", SKOS),
        ("dcatap", DCATAP),
        ("eli", ELI),
        ("healthdcatap", HEALTH),
        ("dqv", DQV),
        ("oa", OA),
        ("dpv", DPV),
        ("csvw", CSVW),
        ("hydra", HYDRA),
    ]
    .into_iter()
    .filter_map(|(p, ns)| {
        Some((
            sophia_api::prefix::Prefix::new(p.to_string().into_boxed_str()).ok()?,
            sophia_iri::Iri::new(ns.to_string().into_boxed_str()).ok()?,
        ))
    })
    .collect();
    let config = TurtleConfig::new()
        .with_pretty(true)
        .with_own_prefix_map(prefixes);
    let mut ser = TurtleSerializer::new_stringifier_with_config(config);
    ser.serialize_graph(&graph)
        .map_err(|e| ExportError::Serialise(e.to_string()))?;
    Ok(ser.as_str().to_string())
}

/// The catalogue (or any subset of it) as JSON-LD (expanded form: every language-tagged
/// literal carries an explicit `@language`).
pub fn to_jsonld(
    info: &CatalogInfo<'_>,
    entries: &[CatalogEntry<'_>],
) -> Result<String, ExportError> {
    to_jsonld_page(info, entries, None)
}

/// [`to_jsonld`] of one page of the catalogue, with its Hydra paging.
pub fn to_jsonld_page(
    info: &CatalogInfo<'_>,
    entries: &[CatalogEntry<'_>],
    page: Option<Page>,
) -> Result<String, ExportError> {
    let graph = build(info, entries, page)?;
    let mut ser = sophia_jsonld::serializer::JsonLdSerializer::new_stringifier();
    ser.serialize_dataset(&graph.as_dataset())
        .map_err(|e| ExportError::Serialise(e.to_string()))?;
    Ok(ser.as_str().to_string())
}
