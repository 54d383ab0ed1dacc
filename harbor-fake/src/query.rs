//! Harbor's `q` and `sort` query language, evaluated against the in-memory users.
//!
//! Harbor parses `q` into keywords (`k=v` exact, `k=~v` fuzzy, `k=[a~b]` range, `k={a b}` or
//! list, `k=(a b)` and list) and hands them to its ORM, which turns each keyword into SQL on
//! the `harbor_user` table. This module does the parsing exactly as Harbor does and then
//! evaluates the keywords the way PostgreSQL would: typed comparisons after casting the
//! value to the column's type, `ILIKE` on the text form of a column, NULL never matching.
//! A value PostgreSQL could not cast (say `user_id=abc`) is a database error, so a 500.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::ApiError;
use crate::goquery;
use crate::store::UserRecord;

/// A list or range item, typed the way Harbor's `parseValue` types it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Time(PrimitiveDateTime),
    Int(i64),
    Str(String),
}

/// One parsed `q` keyword.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Keyword {
    Exact(String),
    Fuzzy(String),
    Range(Option<Scalar>, Option<Scalar>),
    OrList(Vec<Scalar>),
    AndList,
    /// A keyword added by Harbor itself, such as the admin exclusion `user_id__gt=1`.
    Int(i64),
}

/// Harbor keeps keywords in a Go map, so a repeated key keeps its last value.
pub(crate) type Keywords = BTreeMap<String, Keyword>;

const MALFORMED_TERM: &str =
    r#"the query string must contain "=" and the key/value cannot be empty"#;

/// Parses `q` as Harbor's `q.Build` does.
pub(crate) fn parse_q(q: &str) -> Result<Keywords, ApiError> {
    let mut keywords = Keywords::new();
    if q.is_empty() {
        return Ok(keywords);
    }
    // Harbor unescapes `q` a second time after go-swagger did, falling back to the
    // once-decoded text when that second decode fails.
    let decoded = goquery::query_unescape(q).unwrap_or_else(|_| q.to_string());
    for term in decoded.split(',') {
        let Some((key, value)) = term.split_once('=') else {
            return Err(ApiError::bad_request(MALFORMED_TERM));
        };
        if key.is_empty() || value.is_empty() {
            return Err(ApiError::bad_request(MALFORMED_TERM));
        }
        let keyword = parse_pattern(value)
            .ok_or_else(|| ApiError::bad_request(format!("invalid query string value: {value}")))?;
        keywords.insert(key.to_string(), keyword);
    }
    Ok(keywords)
}

fn parse_pattern(value: &str) -> Option<Keyword> {
    let inner = |open: usize, close: u8| -> Option<&str> {
        (value.as_bytes().last() == Some(&close)).then(|| &value[open..value.len() - 1])
    };
    match value.as_bytes().first() {
        Some(b'~') => (value.len() >= 2).then(|| Keyword::Fuzzy(value[1..].to_string())),
        Some(b'[') => {
            let inside = inner(1, b']')?;
            if value.matches('~').count() != 1 {
                return None;
            }
            let (min, max) = inside.split_once('~')?;
            let (min, max) = (min.trim(), max.trim());
            if min.is_empty() && max.is_empty() {
                return None;
            }
            let bound = |text: &str| (!text.is_empty()).then(|| parse_value(text));
            Some(Keyword::Range(bound(min), bound(max)))
        }
        Some(b'{') => {
            let inside = inner(1, b'}')?;
            let values = inside
                .split(' ')
                .map(parse_value)
                .filter(|value| *value != Scalar::Str(String::new()))
                .collect();
            Some(Keyword::OrList(values))
        }
        Some(b'(') => inner(1, b')').map(|_| Keyword::AndList),
        // A leading backslash escapes a value that would otherwise read as a pattern.
        Some(b'\\') => Some(Keyword::Exact(value[1..].to_string())),
        _ => Some(Keyword::Exact(value.to_string())),
    }
}

/// Harbor's `parseValue`: a `T`-separated time, then an integer, else a string.
fn parse_value(text: &str) -> Scalar {
    let text = text.trim();
    let layout = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(time) = PrimitiveDateTime::parse(text, layout) {
        return Scalar::Time(time);
    }
    if let Ok(number) = text.parse::<i64>() {
        return Scalar::Int(number);
    }
    Scalar::Str(text.trim_matches(['"', '\'']).to_string())
}

/// The columns of `harbor_user` that Harbor lets `q` and `sort` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    UserId,
    Username,
    Email,
    Realname,
    Comment,
    SysadminFlag,
    PasswordVersion,
    ResetUuid,
    CreationTime,
    UpdateTime,
    Deleted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Int,
    Text,
    Bool,
    Time,
}

impl Field {
    /// Harbor accepts both the Go field name and the column name.
    pub(crate) fn by_name(name: &str) -> Option<Field> {
        Some(match name {
            "user_id" | "UserID" => Field::UserId,
            "username" | "Username" => Field::Username,
            "email" | "Email" => Field::Email,
            "realname" | "Realname" => Field::Realname,
            "comment" | "Comment" => Field::Comment,
            "sysadmin_flag" | "SysAdminFlag" => Field::SysadminFlag,
            "password_version" | "PasswordVersion" => Field::PasswordVersion,
            "reset_uuid" | "ResetUUID" => Field::ResetUuid,
            "creation_time" | "CreationTime" => Field::CreationTime,
            "update_time" | "UpdateTime" => Field::UpdateTime,
            "deleted" | "Deleted" => Field::Deleted,
            _ => return None,
        })
    }

    fn column_type(self) -> ColumnType {
        match self {
            Field::UserId => ColumnType::Int,
            Field::SysadminFlag | Field::Deleted => ColumnType::Bool,
            Field::CreationTime | Field::UpdateTime => ColumnType::Time,
            _ => ColumnType::Text,
        }
    }

    fn cell(self, user: &UserRecord) -> Cell<'_> {
        match self {
            Field::UserId => Cell::Int(user.id),
            Field::Username => Cell::Text(&user.username),
            // An empty email is stored as NULL.
            Field::Email if user.email.is_empty() => Cell::Null,
            Field::Email => Cell::Text(&user.email),
            Field::Realname => Cell::Text(&user.realname),
            Field::Comment => Cell::Text(&user.comment),
            Field::SysadminFlag => Cell::Bool(user.sysadmin),
            Field::PasswordVersion => Cell::Text("sha256"),
            Field::ResetUuid => Cell::Text(""),
            Field::CreationTime => Cell::Time(user.creation_time),
            Field::UpdateTime => Cell::Time(user.update_time),
            Field::Deleted => Cell::Bool(user.deleted),
        }
    }
}

/// One column value of one user.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bool(bool),
    Time(OffsetDateTime),
}

impl Cell<'_> {
    /// PostgreSQL's `column::text`, which `ILIKE` compares against.
    fn text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Int(number) => Some(number.to_string()),
            Cell::Text(text) => Some((*text).to_string()),
            Cell::Bool(flag) => Some(flag.to_string()),
            Cell::Time(time) => Some(postgres_timestamp_text(*time)),
        }
    }

    fn compare(&self, operand: &Operand) -> Option<Ordering> {
        match (self, operand) {
            (Cell::Int(a), Operand::Int(b)) => Some(a.cmp(b)),
            (Cell::Text(a), Operand::Text(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (Cell::Bool(a), Operand::Bool(b)) => Some(a.cmp(b)),
            (Cell::Time(a), Operand::Time(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    fn order(&self, other: &Cell<'_>) -> Ordering {
        match (self, other) {
            (Cell::Int(a), Cell::Int(b)) => a.cmp(b),
            (Cell::Text(a), Cell::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (Cell::Time(a), Cell::Time(b)) => a.cmp(b),
            // PostgreSQL sorts NULL after every value in ascending order.
            (Cell::Null, Cell::Null) => Ordering::Equal,
            (Cell::Null, _) => Ordering::Greater,
            (_, Cell::Null) => Ordering::Less,
            _ => Ordering::Equal,
        }
    }
}

fn postgres_timestamp_text(time: OffsetDateTime) -> String {
    let base = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let micros = time.microsecond();
    if micros == 0 {
        return base;
    }
    let fraction = format!("{micros:06}");
    format!("{base}.{}", fraction.trim_end_matches('0'))
}

/// A value already cast to a column's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Int(i64),
    Text(String),
    Bool(bool),
    Time(OffsetDateTime),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equal,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

impl Comparison {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparison::Equal => ordering == Ordering::Equal,
            Comparison::Greater => ordering == Ordering::Greater,
            Comparison::GreaterOrEqual => ordering != Ordering::Less,
            Comparison::Less => ordering == Ordering::Less,
            Comparison::LessOrEqual => ordering != Ordering::Greater,
        }
    }
}

/// One SQL condition on `harbor_user`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    Compare(Field, Comparison, Operand),
    In(Field, Vec<Operand>),
    /// `UPPER(column::text) LIKE UPPER(pattern)`.
    ILike(Field, LikePattern),
    UsernameOrEmail(String),
}

impl Filter {
    /// The condition Harbor always adds to exclude the admin account.
    pub(crate) fn is_admin_exclusion(&self) -> bool {
        *self == Filter::Compare(Field::UserId, Comparison::Greater, Operand::Int(1))
    }

    fn matches(&self, user: &UserRecord) -> bool {
        match self {
            Filter::Compare(field, comparison, operand) => field
                .cell(user)
                .compare(operand)
                .is_some_and(|ordering| comparison.holds(ordering)),
            Filter::In(field, operands) => {
                let cell = field.cell(user);
                operands
                    .iter()
                    .any(|operand| cell.compare(operand) == Some(Ordering::Equal))
            }
            Filter::ILike(field, pattern) => field
                .cell(user)
                .text()
                .is_some_and(|text| pattern.matches(&text.to_uppercase())),
            Filter::UsernameOrEmail(value) => user.username == *value || user.email == *value,
        }
    }
}

/// Whether `user` passes every filter (deleted users never do).
pub(crate) fn matches_all(filters: &[Filter], user: &UserRecord) -> bool {
    !user.deleted && filters.iter().all(|filter| filter.matches(user))
}

/// The ORM operators Harbor's keys may end with.
fn operator_suffix(suffix: &str) -> Option<&'static str> {
    ["icontains", "in", "gte", "lte", "gt", "lt", "exact"]
        .into_iter()
        .find(|known| *known == suffix)
}

/// Turns keywords into filters as Harbor's ORM layer does; unknown keys are skipped silently.
pub(crate) fn compile(keywords: &Keywords) -> Result<Vec<Filter>, ApiError> {
    let mut filters = Vec::new();
    for (key, keyword) in keywords {
        let (base, suffix) = match key.split_once("__") {
            Some((base, suffix)) => (base, Some(suffix)),
            None => (key.as_str(), None),
        };
        if base == "username_or_email" {
            if let (None, Keyword::Exact(value)) = (suffix, keyword) {
                filters.push(Filter::UsernameOrEmail(value.clone()));
            }
            continue;
        }
        let Some(field) = Field::by_name(base) else {
            continue;
        };
        // The DAO forces `deleted=false` over whatever the caller asked for.
        if field == Field::Deleted {
            continue;
        }
        let operator = match suffix {
            None => None,
            Some(suffix) => match operator_suffix(suffix) {
                Some(operator) => Some(operator),
                None => continue,
            },
        };
        filters.extend(compile_one(field, operator, keyword)?);
    }
    Ok(filters)
}

fn compile_one(
    field: Field,
    operator: Option<&str>,
    keyword: &Keyword,
) -> Result<Vec<Filter>, ApiError> {
    let cast = |scalar: &Scalar| cast(field, scalar);
    let filter = match (operator, keyword) {
        (None, Keyword::Fuzzy(value)) => Filter::ILike(field, LikePattern::containing(value)),
        (None, Keyword::Range(min, max)) => {
            let mut bounds = Vec::new();
            if let Some(min) = min {
                bounds.push(Filter::Compare(
                    field,
                    Comparison::GreaterOrEqual,
                    cast(min)?,
                ));
            }
            if let Some(max) = max {
                bounds.push(Filter::Compare(field, Comparison::LessOrEqual, cast(max)?));
            }
            return Ok(bounds);
        }
        (None, Keyword::OrList(values)) => {
            let operands = values.iter().map(cast).collect::<Result<_, _>>()?;
            Filter::In(field, operands)
        }
        (_, Keyword::AndList) => return Ok(Vec::new()),
        (operator, Keyword::Exact(value)) => {
            let scalar = Scalar::Str(value.clone());
            match operator {
                None | Some("exact") => Filter::Compare(field, Comparison::Equal, cast(&scalar)?),
                Some("in") => Filter::In(field, vec![cast(&scalar)?]),
                Some("icontains") => Filter::ILike(field, LikePattern::raw_containing(value)),
                Some(other) => Filter::Compare(field, comparison_of(other), cast(&scalar)?),
            }
        }
        (operator, Keyword::Int(number)) => Filter::Compare(
            field,
            operator.map_or(Comparison::Equal, comparison_of),
            cast(&Scalar::Int(*number))?,
        ),
        // A pattern on a key that already names an operator would make the ORM stack two
        // operators; Harbor's ORM does not apply such a filter.
        (Some(_), _) => return Ok(Vec::new()),
    };
    Ok(vec![filter])
}

fn comparison_of(operator: &str) -> Comparison {
    match operator {
        "gt" => Comparison::Greater,
        "gte" => Comparison::GreaterOrEqual,
        "lt" => Comparison::Less,
        "lte" => Comparison::LessOrEqual,
        _ => Comparison::Equal,
    }
}

/// Casts a query value to a column type as PostgreSQL would; failing casts are SQL errors.
fn cast(field: Field, scalar: &Scalar) -> Result<Operand, ApiError> {
    let failure = || ApiError::internal(format!("cannot cast {scalar:?} for column {field:?}"));
    match (field.column_type(), scalar) {
        (ColumnType::Int, Scalar::Int(number)) => Ok(Operand::Int(*number)),
        (ColumnType::Int, Scalar::Str(text)) => {
            text.trim().parse().map(Operand::Int).map_err(|_| failure())
        }
        (ColumnType::Text, Scalar::Int(number)) => Ok(Operand::Text(number.to_string())),
        (ColumnType::Text, Scalar::Str(text)) => Ok(Operand::Text(text.clone())),
        (ColumnType::Text, Scalar::Time(time)) => {
            Ok(Operand::Text(format!("{} {}", time.date(), time.time())))
        }
        (ColumnType::Bool, Scalar::Str(text)) => {
            postgres_bool(text).map(Operand::Bool).ok_or_else(failure)
        }
        (ColumnType::Time, Scalar::Time(time)) => Ok(Operand::Time(time.assume_utc())),
        (ColumnType::Time, Scalar::Str(text)) => postgres_timestamp(text)
            .map(Operand::Time)
            .ok_or_else(failure),
        _ => Err(failure()),
    }
}

/// PostgreSQL's boolean input: the usual words and any unique prefix of them.
fn postgres_bool(text: &str) -> Option<bool> {
    let word = text.trim().to_ascii_lowercase();
    if word.is_empty() {
        return None;
    }
    match word.as_str() {
        "1" | "on" => Some(true),
        "0" | "of" | "off" => Some(false),
        _ if "true".starts_with(&word) || "yes".starts_with(&word) => Some(true),
        _ if "false".starts_with(&word) || "no".starts_with(&word) => Some(false),
        _ => None,
    }
}

/// The common shapes of PostgreSQL's timestamp input, read as UTC like Harbor's session.
fn postgres_timestamp(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim().trim_end_matches('Z').replace('T', " ");
    let with_fraction =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    let with_seconds = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let with_minutes = format_description!("[year]-[month]-[day] [hour]:[minute]");
    let date_only = format_description!("[year]-[month]-[day]");
    PrimitiveDateTime::parse(&text, with_fraction)
        .or_else(|_| PrimitiveDateTime::parse(&text, with_seconds))
        .or_else(|_| PrimitiveDateTime::parse(&text, with_minutes))
        .ok()
        .or_else(|| {
            time::Date::parse(&text, date_only)
                .ok()
                .map(|date| date.midnight())
        })
        .map(PrimitiveDateTime::assume_utc)
}

/// An SQL `LIKE` pattern over upper-cased text (`%` any run, `_` one character, `\` escape).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LikePattern {
    tokens: Vec<LikeToken>,
    /// Set when the pattern is `%literal%`, matched by a plain substring search.
    substring: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum LikeToken {
    Any,
    One,
    Char(char),
}

impl LikePattern {
    /// Harbor's fuzzy match: the value is escaped, so it is a plain case-insensitive substring.
    pub(crate) fn containing(value: &str) -> Self {
        Self {
            tokens: Vec::new(),
            substring: Some(value.to_uppercase()),
        }
    }

    /// `%value%` where `%` and `_` inside `value` keep their wildcard meaning.
    pub(crate) fn raw_containing(value: &str) -> Self {
        Self::parse(&format!("%{value}%"), true)
    }

    /// Parses an SQL pattern; `fold_case` upper-cases it for `ILIKE`.
    pub(crate) fn parse(pattern: &str, fold_case: bool) -> Self {
        let text = if fold_case {
            pattern.to_uppercase()
        } else {
            pattern.to_string()
        };
        let mut tokens = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '%' => LikeToken::Any,
                '_' => LikeToken::One,
                '\\' => LikeToken::Char(chars.next().unwrap_or('\\')),
                c => LikeToken::Char(c),
            });
        }
        Self {
            tokens,
            substring: None,
        }
    }

    /// Matches text that was already case-folded if the pattern was.
    pub(crate) fn matches(&self, text: &str) -> bool {
        if let Some(literal) = &self.substring {
            return text.contains(literal.as_str());
        }
        let chars: Vec<char> = text.chars().collect();
        like_match(&self.tokens, &chars)
    }
}

/// Iterative wildcard matching with a single backtrack point (linear for `%` patterns).
fn like_match(tokens: &[LikeToken], text: &[char]) -> bool {
    let (mut t, mut s) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(LikeToken::Any) => {
                backtrack = Some((t, s));
                t += 1;
            }
            Some(LikeToken::One) => {
                t += 1;
                s += 1;
            }
            Some(LikeToken::Char(c)) if *c == text[s] => {
                t += 1;
                s += 1;
            }
            _ => match backtrack {
                Some((star, position)) => {
                    t = star + 1;
                    s = position + 1;
                    backtrack = Some((star, position + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t.min(tokens.len())..]
        .iter()
        .all(|token| *token == LikeToken::Any)
}

/// One `sort` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SortKey {
    pub(crate) field: Field,
    pub(crate) descending: bool,
}

/// Parses `sort` like Harbor: comma-separated keys, `-` for descending, unknown keys dropped,
/// and `username` ascending when nothing usable remains.
pub(crate) fn parse_sort(sort: &str) -> Vec<SortKey> {
    let keys: Vec<SortKey> = sort
        .split(',')
        .filter(|part| !part.is_empty())
        .filter_map(|part| {
            let (name, descending) = match part.strip_prefix('-') {
                Some(name) => (name, true),
                None => (part, false),
            };
            Field::by_name(name).map(|field| SortKey { field, descending })
        })
        .collect();
    if keys.is_empty() {
        vec![SortKey {
            field: Field::Username,
            descending: false,
        }]
    } else {
        keys
    }
}

/// Orders two users by the sort keys; ties keep id order, as the scan is in id order.
pub(crate) fn compare_users(keys: &[SortKey], a: &UserRecord, b: &UserRecord) -> Ordering {
    for key in keys {
        let (left, right) = (key.field.cell(a), key.field.cell(b));
        let ordering = if key.descending {
            right.order(&left)
        } else {
            left.order(&right)
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_like_harbor() {
        let keywords = parse_q("a=x,b=~y,c=[1~5],d={1 two},e=(x y),f=\\~z").expect("valid q");
        assert_eq!(keywords["a"], Keyword::Exact("x".into()));
        assert_eq!(keywords["b"], Keyword::Fuzzy("y".into()));
        assert_eq!(
            keywords["c"],
            Keyword::Range(Some(Scalar::Int(1)), Some(Scalar::Int(5)))
        );
        assert_eq!(
            keywords["d"],
            Keyword::OrList(vec![Scalar::Int(1), Scalar::Str("two".into())])
        );
        assert_eq!(keywords["e"], Keyword::AndList);
        assert_eq!(keywords["f"], Keyword::Exact("~z".into()));
    }

    #[test]
    fn like_patterns_handle_wildcards() {
        let pattern = LikePattern::parse("%a_c%", false);
        assert!(pattern.matches("xxabcxx"));
        assert!(!pattern.matches("xxacxx"));
        assert!(LikePattern::parse("a\\%", false).matches("a%"));
        assert!(!LikePattern::parse("a\\%", false).matches("ab"));
    }

    #[test]
    fn postgres_bool_accepts_prefixes() {
        assert_eq!(postgres_bool("TR"), Some(true));
        assert_eq!(postgres_bool("off"), Some(false));
        assert_eq!(postgres_bool("o"), None);
    }
}
