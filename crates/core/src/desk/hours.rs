//! A queue's business hours: when its team answers, in the queue's time zone.
//!
//! Three keys of a queue in `bot.toml`:
//!
//! ```toml
//! business_hours = "mon-fri 09:00-18:00, sat 10:00-14:00"
//! timezone = "Asia/Seoul"
//! holidays = ["2026-12-25"]
//! ```
//!
//! Times are wall-clock times in the zone, so `09:00` is nine on the office clock in
//! summer and in winter. On the day a clock jumps forward, a range that starts in the
//! skipped hour opens at the jump (`02:30` on a day that goes from 02:00 to 03:00 opens
//! at 03:00); a range that lies wholly in the skipped hour does not open that day. A
//! holiday (a date in the zone) is closed all day.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

use crate::types::Millis;

/// The days as written in `business_hours`, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// The days spelled out, also accepted.
const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// How many days ahead [`BusinessHours::next_opening`] looks.
const SEARCH_DAYS: i64 = 370;
const DAY_MINUTES: u16 = 24 * 60;
const EXAMPLE: &str = "`mon-fri 09:00-18:00`";
const ZONE_EXAMPLES: &str = "an IANA name such as `Asia/Seoul`, `America/New_York` or `UTC`";

/// When a queue's team answers: weekly ranges of wall-clock time in a time zone, less
/// the holidays.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    ranges: Vec<Range>,
    zone: TimeZone,
    timezone: String,
    holidays: BTreeSet<Date>,
}

/// Open from `start` to `end` (minutes since local midnight, `end` excluded) on `days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    /// Bit 0 is Monday, bit 6 Sunday.
    days: u8,
    start: u16,
    /// At most 24:00, always after `start`.
    end: u16,
}

impl Range {
    fn on(&self, weekday: u8) -> bool {
        self.days & (1 << weekday) != 0
    }
}

/// When a closed team is next open, in the queue's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// The wall-clock time, `09:00`.
    pub time: String,
    /// The date, `2026-12-07`.
    pub date: String,
    /// Calendar days from now: 0 = later today, 1 = tomorrow, …
    pub days_ahead: i64,
}

/// Why a queue's business hours cannot be read. The message says what is wrong and how
/// to write it; the caller names the key (`queue[0].business_hours`, …).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HoursError {
    /// `business_hours` is wrong.
    #[error("{0}")]
    Hours(String),
    /// `timezone` is wrong.
    #[error("{0}")]
    Timezone(String),
    /// `holidays[index]` is wrong.
    #[error("{message}")]
    Holiday {
        /// Which holiday, from 0.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
}

impl BusinessHours {
    /// Parses the three keys; each error names which one is wrong and why, in words an
    /// admin can act on.
    pub fn parse(
        hours: &str,
        timezone: &str,
        holidays: &[String],
    ) -> Result<BusinessHours, HoursError> {
        let ranges = parse_hours(hours).map_err(HoursError::Hours)?;
        let timezone = timezone.trim();
        let zone = parse_zone(timezone).map_err(HoursError::Timezone)?;
        let holidays = holidays
            .iter()
            .enumerate()
            .map(|(index, h)| {
                parse_date(h).map_err(|message| HoursError::Holiday { index, message })
            })
            .collect::<Result<_, _>>()?;
        Ok(BusinessHours {
            ranges,
            zone,
            timezone: timezone.to_string(),
            holidays,
        })
    }

    /// Whether the team is open at `now`.
    pub fn is_open(&self, now: Millis) -> bool {
        Timestamp::from_millisecond(now).is_ok_and(|t| self.open_at(t))
    }

    /// When the team is next open, if it is closed at `now`; None when open now (or when
    /// the hours never open in the coming year).
    pub fn next_opening(&self, now: Millis) -> Option<Opening> {
        let now = Timestamp::from_millisecond(now).ok()?;
        if self.open_at(now) {
            return None;
        }
        let today = self.zone.to_datetime(now).date();
        let last = today
            .checked_add(jiff::Span::new().days(SEARCH_DAYS))
            .ok()?;
        // The team can also open when the clock jumps (back into a range, or forward past
        // a start that does not exist that day): those instants are candidates too.
        let transitions: Vec<(Date, Timestamp)> = self
            .zone
            .following(now)
            .map(|t| (self.zone.to_datetime(t.timestamp()).date(), t.timestamp()))
            .take_while(|(date, _)| *date <= last)
            .collect();
        let mut found: Option<(Timestamp, i64)> = None;
        let mut day = today;
        for ahead in 0..=SEARCH_DAYS {
            if let Some(at) = self.first_opening_on(day, now, &transitions) {
                if found.is_none_or(|(best, _)| at < best) {
                    found = Some((at, ahead));
                }
            }
            // One day more: where a clock goes back over midnight, the next day's
            // opening can come first.
            if found.is_some_and(|(_, on)| ahead > on) {
                break;
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        let (at, days_ahead) = found?;
        let local = self.zone.to_datetime(at);
        Some(Opening {
            weekday: weekday(local.date()),
            time: format!("{:02}:{:02}", local.hour(), local.minute()),
            date: format!(
                "{:04}-{:02}-{:02}",
                local.year(),
                local.month(),
                local.day()
            ),
            days_ahead,
        })
    }

    /// The IANA name as configured.
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    fn open_at(&self, t: Timestamp) -> bool {
        let local = self.zone.to_datetime(t);
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let day = weekday(local.date());
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        self.ranges
            .iter()
            .any(|r| r.on(day) && r.start <= minute && minute < r.end)
    }

    /// The first instant after `now` on the local date `day` at which the team is open
    /// and was not just before: a range's start (both, when the clock goes back over
    /// it), or a jump of the clock.
    fn first_opening_on(
        &self,
        day: Date,
        now: Timestamp,
        transitions: &[(Date, Timestamp)],
    ) -> Option<Timestamp> {
        if self.holidays.contains(&day) {
            return None;
        }
        let wd = weekday(day);
        let mut candidates: Vec<Timestamp> = transitions
            .iter()
            .filter(|(date, _)| *date == day)
            .map(|(_, t)| *t)
            .collect();
        for range in self.ranges.iter().filter(|r| r.on(wd)) {
            let start = day.at((range.start / 60) as i8, (range.start % 60) as i8, 0, 0);
            candidates.extend(instants_of(&self.zone, start));
        }
        candidates
            .into_iter()
            .filter(|&t| t > now && self.open_at(t))
            .min()
    }
}

/// The instants the wall clock shows `dt`: none when it skips it (the jump itself is a
/// candidate of its own), two when it goes back over it.
fn instants_of(zone: &TimeZone, dt: DateTime) -> Vec<Timestamp> {
    let offsets = match zone.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => vec![offset],
        AmbiguousOffset::Fold { before, after } => vec![before, after],
        AmbiguousOffset::Gap { .. } => vec![],
    };
    offsets
        .into_iter()
        .filter_map(|o| o.to_timestamp(dt).ok())
        .collect()
}

/// 0 = Monday … 6 = Sunday.
fn weekday(date: Date) -> u8 {
    date.weekday().to_monday_zero_offset() as u8
}

fn parse_hours(hours: &str) -> Result<Vec<Range>, String> {
    if hours.trim().is_empty() {
        return Err(format!(
            "no hours are given: write the days and times the team answers, e.g. {EXAMPLE}"
        ));
    }
    hours
        .split(',')
        .map(|part| parse_range(part.trim(), hours))
        .collect()
}

/// One `days HH:MM-HH:MM`.
fn parse_range(part: &str, hours: &str) -> Result<Range, String> {
    if part.is_empty() {
        return Err(format!(
            "`{}` has an empty range between commas: write ranges like {EXAMPLE}, separated by commas",
            hours.trim()
        ));
    }
    let split = part
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(part.len());
    let (days_text, times_text) = (part[..split].trim(), part[split..].trim());
    if days_text.is_empty() {
        return Err(format!(
            "`{part}` names no days: put the days before the times, e.g. {EXAMPLE}"
        ));
    }
    if times_text.is_empty() {
        return Err(format!(
            "`{part}` gives no times: put them after the days, e.g. {EXAMPLE}"
        ));
    }
    let (first, last) = parse_days(days_text)?;
    let (start, end) = parse_times(times_text)?;
    if start == DAY_MINUTES {
        return Err(format!(
            "`{times_text}` starts at 24:00, which can only end a range: start at 00:00 for midnight"
        ));
    }
    if end == start {
        return Err(format!(
            "`{times_text}` is empty: the end must be after the start"
        ));
    }
    if end < start {
        let days = day_span(first, last);
        let next = day_span((first + 1) % 7, (last + 1) % 7);
        let (s, e) = (clock(start), clock(end));
        let split = if end == 0 {
            format!("write the end of the day as 24:00: `{days} {s}-24:00`")
        } else {
            format!("split it in two: `{days} {s}-24:00, {next} 00:00-{e}`")
        };
        return Err(format!(
            "`{times_text}` ends before it starts: a range cannot run over midnight; {split}"
        ));
    }
    let mut days = 0u8;
    let mut d = first;
    loop {
        days |= 1 << d;
        if d == last {
            break;
        }
        d = (d + 1) % 7;
    }
    Ok(Range { days, start, end })
}

/// `mon` or `mon-fri` (or `sat-mon`, over the week's end): the first and last day.
fn parse_days(text: &str) -> Result<(u8, u8), String> {
    let names: Vec<&str> = text.split('-').map(str::trim).collect();
    let day = |name: &str| {
        let lower = name.to_lowercase();
        (0..7u8)
            .find(|&i| DAYS[i as usize] == lower || DAY_NAMES[i as usize] == lower)
            .ok_or_else(|| {
                format!("`{name}` is not a day: write mon, tue, wed, thu, fri, sat or sun")
            })
    };
    match names[..] {
        [one] => day(one).map(|d| (d, d)),
        [first, last] => Ok((day(first)?, day(last)?)),
        _ => Err(format!(
            "`{text}` is not a day or a range of days: write one day (`sat`) or a first and a last (`mon-fri`)"
        )),
    }
}

/// `HH:MM-HH:MM`: minutes since midnight.
fn parse_times(text: &str) -> Result<(u16, u16), String> {
    let shape = || {
        format!(
            "`{text}` is not a time range: write a start and an end in 24-hour time, e.g. `09:00-18:00`"
        )
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (start, end) = compact.split_once('-').ok_or_else(shape)?;
    let start = parse_time(start).ok_or_else(shape)??;
    let end = parse_time(end).ok_or_else(shape)??;
    Ok((start, end))
}

/// `HH:MM` (or `H:MM`): None when it is not shaped like a time; an error when it is, but
/// no clock shows it.
fn parse_time(text: &str) -> Option<Result<u16, String>> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 {
        return Some(Err(format!(
            "`{text}` is not a time: minutes go from 00 to 59"
        )));
    }
    if h > 24 || (h == 24 && m != 0) {
        return Some(Err(format!(
            "`{text}` is not a time: hours go from 00 to 23 (and 24:00 may end a range)"
        )));
    }
    Some(Ok(h * 60 + m))
}

fn parse_zone(name: &str) -> Result<TimeZone, String> {
    if name.is_empty() {
        return Err(format!("no time zone is given: write {ZONE_EXAMPLES}"));
    }
    match TimeZone::get(name) {
        Ok(zone) if !zone.is_unknown() => Ok(zone),
        _ => Err(format!(
            "`{name}` is not a known time zone: write {ZONE_EXAMPLES} (an abbreviation like `KST` or an offset like `+09:00` is not one)"
        )),
    }
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let shape = || format!("`{text}` is not a date: write it as YYYY-MM-DD, e.g. `2026-12-25`");
    if text.is_empty() {
        return Err("the date is empty: write it as YYYY-MM-DD, e.g. `2026-12-25`".into());
    }
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(shape());
    }
    let year: i16 = text[..4].parse().map_err(|_| shape())?;
    let month: i8 = text[5..7].parse().map_err(|_| shape())?;
    let day: i8 = text[8..].parse().map_err(|_| shape())?;
    if !(1..=12).contains(&month) {
        return Err(format!("`{text}` is not a date: there is no month {month}"));
    }
    let first = Date::new(year, month, 1).map_err(|_| shape())?;
    let days = first.days_in_month();
    if day < 1 || day > days {
        return Err(format!(
            "`{text}` is not a date: {} {year} has {days} days",
            MONTH_NAMES[month as usize - 1]
        ));
    }
    Date::new(year, month, day).map_err(|_| shape())
}

fn day_span(first: u8, last: u8) -> String {
    if first == last {
        DAYS[first as usize].to_string()
    } else {
        format!("{}-{}", DAYS[first as usize], DAYS[last as usize])
    }
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn hours(spec: &str, zone: &str, holidays: &[&str]) -> BusinessHours {
        let holidays: Vec<String> = holidays.iter().map(|h| h.to_string()).collect();
        BusinessHours::parse(spec, zone, &holidays).unwrap()
    }

    /// The instant the wall clock in `zone` shows `local` (`2026-12-04T19:00`); the
    /// earlier one where it shows it twice.
    fn local(zone: &str, local: &str) -> Millis {
        let dt: DateTime = local.parse().unwrap();
        dt.to_zoned(TimeZone::get(zone).unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    /// An instant in UTC (`2026-12-07T00:30:00Z`).
    fn utc(instant: &str) -> Millis {
        instant.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn opening(weekday: u8, time: &str, date: &str, days_ahead: i64) -> Option<Opening> {
        Some(Opening {
            weekday,
            time: time.into(),
            date: date.into(),
            days_ahead,
        })
    }

    fn hours_error(spec: &str) -> String {
        match BusinessHours::parse(spec, "UTC", &[]) {
            Err(HoursError::Hours(message)) => message,
            other => panic!("{spec:?}: {other:?}"),
        }
    }

    #[test]
    fn parses_the_examples() {
        let h = hours("mon-fri 09:00-18:00", "Asia/Seoul", &["2026-12-25"]);
        assert_eq!(
            h.ranges,
            [Range {
                days: 0b001_1111,
                start: 9 * 60,
                end: 18 * 60
            }]
        );
        assert_eq!(h.timezone(), "Asia/Seoul");
        assert!(h.holidays.contains(&jiff::civil::date(2026, 12, 25)));

        let h = hours("mon-fri 09:00-18:00, sat 10:00-14:00", "UTC", &[]);
        assert_eq!(
            h.ranges[1],
            Range {
                days: 0b010_0000,
                start: 10 * 60,
                end: 14 * 60
            }
        );

        // Over the week's end, any case, spelled out, loose spacing, 24:00 as an end.
        let h = hours("SAT-Mon 22:00-24:00,  Wednesday 9:30 - 12:00", "utc", &[]);
        assert_eq!(
            h.ranges,
            [
                Range {
                    days: 0b110_0001,
                    start: 22 * 60,
                    end: DAY_MINUTES
                },
                Range {
                    days: 0b000_0100,
                    start: 9 * 60 + 30,
                    end: 12 * 60
                },
            ]
        );
        assert_eq!(h.timezone(), "utc");
    }

    #[test]
    fn bad_hours_say_what_to_write() {
        let cases = [
            (
                "mon-fri 9-18",
                "`9-18` is not a time range: write a start and an end in 24-hour time, e.g. `09:00-18:00`",
            ),
            (
                "funday 09:00-10:00",
                "`funday` is not a day: write mon, tue, wed, thu, fri, sat or sun",
            ),
            (
                "mon 18:00-09:00",
                "`18:00-09:00` ends before it starts: a range cannot run over midnight; \
                 split it in two: `mon 18:00-24:00, tue 00:00-09:00`",
            ),
            (
                "fri-sun 22:00-02:00",
                "`22:00-02:00` ends before it starts: a range cannot run over midnight; \
                 split it in two: `fri-sun 22:00-24:00, sat-mon 00:00-02:00`",
            ),
            (
                "mon 18:00-00:00",
                "`18:00-00:00` ends before it starts: a range cannot run over midnight; \
                 write the end of the day as 24:00: `mon 18:00-24:00`",
            ),
            (
                "mon 09:00-25:00",
                "`25:00` is not a time: hours go from 00 to 23 (and 24:00 may end a range)",
            ),
            (
                "mon 09:60-10:00",
                "`09:60` is not a time: minutes go from 00 to 59",
            ),
            (
                "mon 24:00-24:00",
                "`24:00-24:00` starts at 24:00, which can only end a range: start at 00:00 for midnight",
            ),
            (
                "mon 09:00-09:00",
                "`09:00-09:00` is empty: the end must be after the start",
            ),
            (
                "",
                "no hours are given: write the days and times the team answers, e.g. `mon-fri 09:00-18:00`",
            ),
            (
                "   ",
                "no hours are given: write the days and times the team answers, e.g. `mon-fri 09:00-18:00`",
            ),
            (
                "mon-fri 09:00-18:00,",
                "`mon-fri 09:00-18:00,` has an empty range between commas: \
                 write ranges like `mon-fri 09:00-18:00`, separated by commas",
            ),
            (
                "09:00-18:00",
                "`09:00-18:00` names no days: put the days before the times, e.g. `mon-fri 09:00-18:00`",
            ),
            (
                "mon-fri",
                "`mon-fri` gives no times: put them after the days, e.g. `mon-fri 09:00-18:00`",
            ),
            (
                "mon-wed-fri 09:00-18:00",
                "`mon-wed-fri` is not a day or a range of days: \
                 write one day (`sat`) or a first and a last (`mon-fri`)",
            ),
            (
                "mon 09:00",
                "`09:00` is not a time range: write a start and an end in 24-hour time, e.g. `09:00-18:00`",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(hours_error(spec), want, "{spec:?}");
        }
    }

    #[test]
    fn bad_zone_and_holidays_name_the_key() {
        let err = BusinessHours::parse("mon 09:00-10:00", "Mars/Base", &[]).unwrap_err();
        assert_eq!(
            err,
            HoursError::Timezone(
                "`Mars/Base` is not a known time zone: write an IANA name such as `Asia/Seoul`, \
                 `America/New_York` or `UTC` (an abbreviation like `KST` or an offset like \
                 `+09:00` is not one)"
                    .into()
            )
        );
        assert!(matches!(
            BusinessHours::parse("mon 09:00-10:00", "KST", &[]),
            Err(HoursError::Timezone(_))
        ));
        assert!(matches!(
            BusinessHours::parse("mon 09:00-10:00", "", &[]),
            Err(HoursError::Timezone(m)) if m.starts_with("no time zone is given")
        ));

        let holiday = |h: &str| {
            let list = ["2026-12-25".to_string(), h.to_string()];
            match BusinessHours::parse("mon 09:00-10:00", "Asia/Seoul", &list) {
                Err(HoursError::Holiday { index: 1, message }) => message,
                other => panic!("{h:?}: {other:?}"),
            }
        };
        assert_eq!(
            holiday("2026-13-01"),
            "`2026-13-01` is not a date: there is no month 13"
        );
        assert_eq!(
            holiday("2026-02-29"),
            "`2026-02-29` is not a date: February 2026 has 28 days"
        );
        assert_eq!(
            holiday(" "),
            "the date is empty: write it as YYYY-MM-DD, e.g. `2026-12-25`"
        );
        for bad in [
            "12/25/2026",
            "2026-12-5",
            "20261225",
            "+02026-12-25",
            "next friday",
        ] {
            assert_eq!(
                holiday(bad),
                format!("`{bad}` is not a date: write it as YYYY-MM-DD, e.g. `2026-12-25`")
            );
        }
        // The error reads as a sentence after the key.
        let err = BusinessHours::parse("mon 9-10", "UTC", &[]).unwrap_err();
        assert!(err.to_string().starts_with("`9-10` is not a time range"));
    }

    #[test]
    fn open_and_closed() {
        let z = "Asia/Seoul";
        let h = hours("mon-fri 09:00-18:00, sat 10:00-14:00", z, &["2026-12-25"]);
        // Monday 2026-12-07.
        assert!(!h.is_open(local(z, "2026-12-07T08:59:59")));
        assert!(h.is_open(local(z, "2026-12-07T09:00")));
        assert!(h.is_open(local(z, "2026-12-07T17:59:59.999")));
        assert!(!h.is_open(local(z, "2026-12-07T18:00")));
        // Saturday and Sunday.
        assert!(h.is_open(local(z, "2026-12-05T10:00")));
        assert!(!h.is_open(local(z, "2026-12-05T14:00")));
        assert!(!h.is_open(local(z, "2026-12-06T12:00")));
        // Christmas, a Friday.
        assert!(!h.is_open(local(z, "2026-12-25T12:00")));
        assert!(h.is_open(local(z, "2026-12-24T12:00")));

        // To the end of the day, and over the week's end.
        let h = hours("sat-mon 22:00-24:00", "UTC", &[]);
        assert!(h.is_open(utc("2026-12-06T23:59:59Z")));
        assert!(!h.is_open(utc("2026-12-07T00:00:00Z")));
        assert!(h.is_open(utc("2026-12-07T22:00:00Z")));
        assert!(!h.is_open(utc("2026-12-08T22:00:00Z")));
    }

    #[test]
    fn next_opening() {
        let z = "Asia/Seoul";
        let h = hours("mon-fri 09:00-18:00", z, &[]);
        // Open now: nothing to say.
        assert_eq!(h.next_opening(local(z, "2026-12-07T10:00")), None);
        // Friday evening: Monday.
        assert_eq!(
            h.next_opening(local(z, "2026-12-04T19:00")),
            opening(0, "09:00", "2026-12-07", 3)
        );
        // A weekday before opening: later today.
        assert_eq!(
            h.next_opening(local(z, "2026-12-08T07:30")),
            opening(1, "09:00", "2026-12-08", 0)
        );
        // After closing on a weekday: tomorrow.
        assert_eq!(
            h.next_opening(local(z, "2026-12-08T18:00")),
            opening(2, "09:00", "2026-12-09", 1)
        );
        // What it says is when `is_open` turns.
        let now = local(z, "2026-12-04T19:00");
        let at = local(z, "2026-12-07T09:00");
        assert!(!h.is_open(now) && !h.is_open(at - 1) && h.is_open(at));
    }

    #[test]
    fn next_opening_skips_holidays() {
        let z = "Asia/Seoul";
        let h = hours("mon-fri 09:00-18:00", z, &["2026-12-25", "2026-12-28"]);
        // Thursday evening before Christmas: not Friday, not the Monday holiday.
        assert_eq!(
            h.next_opening(local(z, "2026-12-24T18:30")),
            opening(1, "09:00", "2026-12-29", 5)
        );
        // On the holiday itself, during the usual hours.
        assert_eq!(
            h.next_opening(local(z, "2026-12-25T10:00")),
            opening(1, "09:00", "2026-12-29", 4)
        );
    }

    #[test]
    fn next_opening_on_a_saturday_range() {
        let z = "Asia/Seoul";
        let h = hours("mon-fri 09:00-18:00, sat 10:00-14:00", z, &[]);
        assert_eq!(
            h.next_opening(local(z, "2026-12-04T18:00")),
            opening(5, "10:00", "2026-12-05", 1)
        );
        assert_eq!(
            h.next_opening(local(z, "2026-12-05T14:00")),
            opening(0, "09:00", "2026-12-07", 2)
        );
    }

    #[test]
    fn the_queue_zone_decides() {
        let seoul = hours("mon-fri 09:00-18:00", "Asia/Seoul", &[]);
        let utc_desk = hours("mon-fri 09:00-18:00", "UTC", &[]);
        // Monday 00:30 UTC is Monday 09:30 in Seoul.
        let t = utc("2026-12-07T00:30:00Z");
        assert!(seoul.is_open(t));
        assert!(!utc_desk.is_open(t));
        assert_eq!(
            utc_desk.next_opening(t),
            opening(0, "09:00", "2026-12-07", 0)
        );
        // Sunday 23:30 UTC is Monday 08:30 in Seoul: later today there, tomorrow in UTC.
        let t = utc("2026-12-06T23:30:00Z");
        assert_eq!(seoul.next_opening(t), opening(0, "09:00", "2026-12-07", 0));
        assert_eq!(
            utc_desk.next_opening(t),
            opening(0, "09:00", "2026-12-07", 1)
        );
        // Friday 09:00 UTC is Friday 18:00 in Seoul: closed there until Monday.
        let t = utc("2026-12-04T09:00:00Z");
        assert!(!seoul.is_open(t));
        assert!(utc_desk.is_open(t));
        assert_eq!(seoul.next_opening(t), opening(0, "09:00", "2026-12-07", 3));
        // A holiday is a date in the queue's zone: Christmas in Seoul starts at 15:00 UTC
        // on the 24th.
        let h = hours("mon-fri 09:00-18:00", "Asia/Seoul", &["2026-12-25"]);
        assert!(h.is_open(utc("2026-12-24T08:59:00Z")));
        assert!(!h.is_open(utc("2026-12-25T00:00:00Z")));
    }

    #[test]
    fn daylight_saving_keeps_the_wall_clock() {
        let z = "America/New_York";
        let h = hours("mon-fri 09:00-17:00", z, &[]);
        // 09:00 is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
        assert!(!h.is_open(utc("2026-03-06T13:30:00Z")));
        assert!(h.is_open(utc("2026-03-06T14:00:00Z")));
        assert!(h.is_open(utc("2026-03-09T13:00:00Z")));
        assert!(!h.is_open(utc("2026-03-09T12:59:59Z")));
        assert!(!h.is_open(utc("2026-03-09T21:00:00Z")));
        // Friday evening before the clocks go forward on Sunday: Monday 09:00, EDT.
        assert_eq!(
            h.next_opening(utc("2026-03-06T23:00:00Z")),
            opening(0, "09:00", "2026-03-09", 3)
        );
        // And back on Sunday 1 November.
        assert!(h.is_open(utc("2026-10-30T13:00:00Z")));
        assert!(!h.is_open(utc("2026-11-02T13:30:00Z")));
        assert!(h.is_open(utc("2026-11-02T14:00:00Z")));
        assert_eq!(
            h.next_opening(utc("2026-10-30T22:00:00Z")),
            opening(0, "09:00", "2026-11-02", 3)
        );
    }

    #[test]
    fn a_start_the_clock_skips_opens_at_the_jump() {
        // On 2026-03-08 New York's clocks go from 02:00 EST to 03:00 EDT (07:00 UTC).
        let z = "America/New_York";
        let h = hours("sun 02:30-05:00", z, &[]);
        let now = local(z, "2026-03-08T01:00");
        assert_eq!(h.next_opening(now), opening(6, "03:00", "2026-03-08", 0));
        assert!(!h.is_open(utc("2026-03-08T06:59:59Z")));
        assert!(h.is_open(utc("2026-03-08T07:00:00Z")));
        // A week later, at 02:30 again.
        let now = local(z, "2026-03-08T05:00");
        assert_eq!(h.next_opening(now), opening(6, "02:30", "2026-03-15", 7));

        // A range wholly in the skipped hour does not open that day.
        let h = hours("sun 02:00-02:30", z, &[]);
        let now = local(z, "2026-03-08T01:00");
        assert_eq!(h.next_opening(now), opening(6, "02:00", "2026-03-15", 7));
    }

    #[test]
    fn a_start_the_clock_shows_twice() {
        // On 2026-11-01 New York's clocks go back from 02:00 EDT to 01:00 EST (06:00 UTC):
        // 01:30 comes at 05:30 UTC and again at 06:30 UTC.
        let z = "America/New_York";
        let h = hours("sun 01:30-05:00", z, &[]);
        assert_eq!(
            h.next_opening(local(z, "2026-11-01T00:00")),
            opening(6, "01:30", "2026-11-01", 0)
        );
        assert!(h.is_open(utc("2026-11-01T05:30:00Z")));
        // Back at 01:15 EST, the wall clock is before the start again.
        let now = utc("2026-11-01T06:15:00Z");
        assert!(!h.is_open(now));
        assert_eq!(h.next_opening(now), opening(6, "01:30", "2026-11-01", 0));
        assert!(h.is_open(utc("2026-11-01T06:30:00Z")));

        // Going back can reopen a range at the jump itself, mid-range.
        let h = hours("sun 00:30-01:30", z, &[]);
        let now = utc("2026-11-01T05:45:00Z"); // 01:45 EDT
        assert!(!h.is_open(now));
        assert_eq!(h.next_opening(now), opening(6, "01:00", "2026-11-01", 0));
        assert!(h.is_open(utc("2026-11-01T06:00:00Z")));
    }

    #[test]
    fn hours_that_never_open_give_none_fast() {
        // One Sunday hour, and every Sunday for more than a year a holiday.
        let mut sundays = Vec::new();
        let mut d = jiff::civil::date(2026, 12, 6);
        for _ in 0..60 {
            sundays.push(format!("{d}"));
            d = d.checked_add(jiff::Span::new().days(7)).unwrap();
        }
        let h = BusinessHours::parse("sun 09:00-10:00", "Asia/Seoul", &sundays).unwrap();
        let started = Instant::now();
        assert_eq!(
            h.next_opening(local("Asia/Seoul", "2026-12-05T12:00")),
            None
        );
        assert!(
            started.elapsed().as_millis() < 500,
            "{:?}",
            started.elapsed()
        );
        // Instants no calendar holds.
        assert!(!h.is_open(i64::MAX));
        assert_eq!(h.next_opening(i64::MIN), None);
    }
}
