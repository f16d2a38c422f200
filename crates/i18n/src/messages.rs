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

impl From<u64> for Arg<'_> {
    fn from(v: u64) -> Self {
        Arg::Number(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Number(i64::from(v))
    }
}

impl From<i32> for Arg<'_> {
    fn from(v: i32) -> Self {
        Arg::Number(i64::from(v))
    }
}

/// Numbers by reference too (what templates hand over).
macro_rules! number_by_reference {
    ($($t:ty),*) => {$(
        impl From<&$t> for Arg<'_> {
            fn from(v: &$t) -> Self {
                Arg::from(*v)
            }
        }
    )*};
}
number_by_reference!(usize, i64, u64, u32, i32);

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
        // Every value any message names (`{ $name }`), given as a number (which also
        // stands in for text), so a message formats only if nothing it needs is missing.
        let names: BTreeSet<String> = SOURCES
            .iter()
            .flat_map(|(_, source)| source.split('$').skip(1))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect::<String>()
            })
            .filter(|name| !name.is_empty())
            .collect();
        for id in &sv {
            for lang in Lang::ALL {
                let mut fluent = FluentArgs::new();
                for name in &names {
                    fluent.set(name.as_str(), FluentValue::from(2));
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

    /// Each message's values (`$name`) in one catalogue, by message id.
    fn values_by_message(source: &str) -> std::collections::BTreeMap<String, BTreeSet<String>> {
        let mut by_id = std::collections::BTreeMap::<String, BTreeSet<String>>::new();
        let mut current = None::<String>;
        for line in source.lines() {
            if !line.starts_with([' ', '\t']) {
                current = line
                    .split_once('=')
                    .map(|(id, _)| id.trim().to_string())
                    .filter(|id| !id.is_empty() && !id.starts_with('#'));
            }
            let Some(id) = &current else { continue };
            let names = by_id.entry(id.clone()).or_default();
            for rest in line.split('$').skip(1) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                names.insert(name);
            }
        }
        by_id
    }

    #[test]
    fn a_message_takes_the_same_values_in_both_languages() {
        let sv = values_by_message(SOURCES[0].1);
        let en = values_by_message(SOURCES[1].1);
        for (id, names) in &sv {
            assert_eq!(
                Some(names),
                en.get(id),
                "{id}: the values differ between sv and en"
            );
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
