//! The pure rules of notifications: template rendering, text clean-up for SMS and WhatsApp, quiet
//! hours, the survey frequency cap and STOP detection. No database, no clock: callers pass `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::http::validate::normalize_digits;

pub const CHANNELS: &[&str] = &["sms", "whatsapp", "email"];
pub const LANGUAGES: &[&str] = &["ar", "en"];
/// `survey`: a survey invitation under the frequency cap; `survey_exempt`: reminders and
/// invitations of cap-exempt templates (resolution surveys), neither capped nor counted.
pub const CATEGORIES: &[&str] = &["general", "survey", "survey_exempt"];
pub const STATUSES: &[&str] = &["queued", "held", "sending", "sent", "delivered", "failed", "suppressed"];

/// Riyadh is UTC+3 all year (no daylight saving).
pub const RIYADH_OFFSET_HOURS: i64 = 3;

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenderError {
    /// Placeholders with no value, in order of first appearance.
    pub missing: Vec<String>,
    /// Placeholders that are not `{{name}}` with a name of lower-case letters, digits and `_`.
    pub malformed: Vec<String>,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("Missing template variables: {}.", self.missing.join(", ")));
        }
        if !self.malformed.is_empty() {
            let shown: Vec<String> = self.malformed.iter().map(|m| format!("\"{m}\"")).collect();
            parts.push(format!(
                "Malformed placeholders: {} (write {{{{name}}}} with lower-case letters, digits and _).",
                shown.join(", ")
            ));
        }
        f.write_str(&parts.join(" "))
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 50
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
}

/// The `{{name}}` placeholders of `text` (each once, in order), or the malformed ones.
pub fn placeholders(text: &str) -> Result<Vec<String>, RenderError> {
    let mut names: Vec<String> = Vec::new();
    let mut err = RenderError::default();
    scan(text, |piece| match piece {
        Piece::Name(n) => {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_owned());
            }
        }
        Piece::Malformed(m) => err.malformed.push(m.to_owned()),
        Piece::Text(_) => {}
    });
    if err.malformed.is_empty() { Ok(names) } else { Err(err) }
}

enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
    Malformed(&'a str),
}

/// Splits `text` into literal text and placeholders. `{{ name }}` (spaces inside) is accepted.
fn scan<'a>(text: &'a str, mut each: impl FnMut(Piece<'a>)) {
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        each(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let inner = &after[..close];
                let name = inner.trim();
                if valid_name(name) && !inner.contains('{') {
                    each(Piece::Name(name));
                } else {
                    each(Piece::Malformed(&rest[open..open + 2 + close + 2]));
                }
                rest = &after[close + 2..];
            }
            None => {
                let tail: String = rest[open..].chars().take(30).collect();
                let tail_len = tail.len();
                each(Piece::Malformed(&rest[open..open + tail_len]));
                rest = "";
            }
        }
    }
    each(Piece::Text(rest));
}

/// Replaces every `{{name}}` of `template` with `vars[name]` in one pass (values are never
/// rendered again). Every missing variable and every malformed placeholder is reported at once.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String, RenderError> {
    let mut out = String::with_capacity(template.len());
    let mut err = RenderError::default();
    scan(template, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Name(n) => match vars.get(n) {
            Some(v) => out.push_str(v),
            None => {
                if !err.missing.iter().any(|m| m == n) {
                    err.missing.push(n.to_owned());
                }
            }
        },
        Piece::Malformed(m) => err.malformed.push(m.to_owned()),
    });
    if err.missing.is_empty() && err.malformed.is_empty() { Ok(out) } else { Err(err) }
}

/// Renders a subject and a body together, merging their errors.
pub fn render_pair(
    subject: &str,
    body: &str,
    vars: &BTreeMap<String, String>,
) -> Result<(String, String), RenderError> {
    match (render(subject, vars), render(body, vars)) {
        (Ok(s), Ok(b)) => Ok((s, b)),
        (s, b) => {
            let mut err = RenderError::default();
            for e in [s.err(), b.err()].into_iter().flatten() {
                for m in e.missing {
                    if !err.missing.contains(&m) {
                        err.missing.push(m);
                    }
                }
                err.malformed.extend(e.malformed);
            }
            Err(err)
        }
    }
}

/// Whether `c` is a bidirectional formatting character: LRM/RLM, the embeddings and overrides
/// (U+202A–U+202E) and the isolates (U+2066–U+2069). SMS gateways count them as characters and
/// some handsets show them as boxes.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` without bidi formatting characters (for SMS and WhatsApp bodies).
pub fn strip_bidi(text: &str) -> String {
    text.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// Text as sent on `channel`: bidi marks removed on SMS and WhatsApp, other control characters
/// (except line breaks and tabs) removed everywhere.
pub fn clean_for_channel(channel: &str, text: &str) -> String {
    let stripped = if matches!(channel, "sms" | "whatsapp") { strip_bidi(text) } else { text.to_owned() };
    stripped.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')).collect()
}

/// When a message may go out, given the hospital's quiet hours (Riyadh time, hours 0–23, the
/// window `[start, end)` may wrap midnight; `start == end` means no quiet hours): `None` to send
/// now, or `Some(release)` — the UTC instant the window ends. Out-of-range hours disable the rule.
pub fn quiet_hours_release(now: DateTime<Utc>, start: i32, end: i32) -> Option<DateTime<Utc>> {
    if start == end || !(0..24).contains(&start) || !(0..24).contains(&end) {
        return None;
    }
    let offset = Duration::hours(RIYADH_OFFSET_HOURS);
    let local = now.naive_utc() + offset;
    let hour = chrono::Timelike::hour(&local) as i32;
    let quiet = if start < end { hour >= start && hour < end } else { hour >= start || hour < end };
    if !quiet {
        return None;
    }
    let end_time = NaiveTime::from_hms_opt(end as u32, 0, 0)?;
    let mut release_day = local.date();
    // After the start of a window that wraps midnight, it ends tomorrow.
    if start > end && hour >= start {
        release_day = release_day.succ_opt()?;
    }
    let release_local = release_day.and_time(end_time);
    Some(DateTime::<Utc>::from_naive_utc_and_offset(release_local - offset, Utc))
}

/// The survey frequency cap: with a survey last sent at `last_sent`, is another one allowed
/// `now`? Returns the suppression reason when capped. `days <= 0` disables the cap.
pub fn frequency_cap(last_sent: Option<DateTime<Utc>>, now: DateTime<Utc>, days: i32) -> Option<String> {
    if days <= 0 {
        return None;
    }
    let last = last_sent?;
    if now - last >= Duration::days(i64::from(days)) {
        return None;
    }
    let ago = (now - last).num_days().max(0);
    let when = match ago {
        0 => "today".to_owned(),
        1 => "1 day ago".to_owned(),
        n => format!("{n} days ago"),
    };
    Some(format!("frequency cap: a survey was sent {when} (at most one every {days} days)"))
}

/// How many SMS parts `text` takes: 160 characters (153 per part when split) in the GSM
/// alphabet, 70 (67) otherwise — any Arabic letter makes the whole message UCS-2.
pub fn sms_segments(text: &str) -> usize {
    const GSM_EXTRA: &str = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}[]~|€\n\r";
    let gsm = text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || GSM_EXTRA.contains(c));
    let n = text.chars().count();
    let (single, part) = if gsm { (160, 153) } else { (70, 67) };
    if n == 0 {
        0
    } else if n <= single {
        1
    } else {
        n.div_ceil(part)
    }
}

/// The words that opt a sender out of a channel.
pub const STOP_WORDS: &[&str] = &["stop", "unsubscribe", "إيقاف", "ايقاف", "الغاء", "إلغاء"];

/// Whether an inbound message asks to stop: the whole text (trimmed, bidi marks and surrounding
/// punctuation removed, case-insensitive, Arabic digits normalised) is a stop word.
pub fn is_stop(text: &str) -> bool {
    let cleaned = normalize_digits(&strip_bidi(text)).replace('\u{0640}', ""); // tatweel
    let word = cleaned
        .trim()
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '!' | '?' | '،' | ',' | '"' | '\''))
        .to_lowercase();
    STOP_WORDS.contains(&word.as_str())
}

/// The address a channel delivers to, normalised: E.164 for sms/whatsapp (a `whatsapp:` prefix
/// is dropped), lower-case for email. `Err` carries the reason it is unusable.
pub fn normalize_address(channel: &str, raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    match channel {
        "email" => {
            let mut errors = crate::error::FieldErrors::new();
            let v = crate::http::validate::email(&mut errors, "email", Some(raw));
            if v.is_empty() {
                Err("no email address on file".into())
            } else if !errors.is_empty() {
                Err(format!("invalid email address: {}", errors.get("email").unwrap_or_default()))
            } else {
                Ok(v)
            }
        }
        _ => {
            let bare = raw.strip_prefix("whatsapp:").unwrap_or(raw);
            match crate::domains::organizations::rules::parse_phone(bare) {
                Ok(p) if p.is_empty() => Err("no phone number on file".into()),
                Ok(p) => Ok(p),
                Err(why) => Err(format!("invalid phone number: {why}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn templates_render_or_list_every_missing_variable() {
        let v = vars(&[("patient_name", "Salem"), ("hospital_name", "Alpha"), ("x", "{{patient_name}}")]);
        for (template, want) in [
            ("Hello {{patient_name}} from {{hospital_name}}.", Ok("Hello Salem from Alpha.".to_owned())),
            ("{{ patient_name }}!", Ok("Salem!".into())),
            ("no placeholders", Ok("no placeholders".into())),
            ("", Ok(String::new())),
            ("{{x}}", Ok("{{patient_name}}".into())), // values are not rendered again
            ("مرحبا {{patient_name}}", Ok("مرحبا Salem".into())),
            (
                "{{survey_url}} {{code}} {{survey_url}}",
                Err(RenderError { missing: vec!["survey_url".into(), "code".into()], malformed: vec![] }),
            ),
            ("{{Bad Name}}", Err(RenderError { missing: vec![], malformed: vec!["{{Bad Name}}".into()] })),
            ("{{}}", Err(RenderError { missing: vec![], malformed: vec!["{{}}".into()] })),
            ("oops {{patient_name", Err(RenderError { missing: vec![], malformed: vec!["{{patient_name".into()] })),
        ] {
            assert_eq!(render(template, &v), want, "{template}");
        }
    }

    #[test]
    fn render_errors_read_well_and_pairs_merge() {
        let err = render_pair("{{a}}", "{{b}} {{a}} {{B}}", &BTreeMap::new()).unwrap_err();
        assert_eq!(err.missing, ["a", "b"]);
        assert_eq!(err.malformed, ["{{B}}"]);
        let text = err.to_string();
        assert!(text.contains("Missing template variables: a, b."), "{text}");
        assert!(text.contains("\"{{B}}\""), "{text}");
        assert_eq!(placeholders("{{a}} {{b}} {{a}}").unwrap(), ["a", "b"]);
        assert!(placeholders("{{a").is_err());
    }

    #[test]
    fn bidi_marks_are_stripped_from_sms_and_whatsapp_only() {
        let text =
            "\u{2067}مرحبا\u{2069} \u{200F}Salem\u{200E} \u{202B}x\u{202C}\u{202A}\u{202D}\u{202E}\u{2066}\u{2068}";
        assert_eq!(strip_bidi(text), "مرحبا Salem x");
        assert_eq!(clean_for_channel("sms", text), "مرحبا Salem x");
        assert_eq!(clean_for_channel("whatsapp", text), "مرحبا Salem x");
        assert_eq!(clean_for_channel("email", "\u{200F}a\nb\u{0007}"), "\u{200F}a\nb");
        for c in ['\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(is_bidi_control(c));
        }
        for c in ['a', 'م', '\u{200D}', '\u{2065}', '\u{202F}'] {
            assert!(!is_bidi_control(c), "{c:?}");
        }
    }

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 10, h, m, 0).unwrap()
    }

    #[test]
    fn quiet_hours_hold_until_the_window_ends_in_riyadh_time() {
        let next_day = |h: u32| Utc.with_ymd_and_hms(2025, 3, 11, h, 0, 0).unwrap();
        let same_day = |h: u32| Utc.with_ymd_and_hms(2025, 3, 10, h, 0, 0).unwrap();
        // (now UTC, start, end, want). Riyadh = UTC+3; 22–8 Riyadh = 19:00–05:00 UTC.
        for (now, start, end, want) in [
            (utc(12, 0), 22, 8, None),                // 15:00 Riyadh
            (utc(18, 59), 22, 8, None),               // 21:59 Riyadh
            (utc(19, 0), 22, 8, Some(next_day(5))),   // 22:00 Riyadh → 08:00 tomorrow
            (utc(20, 30), 22, 8, Some(next_day(5))),  // 23:30 Riyadh
            (utc(21, 0), 22, 8, Some(next_day(5))),   // 00:00 Riyadh (next local day) → 08:00 same local day
            (utc(2, 0), 22, 8, Some(same_day(5))),    // 05:00 Riyadh
            (utc(4, 59), 22, 8, Some(same_day(5))),   // 07:59 Riyadh
            (utc(5, 0), 22, 8, None),                 // 08:00 Riyadh: open
            (utc(10, 0), 13, 15, Some(same_day(12))), // 13:00 Riyadh, window 13–15 → 15:00 Riyadh
            (utc(9, 59), 13, 15, None),
            (utc(12, 0), 13, 15, None),
            (utc(10, 0), 7, 7, None),  // start == end: none
            (utc(10, 0), 0, 0, None),  // none
            (utc(10, 0), 25, 3, None), // out of range: ignored
            (utc(10, 0), 0, 24, None),
            (utc(22, 0), 0, 6, Some(same_day(3) + Duration::days(1))), // 01:00 Riyadh on the 11th → 06:00 Riyadh
        ] {
            assert_eq!(quiet_hours_release(now, start, end), want, "{now} {start}-{end}");
        }
        // A window covering all but one hour still releases.
        let r = quiet_hours_release(utc(12, 30), 14, 13).unwrap();
        assert_eq!(r, next_day(10));
        assert!(quiet_hours_release(utc(10, 30), 14, 13).is_none(), "13:30 Riyadh is the open hour");
        assert!(quiet_hours_release(r, 14, 13).is_none(), "released exactly at the end");
    }

    #[test]
    fn the_frequency_cap_counts_days_since_the_last_survey() {
        let now = utc(12, 0);
        for (last, days, capped) in [
            (None, 7, false),
            (Some(now - Duration::days(8)), 7, false),
            (Some(now - Duration::days(7)), 7, false),
            (Some(now - Duration::days(6)), 7, true),
            (Some(now - Duration::hours(1)), 7, true),
            (Some(now - Duration::hours(1)), 0, false),
            (Some(now - Duration::days(20)), 30, true),
        ] {
            assert_eq!(frequency_cap(last, now, days).is_some(), capped, "{last:?} {days}");
        }
        let reason = frequency_cap(Some(now - Duration::days(3)), now, 7).unwrap();
        assert_eq!(reason, "frequency cap: a survey was sent 3 days ago (at most one every 7 days)");
        assert!(frequency_cap(Some(now), now, 7).unwrap().contains("today"));
    }

    #[test]
    fn sms_parts_depend_on_the_alphabet() {
        for (text, parts) in [
            (String::new(), 0),
            ("Hello".to_owned(), 1),
            ("a".repeat(160), 1),
            ("a".repeat(161), 2),
            ("م".repeat(70), 1),
            ("م".repeat(71), 2),
            (format!("{}م", "a".repeat(69)), 1),
            ("م".repeat(135), 3),
        ] {
            assert_eq!(sms_segments(&text), parts, "{} chars", text.chars().count());
        }
    }

    #[test]
    fn stop_words_opt_out_in_english_and_arabic() {
        for (text, stop) in [
            ("STOP", true),
            ("stop", true),
            ("  Stop.  ", true),
            ("UNSUBSCRIBE", true),
            ("إيقاف", true),
            ("ايقاف", true),
            ("الغاء", true),
            ("إلغاء", true),
            ("\u{200F}إيقاف\u{200F}", true),
            ("إيـقـاف", true),
            ("stop please", false),
            ("don't stop", false),
            ("", false),
            ("STOPP", false),
            ("yes", false),
            ("٥", false),
        ] {
            assert_eq!(is_stop(text), stop, "{text:?}");
        }
    }

    #[test]
    fn addresses_are_normalised_per_channel_with_a_reason_when_unusable() {
        for (channel, raw, want) in [
            ("sms", "0501234567", Ok("+966501234567")),
            ("whatsapp", "whatsapp:+966501234567", Ok("+966501234567")),
            ("sms", "٠٥٠١٢٣٤٥٦٧", Ok("+966501234567")),
            ("sms", "", Err("no phone number on file")),
            ("email", "Salem@Example.COM", Ok("salem@example.com")),
            ("email", "", Err("no email address on file")),
        ] {
            assert_eq!(normalize_address(channel, raw).as_deref(), want.map_err(|e: &str| e.to_owned()).as_deref());
        }
        assert!(normalize_address("sms", "12345").unwrap_err().starts_with("invalid phone number"));
        assert!(normalize_address("email", "nope").unwrap_err().starts_with("invalid email address"));
    }
}
