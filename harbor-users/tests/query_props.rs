//! The `q` and `sort` builders checked against a model of how Harbor receives and reads them:
//! the URL the HTTP layer builds, Harbor's two decodings of `q`, and a port of Harbor's `q` parser
//! (`src/lib/q/builder.go`), written apart from the crate's own parser.

use harbor_users::query::{
    Field, Key, Operator, Order, Query, QueryError, Sort, Term, Timestamp, Value,
};
use percent_encoding::percent_decode_str;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// The query string `reqwest`'s `.query(&[("q", param)])` sends: one form encoding.
fn wire(param: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", param)
        .finish()
}

/// The `q` Harbor parses from a query string: Go's `url.ParseQuery` decodes it once, then
/// Harbor's `url.QueryUnescape` decodes it again, or keeps the once-decoded text when that fails.
fn harbor_decode(query_string: &str) -> String {
    let once = url::form_urlencoded::parse(query_string.as_bytes())
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    go_query_unescape(&once).unwrap_or(once)
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte, and any other `%` an error.
fn go_query_unescape(text: &str) -> Option<String> {
    let well_formed = text.match_indices('%').all(|(at, _)| {
        text.as_bytes()
            .get(at + 1..at + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    let spaced = text.replace('+', " ");
    let decoded = percent_decode_str(&spaced).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

/// What Harbor's parser makes of one value, with times kept as their text.
#[derive(Debug, Clone, PartialEq)]
enum HarborValue {
    Text(String),
    Integer(i64),
    Time(String),
    Fuzzy(String),
    Range(Option<Box<HarborValue>>, Option<Box<HarborValue>>),
    OrList(Vec<HarborValue>),
    AndList(Vec<HarborValue>),
}

/// A port of Harbor's `parseKeywords`, `parsePattern` and `parseValue`.
fn harbor_parse(q: &str) -> Result<Vec<(String, HarborValue)>, String> {
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let mut keywords: Vec<(String, HarborValue)> = Vec::new();
    for param in q.split(',') {
        let (key, value) = param
            .split_once('=')
            .filter(|(key, value)| !key.is_empty() && !value.is_empty())
            .ok_or("the query string must contain \"=\" and the key/value cannot be empty")?;
        let parsed = harbor_parse_pattern(value).ok_or(format!("invalid value: {value}"))?;
        keywords.retain(|(seen, _)| seen != key);
        keywords.push((key.to_owned(), parsed));
    }
    Ok(keywords)
}

fn harbor_parse_pattern(value: &str) -> Option<HarborValue> {
    let first = value.chars().next()?;
    let last = value.chars().last()?;
    let inner = || value.get(1..value.len() - 1).unwrap_or("");
    match first {
        '~' if value.len() < 2 => None,
        '~' => Some(HarborValue::Fuzzy(value[1..].to_owned())),
        '[' if last != ']' || value.matches('~').count() != 1 => None,
        '[' => {
            let (min, max) = inner().split_once('~')?;
            let (min, max) = (min.trim(), max.trim());
            if min.is_empty() && max.is_empty() {
                return None;
            }
            let bound = |text: &str| (!text.is_empty()).then(|| Box::new(harbor_parse_value(text)));
            Some(HarborValue::Range(bound(min), bound(max)))
        }
        '{' if last != '}' => None,
        '{' => Some(HarborValue::OrList(harbor_parse_list(inner()))),
        '(' if last != ')' => None,
        '(' => Some(HarborValue::AndList(harbor_parse_list(inner()))),
        '\\' => Some(HarborValue::Text(value[1..].to_owned())),
        _ => Some(HarborValue::Text(value.to_owned())),
    }
}

fn harbor_parse_list(inner: &str) -> Vec<HarborValue> {
    inner
        .split(' ')
        .map(harbor_parse_value)
        .filter(|value| *value != HarborValue::Text(String::new()))
        .collect()
}

fn harbor_parse_value(value: &str) -> HarborValue {
    let value = value.trim();
    if looks_like_go_time(value) {
        return HarborValue::Time(value.to_owned());
    }
    if let Ok(integer) = value.parse::<i64>() {
        return HarborValue::Integer(integer);
    }
    HarborValue::Text(value.trim_matches(['"', '\'']).to_owned())
}

/// The shape Go's `time.Parse("2006-01-02T15:04:05", ..)` accepts, without its calendar checks:
/// enough to notice text that was sent unquoted but reads as a time.
fn looks_like_go_time(value: &str) -> bool {
    let shape = |pattern: &str| {
        value.len() == pattern.len()
            && value
                .bytes()
                .zip(pattern.bytes())
                .all(|(byte, expected)| match expected {
                    b'd' => byte.is_ascii_digit(),
                    other => byte == other,
                })
    };
    shape("dddd-dd-ddTdd:dd:dd") || shape("dddd-dd-ddTd:dd:dd")
}

/// What Harbor should make of a query built from typed terms.
fn expected_reading(query: &Query) -> Vec<(String, HarborValue)> {
    let value = |value: &Value| match value {
        Value::Text(text) => HarborValue::Text(text.clone()),
        Value::Integer(integer) => HarborValue::Integer(*integer),
        Value::Time(time) => HarborValue::Time(time.to_string()),
    };
    let bound = |bound: &Option<Value>| bound.as_ref().map(|bound| Box::new(value(bound)));
    query
        .terms()
        .iter()
        .map(|term| {
            let reading = match term {
                Term::Exact { value, .. } => HarborValue::Text(value.clone()),
                Term::Fuzzy { value, .. } => HarborValue::Fuzzy(value.clone()),
                Term::Range { min, max, .. } => HarborValue::Range(bound(min), bound(max)),
                Term::AnyOf { values, .. } => {
                    HarborValue::OrList(values.iter().map(value).collect())
                }
                Term::AllOf { values, .. } => {
                    HarborValue::AndList(values.iter().map(value).collect())
                }
                other => panic!("no expectation written for {other:?}"),
            };
            let key = term.key().map(|key| key.to_string()).unwrap_or_default();
            (key, reading)
        })
        .collect()
}

/// The texts an error must quote for whoever reads it to find the problem.
fn named_parts(error: &QueryError) -> Vec<String> {
    match error {
        QueryError::EmptyKey { term }
        | QueryError::EmptyValue { term }
        | QueryError::CommaInRawTerm { term }
        | QueryError::MissingEquals { term } => vec![term.clone()],
        QueryError::ForbiddenCharacterInKey { key, character } => {
            vec![key.clone(), character.to_string()]
        }
        QueryError::EmptyFuzzyValue { key }
        | QueryError::EmptyListItem { key }
        | QueryError::EmptyRangeBound { key }
        | QueryError::RangeWithoutBound { key }
        | QueryError::DuplicateKey { key }
        | QueryError::CommaInSortKey { key }
        | QueryError::DashAtSortKeyStart { key } => vec![key.clone()],
        QueryError::CommaInValue { key, value }
        | QueryError::QuoteAtEdge { key, value }
        | QueryError::FractionalSeconds { key, value }
        | QueryError::MalformedValue { key, value, .. } => vec![key.clone(), value.clone()],
        QueryError::SpaceInListItem { key, item } => vec![key.clone(), item.clone()],
        QueryError::TildeInRangeBound { key, bound } => vec![key.clone(), bound.clone()],
        QueryError::InvalidTimestamp { input, .. } => vec![input.clone()],
        QueryError::EmptySortKey { sort } => vec![sort.clone()],
        other => panic!("no named parts written for {other:?}"),
    }
}

fn assert_names_its_problem(error: &QueryError) {
    let message = error.to_string();
    for part in named_parts(error) {
        assert!(
            message.contains(&format!("`{part}`")),
            "`{message}` should quote `{part}`"
        );
    }
}

#[test]
fn harbor_decodes_the_wire_back_to_the_rendered_query() -> Result<(), QueryError> {
    let queries = [
        Query::new().exact(Field::Comment, "R&D + QA = 100% #1")?,
        Query::new().fuzzy(Field::Email, "+ops@x.io")?,
        Query::new().fuzzy(Field::Realname, "%41%zz%")?,
        Query::new().exact(Field::Realname, "Zoë Ünal 中文")?,
        Query::new().exact(Field::Comment, "~{tilde}")?,
        Query::new().any_of(
            Field::Username,
            ["a&b", "c+d", "e%41", "ö", "=x", "#y", "~z", "{w"],
        )?,
        Query::new().range(Field::Realname, "a b+c", "{%}")?,
        Query::raw("username=~a+b&c=d%2B,email=~ x"),
    ];
    for query in queries {
        let sent = wire(&query.to_query_param());
        assert_eq!(harbor_decode(&sent), query.to_string(), "sent as {sent}");
    }
    Ok(())
}

#[test]
fn a_literal_plus_goes_on_the_wire_as_percent_252b() -> Result<(), QueryError> {
    let query = Query::new().fuzzy(Field::Email, "a+b")?;
    assert_eq!(wire(&query.to_query_param()), "q=email%253D%7Ea%252Bb");
    Ok(())
}

#[test]
fn spaces_inside_a_list_survive_both_decodings() -> Result<(), QueryError> {
    let query = Query::new().any_of(Field::Username, ["alice", "bob"])?;
    let received = harbor_decode(&wire(&query.to_query_param()));
    assert_eq!(received, "username={alice bob}");
    assert_eq!(
        harbor_parse(&received),
        Ok(vec![(
            "username".to_owned(),
            HarborValue::OrList(vec![
                HarborValue::Text("alice".into()),
                HarborValue::Text("bob".into())
            ])
        )])
    );
    Ok(())
}

#[test]
fn encoding_only_once_would_corrupt_plus_and_percent() -> Result<(), QueryError> {
    let query = Query::new().fuzzy(Field::Email, "a+b%41")?;
    assert_eq!(harbor_decode(&wire(&query.to_string())), "email=~a bA");
    assert_eq!(
        harbor_decode(&wire(&query.to_query_param())),
        "email=~a+b%41"
    );
    Ok(())
}

/// Text rich in the characters that matter to Harbor's grammar, to the two decodings and to
/// Unicode, with plain text more likely so that most terms are valid.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9\\[\\]{}()\\\\%+&#=@/.:é中_-]{0,10}",
        1 => "[a-z0-9 ,=~\\[\\]{}()\\\\\"'%+&#;?\t\n\u{a0}é-]{0,10}",
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Username),
        Just(Field::Email),
        Just(Field::Realname),
        Just(Field::Comment),
        Just(Field::UserId),
        Just(Field::SysadminFlag),
        Just(Field::CreationTime),
        Just(Field::UpdateTime),
        Just(Field::UsernameOrEmail),
        text().prop_map(Field::Custom),
    ]
}

fn operator() -> impl Strategy<Value = Operator> {
    prop_oneof![
        Just(Operator::IContains),
        Just(Operator::In),
        Just(Operator::Gte),
        Just(Operator::Lte),
        Just(Operator::Gt),
        Just(Operator::Lt),
        Just(Operator::Exact),
    ]
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        3 => field().prop_map(Key::new),
        1 => (field(), operator())
            .prop_map(|(field, operator)| Key::with_operator(field, operator)),
        1 => text().prop_map(Key::from),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0u16..=9999, 1u8..=12, 1u8..=31, 0u8..24, 0u8..60, 0u8..60).prop_filter_map(
        "a day that exists",
        |(year, month, day, hour, minute, second)| {
            Timestamp::new(year, month, day, hour, minute, second).ok()
        },
    )
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => text().prop_map(Value::Text),
        1 => "[0-9+-][0-9a-z:T-]{0,19}".prop_map(Value::Text),
        1 => timestamp().prop_map(|time| Value::Text(time.to_string())),
        1 => any::<i64>().prop_map(Value::Integer),
        1 => timestamp().prop_map(Value::Time),
    ]
}

fn typed_term() -> impl Strategy<Value = Term> {
    prop_oneof![
        (key(), text()).prop_map(|(key, value)| Term::Exact { key, value }),
        (key(), text()).prop_map(|(key, value)| Term::Fuzzy { key, value }),
        (key(), option::of(value()), option::of(value())).prop_map(|(key, min, max)| Term::Range {
            key,
            min,
            max
        }),
        (key(), vec(value(), 0..4)).prop_map(|(key, values)| Term::AnyOf { key, values }),
        (key(), vec(value(), 0..4)).prop_map(|(key, values)| Term::AllOf { key, values }),
    ]
}

/// A query from the terms that the builder accepts, checking each rejection on the way.
fn build(terms: Vec<Term>) -> Query {
    terms.into_iter().fold(Query::new(), |query, term| {
        match query.clone().with_term(term) {
            Ok(longer) => longer,
            Err(error) => {
                assert_names_its_problem(&error);
                query
            }
        }
    })
}

proptest! {
    #[test]
    fn every_built_query_parses_back_to_itself(terms in vec(typed_term(), 0..5)) {
        let query = build(terms);
        prop_assert_eq!(query.to_string().parse::<Query>(), Ok(query));
    }

    #[test]
    fn harbor_reads_every_built_query_as_its_terms(terms in vec(typed_term(), 0..5)) {
        let query = build(terms);
        prop_assert_eq!(harbor_parse(&query.to_string()), Ok(expected_reading(&query)));
    }

    #[test]
    fn harbor_decodes_the_wire_form_of_every_query_to_its_rendering(
        terms in vec(typed_term(), 0..4),
        raw_term in text(),
        raw_query in any::<String>(),
    ) {
        let typed = build(terms);
        let with_raw_term = typed.clone().raw_term(raw_term).unwrap_or_default();
        for query in [typed, with_raw_term, Query::raw(raw_query)] {
            let sent = wire(&query.to_query_param());
            prop_assert_eq!(harbor_decode(&sent), query.to_string());
        }
    }

    #[test]
    fn parsing_any_text_never_panics_and_is_stable(
        q in prop_oneof![
            any::<String>(),
            "([a-z_]{0,3}=?[~\\[{(\\\\]?[a-z0-9 ~\"'\\-:T.,\\]})]{0,12},?){0,3}",
        ],
    ) {
        match q.parse::<Query>() {
            Ok(query) => {
                prop_assert_eq!(query.to_string().parse::<Query>(), Ok(query.clone()));
                prop_assert!(harbor_parse(&q).is_ok(), "Harbor rejects `{}`", q);
            }
            Err(error) => assert_names_its_problem(&error),
        }
        if let Err(error) = q.parse::<Sort>() {
            assert_names_its_problem(&error);
        }
        if let Err(error) = q.parse::<Timestamp>() {
            assert_names_its_problem(&error);
        }
    }

    #[test]
    fn building_from_any_text_never_panics_and_names_every_problem(
        key in any::<String>(),
        value in any::<String>(),
        items in vec(any::<String>(), 0..3),
    ) {
        let attempts = [
            Query::new().exact(key.as_str(), value.as_str()),
            Query::new().fuzzy(key.as_str(), value.as_str()),
            Query::new().range(key.as_str(), value.as_str(), value.as_str()),
            Query::new().at_least(key.as_str(), value.as_str()),
            Query::new().at_most(key.as_str(), value.as_str()),
            Query::new().any_of(key.as_str(), items.clone()),
            Query::new().all_of(key.as_str(), items.clone()),
        ];
        for attempt in attempts {
            match attempt {
                Ok(query) => prop_assert_eq!(query.to_string().parse::<Query>(), Ok(query)),
                Err(error) => assert_names_its_problem(&error),
            }
        }
        match Query::new().raw_term(value.clone()) {
            Ok(query) => prop_assert_eq!(query.to_string(), value.as_str()),
            Err(error) => assert_names_its_problem(&error),
        }
        match Sort::new().asc(key.as_str()).and_then(|sort| sort.desc(value.as_str())) {
            Ok(sort) => prop_assert_eq!(sort.to_string().parse::<Sort>(), Ok(sort)),
            Err(error) => assert_names_its_problem(&error),
        }
    }

    #[test]
    fn every_timestamp_renders_to_text_that_parses_back(time in timestamp()) {
        prop_assert_eq!(time.to_string().parse::<Timestamp>(), Ok(time));
        prop_assert!(looks_like_go_time(&time.to_string()));
    }
}

/// How Harbor reads `sort`: decoded once with the rest of the query string,
/// split at commas, and a leading `-` for descending.
fn harbor_read_sort(query_string: &str) -> Vec<(String, bool)> {
    let sort = url::form_urlencoded::parse(query_string.as_bytes())
        .find(|(key, _)| key == "sort")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    if sort.is_empty() {
        return Vec::new();
    }
    sort.split(',')
        .map(|key| match key.strip_prefix('-') {
            Some(name) => (name.to_owned(), true),
            None => (key.to_owned(), false),
        })
        .collect()
}

proptest! {
    #[test]
    fn every_built_sort_parses_back_and_reaches_harbor_as_its_keys(
        keys in vec((field(), any::<bool>()), 0..5),
    ) {
        let mut sort = Sort::new();
        let mut accepted = Vec::new();
        for (field, descending) in keys {
            let order = if descending { Order::Descending } else { Order::Ascending };
            match sort.clone().then(field.clone(), order) {
                Ok(longer) => {
                    sort = longer;
                    accepted.push((field.as_str().to_owned(), descending));
                }
                Err(error) => assert_names_its_problem(&error),
            }
        }

        prop_assert_eq!(sort.to_string().parse::<Sort>(), Ok(sort.clone()));
        let sent = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("sort", &sort.to_query_param())
            .finish();
        prop_assert_eq!(harbor_read_sort(&sent), accepted);
    }

    #[test]
    fn a_sort_key_with_a_comma_or_a_leading_dash_is_refused_naming_it(
        before in "[a-z_]{0,6}",
        after in "[a-z_]{0,6}",
        dash in any::<bool>(),
    ) {
        let name = if dash { format!("-{before}{after}") } else { format!("{before},{after}") };
        let error = Sort::new().asc(name.as_str()).err();
        prop_assert!(error.is_some(), "`{}` was accepted", name);
        if let Some(error) = error {
            assert_names_its_problem(&error);
        }
    }
}
