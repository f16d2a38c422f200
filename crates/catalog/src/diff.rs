//! Differences between two versions of a document, field by field (a description's
//! versions, an application's submitted versions).

use crate::DatasetDescription;
use serde::Serialize;

/// One difference between two versions of a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Where: `title.en`, `variables[HDIA].sensitivity`, …
    pub path: String,
    /// The value before (JSON), `None` when added.
    pub before: Option<String>,
    /// The value after (JSON), `None` when removed.
    pub after: Option<String>,
}

/// Field-by-field differences from `old` to `new`; variables are matched by name.
pub fn diff(old: &DatasetDescription, new: &DatasetDescription) -> Vec<Change> {
    diff_documents(old, new)
}

/// The differences between two versions of any document (a description, an application),
/// field by field; list items with a `name` or `dataset_id` are matched by it.
pub fn diff_documents<T: Serialize>(old: &T, new: &T) -> Vec<Change> {
    let (a, b) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    let mut out = Vec::new();
    diff_values("", &a, &b, &mut out);
    out
}

/// What names an item of a list, to match it between versions.
fn key_of(v: &serde_json::Value) -> Option<&str> {
    v.get("name")
        .or_else(|| v.get("dataset_id"))
        .and_then(serde_json::Value::as_str)
}

fn diff_values(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<Change>) {
    use serde_json::Value;
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff_values(&join(k), va, vb, out),
                    (va, vb) => out.push(Change {
                        path: join(k),
                        before: va.map(Value::to_string),
                        after: vb.map(Value::to_string),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.iter().chain(y).all(|v| key_of(v).is_some()) => {
            let name = |v: &Value| key_of(v).unwrap_or_default().to_string();
            for va in x {
                let n = name(va);
                match y.iter().find(|vb| name(vb) == n) {
                    Some(vb) => diff_values(&format!("{path}[{n}]"), va, vb, out),
                    None => out.push(Change {
                        path: format!("{path}[{n}]"),
                        before: Some(va.to_string()),
                        after: None,
                    }),
                }
            }
            for vb in y
                .iter()
                .filter(|vb| !x.iter().any(|va| name(va) == name(vb)))
            {
                out.push(Change {
                    path: format!("{path}[{}]", name(vb)),
                    before: None,
                    after: Some(vb.to_string()),
                });
            }
        }
        _ if a != b => out.push(Change {
            path: path.to_string(),
            before: Some(a.to_string()),
            after: Some(b.to_string()),
        }),
        _ => {}
    }
}
