//! Field checks shared by every input: each one reports into a [`FieldErrors`] so a request
//! learns about all its bad fields at once.

use chrono::{DateTime, Utc};

use crate::error::{AppResult, FieldErrors, invalid};

/// A required, trimmed, non-blank string of at most `max` characters.
pub fn required(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> String {
    match value.map(str::trim) {
        None => {
            errors.add(field, "This field is required.");
            String::new()
        }
        Some("") => {
            errors.add(field, "This field may not be blank.");
            String::new()
        }
        Some(v) => max_len(errors, field, v, max),
    }
}

/// An optional trimmed string ("" when absent) of at most `max` characters.
pub fn optional(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> String {
    max_len(errors, field, value.map(str::trim).unwrap_or(""), max)
}

fn max_len(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    if value.chars().count() > max {
        errors.add(field, format!("Ensure this field has no more than {max} characters."));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.add(field, "Control characters are not allowed.");
    }
    value.to_owned()
}

/// One of `allowed`, or `default` when absent.
pub fn choice(errors: &mut FieldErrors, field: &str, value: Option<&str>, allowed: &[&str], default: &str) -> String {
    match value.map(str::trim) {
        None | Some("") => default.to_owned(),
        Some(v) if allowed.contains(&v) => v.to_owned(),
        Some(v) => {
            errors.add(field, format!("\"{v}\" is not a valid choice."));
            default.to_owned()
        }
    }
}

/// A lower-cased email address, or "" when blank.
pub fn email(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> String {
    let v = optional(errors, field, value, 254).to_lowercase();
    if v.is_empty() {
        return v;
    }
    let valid = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        }
        None => false,
    };
    if !valid {
        errors.add(field, "Enter a valid email address.");
    }
    v
}

/// Western digits for Arabic-Indic and Eastern Arabic-Indic ones (٠١٢… and ۰۱۲…).
pub fn normalize_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            other => other,
        })
        .collect()
}

/// A comma-separated list filter (`status=open,in_progress`), each item one of `allowed` (else a
/// 400 naming the filter).
pub fn list_of<'a>(value: &'a str, field: &str, allowed: &[&str]) -> AppResult<Vec<&'a str>> {
    let items: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    for item in &items {
        if !allowed.contains(item) {
            return Err(invalid(field, format!("\"{item}\" is not a valid choice.")));
        }
    }
    Ok(items)
}

/// A Riyadh calendar day (`YYYY-MM-DD`, as the pages show times) as the UTC instant it starts
/// (else a 400 naming the filter).
pub fn riyadh_day(value: &str, field: &str) -> AppResult<DateTime<Utc>> {
    Ok(crate::domains::audit::service::parse_day(value).ok_or_else(|| invalid(field, "Enter a date as YYYY-MM-DD."))?
        - chrono::Duration::hours(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_reports_missing_blank_and_long_values() {
        let mut e = FieldErrors::new();
        required(&mut e, "a", None, 5);
        required(&mut e, "b", Some("  "), 5);
        required(&mut e, "c", Some("toolong"), 5);
        assert_eq!(required(&mut e, "d", Some(" ok "), 5), "ok");
        assert_eq!(e.0.len(), 3);
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        let mut e = FieldErrors::new();
        assert_eq!(email(&mut e, "email", Some("A@B.Example")), "a@b.example");
        assert!(e.is_empty());
        for bad in ["nope", "a@b", "a b@c.de", "@x.com"] {
            let mut e = FieldErrors::new();
            email(&mut e, "email", Some(bad));
            assert!(!e.is_empty(), "{bad}");
        }
    }

    #[test]
    fn arabic_indic_digits_are_normalised() {
        assert_eq!(normalize_digits("٠٥٠١٢٣"), "050123");
        assert_eq!(normalize_digits("۰۵"), "05");
    }
}
