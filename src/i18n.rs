//! English and Arabic UI strings from `locales/{en,ar}/*.ftl` (Fluent, CLDR plurals), embedded
//! in the binary. Arabic pages are right-to-left.

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid};
use fluent_templates::{Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static AR: LanguageIdentifier = langid!("ar");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ar,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ar" => Some(Lang::Ar),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Ar => "rtl",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ar,
            Lang::Ar => Lang::En,
        }
    }
    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Ar => &AR,
        }
    }

    /// The message `key`; a missing key shows as the key itself (and fails the locale test).
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(self.id(), key).unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with a count (plural forms) and other arguments.
    pub fn tn(self, key: &str, count: i64) -> String {
        let mut args = HashMap::new();
        args.insert(std::borrow::Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES.try_lookup_with_args(self.id(), key, &args).unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with text arguments (`{ $name }` in the message).
    pub fn t_args(self, key: &str, args: &[(&'static str, &str)]) -> String {
        let args: HashMap<std::borrow::Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (std::borrow::Cow::Borrowed(*k), FluentValue::from(v.to_string()))).collect();
        LOCALES.try_lookup_with_args(self.id(), key, &args).unwrap_or_else(|| key.to_owned())
    }

    /// The bilingual pair's text in this language, falling back to the other one.
    pub fn pick<'a>(self, en: &'a str, ar: &'a str) -> &'a str {
        match self {
            Lang::En if !en.is_empty() => en,
            Lang::Ar if !ar.is_empty() => ar,
            Lang::En => ar,
            Lang::Ar => en,
        }
    }
}

/// A time as the pages and messages show it: Riyadh wall-clock time (UTC+3 all year),
/// `YYYY-MM-DD HH:MM`.
pub fn riyadh_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&crate::jobs::scheduler::riyadh()).format("%Y-%m-%d %H:%M").to_string()
}
