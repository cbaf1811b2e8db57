//! The chrome of pages without a login (public complaint form and tracking, explanation links):
//! the language from `?lang=`, else the language cookie, else Arabic; a link to the other
//! language; no navigation.

use axum::http::HeaderMap;

use crate::auth::session;
use crate::i18n::Lang;

pub struct PublicChrome {
    pub lang: Lang,
    pub title: String,
    /// This page in the other language (`?lang=`), keeping the other query parameters.
    pub other_lang_href: String,
}

impl PublicChrome {
    /// `path` and `query` are the request's; `requested` is its `?lang=` value.
    pub fn new(headers: &HeaderMap, requested: Option<&str>, path: &str, query: Option<&str>, title_key: &str) -> Self {
        let lang = requested
            .and_then(Lang::parse)
            .or_else(|| session::cookie_language(headers).and_then(Lang::parse))
            .unwrap_or(Lang::Ar);
        let mut pairs: Vec<(String, String)> =
            query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        pairs.retain(|(k, _)| k != "lang");
        pairs.push(("lang".into(), lang.other().code().into()));
        let other_lang_href = format!("{path}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default());
        PublicChrome { lang, title: lang.t(title_key), other_lang_href }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn is_rtl(&self) -> bool {
        self.lang == Lang::Ar
    }
}
