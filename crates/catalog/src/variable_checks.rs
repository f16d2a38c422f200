//! The checks of one variable of a data dictionary that need no other variable.

use crate::{Sensitivity, Variable, VariableType};

impl Variable {
    /// What is wrong with this variable on its own (`where_` names it in each problem).
    pub(crate) fn own_problems(&self, where_: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.sensitivity == Sensitivity::Unknown {
            problems.push(format!(
                "{where_}: sensitivity must be one of direct_identifier, quasi_identifier, sensitive, other"
            ));
        }
        if self.variable_type == VariableType::Unknown {
            problems.push(format!(
                "{where_}: type must be one of person_id, date, code, integer, decimal, text"
            ));
        }
        if self.description.trim().is_empty() {
            problems.push(format!("{where_}: description must not be empty"));
        }
        if self.variable_type == VariableType::PersonId
            && self.sensitivity != Sensitivity::DirectIdentifier
        {
            problems.push(format!(
                "{where_}: a person_id variable must have sensitivity direct_identifier"
            ));
        }
        if self.partial_dates && self.variable_type != VariableType::Date {
            problems.push(format!(
                "{where_}: partial_dates only applies to date variables"
            ));
        }
        if self.hierarchy.is_some() {
            if self.sensitivity != Sensitivity::QuasiIdentifier {
                problems.push(format!(
                    "{where_}: a hierarchy applies only to quasi-identifiers"
                ));
            } else if let Err(e) = self.generalisation_hierarchy() {
                problems.push(format!("{where_}: hierarchy: {e}"));
            }
        }
        if self.variable_type == VariableType::Code && self.code_system.is_none() {
            problems.push(format!(
                "{where_}: a code variable must name its code_system"
            ));
        }
        problems
    }
}
