//! Spreadsheet downloads: one CSV writer (UTF-8 with a BOM so Excel reads Arabic) and one minimal
//! XLSX writer (an OOXML workbook with one sheet of inline strings, a bold header row, and a
//! right-to-left sheet for Arabic readers). Cells that a spreadsheet would run as a formula
//! (leading `=`, `+`, `-`, `@`, tab or carriage return) get a leading apostrophe (spec §15).

use std::borrow::Cow;
use std::io::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The most rows one export writes; more are cut with a note as the last row.
pub const MAX_ROWS: usize = 50_000;

pub const CSV_TYPE: &str = "text/csv; charset=utf-8";
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file format of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => CSV_TYPE,
            Format::Xlsx => XLSX_TYPE,
        }
    }
}

/// A table to download: a header row and data rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Shown as the last row (e.g. "only the first 50,000 rows").
    pub note: Option<String>,
    /// Write the XLSX sheet right to left.
    pub rtl: bool,
    /// Write cells holding a plain number (no leading zero, sign or spaces) as numbers in XLSX,
    /// so a figures sheet can be summed and charted. Off for lists of identifiers.
    pub numbers: bool,
}

impl Table {
    /// Every row the file shows: the header, the data, then the note.
    fn all_rows(&self) -> impl Iterator<Item = &[String]> {
        std::iter::once(self.headers.as_slice())
            .chain(self.rows.iter().map(Vec::as_slice))
            .chain(self.note.iter().map(std::slice::from_ref))
    }

    /// The file in `format`.
    pub fn to_bytes(&self, format: Format) -> anyhow::Result<Vec<u8>> {
        match format {
            Format::Csv => Ok(csv(self)),
            Format::Xlsx => xlsx(self),
        }
    }
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) as text: with a
/// leading apostrophe.
pub fn escape_cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

fn csv_field(out: &mut String, value: &str) {
    let value = escape_cell(value);
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

/// The table as CSV: UTF-8 with a byte-order mark, CRLF line ends, RFC 4180 quoting.
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = String::from("\u{FEFF}");
    for row in table.all_rows() {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, cell);
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Text escaped for XML, without the characters XML 1.0 cannot carry.
pub fn xml_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The spreadsheet column name of a 0-based index: A … Z, AA …
pub fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// Style 0 is plain, style 1 bold (the header row), style 2 a percentage (`0.00%`).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// The worksheet XML of `table` (inline strings; the first row bold).
pub fn sheet_xml(table: &Table) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    out.push_str(if table.rtl {
        r#"<sheetViews><sheetView rightToLeft="1" workbookViewId="0"/></sheetViews>"#
    } else {
        r#"<sheetViews><sheetView workbookViewId="0"/></sheetViews>"#
    });
    out.push_str("<sheetData>");
    for (r, row) in table.all_rows().enumerate() {
        let n = r + 1;
        out.push_str(&format!(r#"<row r="{n}">"#));
        for (c, cell) in row.iter().enumerate() {
            let style = if r == 0 { r#" s="1""# } else { "" };
            if r > 0
                && table.numbers
                && let Some((value, percent)) = spreadsheet_number(cell)
            {
                let style = if percent { r#" s="2""# } else { "" };
                out.push_str(&format!(r#"<c r="{}{n}"{style}><v>{value}</v></c>"#, column_name(c)));
                continue;
            }
            out.push_str(&format!(
                r#"<c r="{}{n}"{style} t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                column_name(c),
                xml_text(&escape_cell(cell))
            ));
        }
        out.push_str("</row>");
    }
    out.push_str("</sheetData></worksheet>");
    out
}

/// The value of a figure cell as a spreadsheet number, and whether it is a percentage: a plain
/// number, a signed change (`+12.5`), or a percentage (`48.24%`, `-3 %`, stored as 0.4824).
fn spreadsheet_number(cell: &str) -> Option<(String, bool)> {
    let (text, percent) = match cell.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), true),
        None => (cell, false),
    };
    let text = text.strip_prefix('+').filter(|rest| !rest.starts_with('-')).unwrap_or(text);
    if !is_plain_number(text) {
        return None;
    }
    if !percent {
        return Some((text.to_owned(), false));
    }
    let value: f64 = text.parse().ok()?;
    // Through the decimal text, so 48.24 % is 0.4824 and not 0.48240000000000005.
    let scaled = format!("{:.*}", text.split('.').nth(1).map_or(0, str::len) + 2, value / 100.0);
    let scaled =
        if scaled.contains('.') { scaled.trim_end_matches('0').trim_end_matches('.').to_owned() } else { scaled };
    Some((scaled, true))
}

/// A number a spreadsheet may take as one: digits with at most one decimal point, no leading
/// zero before another digit, an optional leading minus.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'))
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// The table as an XLSX workbook.
pub fn xlsx(table: &Table) -> anyhow::Result<Vec<u8>> {
    xlsx_book(&[("Export", table)])
}

/// A workbook of several named sheets (names cut to Excel's 31 characters).
pub fn xlsx_book(sheets: &[(&str, &Table)]) -> anyhow::Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut types = String::new();
    let mut entries = String::new();
    let mut rels = String::new();
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        ));
        let name: String =
            name.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect();
        entries.push_str(&format!(r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#, xml_text(&name)));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    let styles_id = sheets.len() + 1;
    let content_types = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{types}<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#
    );
    for (name, body) in [
        ("[Content_Types].xml", content_types.as_str()),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", workbook.as_str()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_str()),
        ("xl/styles.xml", STYLES),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(body.as_bytes())?;
    }
    for (i, (_, table)) in sheets.iter().enumerate() {
        zip.start_file(format!("xl/worksheets/sheet{}.xml", i + 1), options)?;
        zip.write_all(sheet_xml(table).as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// A download response: the file with its type and an attachment file name.
pub fn download(bytes: Vec<u8>, format: Format, file_name: &str, truncated: bool) -> Response {
    download_as(bytes, format.content_type(), file_name, truncated)
}

/// A download of any type (e.g. `application/pdf`).
pub fn download_as(bytes: Vec<u8>, content_type: &'static str, file_name: &str, truncated: bool) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let safe: String =
        file_name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if truncated {
        headers.insert("x-export-truncated", HeaderValue::from_static("true"));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn sample() -> Table {
        Table {
            headers: vec!["reference".into(), "title".into()],
            rows: vec![
                vec!["CMP-1".into(), "=HYPERLINK(\"x\")".into()],
                vec!["CMP-2".into(), "شكوى عن الانتظار, \"طويل\"".into()],
                vec!["CMP-3".into(), "-5 <b>&".into()],
                vec!["CMP-4".into(), "@SUM\tx".into()],
            ],
            note: None,
            rtl: false,
            numbers: false,
        }
    }

    #[test]
    fn formula_cells_get_an_apostrophe() {
        for (raw, want) in [
            ("=1+1", "'=1+1"),
            ("+966", "'+966"),
            ("-2", "'-2"),
            ("@A1", "'@A1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("a=b", "a=b"),
            ("", ""),
            ("شكوى", "شكوى"),
        ] {
            assert_eq!(escape_cell(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn csv_has_a_bom_quotes_and_escaped_formulas() {
        let bytes = csv(&sample());
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "reference,title");
        assert_eq!(lines[1], "CMP-1,\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(lines[2], "CMP-2,\"شكوى عن الانتظار, \"\"طويل\"\"\"");
        assert_eq!(lines[3], "CMP-3,'-5 <b>&");
        assert_eq!(lines[4], "CMP-4,'@SUM\tx");
        assert_eq!(lines[5], "");
    }

    #[test]
    fn a_note_is_the_last_row() {
        let mut t = sample();
        t.note = Some("Only the first rows".into());
        let text = String::from_utf8(csv(&t)).unwrap();
        assert!(text.ends_with("\r\nOnly the first rows\r\n"), "{text}");
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn xml_text_escapes_and_drops_control_characters() {
        assert_eq!(xml_text("a<b>&\"c\u{1}\u{0}d\te"), "a&lt;b&gt;&amp;&quot;cd\te");
    }

    fn entry(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut file = archive.by_name(name).unwrap_or_else(|_| panic!("{name} in the workbook"));
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn xlsx_unzips_into_a_workbook_with_the_escaped_values() {
        let bytes = xlsx(&sample()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        for name in
            ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"]
        {
            assert!(entry(&bytes, name).starts_with("<?xml"), "{name}");
        }
        let sheet = entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            sheet.contains(r#"<c r="A1" s="1" t="inlineStr"><is><t xml:space="preserve">reference</t>"#),
            "{sheet}"
        );
        assert!(sheet.contains("<t xml:space=\"preserve\">'=HYPERLINK(&quot;x&quot;)</t>"), "{sheet}");
        assert!(sheet.contains("شكوى عن الانتظار, &quot;طويل&quot;"), "{sheet}");
        assert!(sheet.contains("'-5 &lt;b&gt;&amp;"), "{sheet}");
        assert!(sheet.contains(r#"<c r="B5" t="inlineStr">"#), "{sheet}");
        assert!(!sheet.contains("rightToLeft"), "{sheet}");
        let ct = entry(&bytes, "[Content_Types].xml");
        assert!(ct.contains("/xl/worksheets/sheet1.xml"));
    }

    #[test]
    fn an_arabic_sheet_is_right_to_left() {
        let mut t = sample();
        t.rtl = true;
        let sheet = entry(&xlsx(&t).unwrap(), "xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"<sheetView rightToLeft="1""#), "{sheet}");
    }

    #[test]
    fn a_book_has_one_sheet_per_table_and_numbers_as_numbers() {
        let mut figures = sample();
        figures.numbers = true;
        figures.rows = vec![
            vec!["12.5".into(), "0501234567".into()],
            vec!["-3".into(), "1e5".into()],
            vec!["+31.25".into(), "48.24%".into()],
            vec!["-3 %".into(), "+-2".into()],
        ];
        let bytes = xlsx_book(&[("Cards: [1]", &figures), ("Complaints", &sample())]).unwrap();
        let book = entry(&bytes, "xl/workbook.xml");
        assert!(book.contains(r#"<sheet name="Cards 1" sheetId="1" r:id="rId1"/>"#), "{book}");
        assert!(book.contains(r#"<sheet name="Complaints" sheetId="2" r:id="rId2"/>"#), "{book}");
        assert!(entry(&bytes, "xl/_rels/workbook.xml.rels").contains(r#"Id="rId3""#));
        let first = entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(first.contains(r#"<c r="A2"><v>12.5</v></c>"#), "{first}");
        assert!(first.contains(r#"<c r="A3"><v>-3</v></c>"#), "{first}");
        // A signed change loses only its plus; a percentage is a fraction shown as one.
        assert!(first.contains(r#"<c r="A4"><v>31.25</v></c>"#), "{first}");
        assert!(first.contains(r#"<c r="B4" s="2"><v>0.4824</v></c>"#), "{first}");
        assert!(first.contains(r#"<c r="A5" s="2"><v>-0.03</v></c>"#), "{first}");
        assert!(first.contains("+-2</t>"), "{first}");
        // A phone number keeps its leading zero; an exponent stays text.
        assert!(first.contains("0501234567</t>"), "{first}");
        assert!(first.contains("1e5</t>"), "{first}");
        assert!(entry(&bytes, "xl/worksheets/sheet2.xml").contains("CMP-4"));
    }
}
