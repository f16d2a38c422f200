//! How the catalogue's datasets are reached: the HDAB's access service (a `dcat:DataService`),
//! each dataset's distribution with its data dictionary, and Hydra paging for harvesters.

use super::{
    Builder, CSVW, CatalogEntry, CatalogInfo, DCAT, DCATAP, DCT, EU, ExportError, HEALTH, HYDRA,
    IANA, Page, XSD, access_right_code,
};
use crate::EHDS_ELI;
use sophia_api::term::SimpleTerm;

/// The HDAB's access service: every dataset is reached by applying for a permit and reading
/// it in the secure processing environment (`dcat:DataService`, served by hdab's API).
pub(super) fn describe_access_service(
    b: &mut Builder,
    info: &CatalogInfo<'_>,
    catalog: &SimpleTerm<'static>,
    hdab: &SimpleTerm<'static>,
) -> Result<SimpleTerm<'static>, ExportError> {
    let base = info.base;
    let service = b.iri(&format!("{base}service/spe"))?;
    b.a(&service, &format!("{DCAT}DataService"))?;
    b.add(
        &service,
        &format!("{DCT}title"),
        Builder::lang("Åtkomst i säker miljö efter tillstånd", "sv"),
    )?;
    b.add(
        &service,
        &format!("{DCT}title"),
        Builder::lang(
            "Access in a secure processing environment under a permit",
            "en",
        ),
    )?;
    b.add(
        &service,
        &format!("{DCT}description"),
        Builder::lang(
            "Apply for a data permit (EHDS Art. 67); the data is delivered pseudonymised or anonymised as Parquet into the permit's secure processing environment and read there through Arrow Flight SQL.",
            "en",
        ),
    )?;
    let endpoint = b.iri(&format!("{base}api/v1/"))?;
    b.add(&service, &format!("{DCAT}endpointURL"), endpoint)?;
    let described = b.iri(&format!("{base}api/openapi.json"))?;
    b.add(&service, &format!("{DCAT}endpointDescription"), described)?;
    b.add(&service, &format!("{DCT}publisher"), hdab.clone())?;
    let access = b.concept(
        &format!("{EU}access-right/RESTRICTED"),
        &format!("{EU}access-right"),
        "restricted",
    )?;
    b.a(&access, &format!("{DCT}RightsStatement"))?;
    b.add(&service, &format!("{DCT}accessRights"), access)?;
    let law = b.iri(EHDS_ELI)?;
    b.add(&service, &format!("{DCATAP}applicableLegislation"), law)?;
    b.add(catalog, &format!("{DCAT}service"), service.clone())?;
    Ok(service)
}

/// How a dataset is made available: Parquet in the SPE through the access service, with
/// the data dictionary as the distribution's CSVW table schema.
pub(super) fn describe_distribution(
    b: &mut Builder,
    base: &str,
    ds: &SimpleTerm<'static>,
    service: &SimpleTerm<'static>,
    e: &CatalogEntry<'_>,
) -> Result<(), ExportError> {
    let d = e.description;
    let dist = b.iri(&format!("{base}dataset/{}/distribution/parquet", d.id))?;
    b.a(&dist, &format!("{DCAT}Distribution"))?;
    b.add(ds, &format!("{DCAT}distribution"), dist.clone())?;
    b.add(service, &format!("{DCAT}servesDataset"), ds.clone())?;
    b.add(
        &dist,
        &format!("{DCT}title"),
        Builder::lang(&format!("{} (Parquet, säker miljö)", d.title.sv), "sv"),
    )?;
    b.add(
        &dist,
        &format!("{DCT}title"),
        Builder::lang(
            &format!("{} (Parquet, secure environment)", d.title.en),
            "en",
        ),
    )?;
    b.add(
        &dist,
        &format!("{DCT}description"),
        Builder::lang(
            "Delivered under a data permit, pseudonymised or anonymised, as Parquet files with a manifest into the permit's secure processing environment; the variables are those the permit grants.",
            "en",
        ),
    )?;
    let apply = b.iri(&format!("{base}catalog/{}", d.id))?;
    b.add(&dist, &format!("{DCAT}accessURL"), apply)?;
    b.add(&dist, &format!("{DCAT}accessService"), service.clone())?;
    let format = b.concept(
        &format!("{EU}file-type/PARQUET"),
        &format!("{EU}file-type"),
        "Parquet",
    )?;
    b.a(&format, &format!("{DCT}MediaTypeOrExtent"))?;
    b.add(&dist, &format!("{DCT}format"), format)?;
    let media = b.iri(&format!("{IANA}application/vnd.apache.parquet"))?;
    b.a(&media, &format!("{DCT}MediaType"))?;
    b.add(&dist, &format!("{DCAT}mediaType"), media)?;
    let access = b.concept(
        &format!("{EU}access-right/{}", access_right_code(&d.access_rights)),
        &format!("{EU}access-right"),
        &d.access_rights.replace('_', "-"),
    )?;
    b.add(&dist, &format!("{DCT}accessRights"), access)?;
    // The data dictionary: each variable's name, label, type and sensitivity.
    let schema = b.bnode();
    b.add(&dist, &format!("{CSVW}tableSchema"), schema.clone())?;
    for v in &d.variables {
        let column = b.bnode();
        b.add(&schema, &format!("{CSVW}column"), column.clone())?;
        b.add(
            &column,
            &format!("{CSVW}name"),
            Builder::lang(v.column.as_deref().unwrap_or(&v.name), "zxx"),
        )?;
        b.add(
            &column,
            &format!("{CSVW}titles"),
            Builder::lang(&v.name, "zxx"),
        )?;
        if !v.description.is_empty() {
            b.add(
                &column,
                &format!("{DCT}description"),
                Builder::lang(&v.description, "sv"),
            )?;
        }
        let datatype = match v.variable_type {
            crate::VariableType::Date => "date",
            crate::VariableType::Integer => "integer",
            crate::VariableType::Decimal => "decimal",
            _ => "string",
        };
        let dt = b.iri(&format!("{XSD}{datatype}"))?;
        b.add(&column, &format!("{CSVW}datatype"), dt)?;
        b.add(
            &column,
            &format!("{HEALTH}variableType"),
            Builder::lang(v.variable_type.as_str(), "zxx"),
        )?;
        b.add(
            &column,
            &format!("{HEALTH}sensitivity"),
            Builder::lang(v.sensitivity.as_str(), "zxx"),
        )?;
        if let Some(cs) = &v.code_system {
            b.add(
                &column,
                &format!("{HEALTH}codeSystem"),
                Builder::lang(cs, "zxx"),
            )?;
        }
    }
    Ok(())
}

/// Hydra paging for harvesters: this page, the first, last, previous and next, and the
/// number of datasets in all.
pub(super) fn describe_page(
    b: &mut Builder,
    base: &str,
    catalog: &SimpleTerm<'static>,
    p: Page,
) -> Result<(), ExportError> {
    let size = p.size.max(1);
    let last = p.total.div_ceil(size).max(1);
    let at = |n: usize| format!("{base}api/v1/catalog/harvest?page={n}&per_page={size}");
    let view = b.iri(&at(p.number))?;
    b.a(&view, &format!("{HYDRA}PartialCollectionView"))?;
    b.add(catalog, &format!("{HYDRA}view"), view.clone())?;
    let total = b.typed(p.total.to_string(), "nonNegativeInteger")?;
    b.add(catalog, &format!("{HYDRA}totalItems"), total)?;
    let first = b.iri(&at(1))?;
    b.add(&view, &format!("{HYDRA}first"), first)?;
    let last_page = b.iri(&at(last))?;
    b.add(&view, &format!("{HYDRA}last"), last_page)?;
    if p.number > 1 {
        let prev = b.iri(&at(p.number - 1))?;
        b.add(&view, &format!("{HYDRA}previous"), prev)?;
    }
    if p.number < last {
        let next = b.iri(&at(p.number + 1))?;
        b.add(&view, &format!("{HYDRA}next"), next)?;
    }
    Ok(())
}
