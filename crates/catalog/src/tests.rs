//! Descriptions parsed, validated (every problem at once) and compared.

use super::*;

/// The smallest valid description, as shipped for holders to start from.
const GOOD: &str = include_str!("../../../catalog/examples/minimal.toml");

#[test]
fn a_complete_description_is_accepted() {
    let d = DatasetDescription::from_toml(GOOD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.applicable_legislation, vec![EHDS_ELI.to_string()]);
    assert!(d.variable("pnr").is_some());
}

#[test]
fn every_problem_is_listed_at_once() {
    let bad = GOOD
        .replace(r#"sv = "Demo", "#, r#"sv = "", "#)
        .replace("non_public", "secret")
        .replace("electronic-health-records", "vibes")
        .replace(
            r#"sensitivity = "direct_identifier""#,
            r#"sensitivity = "other""#,
        );
    let Err(CatalogError::Invalid(problems)) = DatasetDescription::from_toml(&bad) else {
        panic!("expected the description to be refused");
    };
    assert_eq!(problems.len(), 4, "{problems:#?}");
}

#[test]
fn a_diff_names_each_changed_field_and_variable() {
    let old = DatasetDescription::from_toml(GOOD).unwrap_or_else(|e| panic!("{e}"));
    let mut new = old.clone();
    new.title.en = "Demo 2".into();
    new.variables.push(Variable {
        name: "KON".into(),
        column: None,
        variable_type: VariableType::Code,
        description: "Sex".into(),
        code_system: Some("SCB".into()),
        sensitivity: Sensitivity::QuasiIdentifier,
        partial_dates: false,
        role: None,
        of_role: None,
        hierarchy: None,
    });
    new.variables[0].description = "Personnummer eller samordningsnummer".into();
    let paths: Vec<String> = diff(&old, &new).into_iter().map(|c| c.path).collect();
    assert_eq!(
        paths,
        ["title.en", "variables[PNR].description", "variables[KON]"]
    );
}

#[test]
fn an_unknown_sensitivity_class_is_listed_with_the_other_problems() {
    let bad = GOOD
        .replace("direct_identifier", "very_secret")
        .replace("holder_name = \"Region X\"\n", "")
        .replace("temporal_coverage = { start = \"2015-01-01\" }\n", "");
    let Err(CatalogError::Invalid(problems)) = DatasetDescription::from_toml(&bad) else {
        panic!("expected the description to be refused");
    };
    let text = problems.join("\n");
    for needle in [
        "variables[0] 'PNR': sensitivity must be one of",
        "holder_name: must not be empty",
        "temporal_coverage.start",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn a_hierarchy_is_checked_against_the_variable_it_coarsens() {
    let mut d = DatasetDescription::from_toml(GOOD).unwrap_or_else(|e| panic!("{e}"));
    d.variables.push(Variable {
        name: "INDATUM".into(),
        column: None,
        variable_type: VariableType::Date,
        description: "Admission".into(),
        code_system: None,
        sensitivity: Sensitivity::QuasiIdentifier,
        partial_dates: false,
        role: None,
        of_role: None,
        hierarchy: Some(vec!["month".into(), "year".into()]),
    });
    let date = d.variables.len() - 1;
    assert!(d.validate().is_ok());
    d.variables[date].hierarchy = Some(vec!["band:5".into()]);
    let Err(CatalogError::Invalid(p)) = d.validate() else {
        panic!("a band on a date was accepted")
    };
    assert!(
        p.iter()
            .any(|p| p.contains("hierarchy: 'band:5' does not apply to a date")),
        "{p:?}"
    );
    d.variables[date].hierarchy = Some(vec!["year".into()]);
    d.variables[date].sensitivity = Sensitivity::Other;
    let Err(CatalogError::Invalid(p)) = d.validate() else {
        panic!("a hierarchy on a variable that is no quasi-identifier was accepted")
    };
    assert!(
        p.iter()
            .any(|p| p.contains("a hierarchy applies only to quasi-identifiers")),
        "{p:?}"
    );
}
