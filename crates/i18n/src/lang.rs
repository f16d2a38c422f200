//! The two languages and how a reader's is chosen.

/// A language hdab speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Swedish: the default everywhere.
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    /// The BCP 47 code (`lang` attributes, cookies, `?lang=`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The language's own name for itself (what a language switch shows).
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
        }
    }

    /// The other language (a two-language switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }

    /// A language code as written in a tag (`sv`, `sv-SE`, `en-GB`, any case).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code
            .trim()
            .split(['-', '_', '.'])
            .next()?
            .to_ascii_lowercase();
        match primary.as_str() {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of hdab's languages in an `Accept-Language` header by its weights
    /// (`en-GB,en;q=0.9,sv;q=0.8` is English); `None` if it names neither.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_code) else {
                continue;
            };
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight <= 0.0 {
                continue;
            }
            // Higher weight first; among equals, the one written first.
            if best.is_none_or(|(w, p, _)| weight > w || (weight == w && position < p)) {
                best = Some((weight, position, lang));
            }
        }
        best.map(|(_, _, lang)| lang)
    }

    /// A reader's language: their explicit choice (a `?lang=` or the saved choice), else the
    /// browser's preference, else Swedish.
    pub fn negotiate(choice: Option<&str>, accept_language: Option<&str>) -> Lang {
        choice
            .and_then(Lang::from_code)
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The language of the command line: `HDAB_LANG`, else the locale (`LC_ALL`,
    /// `LC_MESSAGES`, `LANG`), else Swedish. `C` and `POSIX` name no language.
    pub fn from_environment(get: impl Fn(&str) -> Option<String>) -> Lang {
        ["HDAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| get(name))
            .filter(|v| !v.is_empty())
            .find_map(|v| Lang::from_code(&v))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_unless_english_is_asked_for() {
        assert_eq!(Lang::negotiate(None, None), Lang::Sv);
        assert_eq!(Lang::negotiate(None, Some("de-DE,fr;q=0.8")), Lang::Sv);
        assert_eq!(
            Lang::negotiate(None, Some("en-GB,en;q=0.9,sv;q=0.8")),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(None, Some("sv-SE,sv;q=0.9,en;q=0.8")),
            Lang::Sv
        );
        assert_eq!(
            Lang::negotiate(None, Some("de;q=1.0, sv;q=0.5, en;q=0.7")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, Some("en;q=0, sv;q=0.1")), Lang::Sv);
        assert_eq!(
            Lang::negotiate(Some("sv"), Some("en")),
            Lang::Sv,
            "a choice wins"
        );
        assert_eq!(Lang::negotiate(Some("EN"), None), Lang::En);
        assert_eq!(Lang::negotiate(Some("klingon"), Some("en")), Lang::En);
    }

    #[test]
    fn the_command_line_follows_hdab_lang_then_the_locale() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::from_environment(env(&[])), Lang::Sv);
        assert_eq!(
            Lang::from_environment(env(&[("LANG", "C.UTF-8")])),
            Lang::Sv
        );
        assert_eq!(
            Lang::from_environment(env(&[("LANG", "en_GB.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_environment(env(&[("HDAB_LANG", "sv"), ("LANG", "en_US.UTF-8")])),
            Lang::Sv
        );
    }
}
