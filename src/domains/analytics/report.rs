//! The command center as files: the same figures the page shows, as Excel sheets (and as a PDF
//! report), in the reader's language.

use super::command_center::CommandCenter;
use super::pages::{card_views, chart_views};
use crate::domains::surveys::rules::round2;
use chrono::Utc;

use crate::http::export::Table;
use crate::http::pdf;
use crate::i18n::Lang;
use crate::i18n::riyadh_time;

/// The overdue complaints as table rows: reference, title, department, hours overdue.
fn overdue_rows(cc: &CommandCenter, lang: Lang) -> Vec<Vec<String>> {
    cc.overdue_complaints
        .iter()
        .map(|o| {
            vec![
                o.reference_number.clone(),
                o.title.clone(),
                lang.pick(&o.department_en, &o.department_ar).to_owned(),
                o.hours_overdue.to_string(),
            ]
        })
        .collect()
}

/// One sheet per part of the page: the cards (with the previous period and the change), each
/// chart's numbers, the overdue complaints.
pub fn sheets(cc: &CommandCenter, lang: Lang, place: &str) -> Vec<(String, Table)> {
    let rtl = lang == Lang::Ar;
    let t = |k: &str| lang.t(k);
    let mut out = Vec::new();
    let mut cards = Table {
        headers: vec![
            t("cc-col-figure"),
            t("cc-col-value"),
            t("cc-col-previous"),
            t("cc-col-change"),
            t("cc-col-change-unit"),
        ],
        rows: Vec::new(),
        note: Some(format!("{place} · {}", filters_text(cc, lang))),
        rtl,
        numbers: true,
    };
    // Plain numbers (no %, no sign) so the sheet can be summed and charted.
    let plain = |v: Option<f64>| v.map(|x| round2(x).to_string()).unwrap_or_default();
    for (view, c) in card_views(cc, lang).into_iter().zip(&cc.cards) {
        // Counts change in %, rates, scores and NPS in points: the unit beside each change.
        let unit = if c.unit == "count" { "%".to_owned() } else { t("cc-points") };
        cards.rows.push(vec![view.label, plain(c.value), plain(c.previous), plain(c.change), unit]);
    }
    out.push((t("cc-sheet-cards"), cards));
    for chart in chart_views(cc, lang) {
        out.push((
            chart.title.clone(),
            Table { headers: chart.headers, rows: chart.rows, note: None, rtl, numbers: true },
        ));
    }
    out.push((
        t("cc-overdue-title"),
        Table {
            headers: vec![t("cc-col-reference"), t("cc-col-title"), t("cc-col-department"), t("cc-col-hours-overdue")],
            rows: overdue_rows(cc, lang),
            note: None,
            rtl,
            numbers: true,
        },
    ));
    out
}

/// The period, the one it is compared with and the journey type, as an export states them.
fn filters_text(cc: &CommandCenter, lang: Lang) -> String {
    let t = |k: &str| lang.t(k);
    let mut text = format!(
        "{} {} → {} · {} {} → {}",
        t("cc-period-label"),
        cc.filters.from,
        cc.filters.to,
        t("cc-vs"),
        cc.previous_from,
        cc.previous_to
    );
    if let Some(journey) = &cc.filters.journey_type {
        text.push_str(&format!(" · {}: {}", t("cc-journey"), t(&format!("journey-type-{journey}"))));
    }
    text
}

/// The footer of an exported report: the product, when and in which time zone.
pub fn footer(lang: Lang) -> String {
    format!("PX360 · {} {} ({})", lang.t("report-generated"), riyadh_time(Utc::now()), lang.t("report-riyadh"))
}

/// The command center as a PDF report: the cards with their change, the six charts with the
/// numbers of the departments and the leaderboard, and the overdue complaints. `place` names
/// the hospital or department the figures are for.
pub fn pdf(cc: &CommandCenter, lang: Lang, place: &str) -> pdf::Report {
    let t = |k: &str| lang.t(k);
    let mut blocks = vec![
        pdf::Block::Heading(t("cc-sheet-cards")),
        pdf::Block::Cards(
            card_views(cc, lang)
                .into_iter()
                .map(|c| pdf::Card {
                    label: c.label,
                    value: c.value,
                    note: match c.change {
                        Some(ch) => format!("{ch} · {} {}", t("cc-previous"), c.previous),
                        None => format!("{} {}", t("cc-previous"), c.previous),
                    },
                })
                .collect(),
        ),
    ];
    for chart in chart_views(cc, lang) {
        blocks.push(pdf::Block::Chart(chart.config.pdf(&chart.title)));
        // The departments and the leaderboard also as tables: their figures do not fit a chart.
        if chart.id == "chart-departments" || chart.id == "chart-leaderboard" {
            blocks.push(pdf::Block::Table(pdf::Table { title: chart.title, headers: chart.headers, rows: chart.rows }));
        }
    }
    blocks.push(pdf::Block::Table(pdf::Table {
        title: t("cc-overdue-title"),
        headers: vec![t("cc-col-reference"), t("cc-col-title"), t("cc-col-department"), t("cc-col-hours-overdue")],
        rows: overdue_rows(cc, lang),
    }));
    pdf::Report {
        title: format!("{} — {place}", t("cc-title")),
        subtitle: filters_text(cc, lang),
        rtl: lang == Lang::Ar,
        footer: footer(lang),
        blocks,
    }
}

/// Renders a report off the async threads (shaping and layout take CPU).
pub async fn render_pdf(report: pdf::Report) -> anyhow::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || pdf::render(&report)).await?
}
