//! The English and Arabic UI strings: both languages have the same keys, and every key the
//! templates, the code and the rendered pages use exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{TestApp, email, json};
use px360::auth::Role;
use px360::crud::{FieldKind, FieldSpec, Resource};
use px360::domains::accounts::users::Users;
use px360::domains::organizations::departments::Departments;
use px360::domains::organizations::hospitals::Hospitals;
use px360::domains::organizations::orgs::Organizations;
use px360::domains::organizations::patients::Patients;
use px360::domains::organizations::staff::Staff;
use reqwest::StatusCode;
use serde_json::json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
}

/// The message ids of one `.ftl` file (lines `key = …`), in order, duplicates kept.
fn ftl_keys(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|line| {
            let (key, _) = line.split_once(" =")?;
            let mut chars = key.chars();
            let first = chars.next()?;
            (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .then(|| key.to_owned())
        })
        .collect()
}

/// Keys by file name for one language.
fn language(lang: &str) -> BTreeMap<String, Vec<String>> {
    let mut paths = Vec::new();
    files(&root().join("locales").join(lang), "ftl", &mut paths);
    paths.iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), ftl_keys(p))).collect()
}

fn all_keys(lang: &str) -> BTreeSet<String> {
    language(lang).into_values().flatten().collect()
}

#[test]
fn both_languages_have_the_same_files_and_keys() {
    let (en, ar) = (language("en"), language("ar"));
    assert!(!en.is_empty(), "locales/en has .ftl files");
    assert_eq!(en.keys().collect::<Vec<_>>(), ar.keys().collect::<Vec<_>>(), "the same files in en and ar");
    let mut problems = Vec::new();
    for (file, en_keys) in &en {
        let en_set: BTreeSet<&String> = en_keys.iter().collect();
        let ar_set: BTreeSet<&String> = ar[file].iter().collect();
        for k in en_set.difference(&ar_set) {
            problems.push(format!("{file}: {k} is missing in ar"));
        }
        for k in ar_set.difference(&en_set) {
            problems.push(format!("{file}: {k} is missing in en"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_key_is_defined_twice() {
    for lang in ["en", "ar"] {
        let mut seen = BTreeMap::new();
        let mut twice = Vec::new();
        for (file, keys) in language(lang) {
            for k in keys {
                if let Some(first) = seen.insert(k.clone(), file.clone()) {
                    twice.push(format!("{lang}: {k} in {first} and {file}"));
                }
            }
        }
        assert!(twice.is_empty(), "{}", twice.join("\n"));
    }
}

/// Literal keys of `t("…")` / `tn("…", …)` calls (any receiver: `lang.t`, `chrome.t`, bare `t`).
fn literal_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in ["t(\"", "tn(\""] {
        let mut from = 0;
        while let Some(pos) = text[from..].find(call) {
            let start = from + pos;
            from = start + call.len();
            let before = text[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `get("`, `split("`
            }
            if let Some(len) = text[from..].find('"') {
                let key = &text[from..from + len];
                if !key.is_empty() && !key.contains('{') && !key.contains(' ') {
                    keys.push(key.to_owned());
                }
            }
        }
    }
    keys
}

#[test]
fn every_literal_key_in_templates_and_code_exists_in_english() {
    let en = all_keys("en");
    let mut sources = Vec::new();
    files(&root().join("templates"), "html", &mut sources);
    files(&root().join("src"), "rs", &mut sources);
    let mut used = 0;
    let mut missing = Vec::new();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for key in literal_keys(&text) {
            used += 1;
            if !en.contains(&key) {
                missing.push(format!("{}: {key}", path.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(used > 20, "the scan found the keys ({used})");
    assert!(missing.is_empty(), "keys missing from locales/en:\n{}", missing.join("\n"));
}

/// The keys a resource's pages build with `format!`: field labels, choice labels and its title.
fn resource_keys<R: Resource>(out: &mut BTreeSet<String>) {
    out.insert(format!("nav-{}", R::KEY));
    let specs: Vec<&FieldSpec> = R::fields().iter().chain(R::list_filters()).collect();
    for spec in specs {
        out.insert(format!("field-{}", spec.name));
        if let FieldKind::Choice(options, prefix) = spec.kind {
            for option in options {
                out.insert(format!("{prefix}-{option}"));
            }
        }
    }
}

#[test]
fn every_built_key_of_fields_choices_and_roles_exists_in_both_languages() {
    let mut keys = BTreeSet::new();
    resource_keys::<Departments>(&mut keys);
    resource_keys::<Users>(&mut keys);
    resource_keys::<Hospitals>(&mut keys);
    resource_keys::<Organizations>(&mut keys);
    resource_keys::<Staff>(&mut keys);
    resource_keys::<Patients>(&mut keys);
    resource_keys::<px360::domains::journeys::templates::JourneyTemplates>(&mut keys);
    for role in Role::ALL {
        keys.insert(format!("role-{}", role.as_str()));
    }
    for lang in ["en", "ar"] {
        let have = all_keys(lang);
        let missing: Vec<&String> = keys.iter().filter(|k| !have.contains(*k)).collect();
        assert!(missing.is_empty(), "missing in locales/{lang}: {missing:?}");
    }
}

/// Words of a page's text that look like a message id shown raw (`field-created_at`).
fn raw_keys(html: &str, known: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    // Text between tags, and the attributes people read.
    let mut chunks: Vec<&str> = html.split('>').filter_map(|s| s.split('<').next()).collect();
    for attr in ["aria-label=\"", "title=\"", "placeholder=\"", "data-confirm=\""] {
        chunks.extend(html.match_indices(attr).filter_map(|(i, _)| html[i + attr.len()..].split('"').next()));
    }
    for chunk in chunks {
        for word in chunk.split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | '·' | '(' | ')')) {
            let word = word.trim_matches(|c: char| c == '.' || c == '"');
            let looks_like_key = word.contains('-')
                && word.starts_with(|c: char| c.is_ascii_lowercase())
                && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && uuid::Uuid::parse_str(word).is_err();
            if looks_like_key && (known.contains(word) || word.split('-').next().is_some_and(is_key_prefix)) {
                out.push(word.to_owned());
            }
        }
    }
    out
}

fn is_key_prefix(prefix: &str) -> bool {
    matches!(
        prefix,
        "field"
            | "nav"
            | "role"
            | "status"
            | "action"
            | "staff_type"
            | "language"
            | "gender"
            | "channel"
            | "preferred_channel"
            | "stat"
            | "chart"
            | "home"
            | "login"
            | "hospital"
            | "confirm"
            | "password"
            | "filter"
            | "list"
            | "page"
    )
}

#[tokio::test]
async fn every_page_renders_without_a_raw_message_key_in_either_language() {
    let app = TestApp::spawn().await;
    let known: BTreeSet<String> = all_keys("en").union(&all_keys("ar")).cloned().collect();
    let px = app.token(&email(Role::PxAdmin)).await;
    let a = app.hospital_a.id;
    let mut ids = BTreeMap::new();
    for (key, path, body) in [
        ("organizations", "/api/organizations/organizations/", json!({"code": "GRP", "name_en": "Group"})),
        (
            "staff",
            "/api/organizations/staff/",
            json!({"hospital_id": a, "staff_type": "physician", "first_name_en": "Huda", "license_number": "L-1"}),
        ),
        (
            "patients",
            "/api/organizations/patients/",
            json!({"hospital_id": a, "mrn": "MRN-1", "first_name_en": "Salem", "gender": "female", "date_of_birth": "1990-01-02"}),
        ),
    ] {
        let (status, created) = json(app.post(path, &px, &body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        ids.insert(key, created["id"].as_str().unwrap().to_owned());
    }
    ids.insert("departments", app.department_id(a, "EMR-001").await.to_string());
    ids.insert("hospitals", a.to_string());
    ids.insert("users", app.user(Role::Nurse).id.to_string());

    let mut pages = vec!["/".to_owned(), "/audit/".into(), "/account/password/".into(), "/admin/jobs/".into()];
    pages.extend(["/integrations/events/".to_owned(), "/integrations/api-keys/".into()]);
    pages.extend(["/journeys/templates/".to_owned(), "/journeys/templates/new/".into()]);
    for (key, id) in &ids {
        let base = if *key == "users" { "/accounts/users".to_owned() } else { format!("/organizations/{key}") };
        pages.extend([
            format!("{base}/"),
            format!("{base}/new/"),
            format!("{base}/{id}/"),
            format!("{base}/{id}/edit/"),
        ]);
    }
    let (client, csrf) = app.login_page_session(&email(Role::PxAdmin)).await;
    let mut problems = Vec::new();
    for lang in ["ar", "en"] {
        let resp = client
            .post(app.url("/i18n/set-language/"))
            .form(&[("csrf_token", csrf.as_str()), ("language", lang)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        for page in &pages {
            let resp = client.get(app.url(page)).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{lang} {page}");
            let html = resp.text().await.unwrap();
            assert!(html.contains(&format!("lang=\"{lang}\"")), "{lang} {page}");
            for key in raw_keys(&html, &known) {
                problems.push(format!("{lang} {page}: {key}"));
            }
        }
        let login =
            app.client.get(app.url(&format!("/login/?lang={lang}"))).send().await.unwrap().text().await.unwrap();
        for key in raw_keys(&login, &known) {
            problems.push(format!("{lang} /login/: {key}"));
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "untranslated keys shown:\n{}", problems.join("\n"));
}

#[test]
fn the_raw_key_detector_finds_raw_keys_and_ignores_data() {
    let known: BTreeSet<String> = ["nav-home".to_owned()].into();
    let html = r#"<h1>nav-home</h1><td>field-created_at</td><td>EMR-001</td><td>0190c4e2-7b1a-7cc3-9a55-0c2b1e7f7a10</td>
        <a aria-label="role-viewer" class="nav-link">x@y.test</a><p>well-known words</p>"#;
    assert_eq!(raw_keys(html, &known), ["nav-home", "field-created_at", "role-viewer"]);
}
