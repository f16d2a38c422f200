//! The catalogues: parsed once, shared by every thread, looked up by message id.

use crate::Lang;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;

const SOURCES: [(Lang, &str); 2] = [
    (Lang::Sv, include_str!("../locales/sv.ftl")),
    (Lang::En, include_str!("../locales/en.ftl")),
];

/// A value put into a message (`{ $count }`): text, or a number (which also chooses a
/// plural form).
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}

impl From<usize> for Arg<'_> {
    fn from(v: usize) -> Self {
        Arg::Number(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Number(v)
    }
}

struct Catalogue {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

fn bundle(lang: Lang, source: &str) -> Result<FluentBundle<FluentResource>, String> {
    let resource = FluentResource::try_new(source.to_string())
        .map_err(|(_, errors)| format!("{}.ftl does not parse: {errors:?}", lang.code()))?;
    let id: unic_langid::LanguageIdentifier = lang
        .code()
        .parse()
        .map_err(|e| format!("{}: {e}", lang.code()))?;
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around values: pages and terminals show them as noise.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|errors| format!("{}.ftl: {errors:?}", lang.code()))?;
    Ok(bundle)
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue {
        // A catalogue that does not parse fails the tests (`every_message_…`); in a build
        // that got past them this cannot happen, and a reader then sees message ids.
        bundles: SOURCES
            .iter()
            .filter_map(|(lang, source)| bundle(*lang, source).ok().map(|b| (*lang, b)))
            .collect(),
    })
}

fn format(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    let (_, bundle) = catalogue().bundles.iter().find(|(l, _)| *l == lang)?;
    let pattern = bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

impl Lang {
    /// The message `id` in this language (a missing one — which the tests rule out — falls
    /// back to English, then to the id itself).
    pub fn text(self, id: &str) -> String {
        self.text_with(id, &[])
    }

    /// The message `id` with its values (`("count", n.into())`).
    pub fn text_with(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(t) => fluent.set(*name, FluentValue::from(*t)),
                Arg::Number(n) => fluent.set(*name, FluentValue::from(*n)),
            }
        }
        let args = (!args.is_empty()).then_some(&fluent);
        format(self, id, args)
            .or_else(|| format(Lang::En, id, args))
            .unwrap_or_else(|| id.to_string())
    }

    /// Every message id of this language's catalogue (for the tests and tools).
    pub fn message_ids(self) -> Vec<String> {
        SOURCES
            .iter()
            .filter(|(l, _)| *l == self)
            .flat_map(|(_, source)| {
                source.lines().filter_map(|line| {
                    let (id, _) = line.split_once('=')?;
                    let id = id.trim_end();
                    let first = id.chars().next()?;
                    (first.is_ascii_alphabetic()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    .then(|| id.to_string())
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_message_is_in_both_languages_and_formats_in_each() {
        for (lang, source) in SOURCES {
            if let Err(e) = bundle(lang, source) {
                panic!("{e}");
            }
        }
        let sv: BTreeSet<String> = Lang::Sv.message_ids().into_iter().collect();
        let en: BTreeSet<String> = Lang::En.message_ids().into_iter().collect();
        assert!(
            sv.len() > 20,
            "the Swedish catalogue holds {} messages",
            sv.len()
        );
        let only_sv: Vec<_> = sv.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&sv).collect();
        assert!(only_sv.is_empty(), "missing in English: {only_sv:?}");
        assert!(only_en.is_empty(), "missing in Swedish: {only_en:?}");
        let args = [
            ("count", Arg::Number(2)),
            ("user", Arg::Text("anna")),
            ("dataset", Arg::Text("lakemedel")),
            ("n", Arg::Number(1)),
        ];
        for id in &sv {
            for lang in Lang::ALL {
                let mut fluent = FluentArgs::new();
                for (name, value) in &args {
                    match value {
                        Arg::Text(t) => fluent.set(*name, FluentValue::from(*t)),
                        Arg::Number(n) => fluent.set(*name, FluentValue::from(*n)),
                    }
                }
                let text = format(lang, id, Some(&fluent));
                assert!(
                    text.as_deref().is_some_and(|t| !t.trim().is_empty()),
                    "{id} does not format in {}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn values_and_plurals_come_out_in_each_language() {
        assert_eq!(
            Lang::Sv.text_with("home-datasets", &[("count", Arg::Number(1))]),
            "1 datamängd i katalogen"
        );
        assert_eq!(
            Lang::Sv.text_with("home-datasets", &[("count", Arg::Number(3))]),
            "3 datamängder i katalogen"
        );
        assert_eq!(
            Lang::En.text_with("home-datasets", &[("count", Arg::Number(1))]),
            "1 dataset in the catalogue"
        );
        assert_eq!(Lang::Sv.text("no-such-message"), "no-such-message");
    }
}
