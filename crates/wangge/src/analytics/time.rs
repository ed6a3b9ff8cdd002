//! Timestamps of case tables: a small parser for the formats case systems export.
//!
//! Accepted: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS`, with `T` instead of the
//! space, optional fractional seconds (`.fff…`, dropped), `/` instead of `-` in the date, and an
//! optional `Z` or `±HH:MM` / `±HHMM` offset. A time without an offset is taken as written
//! (a wall-clock time, as Chinese case systems store Beijing time), so comparisons between
//! times of one table are exact; a time with an offset is moved to UTC first. The result is
//! seconds since 1970-01-01 00:00:00 of that clock. Month lengths and leap years are checked.
//!
//! Why not a date crate: the statistics only compare timestamps and add hours, and the
//! formats above are all the exports carry; about a hundred lines with tests keep the core free
//! of a calendar/time-zone dependency.

/// Seconds since 1970-01-01 00:00:00 (see the module docs for the clock).
pub type Timestamp = i64;

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Reads exactly `n` ASCII digits at `*i`.
fn digits(b: &[u8], i: &mut usize, n: usize) -> Option<i64> {
    let s = b.get(*i..*i + n)?;
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *i += n;
    Some(s.iter().fold(0, |a, &c| a * 10 + i64::from(c - b'0')))
}

fn expect(b: &[u8], i: &mut usize, options: &[u8]) -> Option<u8> {
    let c = *b.get(*i)?;
    if options.contains(&c) {
        *i += 1;
        Some(c)
    } else {
        None
    }
}

/// Parses a timestamp (formats in the module docs); `None` when it is not one of them or names
/// an impossible date or time (2025-02-29, 24:00, minute 60).
///
/// ```
/// use wangge::analytics::time::parse_timestamp;
/// assert_eq!(parse_timestamp("1970-01-02 00:00:01"), Some(86_401));
/// assert_eq!(parse_timestamp("2024-02-29T08:00:00+08:00"), parse_timestamp("2024-02-29"));
/// assert_eq!(parse_timestamp("2025-02-29"), None);
/// ```
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let b = text.trim().as_bytes();
    let mut i = 0;
    let y = digits(b, &mut i, 4)?;
    let sep = expect(b, &mut i, b"-/")?;
    let m = digits(b, &mut i, 2)?;
    expect(b, &mut i, &[sep])?;
    let d = digits(b, &mut i, 2)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if i < b.len() {
        expect(b, &mut i, b" T")?;
        hh = digits(b, &mut i, 2)?;
        expect(b, &mut i, b":")?;
        mm = digits(b, &mut i, 2)?;
        if expect(b, &mut i, b":").is_some() {
            ss = digits(b, &mut i, 2)?;
            if expect(b, &mut i, b".,").is_some() {
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if i == start {
                    return None;
                }
            }
        }
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let mut offset = 0;
    if i < b.len() {
        match expect(b, &mut i, b"Zz+-")? {
            b'Z' | b'z' => {}
            sign => {
                let oh = digits(b, &mut i, 2)?;
                expect(b, &mut i, b":");
                let om = digits(b, &mut i, 2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                offset = (oh * 60 + om) * 60 * if sign == b'-' { -1 } else { 1 };
            }
        }
    }
    if i != b.len() {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3_600 + mm * 60 + ss - offset)
}

/// Formats a timestamp as `YYYY-MM-DD HH:MM:SS` (the inverse of [`parse_timestamp`] on that
/// format).
pub fn format_timestamp(t: Timestamp) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00"), Some(0));
        // 2000-03-01 is day 11017 (after the leap day of a year divisible by 400).
        assert_eq!(parse_timestamp("2000-03-01"), Some(11_017 * 86_400));
        // 2025-06-01T12:34:56Z = 1748781296 (date -u -d @1748781296).
        assert_eq!(parse_timestamp("2025-06-01T12:34:56Z"), Some(1_748_781_296));
        assert_eq!(
            parse_timestamp("2025-06-01 20:34:56+08:00"),
            Some(1_748_781_296)
        );
        assert_eq!(
            parse_timestamp("2025-06-01T20:34:56.789+0800"),
            Some(1_748_781_296)
        );
        assert_eq!(parse_timestamp("2025/06/01 12:34"), Some(1_748_781_240));
        assert_eq!(parse_timestamp("1969-12-31 23:59:59"), Some(-1));
    }

    #[test]
    fn rejects_impossible_and_malformed() {
        for bad in [
            "",
            "2025-02-29",
            "2024-02-30",
            "1900-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-06-01 24:00:00",
            "2025-06-01 12:60",
            "2025-06-01 12:00:60",
            "2025-06-01T",
            "2025-06-01 12",
            "2025-06-01 12:00:00.",
            "2025-06-01 12:00:00 +08",
            "2025-06/01",
            "25-06-01",
            "2025-6-1",
            "yesterday",
            "2025-06-01 12:00:00x",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
        assert!(parse_timestamp("2024-02-29").is_some());
        assert!(parse_timestamp("2000-02-29").is_some());
    }

    #[test]
    fn format_round_trips_every_day_of_four_centuries_sampled() {
        // Against an independent day counter: walk day by day with days_in_month.
        let (mut y, mut m, mut d) = (1900i64, 1i64, 1i64);
        let mut day = parse_timestamp("1900-01-01").unwrap() / 86_400;
        while y < 2300 {
            let text = format!("{y:04}-{m:02}-{d:02} 07:08:09");
            let t = parse_timestamp(&text).unwrap();
            assert_eq!(t, day * 86_400 + 7 * 3_600 + 8 * 60 + 9, "{text}");
            assert_eq!(format_timestamp(t), text);
            day += 1;
            d += 1;
            if d > days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }
}
