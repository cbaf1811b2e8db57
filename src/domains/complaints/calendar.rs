//! A hospital's working calendar (spec §1, Calendars): weekend days, opening hours in Riyadh time,
//! holidays and periods of special hours (Ramadan). SLA clocks in `working_hours` mode count only
//! the minutes inside these windows; `calendar_hours` mode counts every minute.
//!
//! Everything here is pure: instants go in and out as UTC, the calendar's own offset (UTC+3, no
//! daylight saving) turns them into the local dates and times the windows are written in.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// How an SLA clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// Every hour counts (the default, as in the Django original).
    #[default]
    CalendarHours,
    /// Only the hospital's working minutes count.
    WorkingHours,
}

impl ClockMode {
    pub const ALL: [ClockMode; 2] = [ClockMode::CalendarHours, ClockMode::WorkingHours];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::CalendarHours => "calendar_hours",
            ClockMode::WorkingHours => "working_hours",
        }
    }

    pub fn parse(s: &str) -> Option<ClockMode> {
        ClockMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Opening hours of one day, in minutes after local midnight (`closes` may be 1440, midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHours {
    pub opens: u16,
    pub closes: u16,
}

impl DayHours {
    /// `08:00–16:00` is `DayHours::hm(8, 0, 16, 0)`.
    pub const fn hm(open_h: u16, open_m: u16, close_h: u16, close_m: u16) -> DayHours {
        DayHours { opens: open_h * 60 + open_m, closes: close_h * 60 + close_m }
    }

    fn validate(self) -> Result<DayHours, CalendarError> {
        if self.closes > 24 * 60 || self.opens >= self.closes {
            return Err(CalendarError::BadHours { opens: self.opens, closes: self.closes });
        }
        Ok(self)
    }
}

/// Different opening hours for a range of dates (inclusive), e.g. Ramadan 10:00–15:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialHours {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub hours: DayHours,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// Opening must come before closing, both within the day.
    BadHours { opens: u16, closes: u16 },
    /// A week needs at least one working day.
    NoWorkingDay,
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::BadHours { opens, closes } => write!(
                f,
                "opening hours must open before they close within one day (got {:02}:{:02}–{:02}:{:02})",
                opens / 60,
                opens % 60,
                closes / 60,
                closes % 60
            ),
            CalendarError::NoWorkingDay => write!(f, "at least one day of the week must be a working day"),
        }
    }
}

impl std::error::Error for CalendarError {}

/// Riyadh is UTC+3 all year (no daylight saving); the scheduler uses the same offset.
pub fn riyadh() -> FixedOffset {
    crate::jobs::scheduler::riyadh()
}

/// How many days a walk over the calendar may look ahead (or back) before giving up: a calendar
/// whose holidays cover ten years has no working time, and its clocks fall back to calendar hours.
const MAX_DAYS: i64 = 3660;

/// A hospital's working calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    pub offset: FixedOffset,
    pub weekend: Vec<Weekday>,
    pub hours: DayHours,
    pub holidays: BTreeSet<NaiveDate>,
    pub special_hours: Vec<SpecialHours>,
}

impl Default for WorkingCalendar {
    /// Sunday–Thursday 08:00–16:00 Riyadh time, no holidays.
    fn default() -> Self {
        WorkingCalendar {
            offset: riyadh(),
            weekend: vec![Weekday::Fri, Weekday::Sat],
            hours: DayHours::hm(8, 0, 16, 0),
            holidays: BTreeSet::new(),
            special_hours: Vec::new(),
        }
    }
}

impl WorkingCalendar {
    /// A Riyadh calendar with these weekend days and opening hours.
    pub fn new(weekend: &[Weekday], hours: DayHours) -> Result<WorkingCalendar, CalendarError> {
        let hours = hours.validate()?;
        let mut days: Vec<Weekday> = Vec::new();
        for day in weekend {
            if !days.contains(day) {
                days.push(*day);
            }
        }
        if days.len() >= 7 {
            return Err(CalendarError::NoWorkingDay);
        }
        Ok(WorkingCalendar { weekend: days, hours, ..WorkingCalendar::default() })
    }

    pub fn with_holidays(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> WorkingCalendar {
        self.holidays.extend(dates);
        self
    }

    pub fn with_special_hours(mut self, special: SpecialHours) -> Result<WorkingCalendar, CalendarError> {
        special.hours.validate()?;
        self.special_hours.push(special);
        Ok(self)
    }

    /// The opening hours of a local date, or `None` on weekends and holidays.
    pub fn hours_on(&self, date: NaiveDate) -> Option<DayHours> {
        if self.weekend.contains(&date.weekday()) || self.holidays.contains(&date) {
            return None;
        }
        let special = self.special_hours.iter().rev().find(|s| s.from <= date && date <= s.to);
        Some(special.map_or(self.hours, |s| s.hours))
    }

    /// The local opening and closing instants of a date, if it is a working day.
    fn window(&self, date: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let hours = self.hours_on(date)?;
        let midnight = date.and_time(NaiveTime::MIN);
        Some((midnight + Duration::minutes(hours.opens.into()), midnight + Duration::minutes(hours.closes.into())))
    }

    fn to_local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.offset).naive_local()
    }

    fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        Utc.from_utc_datetime(&(local - Duration::seconds(self.offset.local_minus_utc().into())))
    }

    /// Whether `at` falls inside opening hours (opening instant included, closing excluded).
    pub fn is_working_time(&self, at: DateTime<Utc>) -> bool {
        let local = self.to_local(at);
        self.window(local.date()).is_some_and(|(open, close)| open <= local && local < close)
    }

    /// `at` itself during opening hours, else the next opening.
    pub fn next_opening(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let local = self.to_local(at);
        let mut day = local.date();
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.window(day) {
                let from = local.max(open);
                if from < close {
                    return self.to_utc(from);
                }
            }
            day += Duration::days(1);
        }
        at
    }

    /// `start` plus `minutes` working minutes. Counting starts at the next opening when `start` is
    /// outside opening hours; a deadline that uses up a day's last minute is that day's closing.
    /// Zero (or negative) minutes give `start` unchanged.
    pub fn add_working_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return start;
        }
        let mut cursor = self.to_local(start);
        let mut remaining = Duration::minutes(minutes);
        let mut day = cursor.date();
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.window(day) {
                let from = cursor.max(open);
                if from < close {
                    let available = close - from;
                    if remaining <= available {
                        return self.to_utc(from + remaining);
                    }
                    remaining -= available;
                }
            }
            day += Duration::days(1);
            cursor = day.and_time(NaiveTime::MIN);
        }
        start + Duration::minutes(minutes)
    }

    /// `end` minus `minutes` working minutes: the latest instant from which `minutes` working
    /// minutes reach `end`. Zero (or negative) minutes give `end` unchanged.
    pub fn sub_working_minutes(&self, end: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return end;
        }
        let mut cursor = self.to_local(end);
        let mut remaining = Duration::minutes(minutes);
        let mut day = cursor.date();
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.window(day) {
                let to = cursor.min(close);
                if to > open {
                    let available = to - open;
                    if remaining <= available {
                        return self.to_utc(to - remaining);
                    }
                    remaining -= available;
                }
            }
            cursor = day.and_time(NaiveTime::MIN);
            day -= Duration::days(1);
        }
        end - Duration::minutes(minutes)
    }

    /// The working time between `a` and `b` (zero when `b` is not after `a`).
    pub fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        let (a, b) = (self.to_local(a), self.to_local(b));
        let mut total = Duration::zero();
        let mut day = a.date();
        while day <= b.date() {
            if let Some((open, close)) = self.window(day) {
                let from = a.max(open);
                let to = b.min(close);
                if to > from {
                    total += to - from;
                }
            }
            day += Duration::days(1);
        }
        total
    }
}

/// `start` plus `hours` working hours of `cal` (see [`WorkingCalendar::add_working_minutes`]).
pub fn due_in_working_hours(start: DateTime<Utc>, hours: i64, cal: &WorkingCalendar) -> DateTime<Utc> {
    cal.add_working_minutes(start, hours.saturating_mul(60))
}

/// `start` plus `hours` wall-clock hours.
pub fn add_calendar_hours(start: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    start + Duration::hours(hours)
}

/// The working time between `a` and `b`, as a duration (zero when `b` is not after `a`).
pub fn working_hours_between(a: DateTime<Utc>, b: DateTime<Utc>, cal: &WorkingCalendar) -> Duration {
    cal.working_time_between(a, b)
}

/// `start` plus `hours` in the given clock mode.
pub fn add_hours(start: DateTime<Utc>, hours: i64, mode: ClockMode, cal: &WorkingCalendar) -> DateTime<Utc> {
    match mode {
        ClockMode::CalendarHours => add_calendar_hours(start, hours),
        ClockMode::WorkingHours => due_in_working_hours(start, hours, cal),
    }
}

/// `end` minus `hours` in the given clock mode.
pub fn sub_hours(end: DateTime<Utc>, hours: i64, mode: ClockMode, cal: &WorkingCalendar) -> DateTime<Utc> {
    match mode {
        ClockMode::CalendarHours => end - Duration::hours(hours),
        ClockMode::WorkingHours => cal.sub_working_minutes(end, hours.saturating_mul(60)),
    }
}

/// The time between `a` and `b` in the given clock mode (zero when `b` is not after `a`).
pub fn elapsed(a: DateTime<Utc>, b: DateTime<Utc>, mode: ClockMode, cal: &WorkingCalendar) -> Duration {
    match mode {
        ClockMode::CalendarHours => (b - a).max(Duration::zero()),
        ClockMode::WorkingHours => cal.working_time_between(a, b),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A Riyadh local time, "YYYY-MM-DD HH:MM", as UTC.
    pub(crate) fn riyadh_at(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        riyadh().from_local_datetime(&naive).single().unwrap().with_timezone(&Utc)
    }

    pub(crate) fn show(at: DateTime<Utc>) -> String {
        at.with_timezone(&riyadh()).format("%a %Y-%m-%d %H:%M").to_string()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    // The week used below: Thu 2026-11-26, Fri 27, Sat 28 (weekend), Sun 29, Mon 30, Tue 2026-12-01.

    #[test]
    fn working_hours_deadlines_on_the_default_calendar() {
        let cal = WorkingCalendar::default();
        // (start in Riyadh, working hours, due in Riyadh)
        let cases = [
            ("2026-11-29 09:00", 2, "Sun 2026-11-29 11:00"),  // inside one day
            ("2026-11-29 08:00", 8, "Sun 2026-11-29 16:00"),  // a whole day ends at closing
            ("2026-11-29 10:00", 8, "Mon 2026-11-30 10:00"),  // spills into the next day
            ("2026-11-29 08:00", 24, "Tue 2026-12-01 16:00"), // three working days
            ("2026-11-26 14:00", 4, "Sun 2026-11-29 10:00"),  // across the Fri–Sat weekend
            ("2026-11-26 15:00", 1, "Thu 2026-11-26 16:00"),  // ends exactly at closing
            ("2026-11-26 16:00", 1, "Sun 2026-11-29 09:00"),  // starts at closing
            ("2026-11-26 20:00", 1, "Sun 2026-11-29 09:00"),  // evening start waits for Sunday
            ("2026-11-27 10:00", 1, "Sun 2026-11-29 09:00"),  // Friday start
            ("2026-11-28 23:59", 1, "Sun 2026-11-29 09:00"),  // Saturday night start
            ("2026-11-30 06:00", 1, "Mon 2026-11-30 09:00"),  // before opening
            ("2026-11-29 23:30", 1, "Mon 2026-11-30 09:00"),  // across midnight
            ("2026-11-30 00:00", 3, "Mon 2026-11-30 11:00"),  // at midnight
            ("2026-11-26 12:00", 48, "Sun 2026-12-06 12:00"), // six working days over two weekends
            ("2026-11-29 09:00", 0, "Sun 2026-11-29 09:00"),  // zero hours: unchanged
        ];
        for (start, hours, want) in cases {
            let got = due_in_working_hours(riyadh_at(start), hours, &cal);
            assert_eq!(show(got), want, "{start} + {hours} working hours");
            if hours > 0 {
                assert_eq!(
                    working_hours_between(riyadh_at(start), got, &cal),
                    Duration::hours(hours),
                    "{start} → {want} should hold {hours} working hours"
                );
            }
        }
    }

    #[test]
    fn starts_across_utc_midnight_use_the_riyadh_date() {
        let cal = WorkingCalendar::default();
        // 22:30 UTC Sunday is 01:30 Riyadh Monday: counting starts at Monday 08:00.
        let start = Utc.with_ymd_and_hms(2026, 11, 29, 22, 30, 0).unwrap();
        let due = due_in_working_hours(start, 2, &cal);
        assert_eq!(show(due), "Mon 2026-11-30 10:00");
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap());
        // 04:59 UTC Thursday is 07:59 Riyadh, one minute before opening.
        let start = Utc.with_ymd_and_hms(2026, 11, 26, 4, 59, 0).unwrap();
        assert_eq!(show(due_in_working_hours(start, 8, &cal)), "Thu 2026-11-26 16:00");
        // 12:59:30 UTC Thursday is 15:59:30 Riyadh: 30 seconds left that day.
        let start = Utc.with_ymd_and_hms(2026, 11, 26, 12, 59, 30).unwrap();
        let due = due_in_working_hours(start, 1, &cal);
        assert_eq!(due.with_timezone(&riyadh()).format("%a %H:%M:%S").to_string(), "Sun 08:59:30");
    }

    #[test]
    fn holidays_and_special_hours_are_skipped_or_shortened() {
        // Sunday 29 Nov is a holiday; 1–2 Dec have Ramadan-style hours 10:00–15:00.
        let cal = WorkingCalendar::default()
            .with_holidays([date("2026-11-29")])
            .with_special_hours(SpecialHours {
                from: date("2026-12-01"),
                to: date("2026-12-02"),
                hours: DayHours::hm(10, 0, 15, 0),
            })
            .unwrap();
        let cases = [
            ("2026-11-26 14:00", 4, "Mon 2026-11-30 10:00"), // weekend then a holiday
            ("2026-11-29 09:00", 1, "Mon 2026-11-30 09:00"), // starts on the holiday
            ("2026-11-30 15:00", 2, "Tue 2026-12-01 11:00"), // into the short day, opening at 10
            ("2026-12-01 09:00", 5, "Tue 2026-12-01 15:00"), // a whole short day
            ("2026-12-01 14:00", 2, "Wed 2026-12-02 11:00"),
            ("2026-12-02 14:00", 2, "Thu 2026-12-03 09:00"), // back to normal hours
        ];
        for (start, hours, want) in cases {
            let got = due_in_working_hours(riyadh_at(start), hours, &cal);
            assert_eq!(show(got), want, "{start} + {hours} working hours");
        }
        assert_eq!(cal.hours_on(date("2026-11-29")), None);
        assert_eq!(cal.hours_on(date("2026-12-01")), Some(DayHours::hm(10, 0, 15, 0)));
        assert_eq!(cal.hours_on(date("2026-11-30")), Some(DayHours::hm(8, 0, 16, 0)));
    }

    #[test]
    fn weekend_days_are_configurable() {
        let cal = WorkingCalendar::new(&[Weekday::Sat, Weekday::Sun], DayHours::hm(9, 0, 17, 0)).unwrap();
        let cases = [
            ("2026-11-27 15:00", 3, "Mon 2026-11-30 10:00"), // Friday works, Sat–Sun off
            ("2026-11-26 16:00", 1, "Thu 2026-11-26 17:00"), // closes at 17:00
            ("2026-11-29 12:00", 1, "Mon 2026-11-30 10:00"), // Sunday is off
        ];
        for (start, hours, want) in cases {
            assert_eq!(show(due_in_working_hours(riyadh_at(start), hours, &cal)), want, "{start} + {hours}");
        }
        let one_day_weekend = WorkingCalendar::new(&[Weekday::Fri], DayHours::hm(8, 0, 16, 0)).unwrap();
        assert_eq!(
            show(due_in_working_hours(riyadh_at("2026-11-26 15:00"), 2, &one_day_weekend)),
            "Sat 2026-11-28 09:00"
        );
    }

    #[test]
    fn bad_calendars_are_refused() {
        let all = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        assert_eq!(WorkingCalendar::new(&all, DayHours::hm(8, 0, 16, 0)), Err(CalendarError::NoWorkingDay));
        assert!(matches!(WorkingCalendar::new(&[], DayHours::hm(16, 0, 8, 0)), Err(CalendarError::BadHours { .. })));
        assert!(matches!(WorkingCalendar::new(&[], DayHours::hm(8, 0, 24, 1)), Err(CalendarError::BadHours { .. })));
        assert!(WorkingCalendar::new(&[], DayHours::hm(0, 0, 24, 0)).is_ok());
        let err = WorkingCalendar::new(&[], DayHours::hm(9, 0, 9, 0)).unwrap_err();
        assert_eq!(err.to_string(), "opening hours must open before they close within one day (got 09:00–09:00)");
    }

    #[test]
    fn a_calendar_without_working_time_falls_back_to_calendar_hours() {
        let start = riyadh_at("2026-11-29 09:00");
        let days = (0..MAX_DAYS + 10).map(|d| date("2026-11-29") + Duration::days(d));
        let cal = WorkingCalendar::default().with_holidays(days);
        assert_eq!(due_in_working_hours(start, 5, &cal), start + Duration::hours(5));
    }

    #[test]
    fn working_time_between_two_instants() {
        let cal = WorkingCalendar::default().with_holidays([date("2026-12-01")]);
        // (from, to, working minutes)
        let cases = [
            ("2026-11-26 14:00", "2026-11-29 10:00", 4 * 60), // over the weekend
            ("2026-11-29 07:00", "2026-11-29 20:00", 8 * 60), // the whole day
            ("2026-11-29 12:00", "2026-11-29 12:00", 0),      // same instant
            ("2026-11-29 13:00", "2026-11-29 12:00", 0),      // reversed
            ("2026-11-27 00:00", "2026-11-28 23:59", 0),      // the weekend
            ("2026-11-30 15:30", "2026-12-02 08:30", 60),     // a holiday in between
            ("2026-11-29 23:00", "2026-11-30 08:45", 45),     // across midnight
        ];
        for (a, b, want) in cases {
            assert_eq!(working_hours_between(riyadh_at(a), riyadh_at(b), &cal), Duration::minutes(want), "{a} → {b}");
        }
    }

    #[test]
    fn subtracting_working_hours_walks_back_over_closed_time() {
        let cal = WorkingCalendar::default().with_holidays([date("2026-11-29")]);
        let cases = [
            ("2026-11-30 10:00", 2, "Mon 2026-11-30 08:00"), // lands on the opening
            ("2026-11-30 10:00", 3, "Thu 2026-11-26 15:00"), // back over a holiday and the weekend
            ("2026-11-30 12:00", 2, "Mon 2026-11-30 10:00"),
            ("2026-11-30 20:00", 1, "Mon 2026-11-30 15:00"), // after closing counts from closing
            ("2026-11-30 08:00", 0, "Mon 2026-11-30 08:00"),
        ];
        for (end, hours, want) in cases {
            assert_eq!(show(sub_hours(riyadh_at(end), hours, ClockMode::WorkingHours, &cal)), want, "{end} - {hours}");
        }
        assert_eq!(
            show(sub_hours(riyadh_at("2026-11-30 10:00"), 24, ClockMode::CalendarHours, &cal)),
            "Sun 2026-11-29 10:00"
        );
    }

    #[test]
    fn opening_checks_and_clock_modes() {
        let cal = WorkingCalendar::default();
        let cases = [
            ("2026-11-29 08:00", true, "Sun 2026-11-29 08:00"),
            ("2026-11-29 15:59", true, "Sun 2026-11-29 15:59"),
            ("2026-11-29 16:00", false, "Mon 2026-11-30 08:00"),
            ("2026-11-27 12:00", false, "Sun 2026-11-29 08:00"),
            ("2026-11-29 07:59", false, "Sun 2026-11-29 08:00"),
        ];
        for (at, open, next) in cases {
            assert_eq!(cal.is_working_time(riyadh_at(at)), open, "{at}");
            assert_eq!(show(cal.next_opening(riyadh_at(at))), next, "{at}");
        }
        let start = riyadh_at("2026-11-26 14:00");
        assert_eq!(show(add_hours(start, 24, ClockMode::CalendarHours, &cal)), "Fri 2026-11-27 14:00");
        assert_eq!(show(add_hours(start, 24, ClockMode::WorkingHours, &cal)), "Tue 2026-12-01 14:00");
        assert_eq!(show(add_calendar_hours(start, 72)), "Sun 2026-11-29 14:00");
        let end = riyadh_at("2026-11-29 10:00");
        assert_eq!(elapsed(start, end, ClockMode::CalendarHours, &cal), Duration::hours(68));
        assert_eq!(elapsed(start, end, ClockMode::WorkingHours, &cal), Duration::hours(4));
        assert_eq!(elapsed(end, start, ClockMode::CalendarHours, &cal), Duration::zero());
        for mode in ClockMode::ALL {
            assert_eq!(ClockMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(ClockMode::parse("business_hours"), None);
    }
}
