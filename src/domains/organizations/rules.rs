//! Parsing of the organizations' identifiers: phones to E.164, Saudi national ids, MRNs, codes.

use crate::error::FieldErrors;
use crate::http::validate::{normalize_digits, optional};

/// A phone number in E.164. Saudi mobile numbers written locally (`05XXXXXXXX`, `5XXXXXXXX`,
/// `9665…`, `009665…`) become `+9665…`. Blank stays blank.
pub fn parse_phone(raw: &str) -> Result<String, &'static str> {
    let cleaned: String = normalize_digits(raw)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{200e}' | '\u{200f}'))
        .collect();
    if cleaned.is_empty() {
        return Ok(String::new());
    }
    let digits_only = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let e164 = if let Some(rest) = cleaned.strip_prefix('+') {
        format!("+{rest}")
    } else if let Some(rest) = cleaned.strip_prefix("00") {
        format!("+{rest}")
    } else if cleaned.len() == 10 && cleaned.starts_with("05") {
        format!("+966{}", &cleaned[1..])
    } else if cleaned.len() == 9 && cleaned.starts_with('5') {
        format!("+966{cleaned}")
    } else if cleaned.starts_with("966") {
        format!("+{cleaned}")
    } else {
        return Err("Enter a valid phone number in international format, e.g. +966501234567.");
    };
    let digits = &e164[1..];
    if !digits_only(digits) || !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err("Enter a valid phone number in international format, e.g. +966501234567.");
    }
    if let Some(national) = digits.strip_prefix("966")
        && national.starts_with('5')
        && national.len() != 9
    {
        return Err("A Saudi mobile number has 9 digits after +966 (5XXXXXXXX).");
    }
    Ok(e164)
}

pub fn phone(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> String {
    let raw = optional(errors, field, value, 30);
    match parse_phone(&raw) {
        Ok(p) => p,
        Err(message) => {
            errors.add(field, message);
            raw
        }
    }
}

/// National ID / Iqama: 10 digits starting with 1 (citizen) or 2 (resident). Blank allowed.
pub fn national_id(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> String {
    let v = normalize_digits(&optional(errors, field, value, 20));
    if !v.is_empty()
        && !(v.len() == 10 && v.chars().all(|c| c.is_ascii_digit()) && (v.starts_with('1') || v.starts_with('2')))
    {
        errors.add(field, "A national ID or Iqama number has 10 digits and starts with 1 or 2.");
    }
    v
}

/// A required identifier code (MRN, hospital or department code, employee id, licence):
/// letters, digits and `- _ / .`, at most `max` characters.
pub fn code(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> String {
    let v = crate::http::validate::required(errors, field, value.map(normalize_digits).as_deref(), max);
    if !v.is_empty() && !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')) {
        errors.add(field, "Use only letters, digits and - _ / .");
    }
    v
}

/// Masks all but the last 4 characters (roles below px_coordinator see PII this way).
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n <= 4 {
        return "•".repeat(n);
    }
    let tail: String = value.chars().skip(n - 4).collect();
    format!("{}{tail}", "•".repeat(n - 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saudi_numbers_become_e164() {
        for (raw, want) in [
            ("0501234567", "+966501234567"),
            ("050 123 4567", "+966501234567"),
            ("٠٥٠١٢٣٤٥٦٧", "+966501234567"),
            ("501234567", "+966501234567"),
            ("966501234567", "+966501234567"),
            ("00966501234567", "+966501234567"),
            ("+44 20 7946 0958", "+442079460958"),
            ("", ""),
        ] {
            assert_eq!(parse_phone(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn bad_phones_are_refused() {
        for raw in ["12345", "+9665012", "abc", "+0123456789", "05012345678"] {
            assert!(parse_phone(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn national_ids_need_ten_digits_starting_one_or_two() {
        for (raw, ok) in
            [("1012345678", true), ("2012345678", true), ("3012345678", false), ("101234567", false), ("", true)]
        {
            let mut e = FieldErrors::new();
            national_id(&mut e, "national_id", Some(raw));
            assert_eq!(e.is_empty(), ok, "{raw}");
        }
    }

    #[test]
    fn masking_keeps_the_last_four() {
        assert_eq!(mask("+966501234567"), "•••••••••4567");
        assert_eq!(mask("12"), "••");
    }
}
