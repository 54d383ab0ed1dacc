use std::fmt;
use std::str::FromStr;

use super::QueryError;

/// A value in a range bound or a list, typed the way Harbor types it.
///
/// Harbor reads each range bound and list item first as a time, then as an integer, and
/// otherwise as a string, so these are the three kinds it can tell apart. A boolean becomes
/// the text `true` or `false`, which PostgreSQL compares with a boolean column.
///
/// Text that Harbor would otherwise read as a number or a time, or whose leading or
/// trailing whitespace it would trim, is sent in double quotes, which Harbor strips.
/// [`Query::exact`](super::Query::exact) takes a value too, and sends it as plain text.
///
/// ```
/// use harbor_users::query::{Field, Query, Timestamp, Value};
///
/// let since: Timestamp = "2024-01-02T03:04:05".parse()?;
/// let query = Query::new().any_of(
///     Field::Username,
///     [Value::from("alice"), Value::from("42"), Value::from(42)],
/// )?;
/// assert_eq!(query.to_string(), r#"username={alice "42" 42}"#);
/// assert_eq!(Value::from(since), Value::Time(since));
/// assert_eq!(Value::from(true), Value::Text("true".into()));
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A string, compared as text.
    Text(String),
    /// An integer.
    Integer(i64),
    /// A time, in UTC.
    Time(Timestamp),
}

impl Value {
    /// The value as plain text, which is how Harbor compares exact and fuzzy values.
    pub(super) fn into_text(self) -> String {
        match self {
            Value::Text(text) => text,
            Value::Integer(integer) => integer.to_string(),
            Value::Time(time) => time.to_string(),
        }
    }

    /// Reads one range bound or list item as Harbor's `parseValue` does: trimmed, then a
    /// time, then an integer, then a string with every leading and trailing quote removed.
    pub(super) fn read(token: &str, key: &str) -> Result<Value, QueryError> {
        let token = token.trim();
        match scan_go_time(token) {
            Ok((time, "")) => return Ok(Value::Time(time)),
            Ok((_, rest)) if is_fraction(rest) => {
                return Err(QueryError::FractionalSeconds {
                    key: key.to_owned(),
                    value: token.to_owned(),
                });
            }
            _ => {}
        }
        if let Ok(integer) = token.parse::<i64>() {
            return Ok(Value::Integer(integer));
        }
        Ok(Value::Text(token.trim_matches(QUOTES).to_owned()))
    }

    /// Checks a list item against Harbor's list syntax.
    pub(super) fn check_list_item(&self, key: &str) -> Result<(), QueryError> {
        let Value::Text(text) = self else {
            return Ok(());
        };
        if text.is_empty() {
            return Err(QueryError::EmptyListItem {
                key: key.to_owned(),
            });
        }
        if text.contains(' ') {
            return Err(QueryError::SpaceInListItem {
                key: key.to_owned(),
                item: text.clone(),
            });
        }
        check_text_item(text, key)
    }

    /// Checks a range bound against Harbor's range syntax.
    pub(super) fn check_range_bound(&self, key: &str) -> Result<(), QueryError> {
        let Value::Text(text) = self else {
            return Ok(());
        };
        if text.is_empty() {
            return Err(QueryError::EmptyRangeBound {
                key: key.to_owned(),
            });
        }
        if text.contains('~') {
            return Err(QueryError::TildeInRangeBound {
                key: key.to_owned(),
                bound: text.clone(),
            });
        }
        check_text_item(text, key)
    }
}

/// Renders the value as a range bound or list item.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(integer) => write!(f, "{integer}"),
            Value::Time(time) => write!(f, "{time}"),
            Value::Text(text) if needs_quotes(text) => write!(f, "\"{text}\""),
            Value::Text(text) => f.write_str(text),
        }
    }
}

const QUOTES: [char; 2] = ['"', '\''];

fn check_text_item(text: &str, key: &str) -> Result<(), QueryError> {
    if text.contains(',') {
        return Err(QueryError::CommaInValue {
            key: key.to_owned(),
            value: text.to_owned(),
        });
    }
    if text.starts_with(QUOTES) || text.ends_with(QUOTES) {
        return Err(QueryError::QuoteAtEdge {
            key: key.to_owned(),
            value: text.to_owned(),
        });
    }
    Ok(())
}

/// Whether Harbor would read the text unquoted as something else. Times and integers start
/// with a digit or a sign, so any text that does is quoted, however unlikely the match.
fn needs_quotes(text: &str) -> bool {
    let reads_as_number = |c: char| c.is_ascii_digit() || c == '+' || c == '-';
    text.starts_with(reads_as_number)
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Self {
        Value::Text(text.clone())
    }
}

impl From<i64> for Value {
    fn from(integer: i64) -> Self {
        Value::Integer(integer)
    }
}

impl From<i32> for Value {
    fn from(integer: i32) -> Self {
        Value::Integer(integer.into())
    }
}

impl From<u32> for Value {
    fn from(integer: u32) -> Self {
        Value::Integer(integer.into())
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Value::Text(flag.to_string())
    }
}

impl From<Timestamp> for Value {
    fn from(time: Timestamp) -> Self {
        Value::Time(time)
    }
}

/// A date and time of day in UTC, to the second, as Harbor reads times in `q`:
/// `YYYY-MM-DDTHH:MM:SS`.
///
/// Harbor stores times in UTC and reads a `q` time without a zone, so a timestamp here has
/// none. It is checked when built: the month, the day in that month (leap years included),
/// the hour, minute and second must exist. Fractional seconds are not supported.
///
/// ```
/// use harbor_users::query::Timestamp;
///
/// let leap_day: Timestamp = "2024-02-29T23:59:59".parse()?;
/// assert_eq!(leap_day, Timestamp::new(2024, 2, 29, 23, 59, 59)?);
/// assert_eq!(leap_day.to_string(), "2024-02-29T23:59:59");
/// assert!("2023-02-29T00:00:00".parse::<Timestamp>().is_err());
/// assert!("2024-01-02 03:04:05".parse::<Timestamp>().is_err());
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl Timestamp {
    /// A timestamp from its parts, checked to be a real UTC time between years 0 and 9999.
    ///
    /// ```
    /// use harbor_users::query::Timestamp;
    ///
    /// let noon = Timestamp::new(2025, 6, 30, 12, 0, 0)?;
    /// assert_eq!(noon.to_string(), "2025-06-30T12:00:00");
    /// assert!(Timestamp::new(2025, 6, 31, 12, 0, 0).is_err());
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, QueryError> {
        let time = Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
        };
        match time.problem() {
            None => Ok(time),
            Some(problem) => Err(QueryError::InvalidTimestamp {
                input: format!("{year}-{month}-{day}T{hour}:{minute}:{second}"),
                problem,
            }),
        }
    }

    fn problem(&self) -> Option<&'static str> {
        if self.year > 9999 {
            Some("the year has more than four digits")
        } else if !(1..=12).contains(&self.month) {
            Some("the month is not between 01 and 12")
        } else if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            Some("that month has no such day")
        } else if self.hour > 23 {
            Some("the hour is not between 00 and 23")
        } else if self.minute > 59 {
            Some("the minute is not between 00 and 59")
        } else if self.second > 59 {
            Some("the second is not between 00 and 59")
        } else {
            None
        }
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS`, and like Harbor also a one-digit hour.
impl FromStr for Timestamp {
    type Err = QueryError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |problem| QueryError::InvalidTimestamp {
            input: input.to_owned(),
            problem,
        };
        match scan_go_time(input) {
            Ok((time, "")) => Ok(time),
            Ok((_, rest)) if is_fraction(rest) => {
                Err(invalid("fractional seconds are not supported"))
            }
            Ok(_) => Err(invalid("there is text after the seconds")),
            Err(problem) => Err(invalid(problem)),
        }
    }
}

/// Scans a time the way Go's `time.Parse("2006-01-02T15:04:05", ...)` does in Harbor,
/// returning what follows the seconds. Go takes a one- or two-digit hour there, and
/// fractional seconds after it although the layout has none.
fn scan_go_time(input: &str) -> Result<(Timestamp, &str), &'static str> {
    let mut rest = input;
    let year = take_digits(&mut rest, 4, 4).ok_or("the year is not four digits")?;
    take_separator(&mut rest, '-').ok_or("expected `-` after the year")?;
    let month = take_digits(&mut rest, 2, 2).ok_or("the month is not two digits")?;
    take_separator(&mut rest, '-').ok_or("expected `-` after the month")?;
    let day = take_digits(&mut rest, 2, 2).ok_or("the day is not two digits")?;
    take_separator(&mut rest, 'T').ok_or("expected `T` between the date and the time")?;
    let hour = take_digits(&mut rest, 1, 2).ok_or("the hour is not one or two digits")?;
    take_separator(&mut rest, ':').ok_or("expected `:` after the hour")?;
    let minute = take_digits(&mut rest, 2, 2).ok_or("the minute is not two digits")?;
    take_separator(&mut rest, ':').ok_or("expected `:` after the minute")?;
    let second = take_digits(&mut rest, 2, 2).ok_or("the second is not two digits")?;

    let (Ok(year), Ok(month), Ok(day), Ok(hour), Ok(minute), Ok(second)) = (
        u16::try_from(year),
        u8::try_from(month),
        u8::try_from(day),
        u8::try_from(hour),
        u8::try_from(minute),
        u8::try_from(second),
    ) else {
        return Err("a part is out of range");
    };
    let time = Timestamp {
        year,
        month,
        day,
        hour,
        minute,
        second,
    };
    match time.problem() {
        Some(problem) => Err(problem),
        None => Ok((time, rest)),
    }
}

/// Takes between `min` and `max` leading ASCII digits, as many as there are.
fn take_digits(rest: &mut &str, min: usize, max: usize) -> Option<u32> {
    let count = rest
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if count < min {
        return None;
    }
    let (digits, after) = rest.split_at(count);
    *rest = after;
    digits.parse().ok()
}

fn take_separator(rest: &mut &str, separator: char) -> Option<()> {
    *rest = rest.strip_prefix(separator)?;
    Some(())
}

/// Whether the text after the seconds is a fraction Go would accept: `.` or `,` and digits.
fn is_fraction(rest: &str) -> bool {
    rest.strip_prefix(['.', ','])
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}
