//! A hospital's stored settings read into the pure types: the `working_calendars` row and its
//! `calendar_holidays` into a [`WorkingCalendar`], `sla_configs` rows into [`SlaConfig`]s,
//! `escalation_rules` rows into [`EscalationRule`]s. A bad stored value is an error naming the
//! table, column and value (the pages that write them validate first; this is the backstop).

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::calendar::{CalendarError, ClockMode, DayHours, SpecialHours, WorkingCalendar};
use super::model::{calendar_holiday, escalation_rule, sla_config, working_calendar};
use super::sla::{
    AppliesTo, ComplaintSource, EscalationRule, EscalationTarget, Priority, Severity, SlaConfig, SlaRule,
};

/// A stored value the rules cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}: unusable value {:?}", self.table, self.column, self.value)
    }
}

impl std::error::Error for SettingsError {}

fn bad(table: &'static str, column: &'static str, value: impl ToString) -> SettingsError {
    SettingsError { table, column, value: value.to_string() }
}

/// A holiday range longer than this is refused (a typo in a year, not a holiday).
const MAX_HOLIDAY_DAYS: i64 = 366;

/// `"5,6"` (ISO weekday numbers, 1 = Monday … 7 = Sunday) → Friday and Saturday. Blank = none.
pub fn parse_weekend(s: &str) -> Option<Vec<Weekday>> {
    let mut days = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n: u8 = part.parse().ok()?;
        let day = match n {
            1 => Weekday::Mon,
            2 => Weekday::Tue,
            3 => Weekday::Wed,
            4 => Weekday::Thu,
            5 => Weekday::Fri,
            6 => Weekday::Sat,
            7 => Weekday::Sun,
            _ => return None,
        };
        days.push(day);
    }
    Some(days)
}

/// The stored form of weekend days: `"5,6"`.
pub fn format_weekend(days: &[Weekday]) -> String {
    days.iter().map(|d| d.number_from_monday().to_string()).collect::<Vec<_>>().join(",")
}

/// Saudi Arabia's fixed-date holidays of a Gregorian year: Founding Day (22 Feb) and National Day
/// (23 Sep). The Eids follow the Hijri calendar and are stored per year as `calendar_holidays`.
pub fn fixed_national_holidays(year: i32) -> Vec<NaiveDate> {
    [(2, 22), (9, 23)].into_iter().filter_map(|(m, d)| NaiveDate::from_ymd_opt(year, m, d)).collect()
}

fn minutes(table: &'static str, column: &'static str, value: i32) -> Result<u16, SettingsError> {
    u16::try_from(value).ok().filter(|m| *m <= 24 * 60).ok_or_else(|| bad(table, column, value))
}

/// The hospital's calendar: its `working_calendars` row (none = Sunday–Thursday 08:00–16:00) and
/// its `calendar_holidays` (closed ranges, or ranges of special hours when both minutes are set).
pub fn calendar_from_rows(
    row: Option<&working_calendar::Model>,
    holidays: &[calendar_holiday::Model],
) -> Result<WorkingCalendar, SettingsError> {
    const T: &str = "working_calendars";
    const H: &str = "calendar_holidays";
    let mut cal = match row {
        None => WorkingCalendar::default(),
        Some(r) => {
            let weekend = parse_weekend(&r.weekend_days).ok_or_else(|| bad(T, "weekend_days", &r.weekend_days))?;
            let hours = DayHours {
                opens: minutes(T, "opens_minute", r.opens_minute)?,
                closes: minutes(T, "closes_minute", r.closes_minute)?,
            };
            WorkingCalendar::new(&weekend, hours).map_err(|e| match e {
                CalendarError::NoWorkingDay => bad(T, "weekend_days", &r.weekend_days),
                CalendarError::BadHours { .. } => bad(T, "opens_minute", e),
            })?
        }
    };
    for h in holidays {
        let days = (h.ends_on - h.starts_on).num_days();
        if !(0..MAX_HOLIDAY_DAYS).contains(&days) {
            return Err(bad(H, "ends_on", h.ends_on));
        }
        match (h.opens_minute, h.closes_minute) {
            (None, None) => {
                cal = cal.with_holidays((0..=days).map(|d| h.starts_on + Duration::days(d)));
            }
            (Some(opens), Some(closes)) => {
                let hours = DayHours {
                    opens: minutes(H, "opens_minute", opens)?,
                    closes: minutes(H, "closes_minute", closes)?,
                };
                cal = cal
                    .with_special_hours(SpecialHours { from: h.starts_on, to: h.ends_on, hours })
                    .map_err(|e| bad(H, "opens_minute", e))?;
            }
            (Some(_), None) => return Err(bad(H, "closes_minute", "null")),
            (None, Some(_)) => return Err(bad(H, "opens_minute", "null")),
        }
    }
    Ok(cal)
}

fn parse_opt<V>(
    column: &'static str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Option<V>,
) -> Result<Option<V>, SettingsError> {
    match value.as_deref() {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| bad("sla_configs", column, s)),
    }
}

fn hours(table: &'static str, column: &'static str, value: i32) -> Result<i64, SettingsError> {
    if value < 0 { Err(bad(table, column, value)) } else { Ok(value.into()) }
}

/// One `sla_configs` row. A source row has no severity/priority; a grid row has both.
pub fn sla_config_from_row(row: &sla_config::Model) -> Result<SlaConfig, SettingsError> {
    const T: &str = "sla_configs";
    let source = parse_opt("source", &row.source, ComplaintSource::parse)?;
    let severity = parse_opt("severity", &row.severity, Severity::parse)?;
    let priority = parse_opt("priority", &row.priority, Priority::parse)?;
    if source.is_none() && (severity.is_none() || priority.is_none()) {
        return Err(bad(T, if severity.is_none() { "severity" } else { "priority" }, "null"));
    }
    let sla_hours = hours(T, "sla_hours", row.sla_hours)?;
    if sla_hours == 0 {
        return Err(bad(T, "sla_hours", 0));
    }
    Ok(SlaConfig {
        source,
        severity,
        priority,
        is_active: row.is_active,
        rule: SlaRule {
            sla_hours,
            clock_mode: ClockMode::parse(&row.clock_mode).ok_or_else(|| bad(T, "clock_mode", &row.clock_mode))?,
            reminder_hours_before: hours(T, "reminder_hours_before", row.reminder_hours_before)?,
            second_reminder_enabled: row.second_reminder_enabled,
            second_reminder_hours_before: hours(T, "second_reminder_hours_before", row.second_reminder_hours_before)?,
            first_reminder_hours_after: hours(T, "first_reminder_hours_after", row.first_reminder_hours_after)?,
            second_reminder_hours_after: hours(T, "second_reminder_hours_after", row.second_reminder_hours_after)?,
            escalation_hours_after: hours(T, "escalation_hours_after", row.escalation_hours_after)?,
            thank_you_email_enabled: row.thank_you_email_enabled,
        },
    })
}

/// The hospital's SLA rows for complaints or for actions.
pub fn sla_configs_for(rows: &[sla_config::Model], applies_to: AppliesTo) -> Result<Vec<SlaConfig>, SettingsError> {
    rows.iter().filter(|r| r.applies_to == applies_to.as_str()).map(sla_config_from_row).collect()
}

/// One `escalation_rules` row.
pub fn escalation_rule_from_row(row: &escalation_rule::Model) -> Result<EscalationRule, SettingsError> {
    const T: &str = "escalation_rules";
    let level = u8::try_from(row.level)
        .ok()
        .filter(|l| (1..=super::sla::MAX_ESCALATION_LEVEL).contains(l))
        .ok_or_else(|| bad(T, "level", row.level))?;
    let escalate_to = EscalationTarget::parse(&row.escalate_to_role)
        .ok_or_else(|| bad(T, "escalate_to_role", &row.escalate_to_role))?;
    if escalate_to == EscalationTarget::SpecificUser && row.escalate_to_user_id.is_none() {
        return Err(bad(T, "escalate_to_user_id", "null"));
    }
    Ok(EscalationRule {
        level,
        trigger_on_overdue: row.trigger_on_overdue,
        trigger_hours_overdue: hours(T, "trigger_hours_overdue", row.trigger_hours_overdue)?,
        reminder_escalation_enabled: row.reminder_escalation_enabled,
        reminder_escalation_hours: hours(T, "reminder_escalation_hours", row.reminder_escalation_hours)?,
        escalate_to,
        is_active: row.is_active,
    })
}

/// The hospital's escalation chain for complaints or actions, sorted by level; no rows = the
/// spec's default chain.
pub fn escalation_rules_for(
    rows: &[escalation_rule::Model],
    applies_to: AppliesTo,
) -> Result<Vec<EscalationRule>, SettingsError> {
    let mut rules: Vec<EscalationRule> = rows
        .iter()
        .filter(|r| r.applies_to == applies_to.as_str())
        .map(escalation_rule_from_row)
        .collect::<Result<_, _>>()?;
    if rules.is_empty() {
        return Ok(match applies_to {
            AppliesTo::Complaint => super::sla::default_complaint_escalation_rules(),
            AppliesTo::Action => super::sla::default_action_escalation_rules(),
        });
    }
    rules.sort_by_key(|r| r.level);
    Ok(rules)
}

/// Whether a date is a weekend day of `cal` (for pages that shade the calendar).
pub fn is_weekend(cal: &WorkingCalendar, date: NaiveDate) -> bool {
    cal.weekend.contains(&date.weekday())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::super::calendar::due_in_working_hours;
    use super::super::calendar::tests::{riyadh_at, show};
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar_row(weekend: &str, opens: i32, closes: i32) -> working_calendar::Model {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        working_calendar::Model {
            hospital_id: Uuid::nil(),
            weekend_days: weekend.into(),
            opens_minute: opens,
            closes_minute: closes,
            updated_by: None,
            created_at: t,
            updated_at: t,
        }
    }

    fn holiday(from: &str, to: &str, hours: Option<(i32, i32)>) -> calendar_holiday::Model {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        calendar_holiday::Model {
            id: Uuid::nil(),
            hospital_id: Uuid::nil(),
            name_en: "Holiday".into(),
            name_ar: String::new(),
            starts_on: date(from),
            ends_on: date(to),
            opens_minute: hours.map(|h| h.0),
            closes_minute: hours.map(|h| h.1),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn weekend_days_parse_and_format() {
        let cases = [
            ("5,6", Some(vec![Weekday::Fri, Weekday::Sat])),
            (" 6 , 7 ", Some(vec![Weekday::Sat, Weekday::Sun])),
            ("", Some(vec![])),
            ("5", Some(vec![Weekday::Fri])),
            ("0", None),
            ("8", None),
            ("fri", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_weekend(input), want, "{input:?}");
        }
        assert_eq!(format_weekend(&[Weekday::Fri, Weekday::Sat]), "5,6");
        assert_eq!(fixed_national_holidays(2027), vec![date("2027-02-22"), date("2027-09-23")]);
    }

    #[test]
    fn stored_calendars_become_working_calendars() {
        // No row: the default Sunday–Thursday 08:00–16:00.
        let cal = calendar_from_rows(None, &[]).unwrap();
        assert_eq!(cal, WorkingCalendar::default());
        // A Sat–Sun, 09:00–17:00 calendar with a two-day holiday and a Ramadan-style day.
        let holidays =
            [holiday("2026-11-30", "2026-12-01", None), holiday("2026-12-02", "2026-12-02", Some((600, 900)))];
        let cal = calendar_from_rows(Some(&calendar_row("6,7", 540, 1020)), &holidays).unwrap();
        assert!(is_weekend(&cal, date("2026-11-29")));
        assert!(!is_weekend(&cal, date("2026-11-27")));
        // Friday 16:00 + 3 working hours: Fri 1 h, weekend, Mon–Tue holiday, Wed 10:00–12:00.
        assert_eq!(show(due_in_working_hours(riyadh_at("2026-11-27 16:00"), 3, &cal)), "Wed 2026-12-02 12:00");
    }

    #[test]
    fn bad_stored_calendars_are_named() {
        let cases = [
            (calendar_row("5,9", 480, 960), vec![], "working_calendars.weekend_days: unusable value \"5,9\""),
            (calendar_row("1,2,3,4,5,6,7", 480, 960), vec![], "working_calendars.weekend_days"),
            (calendar_row("5,6", -1, 960), vec![], "working_calendars.opens_minute: unusable value \"-1\""),
            (calendar_row("5,6", 480, 1500), vec![], "working_calendars.closes_minute"),
            (calendar_row("5,6", 960, 480), vec![], "working_calendars.opens_minute"),
            (
                calendar_row("5,6", 480, 960),
                vec![holiday("2026-12-02", "2026-12-01", None)],
                "calendar_holidays.ends_on",
            ),
            (
                calendar_row("5,6", 480, 960),
                vec![holiday("2026-01-01", "2027-12-31", None)],
                "calendar_holidays.ends_on",
            ),
            (
                calendar_row("5,6", 480, 960),
                vec![holiday("2026-12-01", "2026-12-01", Some((900, 600)))],
                "calendar_holidays.opens_minute",
            ),
        ];
        for (row, holidays, want) in cases {
            let err = calendar_from_rows(Some(&row), &holidays).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err} should start with {want}");
        }
        let mut half = holiday("2026-12-01", "2026-12-01", None);
        half.opens_minute = Some(600);
        assert_eq!(calendar_from_rows(None, &[half]).unwrap_err().column, "closes_minute");
    }

    fn sla_row(source: Option<&str>, severity: Option<&str>, priority: Option<&str>) -> sla_config::Model {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        sla_config::Model {
            id: Uuid::nil(),
            hospital_id: Uuid::nil(),
            applies_to: "complaint".into(),
            source: source.map(Into::into),
            severity: severity.map(Into::into),
            priority: priority.map(Into::into),
            sla_hours: 24,
            clock_mode: "working_hours".into(),
            reminder_hours_before: 24,
            second_reminder_enabled: true,
            second_reminder_hours_before: 6,
            first_reminder_hours_after: 12,
            second_reminder_hours_after: 30,
            escalation_hours_after: 24,
            thank_you_email_enabled: false,
            is_active: true,
            created_by: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn stored_sla_rows_become_configs() {
        let moh = sla_config_from_row(&sla_row(Some("moh"), None, None)).unwrap();
        assert_eq!(moh.source, Some(ComplaintSource::Moh));
        assert_eq!(moh.rule.clock_mode, ClockMode::WorkingHours);
        assert_eq!(
            (moh.rule.sla_hours, moh.rule.first_reminder_hours_after, moh.rule.second_reminder_hours_after),
            (24, 12, 30)
        );
        let grid = sla_config_from_row(&sla_row(None, Some("critical"), Some("high"))).unwrap();
        assert_eq!((grid.severity, grid.priority), (Some(Severity::Critical), Some(Priority::High)));

        let cases = [
            (sla_row(Some("twitter"), None, None), "source"),
            (sla_row(None, Some("urgent"), Some("high")), "severity"),
            (sla_row(None, Some("high"), Some("urgent")), "priority"),
            (sla_row(None, None, Some("high")), "severity"),
            (sla_row(None, Some("high"), None), "priority"),
            (sla_config::Model { clock_mode: "business".into(), ..sla_row(Some("moh"), None, None) }, "clock_mode"),
            (sla_config::Model { sla_hours: 0, ..sla_row(Some("moh"), None, None) }, "sla_hours"),
            (
                sla_config::Model { reminder_hours_before: -2, ..sla_row(Some("moh"), None, None) },
                "reminder_hours_before",
            ),
        ];
        for (row, column) in cases {
            assert_eq!(sla_config_from_row(&row).unwrap_err().column, column, "{row:?}");
        }

        let action = sla_config::Model { applies_to: "action".into(), ..sla_row(None, Some("low"), Some("low")) };
        let rows = [sla_row(Some("chi"), None, None), action];
        assert_eq!(sla_configs_for(&rows, AppliesTo::Complaint).unwrap().len(), 1);
        assert_eq!(sla_configs_for(&rows, AppliesTo::Action).unwrap()[0].severity, Some(Severity::Low));
    }

    fn rule_row(level: i32, role: &str) -> escalation_rule::Model {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        escalation_rule::Model {
            id: Uuid::nil(),
            hospital_id: Uuid::nil(),
            applies_to: "complaint".into(),
            name: String::new(),
            level,
            trigger_on_overdue: true,
            trigger_hours_overdue: 6,
            reminder_escalation_enabled: false,
            reminder_escalation_hours: 24,
            escalate_to_role: role.into(),
            escalate_to_user_id: None,
            filters: serde_json::json!({}),
            is_active: true,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn stored_escalation_rules_become_a_chain() {
        // No rows: the spec's chains.
        assert_eq!(
            escalation_rules_for(&[], AppliesTo::Complaint).unwrap(),
            super::super::sla::default_complaint_escalation_rules()
        );
        assert_eq!(
            escalation_rules_for(&[], AppliesTo::Action).unwrap(),
            super::super::sla::default_action_escalation_rules()
        );
        // Rows are sorted by level.
        let rows = [rule_row(2, "ceo"), rule_row(1, "department_manager")];
        let chain = escalation_rules_for(&rows, AppliesTo::Complaint).unwrap();
        assert_eq!(
            chain.iter().map(|r| (r.level, r.escalate_to)).collect::<Vec<_>>(),
            [(1, EscalationTarget::DepartmentManager), (2, EscalationTarget::Ceo)]
        );
        assert_eq!(chain[0].trigger_hours_overdue, 6);
        // Rows for actions do not count for complaints.
        assert_eq!(escalation_rules_for(&rows, AppliesTo::Action).unwrap().len(), 3);

        let cases = [
            (rule_row(0, "ceo"), "level"),
            (rule_row(4, "ceo"), "level"),
            (rule_row(1, "janitor"), "escalate_to_role"),
            (rule_row(1, "specific_user"), "escalate_to_user_id"),
            (escalation_rule::Model { trigger_hours_overdue: -1, ..rule_row(1, "ceo") }, "trigger_hours_overdue"),
        ];
        for (row, column) in cases {
            assert_eq!(escalation_rule_from_row(&row).unwrap_err().column, column, "{row:?}");
        }
        let named = escalation_rule::Model { escalate_to_user_id: Some(Uuid::nil()), ..rule_row(3, "specific_user") };
        assert_eq!(escalation_rule_from_row(&named).unwrap().escalate_to, EscalationTarget::SpecificUser);
    }
}
