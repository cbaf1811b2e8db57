//! A small PDF report writer for the analytics exports (command center, KPI reports).
//!
//! Pure Rust, no external programs: `rustybuzz` shapes the text (Arabic letters join, ligatures
//! such as لا form), `unicode-bidi` puts the runs of a mixed Arabic/English/digits line in visual
//! order, `pdf-writer` writes the objects, and `subsetter` keeps only the glyphs a report uses of
//! the embedded DejaVu Sans (regular and bold, `src/http/fonts/`). Fonts are Type0/CIDFontType2
//! with Identity-H and a ToUnicode map, so the text stays searchable and extractable.
//!
//! Layout: A4 portrait, blocks flow top to bottom; a paragraph and a table break between lines
//! and rows (the table header is repeated), a card row and a chart never split. `rtl` mirrors the
//! page: text starts at the right, table columns and chart categories run right to left.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use anyhow::{Context as _, anyhow};
use pdf_writer::types::{CidFontType, FontFlags, LineCapStyle, LineJoinStyle, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};
use rustybuzz::{Direction, Face, Script, ShapePlan, UnicodeBuffer};
use subsetter::GlyphRemapper;
use unicode_bidi::{Level, ParagraphBidiInfo};

/// A report to export: a title block, then blocks in order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    /// Filters and period; may be empty.
    pub subtitle: String,
    /// An Arabic page: right-aligned text, tables' columns and chart categories right to left.
    pub rtl: bool,
    /// Shown at the bottom of every page, next to "n / N".
    pub footer: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// KPI cards: label, value, optional note (e.g. "+12.5 % vs previous period").
    Cards(Vec<Card>),
    Chart(Chart),
    Table(Table),
}

#[derive(Debug, Clone, Default)]
pub struct Card {
    pub label: String,
    pub value: String,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bar,
    Line,
    Doughnut,
}

#[derive(Debug, Clone, Default)]
pub struct Series {
    pub name: String,
    /// One value per label; `None` is a gap (line) or no bar.
    pub values: Vec<Option<f64>>,
}

/// A chart; a doughnut uses the first series only.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Renders the report as a PDF document.
pub fn render(report: &Report) -> anyhow::Result<Vec<u8>> {
    let mut doc = Doc::new(report)?;
    doc.layout();
    doc.finish()
}

// ---------------------------------------------------------------------------------------------
// Page geometry (points) and colours

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 42.0;
const TOP: f32 = PAGE_H - 46.0;
/// Nothing but the footer goes below this line.
const BOTTOM: f32 = 58.0;
const LEFT: f32 = MARGIN_X;
const RIGHT: f32 = PAGE_W - MARGIN_X;
const CONTENT_W: f32 = RIGHT - LEFT;

/// Longest table cell shown, in characters; the rest is cut with an ellipsis.
const MAX_CELL_CHARS: usize = 280;
/// Most lines a table cell shows.
const MAX_CELL_LINES: usize = 6;
const CHART_H: f32 = 240.0;

type Rgb = (f32, f32, f32);

const INK: Rgb = (0.12, 0.15, 0.20);
const MUTED: Rgb = (0.40, 0.44, 0.50);
const RULE: Rgb = (0.84, 0.86, 0.89);
const GRID: Rgb = (0.90, 0.91, 0.93);
const ACCENT: Rgb = (0.05, 0.33, 0.52);
const CARD_BG: Rgb = (0.955, 0.965, 0.98);
const ZEBRA: Rgb = (0.965, 0.972, 0.982);
const WHITE: Rgb = (1.0, 1.0, 1.0);

/// Tableau 10: distinguishable, print-safe series colours.
const PALETTE: [Rgb; 10] = [
    (0.306, 0.475, 0.655),
    (0.949, 0.557, 0.169),
    (0.349, 0.631, 0.310),
    (0.882, 0.341, 0.349),
    (0.463, 0.718, 0.698),
    (0.929, 0.788, 0.282),
    (0.690, 0.478, 0.631),
    (1.000, 0.616, 0.655),
    (0.612, 0.459, 0.373),
    (0.729, 0.690, 0.675),
];

fn palette(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

// ---------------------------------------------------------------------------------------------
// Fonts and text shaping

static REGULAR_TTF: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Weight {
    Regular,
    Bold,
}

/// One positioned glyph; advances and offsets are in em (multiply by the font size).
#[derive(Debug, Clone)]
struct Glyph {
    gid: u16,
    adv: f32,
    dx: f32,
    dy: f32,
    /// The characters this glyph stands for (its cluster), for the ToUnicode map.
    text: String,
}

/// A line of glyphs in visual (left to right) order.
#[derive(Debug, Clone, Default)]
struct Shaped {
    glyphs: Vec<Glyph>,
    width_em: f32,
}

struct Font {
    face: Face<'static>,
    data: &'static [u8],
    upem: f32,
    remap: GlyphRemapper,
    /// New (subset) glyph id → text.
    unicode: BTreeMap<u16, String>,
    /// Shaping plans by direction and script (building one costs more than shaping a line).
    plans: RefCell<HashMap<(bool, Script), Rc<ShapePlan>>>,
}

impl Font {
    fn load(data: &'static [u8]) -> anyhow::Result<Self> {
        let face = Face::from_slice(data, 0).ok_or_else(|| anyhow!("pdf: the embedded font does not parse"))?;
        let upem = face.units_per_em() as f32;
        Ok(Self { face, data, upem, remap: GlyphRemapper::new(), unicode: BTreeMap::new(), plans: RefCell::default() })
    }

    /// The advance the PDF viewer assumes for a glyph (its `hmtx` width), in em.
    fn hmtx_em(&self, gid: u16) -> f32 {
        f32::from(self.face.glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid)).unwrap_or(0)) / self.upem
    }

    fn plan(&self, rtl: bool, script: Script) -> Rc<ShapePlan> {
        if let Some(plan) = self.plans.borrow().get(&(rtl, script)) {
            return plan.clone();
        }
        let direction = if rtl { Direction::RightToLeft } else { Direction::LeftToRight };
        let plan = Rc::new(ShapePlan::new(&self.face, direction, Some(script), None, &[]));
        self.plans.borrow_mut().insert((rtl, script), plan.clone());
        plan
    }

    fn em(&self, units: i32) -> f32 {
        units as f32 / self.upem
    }
}

/// Shapes one directional run; glyphs come back in visual order.
fn shape_run(font: &Font, text: &str, rtl: bool) -> Vec<Glyph> {
    let mut buf = UnicodeBuffer::new();
    buf.push_str(text);
    buf.guess_segment_properties();
    buf.set_direction(if rtl { Direction::RightToLeft } else { Direction::LeftToRight });
    let plan = font.plan(rtl, buf.script());
    let out = rustybuzz::shape_with_plan(&font.face, &plan, buf);
    let infos = out.glyph_infos();
    let positions = out.glyph_positions();
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut seen = HashSet::new();
    infos
        .iter()
        .zip(positions)
        .map(|(info, pos)| {
            let start = info.cluster as usize;
            let end = starts.iter().copied().find(|&s| s > start).unwrap_or(text.len());
            let text = if seen.insert(start) { text.get(start..end).unwrap_or("").to_string() } else { String::new() };
            Glyph {
                gid: u16::try_from(info.glyph_id).unwrap_or(0),
                adv: font.em(pos.x_advance),
                dx: font.em(pos.x_offset),
                dy: font.em(pos.y_offset),
                text,
            }
        })
        .collect()
}

fn is_rtl_char(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// The paragraph direction of a string: right to left on an Arabic page when it holds any
/// right-to-left letter, otherwise its first strong character decides (Unicode P2/P3).
fn base_level(text: &str, page_rtl: bool) -> Option<Level> {
    if page_rtl && text.chars().any(is_rtl_char) { Some(Level::rtl()) } else { None }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('\u{660}'..='\u{669}').contains(&c)
}

const LRI: char = '\u{2066}';
const PDI: char = '\u{2069}';

/// Wraps signed numbers, dates, times and percentages ("+12.5 %", "2026-06-01", "-3.1") in
/// left-to-right isolates when the text holds right-to-left letters. Plain Unicode bidi would
/// show them as "12.5 %+" and "01-06-2026" inside Arabic, as browsers do.
fn isolate_numbers(text: &str) -> String {
    if !text.chars().any(is_rtl_char) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next_digit = chars.get(i + 1).is_some_and(|n| is_digit(*n));
        let sign = matches!(c, '+' | '-' | '−')
            && next_digit
            && (i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(');
        if !(is_digit(c) || sign) {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < chars.len() {
            let d = chars[i];
            let joins =
                matches!(d, '.' | ',' | ':' | '/' | '-' | '٫' | '٬') && chars.get(i + 1).is_some_and(|n| is_digit(*n));
            if is_digit(d) || joins {
                i += 1;
            } else {
                break;
            }
        }
        if chars.get(i) == Some(&'%') {
            i += 1;
        } else if chars.get(i) == Some(&' ') && chars.get(i + 1) == Some(&'%') {
            i += 2;
        }
        let token = &chars[start..i];
        if token.iter().all(|c| is_digit(*c)) {
            out.extend(token);
        } else {
            out.push(LRI);
            out.extend(token);
            out.push(PDI);
        }
    }
    out
}

/// Bidi-reorders and shapes one line (no line breaks inside).
fn shape_line(font: &Font, text: &str, base: Option<Level>) -> Shaped {
    let mut shaped = Shaped::default();
    if text.is_empty() {
        return shaped;
    }
    let text = isolate_numbers(text);
    let bidi = ParagraphBidiInfo::new(&text, base);
    let (levels, runs) = bidi.visual_runs(0..text.len());
    for run in runs {
        let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
        if let Some(part) = text.get(run) {
            let part: String = part.chars().filter(|c| !matches!(c, '\u{2066}'..='\u{2069}')).collect();
            if !part.is_empty() {
                shaped.glyphs.extend(shape_run(font, &part, rtl));
            }
        }
    }
    shaped.width_em = shaped.glyphs.iter().map(|g| g.adv).sum();
    shaped
}

/// How a piece of text is drawn.
#[derive(Debug, Clone, Copy)]
struct Style {
    weight: Weight,
    size: f32,
    color: Rgb,
}

impl Style {
    const fn new(weight: Weight, size: f32, color: Rgb) -> Self {
        Self { weight, size, color }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    /// Where reading starts: left on an English page, right on an Arabic one.
    Start,
    End,
    Center,
}

fn ellipsize_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

fn is_numeric(text: &str) -> bool {
    let t = text.trim();
    t.chars().any(|c| c.is_ascii_digit()) && t.chars().all(|c| c.is_ascii_digit() || " .,%+-−/:٫٬".contains(c))
}

/// A tick step of 1, 2, 2.5 or 5 × 10^k giving about `target` intervals over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// The axis range and ticks for values (zero always included).
fn axis_ticks(min: f64, max: f64) -> Vec<f64> {
    let (mut lo, mut hi) = (min.min(0.0), max.max(0.0));
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    let step = nice_step(hi - lo, 5.0);
    lo = (lo / step).floor() * step;
    hi = (hi / step).ceil() * step;
    let n = ((hi - lo) / step).round() as usize;
    (0..=n).map(|i| lo + step * i as f64).collect()
}

fn format_number(v: f64) -> String {
    if v.abs() >= 1e15 {
        format!("{v:e}")
    } else if (v - v.round()).abs() < 1e-9 {
        let r = v.round() as i64;
        let digits = r.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if r < 0 { format!("-{out}") } else { out }
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// The document being laid out

/// Where a block landed, for the layout tests.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    page: usize,
    what: &'static str,
    top: f32,
    bottom: f32,
}

struct Doc<'r> {
    report: &'r Report,
    rtl: bool,
    fonts: [Font; 2],
    pages: Vec<Content>,
    /// The page being drawn on.
    cur: usize,
    y: f32,
    /// The y at which the current page's flow starts (below the running header).
    page_top: f32,
    placed: Vec<Placed>,
    /// Measured widths (em) by weight and text: tables repeat their words a lot.
    widths: RefCell<HashMap<(Weight, String), f32>>,
}

impl<'r> Doc<'r> {
    fn new(report: &'r Report) -> anyhow::Result<Self> {
        Ok(Self {
            report,
            rtl: report.rtl,
            fonts: [Font::load(REGULAR_TTF)?, Font::load(BOLD_TTF)?],
            pages: Vec::new(),
            cur: 0,
            y: TOP,
            page_top: TOP,
            placed: Vec::new(),
            widths: RefCell::default(),
        })
    }

    fn font(&self, w: Weight) -> &Font {
        &self.fonts[w as usize]
    }

    // --- text measuring ---

    fn shape(&self, w: Weight, text: &str) -> Shaped {
        shape_line(self.font(w), text, base_level(text, self.rtl))
    }

    fn width(&self, w: Weight, size: f32, text: &str) -> f32 {
        let key = (w, text.to_string());
        if let Some(em) = self.widths.borrow().get(&key) {
            return em * size;
        }
        let em = self.shape(w, text).width_em;
        self.widths.borrow_mut().insert(key, em);
        em * size
    }

    /// Breaks text into lines no wider than `max_w` (between words; inside a word only when
    /// the word alone is too wide). Lines are in logical order.
    fn wrap(&self, w: Weight, size: f32, text: &str, max_w: f32) -> Vec<String> {
        // Words are shaped once; a line's width is its words' plus the spaces between them
        // (shaping does not reach across a space).
        let space = self.width(w, size, " ");
        let mut lines = Vec::new();
        for hard in text.split('\n') {
            let mut cur = String::new();
            let mut cur_w = 0.0;
            for word in hard.split_whitespace() {
                let word_w = self.width(w, size, word);
                if !cur.is_empty() && cur_w + space + word_w <= max_w {
                    cur.push(' ');
                    cur.push_str(word);
                    cur_w += space + word_w;
                    continue;
                }
                if !cur.is_empty() {
                    lines.push(std::mem::take(&mut cur));
                }
                if word_w <= max_w {
                    cur = word.to_string();
                    cur_w = word_w;
                    continue;
                }
                // A word wider than the box: cut it between characters.
                cur_w = 0.0;
                for c in word.chars() {
                    let c_w = self.width(w, size, c.encode_utf8(&mut [0; 4]));
                    if !cur.is_empty() && cur_w + c_w > max_w {
                        lines.push(std::mem::take(&mut cur));
                        cur_w = 0.0;
                    }
                    cur.push(c);
                    cur_w += c_w;
                }
            }
            lines.push(cur);
        }
        lines
    }

    /// Wraps, keeping at most `max_lines`; the last kept line ends with an ellipsis if cut.
    fn wrap_max(&self, w: Weight, size: f32, text: &str, max_w: f32, max_lines: usize) -> Vec<String> {
        let mut lines = self.wrap(w, size, text, max_w);
        if lines.len() > max_lines {
            lines.truncate(max_lines.max(1));
            if let Some(last) = lines.last_mut() {
                *last = self.fit(w, size, &format!("{last}…"), max_w);
            }
        }
        lines
    }

    /// The text itself if it fits `max_w`, else cut with an ellipsis.
    fn fit(&self, w: Weight, size: f32, text: &str, max_w: f32) -> String {
        if self.width(w, size, text) <= max_w {
            return text.to_string();
        }
        let chars: Vec<char> = text.trim_end_matches('…').chars().collect();
        let (mut lo, mut hi) = (0usize, chars.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let s: String = chars[..mid].iter().collect();
            if self.width(w, size, &format!("{}…", s.trim_end())) <= max_w {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let s: String = chars[..lo].iter().collect();
        format!("{}…", s.trim_end())
    }

    // --- drawing ---

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.new_page();
        }
        let i = self.cur.min(self.pages.len() - 1);
        &mut self.pages[i]
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.cur = self.pages.len() - 1;
        self.y = TOP;
        if self.pages.len() > 1 {
            // A running header: the report's title, small, above a rule.
            let title = self.fit(Weight::Regular, 8.0, &self.report.title.clone(), CONTENT_W);
            self.text(Style::new(Weight::Regular, 8.0, MUTED), &title, (LEFT, RIGHT), TOP + 4.0, Align::Start);
            self.hline(LEFT, RIGHT, TOP - 4.0, RULE, 0.6);
            self.y = TOP - 20.0;
        }
        self.page_top = self.y;
    }

    /// Starts a new page unless `h` more points fit (or the page is still empty).
    fn ensure(&mut self, h: f32) {
        if self.pages.is_empty() {
            self.new_page();
        }
        if self.y - h < BOTTOM && self.y < self.page_top {
            self.new_page();
        }
    }

    fn place(&mut self, what: &'static str, top: f32, bottom: f32) {
        self.placed.push(Placed { page: self.cur, what, top, bottom });
    }

    fn resolve(&self, align: Align) -> Align {
        match (align, self.rtl) {
            (Align::Start, true) => Align::End,
            (Align::End, true) => Align::Start,
            (a, _) => a,
        }
    }

    /// Draws one line of text between x0 and x1 (alignment relative to the page direction);
    /// returns its width.
    fn text(&mut self, style: Style, text: &str, span: (f32, f32), baseline: f32, align: Align) -> f32 {
        let shaped = self.shape(style.weight, text);
        self.draw_shaped(style, &shaped, span, baseline, self.resolve(align));
        shaped.width_em * style.size
    }

    /// Like `text` but the alignment is physical (Start = left) and the line is left to right.
    fn text_ltr(&mut self, style: Style, text: &str, span: (f32, f32), baseline: f32, align: Align) {
        let shaped = shape_line(self.font(style.weight), text, Some(Level::ltr()));
        self.draw_shaped(style, &shaped, span, baseline, align);
    }

    fn draw_shaped(&mut self, style: Style, shaped: &Shaped, (x0, x1): (f32, f32), baseline: f32, align: Align) {
        if shaped.glyphs.is_empty() {
            return;
        }
        let Style { weight: w, size, color } = style;
        let width = shaped.width_em * size;
        let x = match align {
            Align::Start => x0,
            Align::End => x1 - width,
            Align::Center => (x0 + x1 - width) / 2.0,
        };
        let name = match w {
            Weight::Regular => Name(b"F1"),
            Weight::Bold => Name(b"F2"),
        };
        // Map glyphs to subset ids first (the font borrow ends before we write the page).
        let font = &mut self.fonts[w as usize];
        let mut items: Vec<(u16, &Glyph, f32)> = Vec::with_capacity(shaped.glyphs.len());
        for g in &shaped.glyphs {
            let cid = font.remap.remap(g.gid);
            if !g.text.is_empty() {
                font.unicode.entry(cid).or_insert_with(|| g.text.clone());
            }
            items.push((cid, g, font.hmtx_em(g.gid)));
        }
        let content = self.page();
        content.begin_text();
        content.set_font(name, size);
        content.set_fill_rgb(color.0, color.1, color.2);
        let mut pen = x;
        let mut run: Vec<(Vec<u8>, f32)> = Vec::new();
        let mut run_x = pen;
        let flush = |content: &mut Content, run: &mut Vec<(Vec<u8>, f32)>, at: f32| {
            if run.is_empty() {
                return;
            }
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, at, baseline]);
            let mut tj = content.show_positioned();
            let mut items = tj.items();
            for (bytes, adj) in run.iter() {
                items.show(Str(bytes));
                if adj.abs() > 0.01 {
                    items.adjust(*adj);
                }
            }
            drop(items);
            tj.finish();
            run.clear();
        };
        for (cid, g, hmtx) in items {
            let bytes = cid.to_be_bytes();
            if g.dx.abs() > 1e-4 || g.dy.abs() > 1e-4 {
                flush(content, &mut run, run_x);
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, pen + g.dx * size, baseline + g.dy * size]);
                content.show(Str(&bytes));
                pen += g.adv * size;
                run_x = pen;
                continue;
            }
            if run.is_empty() {
                run_x = pen;
            }
            // TJ moves by the hmtx width; correct it to the shaped advance (kerning, marks).
            let adj = (hmtx - g.adv) * 1000.0;
            match run.last_mut() {
                Some((last, last_adj)) if last_adj.abs() <= 0.01 => {
                    last.extend_from_slice(&bytes);
                    *last_adj = adj;
                }
                _ => run.push((bytes.to_vec(), adj)),
            }
            pen += g.adv * size;
        }
        flush(content, &mut run, run_x);
        content.end_text();
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        let c = self.page();
        c.set_fill_rgb(color.0, color.1, color.2);
        c.rect(x, y, w, h);
        c.fill_nonzero();
    }

    fn round_rect(&mut self, [x, y, w, h]: [f32; 4], r: f32, fill: Option<Rgb>, stroke: Option<Rgb>) {
        let r = r.min(w / 2.0).min(h / 2.0);
        let k = 0.5523 * r;
        let c = self.page();
        c.move_to(x + r, y);
        c.line_to(x + w - r, y);
        c.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
        c.line_to(x + w, y + h - r);
        c.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
        c.line_to(x + r, y + h);
        c.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
        c.line_to(x, y + r);
        c.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
        c.close_path();
        if let Some(f) = fill {
            c.set_fill_rgb(f.0, f.1, f.2);
        }
        if let Some(s) = stroke {
            c.set_stroke_rgb(s.0, s.1, s.2);
            c.set_line_width(0.6);
        }
        match (fill.is_some(), stroke.is_some()) {
            (true, true) => c.fill_nonzero_and_stroke(),
            (true, false) => c.fill_nonzero(),
            (false, true) => c.stroke(),
            (false, false) => c.end_path(),
        };
    }

    fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: Rgb, width: f32) {
        let c = self.page();
        c.set_stroke_rgb(color.0, color.1, color.2);
        c.set_line_width(width);
        c.move_to(x0, y0);
        c.line_to(x1, y1);
        c.stroke();
    }

    fn hline(&mut self, x0: f32, x1: f32, y: f32, color: Rgb, width: f32) {
        self.line(x0, y, x1, y, color, width);
    }

    /// A box's start/end x for a slot counted from the reading start (mirrored on RTL pages).
    fn mirror(&self, x0: f32, w: f32) -> f32 {
        if self.rtl { LEFT + RIGHT - x0 - w } else { x0 }
    }

    // --- blocks ---

    fn layout(&mut self) {
        self.new_page();
        self.title_block();
        let blocks = &self.report.blocks;
        for (i, block) in blocks.iter().enumerate() {
            match block {
                Block::Heading(text) => {
                    let next_h = match blocks.get(i + 1) {
                        Some(Block::Chart(_)) => CHART_H,
                        Some(Block::Cards(_)) => 80.0,
                        Some(Block::Table(_)) => 70.0,
                        _ => 40.0,
                    };
                    self.heading(text, next_h);
                }
                Block::Paragraph(text) => self.paragraph(text),
                Block::Cards(cards) => self.cards(cards),
                Block::Chart(chart) => self.chart(chart),
                Block::Table(table) => self.table(table),
            }
        }
    }

    fn title_block(&mut self) {
        let title = self.report.title.clone();
        let top = self.y;
        for line in self.wrap_max(Weight::Bold, 19.0, &title, CONTENT_W, 3) {
            self.y -= 22.0;
            self.text(Style::new(Weight::Bold, 19.0, INK), &line, (LEFT, RIGHT), self.y, Align::Start);
        }
        let subtitle = self.report.subtitle.clone();
        if !subtitle.trim().is_empty() {
            self.y -= 4.0;
            for line in self.wrap_max(Weight::Regular, 9.5, &subtitle, CONTENT_W, 4) {
                self.y -= 13.0;
                self.text(Style::new(Weight::Regular, 9.5, MUTED), &line, (LEFT, RIGHT), self.y, Align::Start);
            }
        }
        self.y -= 10.0;
        self.line(LEFT, self.y, RIGHT, self.y, ACCENT, 1.6);
        self.y -= 14.0;
        self.place("title", top, self.y);
    }

    fn heading(&mut self, text: &str, keep_with: f32) {
        let lines = self.wrap_max(Weight::Bold, 13.0, text, CONTENT_W, 3);
        let h = 10.0 + 17.0 * lines.len() as f32 + 6.0;
        self.ensure(h + keep_with.min(300.0));
        let top = self.y;
        if self.y < self.page_top {
            self.y -= 10.0;
        }
        for line in lines {
            self.y -= 16.0;
            self.text(Style::new(Weight::Bold, 13.0, ACCENT), &line, (LEFT, RIGHT), self.y, Align::Start);
            self.y -= 1.0;
        }
        self.y -= 8.0;
        self.place("heading", top, self.y);
    }

    fn paragraph(&mut self, text: &str) {
        const LH: f32 = 14.0;
        let lines = self.wrap(Weight::Regular, 10.0, text, CONTENT_W);
        for line in lines {
            self.ensure(LH);
            let top = self.y;
            self.y -= LH;
            self.text(Style::new(Weight::Regular, 10.0, INK), &line, (LEFT, RIGHT), self.y + 3.5, Align::Start);
            self.place("line", top, self.y);
        }
        self.y -= 6.0;
    }

    fn cards(&mut self, cards: &[Card]) {
        const GAP: f32 = 10.0;
        const PAD: f32 = 10.0;
        if cards.is_empty() {
            return;
        }
        let per_row = match cards.len() {
            n @ 1..=4 => n,
            5 | 6 | 9 => 3,
            _ => 4,
        };
        for row in cards.chunks(per_row) {
            let card_w = (CONTENT_W - GAP * (per_row as f32 - 1.0)) / per_row as f32;
            let inner = card_w - 2.0 * PAD - 3.0;
            // Measure every card of the row first: the row is as tall as its tallest card.
            let mut measured = Vec::new();
            for card in row {
                let label = self.wrap_max(Weight::Regular, 8.5, &card.label, inner, 2);
                let mut vsize = 18.0;
                while vsize > 10.0 && self.width(Weight::Bold, vsize, &card.value) > inner {
                    vsize -= 1.0;
                }
                let value = self.fit(Weight::Bold, vsize, &card.value, inner);
                let note = if card.note.trim().is_empty() {
                    Vec::new()
                } else {
                    self.wrap_max(Weight::Regular, 7.5, &card.note, inner, 2)
                };
                measured.push((label, value, vsize, note));
            }
            let max_label = measured.iter().map(|m| m.0.len()).max().unwrap_or(1) as f32;
            let max_note = measured.iter().map(|m| m.3.len()).max().unwrap_or(0) as f32;
            let h =
                PAD + 11.0 * max_label + 25.0 + if max_note > 0.0 { 3.0 + 10.0 * max_note } else { 0.0 } + PAD - 2.0;
            self.ensure(h + GAP);
            let top = self.y;
            let y0 = self.y - h;
            for (i, (label, value, vsize, note)) in measured.into_iter().enumerate() {
                let x = self.mirror(LEFT + i as f32 * (card_w + GAP), card_w);
                self.round_rect([x, y0, card_w, h], 5.0, Some(CARD_BG), Some(RULE));
                let strip_x = if self.rtl { x + card_w - 3.0 } else { x };
                self.fill_rect(strip_x, y0 + 6.0, 3.0, h - 12.0, palette(0));
                let (tx0, tx1) =
                    if self.rtl { (x + PAD, x + card_w - PAD - 3.0) } else { (x + PAD + 3.0, x + card_w - PAD) };
                let mut y = self.y - PAD;
                for l in &label {
                    y -= 11.0;
                    self.text(Style::new(Weight::Regular, 8.5, MUTED), l, (tx0, tx1), y + 2.0, Align::Start);
                }
                y = self.y - PAD - 11.0 * max_label - 23.0;
                self.text(Style::new(Weight::Bold, vsize, INK), &value, (tx0, tx1), y + 2.0, Align::Start);
                y -= 3.0;
                for l in &note {
                    y -= 10.0;
                    self.text(Style::new(Weight::Regular, 7.5, MUTED), l, (tx0, tx1), y + 2.0, Align::Start);
                }
            }
            self.y = y0 - GAP;
            self.place("cards", top, y0);
        }
        self.y -= 2.0;
    }

    fn chart(&mut self, chart: &Chart) {
        self.ensure(CHART_H + 10.0);
        let top = self.y;
        let y0 = self.y - CHART_H;
        self.round_rect([LEFT, y0, CONTENT_W, CHART_H], 5.0, None, Some(RULE));
        let pad = 12.0;
        let (bx0, bx1) = (LEFT + pad, RIGHT - pad);
        let mut y = self.y - pad - 11.0;
        if !chart.title.trim().is_empty() {
            let t = self.fit(Weight::Bold, 10.5, &chart.title, bx1 - bx0);
            self.text(Style::new(Weight::Bold, 10.5, INK), &t, (bx0, bx1), y, Align::Start);
            y -= 10.0;
        }
        let area = PlotArea { x0: bx0, x1: bx1, top: y, bottom: y0 + pad };
        match chart.kind {
            ChartKind::Bar | ChartKind::Line => self.xy_chart(chart, area),
            ChartKind::Doughnut => self.doughnut(chart, area),
        }
        self.y = y0 - 12.0;
        self.place("chart", top, y0);
    }

    /// Swatches and names in rows from the reading start; returns the height used.
    fn legend(&mut self, names: &[String], x0: f32, x1: f32, top: f32) -> f32 {
        let size = 8.0;
        let mut items: Vec<(String, f32)> = Vec::new();
        for name in names {
            let n = self.fit(Weight::Regular, size, name, (x1 - x0) * 0.45);
            let w = self.width(Weight::Regular, size, &n) + 14.0;
            items.push((n, w));
        }
        let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
        let mut used = 0.0;
        for (i, (_, w)) in items.iter().enumerate() {
            if used + w > x1 - x0 && used > 0.0 {
                rows.push(Vec::new());
                used = 0.0;
            }
            used += w + 12.0;
            if let Some(r) = rows.last_mut() {
                r.push(i);
            }
        }
        let mut y = top;
        for row in &rows {
            y -= 12.0;
            let total: f32 = row.iter().map(|&i| items[i].1 + 12.0).sum::<f32>() - 12.0;
            // Centered like Chart.js; the order follows the reading direction.
            let mut x = (x0 + x1 - total) / 2.0;
            let order: Vec<usize> = if self.rtl { row.iter().rev().copied().collect() } else { row.clone() };
            for i in order {
                let (name, w) = (items[i].0.clone(), items[i].1);
                let (sw_x, tx0) = if self.rtl { (x + w - 9.0, x) } else { (x, x + 13.0) };
                self.fill_rect(sw_x, y - 0.5, 9.0, 7.0, palette(i));
                self.text(Style::new(Weight::Regular, size, INK), &name, (tx0, tx0 + w - 13.0), y, Align::Start);
                x += w + 12.0;
            }
        }
        top - y + 4.0
    }

    fn xy_chart(&mut self, chart: &Chart, mut area: PlotArea) {
        let n = chart.labels.len().max(chart.series.iter().map(|s| s.values.len()).max().unwrap_or(0));
        let values: Vec<f64> =
            chart.series.iter().flat_map(|s| s.values.iter().flatten().copied()).filter(|v| v.is_finite()).collect();
        if chart.series.len() >= 2 {
            let names: Vec<String> = chart.series.iter().map(|s| s.name.clone()).collect();
            let used = self.legend(&names, area.x0, area.x1, area.top);
            area.top -= used;
        } else {
            area.top -= 4.0;
        }
        if n == 0 || values.is_empty() {
            self.no_data(&area);
            return;
        }
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let ticks = axis_ticks(min, max);
        let (lo, hi) = (ticks.first().copied().unwrap_or(0.0), ticks.last().copied().unwrap_or(1.0));
        let tick_labels: Vec<String> = ticks.iter().map(|&t| format_number(t)).collect();
        let label_w = tick_labels.iter().map(|t| self.width(Weight::Regular, 7.5, t)).fold(0.0, f32::max) + 6.0;
        let (px0, px1) = if self.rtl { (area.x0 + 4.0, area.x1 - label_w) } else { (area.x0 + label_w, area.x1 - 4.0) };
        let label_lines = 2usize;
        let py0 = area.bottom + 10.0 * label_lines as f32 + 4.0;
        let py1 = area.top - 6.0;
        let to_y = |v: f64| py0 + ((v - lo) / (hi - lo)) as f32 * (py1 - py0);
        // Gridlines with their values.
        for (t, label) in ticks.iter().zip(&tick_labels) {
            let y = to_y(*t);
            let (color, width) = if t.abs() < 1e-12 { (MUTED, 0.7) } else { (GRID, 0.5) };
            self.hline(px0, px1, y, color, width);
            if self.rtl {
                self.text_ltr(
                    Style::new(Weight::Regular, 7.5, MUTED),
                    label,
                    (px1 + 4.0, area.x1),
                    y - 2.5,
                    Align::Start,
                );
            } else {
                self.text_ltr(
                    Style::new(Weight::Regular, 7.5, MUTED),
                    label,
                    (area.x0, px0 - 4.0),
                    y - 2.5,
                    Align::End,
                );
            }
        }
        // Categories run from the reading start.
        let slot = (px1 - px0) / n as f32;
        let cx = |i: usize| if self.rtl { px1 - (i as f32 + 0.5) * slot } else { px0 + (i as f32 + 0.5) * slot };
        let centers: Vec<f32> = (0..n).map(cx).collect();
        // Show every label whose text fits its slot (in two lines at most), else every k-th.
        let needed = chart
            .labels
            .iter()
            .take(n)
            .map(|l| {
                let whole = self.width(Weight::Regular, 7.5, l);
                let longest_word =
                    l.split_whitespace().map(|w| self.width(Weight::Regular, 7.5, w)).fold(0.0, f32::max);
                longest_word.max(whole / label_lines as f32).min(90.0)
            })
            .fold(0.0, f32::max);
        let every = (((needed + 6.0) / slot).ceil() as usize).max(1);
        for (i, label) in chart.labels.iter().enumerate().take(n) {
            if i % every != 0 {
                continue;
            }
            let room = slot * every as f32 - 4.0;
            let lines = if self.width(Weight::Regular, 7.5, label) <= room || label.split_whitespace().count() > 1 {
                self.wrap_max(Weight::Regular, 7.5, label, room, label_lines)
            } else {
                vec![self.fit(Weight::Regular, 7.5, label, room)]
            };
            for (k, l) in lines.iter().enumerate() {
                let c = centers[i];
                self.text(
                    Style::new(Weight::Regular, 7.5, MUTED),
                    l,
                    (c - room / 2.0, c + room / 2.0),
                    py0 - 10.0 - 9.0 * k as f32,
                    Align::Center,
                );
            }
        }
        self.hline(px0, px1, py0, MUTED, 0.7);
        let ns = chart.series.len().max(1);
        match chart.kind {
            ChartKind::Bar => {
                let group = slot * if ns == 1 { 0.6 } else { 0.78 };
                let bar_w = group / ns as f32;
                let show_values = n * ns <= 14;
                for (s, series) in chart.series.iter().enumerate() {
                    for (i, v) in series.values.iter().enumerate().take(n) {
                        let Some(v) = v.filter(|v| v.is_finite()) else { continue };
                        let k = if self.rtl { ns - 1 - s } else { s };
                        let x = centers[i] - group / 2.0 + k as f32 * bar_w;
                        let (ya, yb) = (to_y(0.0_f64.max(lo)), to_y(v));
                        let (y_low, h) = (ya.min(yb), (ya - yb).abs().max(0.5));
                        self.fill_rect(x + 0.6, y_low, bar_w - 1.2, h, palette(s));
                        if show_values {
                            let label = format_number(v);
                            let ly = if v >= 0.0 { y_low + h + 2.5 } else { y_low - 8.0 };
                            self.text_ltr(
                                Style::new(Weight::Regular, 7.0, INK),
                                &label,
                                (x - 10.0, x + bar_w + 10.0),
                                ly,
                                Align::Center,
                            );
                        }
                    }
                }
            }
            ChartKind::Line | ChartKind::Doughnut => {
                for (s, series) in chart.series.iter().enumerate() {
                    let color = palette(s);
                    let pts: Vec<Option<(f32, f32)>> = (0..n)
                        .map(|i| {
                            series
                                .values
                                .get(i)
                                .copied()
                                .flatten()
                                .filter(|v| v.is_finite())
                                .map(|v| (centers[i], to_y(v)))
                        })
                        .collect();
                    let c = self.page();
                    c.set_stroke_rgb(color.0, color.1, color.2);
                    c.set_line_width(1.6);
                    c.set_line_join(LineJoinStyle::RoundJoin);
                    c.set_line_cap(LineCapStyle::RoundCap);
                    let mut open = false;
                    for p in &pts {
                        match p {
                            Some((x, y)) if open => {
                                c.line_to(*x, *y);
                            }
                            Some((x, y)) => {
                                c.move_to(*x, *y);
                                open = true;
                            }
                            None => open = false,
                        }
                    }
                    c.stroke();
                    for (x, y) in pts.iter().flatten() {
                        self.dot(*x, *y, 2.2, color);
                    }
                }
            }
        }
    }

    fn dot(&mut self, x: f32, y: f32, r: f32, color: Rgb) {
        let k = 0.5523 * r;
        let c = self.page();
        c.set_fill_rgb(color.0, color.1, color.2);
        c.move_to(x + r, y);
        c.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
        c.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
        c.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
        c.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
        c.fill_nonzero();
    }

    fn no_data(&mut self, area: &PlotArea) {
        let label = if self.rtl { "لا توجد بيانات" } else { "No data" };
        let y = (area.top + area.bottom) / 2.0;
        self.text(Style::new(Weight::Regular, 9.0, MUTED), label, (area.x0, area.x1), y, Align::Center);
    }

    fn doughnut(&mut self, chart: &Chart, area: PlotArea) {
        let values: Vec<f64> = chart
            .series
            .first()
            .map(|s| s.values.iter().map(|v| v.filter(|v| v.is_finite() && *v > 0.0).unwrap_or(0.0)).collect())
            .unwrap_or_default();
        let total: f64 = values.iter().sum();
        if total <= 0.0 {
            self.no_data(&area);
            return;
        }
        let h = area.top - area.bottom;
        let r = (h / 2.0 - 4.0).min(88.0);
        let cy = (area.top + area.bottom) / 2.0;
        let cx = if self.rtl { area.x1 - 20.0 - r } else { area.x0 + 20.0 + r };
        let inner = r * 0.58;
        // Clockwise from twelve o'clock, like Chart.js.
        let mut angle = std::f32::consts::FRAC_PI_2;
        let mut mids = Vec::new();
        for (i, v) in values.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let sweep = (*v / total) as f32 * std::f32::consts::TAU;
            let (a0, a1) = (angle, angle - sweep);
            self.ring_slice((cx, cy), (r, inner), (a0, a1), palette(i));
            mids.push(((a0 + a1) / 2.0, *v / total));
            angle = a1;
        }
        for (mid, share) in mids {
            if share >= 0.06 {
                let rr = (r + inner) / 2.0;
                let (x, y) = (cx + rr * mid.cos(), cy + rr * mid.sin());
                let label = format!("{:.0}%", share * 100.0);
                self.text_ltr(
                    Style::new(Weight::Bold, 7.5, WHITE),
                    &label,
                    (x - 20.0, x + 20.0),
                    y - 2.7,
                    Align::Center,
                );
            }
        }
        // The legend on the other side: swatch, label, value and share.
        let (lx0, lx1) = if self.rtl { (area.x0 + 10.0, cx - r - 28.0) } else { (cx + r + 28.0, area.x1 - 10.0) };
        let row_h = 15.0;
        let n = values.len();
        let max_rows = ((h / row_h).floor() as usize).max(1);
        let shown = if n > max_rows { max_rows - 1 } else { n };
        let mut y = cy + (shown.min(n) as f32 + if n > shown { 1.0 } else { 0.0 }) * row_h / 2.0;
        let value_w = 92.0;
        for (i, v) in values.iter().enumerate().take(shown) {
            y -= row_h;
            let label = chart.labels.get(i).cloned().unwrap_or_default();
            let share = v / total * 100.0;
            let figure = format!("{}  ({share:.1} %)", format_number(*v));
            let (sw_x, tx0, tx1, vx0, vx1) = if self.rtl {
                (lx1 - 9.0, lx0 + value_w, lx1 - 14.0, lx0, lx0 + value_w)
            } else {
                (lx0, lx0 + 14.0, lx1 - value_w, lx1 - value_w, lx1)
            };
            self.fill_rect(sw_x, y + 3.0, 9.0, 8.0, palette(i));
            let label = self.fit(Weight::Regular, 8.5, &label, tx1 - tx0 - 6.0);
            self.text(Style::new(Weight::Regular, 8.5, INK), &label, (tx0, tx1), y + 4.0, Align::Start);
            let al = if self.rtl { Align::Start } else { Align::End };
            self.text_ltr(Style::new(Weight::Regular, 8.5, MUTED), &figure, (vx0, vx1), y + 4.0, al);
            self.hline(lx0, lx1, y, GRID, 0.4);
        }
        if n > shown {
            y -= row_h;
            let more = if self.rtl { format!("و{} أخرى", n - shown) } else { format!("+{} more", n - shown) };
            self.text(Style::new(Weight::Regular, 8.0, MUTED), &more, (lx0, lx1), y + 4.0, Align::Start);
        }
    }

    /// One ring segment from angle a0 down to a1 (radians, clockwise).
    fn ring_slice(&mut self, (cx, cy): (f32, f32), (r, inner): (f32, f32), (a0, a1): (f32, f32), color: Rgb) {
        let c = self.page();
        c.set_fill_rgb(color.0, color.1, color.2);
        c.set_stroke_rgb(1.0, 1.0, 1.0);
        c.set_line_width(1.2);
        c.move_to(cx + r * a0.cos(), cy + r * a0.sin());
        arc(c, cx, cy, r, a0, a1);
        c.line_to(cx + inner * a1.cos(), cy + inner * a1.sin());
        arc(c, cx, cy, inner, a1, a0);
        c.close_path();
        c.fill_nonzero_and_stroke();
    }

    fn table(&mut self, table: &Table) {
        const SIZE: f32 = 8.5;
        const LH: f32 = 11.0;
        const PAD_X: f32 = 5.0;
        const PAD_Y: f32 = 5.0;
        let ncols = table.rows.iter().map(Vec::len).chain([table.headers.len()]).max().unwrap_or(0);
        if ncols == 0 {
            return;
        }
        let cell =
            |row: &Vec<String>, c: usize| ellipsize_chars(row.get(c).map(String::as_str).unwrap_or(""), MAX_CELL_CHARS);
        // Column widths: each column's natural width (capped), scaled to the content width.
        let mut natural = vec![30.0f32; ncols];
        for (c, nat) in natural.iter_mut().enumerate() {
            let head = self.width(Weight::Bold, SIZE, &cell(&table.headers, c)).min(140.0);
            let body = table
                .rows
                .iter()
                .take(200)
                .map(|r| self.width(Weight::Regular, SIZE, &cell(r, c)).min(220.0))
                .fold(0.0, f32::max);
            *nat = head.max(body).max(24.0) + 2.0 * PAD_X;
        }
        let widths = fit_columns(&natural, CONTENT_W);
        let mut xs = Vec::with_capacity(ncols);
        let mut x = LEFT;
        for w in &widths {
            xs.push(self.mirror(x, *w));
            x += w;
        }
        let numeric: Vec<bool> = (0..ncols)
            .map(|c| {
                let cells: Vec<String> =
                    table.rows.iter().map(|r| cell(r, c)).filter(|s| !s.trim().is_empty()).collect();
                !cells.is_empty() && cells.iter().all(|s| is_numeric(s))
            })
            .collect();
        let layout_row = |doc: &Self, row: &Vec<String>, w: Weight| -> (Vec<Vec<String>>, f32) {
            let lines: Vec<Vec<String>> = (0..ncols)
                .map(|c| doc.wrap_max(w, SIZE, &cell(row, c), widths[c] - 2.0 * PAD_X, MAX_CELL_LINES))
                .collect();
            let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
            (lines, n as f32 * LH + 2.0 * PAD_Y)
        };
        let header = layout_row(self, &table.headers, Weight::Bold);
        let has_header = table.headers.iter().any(|h| !h.trim().is_empty());
        let empty_row = vec!["—".to_string()];
        let rows: Vec<&Vec<String>> =
            if table.rows.is_empty() { vec![&empty_row] } else { table.rows.iter().collect() };
        let first = layout_row(self, rows[0], Weight::Regular);
        let title_h = if table.title.trim().is_empty() { 0.0 } else { 20.0 };
        self.ensure(title_h + if has_header { header.1 } else { 0.0 } + first.1);
        let top = self.y;
        if title_h > 0.0 {
            let t = self.fit(Weight::Bold, 10.5, &table.title, CONTENT_W);
            self.y -= 14.0;
            self.text(Style::new(Weight::Bold, 10.5, INK), &t, (LEFT, RIGHT), self.y, Align::Start);
            self.y -= 6.0;
        }
        let draw_row = |doc: &mut Self, lines: &[Vec<String>], h: f32, w: Weight, bg: Option<Rgb>, fg: Rgb| {
            let y0 = doc.y - h;
            if let Some(bg) = bg {
                doc.fill_rect(LEFT, y0, CONTENT_W, h, bg);
            }
            for (c, cell_lines) in lines.iter().enumerate() {
                let (x0, x1) = (xs[c] + PAD_X, xs[c] + widths[c] - PAD_X);
                let align = if numeric[c] { Align::End } else { Align::Start };
                for (k, l) in cell_lines.iter().enumerate() {
                    let baseline = doc.y - PAD_Y - LH * (k as f32 + 1.0) + 2.5;
                    doc.text(Style::new(w, SIZE, fg), l, (x0, x1), baseline, align);
                }
            }
            doc.hline(LEFT, RIGHT, y0, RULE, 0.5);
            doc.y = y0;
        };
        if has_header {
            draw_row(self, &header.0, header.1, Weight::Bold, Some(ACCENT), WHITE);
            self.place("table-header", top, self.y);
        }
        for (i, row) in rows.iter().enumerate() {
            let (lines, h) = if i == 0 { first.clone() } else { layout_row(self, row, Weight::Regular) };
            if self.y - h < BOTTOM {
                self.new_page();
                if has_header {
                    let t = self.y;
                    draw_row(self, &header.0, header.1, Weight::Bold, Some(ACCENT), WHITE);
                    self.place("table-header", t, self.y);
                }
            }
            let t = self.y;
            let bg = if i % 2 == 1 { Some(ZEBRA) } else { None };
            draw_row(self, &lines, h, Weight::Regular, bg, INK);
            self.place("table-row", t, self.y);
        }
        self.y -= 14.0;
    }

    // --- the file ---

    fn footers(&mut self) {
        let total = self.pages.len();
        let footer = self.report.footer.clone();
        for i in 0..total {
            self.cur = i;
            let y = 30.0;
            self.hline(LEFT, RIGHT, y + 12.0, RULE, 0.5);
            let number = format!("{} / {}", i + 1, total);
            let num_w = self.width(Weight::Regular, 8.0, &number) + 16.0;
            let text = self.fit(Weight::Regular, 8.0, &footer, CONTENT_W - num_w);
            self.text(Style::new(Weight::Regular, 8.0, MUTED), &text, (LEFT, RIGHT), y, Align::Start);
            if self.rtl {
                self.text_ltr(Style::new(Weight::Regular, 8.0, MUTED), &number, (LEFT, RIGHT), y, Align::Start);
            } else {
                self.text_ltr(Style::new(Weight::Regular, 8.0, MUTED), &number, (LEFT, RIGHT), y, Align::End);
            }
        }
    }

    fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        if self.pages.is_empty() {
            self.new_page();
        }
        self.footers();
        let mut next = 1;
        let mut alloc = || {
            next += 1;
            Ref::new(next - 1)
        };
        let catalog_id = alloc();
        let tree_id = alloc();
        let info_id = alloc();
        let font_ids: Vec<[Ref; 5]> = (0..2).map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()]).collect();
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (alloc(), alloc())).collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog_id).pages(tree_id);
        pdf.pages(tree_id).kids(page_ids.iter().map(|p| p.0)).count(page_ids.len() as i32);
        let mut info = pdf.document_info(info_id);
        info.title(TextStr(&self.report.title));
        info.producer(TextStr("PX360"));
        info.finish();

        for ((page_id, content_id), content) in page_ids.iter().zip(std::mem::take(&mut self.pages)) {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree_id);
            page.contents(*content_id);
            let mut resources = page.resources();
            resources.fonts().pair(Name(b"F1"), font_ids[0][0]).pair(Name(b"F2"), font_ids[1][0]);
            resources.finish();
            page.finish();
            let data = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish().into_vec(), 6);
            pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
        }

        let names: [&[u8]; 2] = [b"PXAAAA+DejaVuSans", b"PXAAAB+DejaVuSans-Bold"];
        for ((font, ids), base) in self.fonts.iter().zip(&font_ids).zip(names) {
            let [type0_id, cid_id, descriptor_id, file_id, cmap_id] = *ids;
            let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
            pdf.type0_font(type0_id)
                .base_font(Name(base))
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid_id)
                .to_unicode(cmap_id);
            let widths: Vec<f32> = font.remap.remapped_gids().map(|old| font.hmtx_em(old) * 1000.0).collect();
            let mut cid = pdf.cid_font(cid_id);
            cid.subtype(CidFontType::Type2);
            cid.base_font(Name(base));
            cid.system_info(system_info);
            cid.font_descriptor(descriptor_id);
            cid.default_width(0.0);
            cid.cid_to_gid_map_predefined(Name(b"Identity"));
            cid.widths().consecutive(0, widths);
            cid.finish();

            let scale = 1000.0 / font.upem;
            let bbox = font.face.global_bounding_box();
            let mut descriptor = pdf.font_descriptor(descriptor_id);
            descriptor
                .name(Name(base))
                .flags(FontFlags::SYMBOLIC)
                .bbox(Rect::new(
                    f32::from(bbox.x_min) * scale,
                    f32::from(bbox.y_min) * scale,
                    f32::from(bbox.x_max) * scale,
                    f32::from(bbox.y_max) * scale,
                ))
                .italic_angle(0.0)
                .ascent(f32::from(font.face.ascender()) * scale)
                .descent(f32::from(font.face.descender()) * scale)
                .cap_height(f32::from(font.face.capital_height().unwrap_or(font.face.ascender())) * scale)
                .stem_v(if names[1] == base { 140.0 } else { 80.0 })
                .font_file2(file_id);
            descriptor.finish();

            let subset =
                subsetter::subset(font.data, 0, &font.remap).map_err(|e| anyhow!("pdf: font subset: {e:?}"))?;
            let data = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
            pdf.stream(file_id, &data).filter(Filter::FlateDecode).pair(Name(b"Length1"), subset.len() as i32);

            let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
            for (cid, text) in &font.unicode {
                cmap.pair_with_multiple(*cid, text.chars());
            }
            let cmap = cmap.finish();
            let data = miniz_oxide::deflate::compress_to_vec_zlib(cmap.as_slice(), 6);
            pdf.stream(cmap_id, &data).filter(Filter::FlateDecode);
        }
        let bytes = pdf.finish();
        (!bytes.is_empty()).then_some(bytes).context("pdf: empty output")
    }
}

#[derive(Debug, Clone, Copy)]
struct PlotArea {
    x0: f32,
    x1: f32,
    top: f32,
    bottom: f32,
}

/// Adds a circular arc (radius r around cx, cy) from a0 to a1 to the path, in pieces of at most
/// a quarter turn; the current point must be the arc's start.
fn arc(c: &mut Content, cx: f32, cy: f32, r: f32, a0: f32, a1: f32) {
    let pieces = ((a1 - a0).abs() / std::f32::consts::FRAC_PI_2).ceil().max(1.0) as usize;
    let step = (a1 - a0) / pieces as f32;
    for i in 0..pieces {
        let s = a0 + step * i as f32;
        let e = s + step;
        let k = 4.0 / 3.0 * (step / 4.0).tan();
        let (sx, sy) = (s.cos(), s.sin());
        let (ex, ey) = (e.cos(), e.sin());
        c.cubic_to(
            cx + r * (sx - k * sy),
            cy + r * (sy + k * sx),
            cx + r * (ex + k * ey),
            cy + r * (ey - k * ex),
            cx + r * ex,
            cy + r * ey,
        );
    }
}

/// Scales natural column widths to `total`; when they do not fit, wide columns give way first
/// and no column gets narrower than its share of a fair minimum.
fn fit_columns(natural: &[f32], total: f32) -> Vec<f32> {
    let sum: f32 = natural.iter().sum();
    if sum <= total || natural.is_empty() {
        return natural.iter().map(|w| w * total / sum.max(1.0)).collect();
    }
    let floor = (total / natural.len() as f32 * 0.55).min(60.0);
    let mins: Vec<f32> = natural.iter().map(|w| w.min(floor)).collect();
    let min_sum: f32 = mins.iter().sum();
    let extra: f32 = natural.iter().zip(&mins).map(|(n, m)| n - m).sum();
    let room = (total - min_sum).max(0.0);
    natural.iter().zip(&mins).map(|(n, m)| m + if extra > 0.0 { (n - m) / extra * room } else { 0.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regular() -> Font {
        Font::load(REGULAR_TTF).unwrap()
    }

    /// The characters of a shaped line in visual order (left to right).
    fn visual_text(shaped: &Shaped) -> String {
        shaped.glyphs.iter().map(|g| g.text.as_str()).collect()
    }

    fn series(name: &str, values: &[Option<f64>]) -> Series {
        Series { name: name.into(), values: values.to_vec() }
    }

    fn sample(rtl: bool) -> Report {
        let s = |en: &str, ar: &str| if rtl { ar.to_string() } else { en.to_string() };
        let months: Vec<String> = ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            .iter()
            .zip(["يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"])
            .map(|(en, ar)| s(en, ar))
            .collect();
        let depts = [
            ("Emergency Department", "قسم الطوارئ"),
            ("Outpatient Clinics", "العيادات الخارجية"),
            ("Inpatient Wards", "أجنحة التنويم"),
            ("Radiology", "الأشعة"),
            ("Pharmacy", "الصيدلية"),
        ];
        let mut rows = Vec::new();
        for i in 0..46 {
            let (en, ar) = depts[i % depts.len()];
            rows.push(vec![
                format!("{} {}", s(en, ar), i / depts.len() + 1),
                format!("{}", 1234 - i * 17),
                format!("{:.1}", 87.5 - i as f64 * 0.3),
                format!("{:+.1} %", 12.5 - i as f64),
                if i == 3 {
                    s(
                        "A deliberately long comment that has to wrap inside its cell across several lines because patients wrote a lot about the waiting time, the parking and the friendly nurses on the night shift, and then some more text that should be cut off with an ellipsis eventually because nobody reads that much in a table cell anyway, really.",
                        "تعليق طويل عمداً يجب أن يلتف داخل الخلية على عدة أسطر لأن المرضى كتبوا كثيراً عن وقت الانتظار ومواقف السيارات والممرضات اللطيفات في المناوبة الليلية، ثم نص إضافي يجب قصه بعلامة حذف في النهاية لأن لا أحد يقرأ كل هذا في خلية جدول.",
                    )
                } else {
                    s("On track", "ضمن المستهدف")
                },
            ]);
        }
        Report {
            title: s("Command center — Patient experience", "مركز القيادة — تجربة المريض"),
            subtitle: s(
                "King Fahad Hospital · all departments · 2026-06-01 to 2026-11-30 · NPS target 40",
                "مستشفى الملك فهد · جميع الأقسام · من 2026-06-01 إلى 2026-11-30 · مستهدف NPS هو 40",
            ),
            rtl,
            footer: s("PX360 · generated 2026-12-04 10:00 (Riyadh)", "PX360 · أُنشئ في 2026-12-04 10:00 (الرياض)"),
            blocks: vec![
                Block::Heading(s("Key indicators", "المؤشرات الرئيسية")),
                Block::Cards(vec![
                    Card {
                        label: s("Net Promoter Score", "صافي نقاط الترويج (NPS)"),
                        value: "42.7".into(),
                        note: s("+12.5 % vs previous period", "+12.5 % مقارنة بالفترة السابقة"),
                    },
                    Card {
                        label: s("Responses", "الاستجابات"),
                        value: "12,480".into(),
                        note: s("-3.1 % vs previous period", "-3.1 % مقارنة بالفترة السابقة"),
                    },
                    Card {
                        label: s("Complaints closed within SLA", "الشكاوى المغلقة ضمن اتفاقية مستوى الخدمة"),
                        value: "91.3 %".into(),
                        note: String::new(),
                    },
                    Card {
                        label: s("Average satisfaction", "متوسط الرضا"),
                        value: "4.46 / 5".into(),
                        note: s("n = 3,210", "العدد = 3,210"),
                    },
                ]),
                Block::Paragraph(s(
                    "NPS rose for the third month in a row; the Emergency Department still has the longest waits (median 47 min). Scores below 30 are flagged for follow-up within 48 hours.",
                    "ارتفع صافي نقاط الترويج (NPS) للشهر الثالث على التوالي؛ ولا يزال قسم الطوارئ صاحب أطول وقت انتظار (الوسيط 47 دقيقة). تُحال الدرجات الأقل من 30 للمتابعة خلال 48 ساعة.",
                )),
                Block::Chart(Chart {
                    title: s("NPS by month", "صافي نقاط الترويج حسب الشهر"),
                    kind: ChartKind::Line,
                    labels: months.clone(),
                    series: vec![
                        series(
                            &s("This year", "هذا العام"),
                            &[Some(31.0), Some(35.5), None, Some(38.0), Some(41.2), Some(42.7)],
                        ),
                        series(
                            &s("Last year", "العام الماضي"),
                            &[Some(28.0), Some(27.5), Some(30.1), Some(29.0), Some(33.4), Some(34.0)],
                        ),
                    ],
                }),
                Block::Chart(Chart {
                    title: s("Complaints by month and channel", "الشكاوى حسب الشهر والقناة"),
                    kind: ChartKind::Bar,
                    labels: months,
                    series: vec![
                        series(
                            &s("Phone", "الهاتف"),
                            &[Some(12.0), Some(18.0), Some(9.0), Some(14.0), Some(11.0), Some(7.0)],
                        ),
                        series(
                            &s("Web form", "النموذج الإلكتروني"),
                            &[Some(8.0), Some(6.0), Some(11.0), None, Some(13.0), Some(10.0)],
                        ),
                        series(
                            &s("Walk-in", "الحضور الشخصي"),
                            &[Some(4.0), Some(5.0), Some(3.0), Some(6.0), Some(2.0), Some(5.0)],
                        ),
                    ],
                }),
                Block::Chart(Chart {
                    title: s("Complaints by category", "الشكاوى حسب الفئة"),
                    kind: ChartKind::Doughnut,
                    labels: vec![
                        s("Waiting time", "وقت الانتظار"),
                        s("Staff attitude", "تعامل الموظفين"),
                        s("Billing", "الفواتير"),
                        s("Cleanliness", "النظافة"),
                        s("Other", "أخرى"),
                    ],
                    series: vec![series("", &[Some(48.0), Some(22.0), Some(15.0), Some(9.0), Some(6.0)])],
                }),
                Block::Heading(s("Departments", "الأقسام")),
                Block::Table(Table {
                    title: s("Satisfaction by department", "الرضا حسب القسم"),
                    headers: vec![
                        s("Department", "القسم"),
                        s("Responses", "الاستجابات"),
                        s("Score", "الدرجة"),
                        s("Change", "التغير"),
                        s("Comment", "تعليق"),
                    ],
                    rows,
                }),
            ],
        }
    }

    fn laid_out(report: &Report) -> Doc<'_> {
        let mut doc = Doc::new(report).unwrap();
        doc.layout();
        doc
    }

    #[test]
    fn a_mixed_line_is_in_visual_order() {
        let font = regular();
        // An Arabic paragraph: the English and the number read left to right inside it, and sit
        // to the left of the Arabic word that comes first logically.
        let line = shape_line(&font, "تقرير NPS 2026", base_level("تقرير NPS 2026", true));
        let text = visual_text(&line);
        assert!(text.starts_with("NPS 2026"), "{text}");
        let arabic: String = text.chars().filter(|c| is_rtl_char(*c)).collect();
        assert_eq!(arabic, "ريرقت", "Arabic letters run right to left");
        // An English paragraph keeps its order and puts the Arabic word after it.
        let line = shape_line(&font, "Score 85 في الطوارئ", None);
        let text = visual_text(&line);
        assert!(text.starts_with("Score 85 "), "{text}");
        assert!(text.ends_with("ئراوطلا يف"), "{text}");
        // Signed numbers, percentages and dates keep their order inside Arabic.
        let mixed = "+12.5 % مقارنة من 2026-06-01";
        let text = visual_text(&shape_line(&font, mixed, base_level(mixed, true)));
        assert!(text.starts_with("2026-06-01 "), "{text}");
        assert!(text.ends_with("+12.5 %"), "{text}");
        assert_eq!(isolate_numbers("NPS 40"), "NPS 40");
        assert_eq!(isolate_numbers("العدد 3,210"), "العدد \u{2066}3,210\u{2069}");
        assert_eq!(base_level("12.5 %", true), None);
    }

    #[test]
    fn arabic_letters_take_their_joined_forms() {
        let font = regular();
        let isolated: Vec<u16> = "سعيد".chars().map(|c| shape_run(&font, &c.to_string(), true)[0].gid).collect();
        let joined = shape_line(&font, "سعيد", None);
        // Visual order is right to left: the last glyph is the first letter.
        let mut logical: Vec<u16> = joined.glyphs.iter().map(|g| g.gid).collect();
        logical.reverse();
        assert_eq!(logical.len(), 4);
        assert_ne!(logical[0], isolated[0], "initial seen");
        assert_ne!(logical[1], isolated[1], "medial ain");
        assert_ne!(logical[3], isolated[3], "final dal");
        assert!(isolated.iter().all(|g| *g != 0), "the font has the letters");
        // Lam-alef is one ligature glyph that still extracts as both letters.
        let la = shape_line(&font, "لا", None);
        assert_eq!(la.glyphs.len(), 1);
        assert_eq!(la.glyphs[0].text, "لا");
    }

    #[test]
    fn nice_axes_and_numbers() {
        assert_eq!(axis_ticks(3.0, 47.0), vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(axis_ticks(-4.0, 9.0), vec![-5.0, 0.0, 5.0, 10.0]);
        assert_eq!(axis_ticks(0.0, 0.0), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(format_number(12480.0), "12,480");
        assert_eq!(format_number(-1500.0), "-1,500");
        assert_eq!(format_number(42.75), "42.8");
        assert_eq!(format_number(0.25), "0.25");
        assert!(is_numeric("+12.5 %") && is_numeric("1,234") && !is_numeric("NPS 40"));
    }

    #[test]
    fn columns_fill_the_width_and_wide_ones_give_way() {
        let w = fit_columns(&[100.0, 50.0], 500.0);
        assert!((w.iter().sum::<f32>() - 500.0).abs() < 0.01 && (w[0] - 2.0 * w[1]).abs() < 0.01);
        let w = fit_columns(&[40.0, 900.0, 60.0], 500.0);
        assert!((w.iter().sum::<f32>() - 500.0).abs() < 0.01, "{w:?}");
        assert!(w[0] >= 40.0 - 0.01 && w[2] >= 60.0 - 0.01 && w[1] > w[2], "{w:?}");
    }

    #[test]
    fn long_text_wraps_and_absurd_cells_are_cut() {
        let report = Report::default();
        let doc = Doc::new(&report).unwrap();
        let text = "Waiting times in the Emergency Department fell by 12 minutes in November compared with October.";
        let lines = doc.wrap(Weight::Regular, 10.0, text, 150.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|l| doc.width(Weight::Regular, 10.0, l) <= 150.0 + 0.5));
        assert_eq!(lines.join(" "), text);
        let word = "x".repeat(200);
        assert!(
            doc.wrap(Weight::Regular, 10.0, &word, 100.0).iter().all(|l| doc.width(Weight::Regular, 10.0, l) <= 100.5)
        );
        let cut = doc.wrap_max(Weight::Regular, 10.0, &"word ".repeat(400), 100.0, MAX_CELL_LINES);
        assert_eq!(cut.len(), MAX_CELL_LINES);
        assert!(cut[MAX_CELL_LINES - 1].ends_with('…'));
        assert_eq!(ellipsize_chars(&"a".repeat(1000), MAX_CELL_CHARS).chars().count(), MAX_CELL_CHARS + 1);
    }

    #[test]
    fn pages_break_between_rows_and_repeat_the_table_header() {
        for rtl in [false, true] {
            let report = sample(rtl);
            let doc = laid_out(&report);
            assert!(doc.pages.len() >= 3, "{} pages", doc.pages.len());
            for p in &doc.placed {
                assert!(p.bottom >= BOTTOM - 0.01 && p.top <= TOP + 0.01, "{p:?} leaves the page body");
                assert!(p.top >= p.bottom, "{p:?}");
            }
            for p in doc.placed.iter().filter(|p| p.what == "chart") {
                assert!((p.top - p.bottom - CHART_H).abs() < 0.01, "a chart is whole on one page: {p:?}");
            }
            // Every page with table rows starts its table part with the header.
            let row_pages: HashSet<usize> =
                doc.placed.iter().filter(|p| p.what == "table-row").map(|p| p.page).collect();
            assert!(row_pages.len() >= 2, "the table continues on a second page");
            for page in row_pages {
                let first = doc.placed.iter().find(|p| p.page == page && p.what.starts_with("table")).unwrap();
                assert_eq!(first.what, "table-header", "page {page}");
            }
            // Things on one page do not overlap.
            for w in doc.placed.windows(2) {
                if w[0].page == w[1].page {
                    assert!(w[1].top <= w[0].bottom + 0.01, "{:?} overlaps {:?}", w[0], w[1]);
                }
            }
        }
    }

    #[test]
    fn a_heading_is_kept_with_what_follows() {
        let mut blocks = vec![Block::Paragraph("Filler text. ".repeat(290))];
        blocks.push(Block::Heading("Trend".into()));
        blocks.push(Block::Chart(Chart {
            title: "NPS".into(),
            kind: ChartKind::Line,
            labels: vec!["a".into()],
            series: vec![series("x", &[Some(1.0)])],
        }));
        let report = Report { title: "T".into(), blocks, ..Report::default() };
        let doc = laid_out(&report);
        let heading = doc.placed.iter().find(|p| p.what == "heading").unwrap();
        let chart = doc.placed.iter().find(|p| p.what == "chart").unwrap();
        assert_eq!(heading.page, chart.page);
    }

    #[test]
    fn output_is_a_small_pdf() {
        for rtl in [false, true] {
            let pdf = render(&sample(rtl)).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
            assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
            assert!(pdf.len() < 300_000, "{} bytes", pdf.len());
        }
        let empty = render(&Report::default()).unwrap();
        assert!(empty.starts_with(b"%PDF-"));
    }

    fn edge_cases() -> Report {
        let days: Vec<String> = (1..=31).map(|d| format!("2026-10-{d:02}")).collect();
        let wave = |k: f64| (1..=31).map(|d| Some((d as f64 * k).sin() * 20.0 + 5.0)).collect::<Vec<_>>();
        let cards = (0..7)
            .map(|i| Card {
                label: format!("Indicator number {i} with a rather long label"),
                value: format!("{}", 10_i64.pow(i)),
                note: String::new(),
            })
            .collect();
        Report {
            title: "A very long report title that goes on and on to see that it wraps over more than one line without running into the subtitle or the rule".into(),
            subtitle: String::new(),
            rtl: false,
            footer: "PX360".into(),
            blocks: vec![
                Block::Cards(cards),
                Block::Paragraph("First line\nSecond line with Arabic: قسم الطوارئ (الرياض) and 3 numbers 1, 2, 3.".into()),
                Block::Chart(Chart { title: "Daily change".into(), kind: ChartKind::Bar, labels: days.clone(), series: vec![series("Change", &wave(0.4))] }),
                Block::Chart(Chart {
                    title: "Daily lines".into(),
                    kind: ChartKind::Line,
                    labels: days,
                    series: vec![series("A", &wave(0.2)), series("B", &wave(0.3)), series("C", &[None; 31]), series("D", &wave(0.5))],
                }),
                Block::Chart(Chart { title: "Nothing yet".into(), kind: ChartKind::Bar, labels: vec![], series: vec![] }),
                Block::Chart(Chart {
                    title: "Many slices".into(),
                    kind: ChartKind::Doughnut,
                    labels: (0..14).map(|i| format!("Category {i}")).collect(),
                    series: vec![series("n", &(0..14).map(|i| Some(14.0 - i as f64)).collect::<Vec<_>>())],
                }),
                Block::Table(Table { title: "No rows".into(), headers: vec!["A".into(), "B".into()], rows: vec![] }),
                Block::Table(Table {
                    title: String::new(),
                    headers: vec![],
                    rows: (0..3).map(|i| (0..9).map(|c| if c == 4 && i == 1 { "x".repeat(2000) } else { format!("r{i}c{c}") }).collect()).collect(),
                }),
                Block::Heading("A heading at the very end".into()),
            ],
        }
    }

    #[test]
    fn edge_cases_render_inside_the_pages() {
        let report = edge_cases();
        let doc = laid_out(&report);
        for p in &doc.placed {
            assert!(p.bottom >= BOTTOM - 0.01 && p.top <= TOP + 0.01, "{p:?} leaves the page body");
        }
        let pdf = render(&report).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(dir) = std::env::var_os("PX360_PDF_SAMPLES") {
            std::fs::write(std::path::Path::new(&dir).join("px360-pdf-sample-edge.pdf"), pdf).unwrap();
        }
    }

    /// Text extraction with poppler's pdftotext, when it is installed. Set PX360_PDF_SAMPLES to
    /// a folder to keep the sample PDFs there.
    #[test]
    fn pdftotext_extracts_the_text() {
        if std::process::Command::new("pdftotext").arg("-v").output().is_err() {
            eprintln!("skipped: pdftotext (poppler-utils) is not installed");
            return;
        }
        let keep = std::env::var_os("PX360_PDF_SAMPLES").map(std::path::PathBuf::from);
        let dir = keep.clone().unwrap_or_else(std::env::temp_dir);
        for (name, rtl) in [("en", false), ("ar", true)] {
            let path = dir.join(format!("px360-pdf-sample-{name}-{}.pdf", std::process::id()));
            let path = if keep.is_some() { dir.join(format!("px360-pdf-sample-{name}.pdf")) } else { path };
            std::fs::write(&path, render(&sample(rtl)).unwrap()).unwrap();
            let out = std::process::Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().unwrap();
            if keep.is_none() {
                std::fs::remove_file(&path).unwrap();
            }
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            for needle in ["1234", "87.5", "+12.5 %", "12,480", "42.7", "2026-06-01", "PX360"] {
                assert!(text.contains(needle), "{name}: {needle:?} missing from:\n{text}");
            }
            // Poppler drops the spaces around the slash of the page number ("1/3").
            let squeezed: String = text.split_whitespace().collect();
            assert!(squeezed.contains("1/3") && squeezed.contains("3/3"), "{name}: page numbers");
            if rtl {
                assert!(text.contains("NPS"), "{text}");
                assert!(text.chars().any(is_rtl_char), "Arabic extracts");
            } else {
                for needle in
                    ["Emergency Department 1", "Satisfaction by department", "Net Promoter Score", "Waiting time"]
                {
                    assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
                }
            }
        }
    }
}
