//! Harbor's timestamps, read without chrono's general parser where possible.
//!
//! Harbor writes every time as `2026-01-02T03:04:05.678Z`: RFC 3339 in UTC,
//! with milliseconds. chrono's RFC 3339 parser accepts far more (offsets,
//! lower case, spaces, leap seconds) and spends about 1,700 instructions on
//! each one, which made the two timestamps of a user a third of the cost of
//! listing users. Times of exactly Harbor's shape are read here directly;
//! anything else goes to chrono, so that what is accepted, what it means and
//! the errors stay chrono's.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::de::{self, Deserializer, Visitor};

/// Deserializes an optional timestamp (`null` or absent is `None`) as
/// chrono's own `Option<DateTime<Utc>>` does, for `#[serde(deserialize_with)]`.
pub(crate) fn option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(OptionVisitor)
}

/// The time `text` names, as chrono's `Deserialize` for `DateTime<Utc>`
/// reads it.
pub(crate) fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match harbor_shape(text) {
        Some(time) => Ok(time),
        None => text
            .parse::<DateTime<FixedOffset>>()
            .map(|time| time.with_timezone(&Utc)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.F…]Z` with 1 to 9 fraction digits and a valid date
/// and time, or `None` for anything else (leap seconds included).
fn harbor_shape(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let (&b'Z', body) = bytes.split_last()? else {
        return None;
    };
    let (fixed, fraction) = (body.get(..19)?, body.get(19..)?);
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, separator)| fixed.get(at) != Some(&separator))
    {
        return None;
    }
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0_u32, |value, digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let field = |from: usize, to: usize| fixed.get(from..to).and_then(number);

    let nanosecond = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10_u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let second = field(17, 19)?;
    if second > 59 {
        return None;
    }
    let year = i32::try_from(field(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, field(5, 7)?, field(8, 10)?)?;
    let time = NaiveTime::from_hms_nano_opt(field(11, 13)?, field(14, 16)?, second, nanosecond)?;
    Some(date.and_time(time).and_utc())
}

struct OptionVisitor;

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an RFC 3339 formatted date and time string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(TimeVisitor).map(Some)
    }
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // chrono's words, so that a wrong type reads the same as before.
        formatter.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        parse(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    fn chrono_reads(text: &str) -> Result<DateTime<Utc>, String> {
        text.parse::<DateTime<FixedOffset>>()
            .map(|time| time.with_timezone(&Utc))
            .map_err(|error| error.to_string())
    }

    #[test]
    fn harbor_times_are_read_directly_and_mean_what_chrono_says() {
        for text in [
            "2026-12-03T14:17:51.041Z",
            "0001-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999999999Z",
            "1970-01-01T00:00:00Z",
            "2026-01-02T03:04:05.6Z",
        ] {
            let direct = harbor_shape(text);
            assert!(direct.is_some(), "{text} takes the direct path");
            assert_eq!(direct.ok_or("none"), chrono_reads(text).map_err(|_| "err"));
        }
    }

    #[test]
    fn everything_else_goes_to_chrono_with_chrono_s_answer() {
        for text in [
            "2026-12-03T14:17:51.041+02:00",
            "2026-12-03t14:17:51.041z",
            "2026-12-03 14:17:51Z",
            "2016-12-31T23:59:60.5Z",
            "2026-12-03T14:17:51.0123456789Z",
            "2023-02-29T00:00:00Z",
            "2026-12-03T24:00:00Z",
            "2026-13-03T14:17:51Z",
            "2026-12-03T14:17:51.Z",
            "2026-12-03T14:17:51",
            "+2026-12-03T14:17:51Z",
            "",
            "Z",
            "not a time",
        ] {
            assert_eq!(harbor_shape(text), None, "{text}");
            assert_eq!(
                parse(text).map_err(|error| error.to_string()),
                chrono_reads(text),
                "{text}"
            );
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fast {
        #[serde(default, deserialize_with = "option")]
        time: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Chrono {
        #[serde(default)]
        time: Option<DateTime<Utc>>,
    }

    #[test]
    fn optional_times_decode_and_fail_as_chrono_s_do() {
        for body in [
            r#"{"time":"2026-12-03T14:17:51.041Z"}"#,
            r#"{"time":"2026-12-03T14:17:51+01:00"}"#,
            r#"{"time":null}"#,
            r#"{}"#,
            r#"{"time":5}"#,
            r#"{"time":"soon"}"#,
            r#"{"time":"2026-02-30T00:00:00Z"}"#,
        ] {
            let fast = serde_json::from_str::<Fast>(body)
                .map(|fast| fast.time)
                .map_err(|error| error.to_string());
            let chrono = serde_json::from_str::<Chrono>(body)
                .map(|chrono| chrono.time)
                .map_err(|error| error.to_string());
            assert_eq!(fast, chrono, "{body}");
        }
    }

    proptest! {
        #[test]
        fn any_time_of_harbor_s_shape_reads_as_chrono_reads_it(
            year in 0_u32..=9999,
            month in 0_u32..=13,
            day in 0_u32..=32,
            hour in 0_u32..=25,
            minute in 0_u32..=61,
            second in 0_u32..=61,
            fraction in "(\\.[0-9]{1,10})?",
        ) {
            let text = format!(
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}Z"
            );
            prop_assert_eq!(
                parse(&text).map_err(|error| error.to_string()),
                chrono_reads(&text)
            );
        }
    }
}
