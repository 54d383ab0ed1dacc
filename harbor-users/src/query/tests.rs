use super::*;

fn time(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

fn parse(q: &str) -> Query {
    q.parse()
        .unwrap_or_else(|error| panic!("`{q}` should parse: {error}"))
}

fn parse_error(q: &str) -> QueryError {
    match q.parse::<Query>() {
        Ok(query) => panic!("`{q}` should be rejected, parsed as {query:?}"),
        Err(error) => error,
    }
}

#[test]
fn exact_values_that_start_like_another_pattern_are_escaped_with_a_backslash() {
    for (value, rendered) in [
        ("~x", r"k=\~x"),
        ("[x", r"k=\[x"),
        ("{x", r"k=\{x"),
        ("(x", r"k=\(x"),
        (r"\x", r"k=\\x"),
        ("", r"k=\"),
    ] {
        let query = Query::new().exact("k", value).expect("an exact value");
        assert_eq!(query.to_string(), rendered, "value {value:?}");
        assert_eq!(parse(rendered), query);
    }
}

#[test]
fn exact_values_are_sent_bare_when_harbor_reads_them_as_they_are() {
    for value in ["x~", "a=b=c", "x]", "  padded  ", "é+%&#", "5", "-1"] {
        let query = Query::new().exact("k", value).expect("an exact value");
        assert_eq!(query.to_string(), format!("k={value}"));
    }
}

#[test]
fn exact_values_of_any_type_are_sent_as_text() {
    let query = Query::new()
        .exact(Field::UserId, 42)
        .and_then(|query| query.exact(Field::SysadminFlag, false))
        .and_then(|query| query.exact(Field::CreationTime, time("2024-05-06T07:08:09")))
        .expect("exact values");
    assert_eq!(
        query.to_string(),
        "user_id=42,sysadmin_flag=false,creation_time=2024-05-06T07:08:09"
    );
    assert_eq!(parse(&query.to_string()), query);
}

#[test]
fn list_items_and_range_bounds_are_quoted_only_when_harbor_would_misread_them() {
    let query = Query::new()
        .any_of(
            "k",
            [
                Value::from("plain"),
                Value::from("12"),
                Value::from("-x"),
                Value::from("+1"),
                Value::from("2024-01-01T00:00:00"),
                Value::from("\ttab"),
                Value::from("tab\t"),
                Value::from("in\"side"),
                Value::Integer(-12),
                Value::Time(time("2024-01-01T00:00:00")),
            ],
        )
        .expect("list items");
    assert_eq!(
        query.to_string(),
        "k={plain \"12\" \"-x\" \"+1\" \"2024-01-01T00:00:00\" \"\ttab\" \"tab\t\" in\"side -12 \
         2024-01-01T00:00:00}"
    );
    assert_eq!(parse(&query.to_string()), query);
}

#[test]
fn range_bounds_may_hold_spaces_and_brackets() {
    let query = Query::new()
        .range(Field::Realname, " Ada [x]", "Zed]")
        .expect("a range");
    assert_eq!(query.to_string(), "realname=[\" Ada [x]\"~Zed]]");
    assert_eq!(parse(&query.to_string()), query);
}

#[test]
fn list_items_may_hold_braces_and_tildes() {
    let query = Query::new()
        .any_of("k", ["}", "{", "~", "a}b"])
        .expect("list items");
    assert_eq!(query.to_string(), "k={} { ~ a}b}");
    assert_eq!(parse(&query.to_string()), query);
}

#[test]
fn empty_lists_render_and_parse_as_empty_lists() {
    let none: [Value; 0] = [];
    let query = Query::new()
        .any_of("a", none.clone())
        .and_then(|query| query.all_of("b", none))
        .expect("empty lists");
    assert_eq!(query.to_string(), "a={},b=()");
    assert_eq!(parse("a={},b=()"), query);
}

#[test]
fn parsing_reads_values_as_harbor_does_time_then_integer_then_trimmed_string() {
    let query =
        parse(r#"k={1 "1" '1' 2006-01-02T15:04:05 2006-01-02T1:04:05 2006-13-01T00:00:00 x"}"#);
    let expected = Query::new()
        .any_of(
            "k",
            [
                Value::Integer(1),
                Value::from("1"),
                Value::from("1"),
                Value::Time(time("2006-01-02T15:04:05")),
                Value::Time(time("2006-01-02T01:04:05")),
                Value::from("2006-13-01T00:00:00"),
                Value::from("x"),
            ],
        )
        .expect("list items");
    assert_eq!(query, expected);
}

#[test]
fn parsing_skips_list_items_harbor_skips() {
    assert_eq!(
        parse(r#"k={a  b "" c }"#),
        Query::new()
            .any_of("k", ["a", "b", "c"])
            .expect("list items")
    );
}

#[test]
fn parsing_trims_range_bounds_like_harbor() {
    assert_eq!(
        parse("k=[ 1 ~ ]"),
        Query::new().at_least("k", 1).expect("a range")
    );
}

#[test]
fn parsing_strips_one_backslash_from_exact_values() {
    assert_eq!(
        parse(r"k=\x"),
        Query::new().exact("k", "x").expect("an exact value")
    );
    assert_eq!(
        parse(r"k=\\x"),
        Query::new().exact("k", r"\x").expect("an exact value")
    );
}

#[test]
fn parsing_an_empty_string_gives_an_empty_query() {
    assert_eq!(parse(""), Query::new());
}

#[test]
fn parsing_rejects_what_harbor_answers_400_to() {
    assert_eq!(
        parse_error("k"),
        QueryError::MissingEquals { term: "k".into() }
    );
    assert_eq!(
        parse_error("=v"),
        QueryError::EmptyKey { term: "=v".into() }
    );
    assert_eq!(
        parse_error("k="),
        QueryError::EmptyValue { term: "k=".into() }
    );
    assert_eq!(
        parse_error("a=1,"),
        QueryError::MissingEquals {
            term: String::new()
        }
    );
    assert_eq!(
        parse_error("k=~"),
        QueryError::EmptyFuzzyValue { key: "k".into() }
    );
    assert_eq!(
        parse_error("k=[~]"),
        QueryError::RangeWithoutBound { key: "k".into() }
    );
    for malformed in [
        "k=[1~2",
        "k=[1~2~3]",
        "k=[12]",
        "k=[",
        "k={a b",
        "k=(a b",
        "k={",
    ] {
        assert!(
            matches!(parse_error(malformed), QueryError::MalformedValue { .. }),
            "{malformed}"
        );
    }
}

#[test]
fn parsing_rejects_what_harbor_accepts_but_the_types_cannot_hold() {
    assert_eq!(
        parse_error("k=1,k=2"),
        QueryError::DuplicateKey { key: "k".into() }
    );
    assert_eq!(
        parse_error(r#"k=[""~5]"#),
        QueryError::EmptyRangeBound { key: "k".into() }
    );
    assert_eq!(
        parse_error("k={2024-01-01T00:00:00.5}"),
        QueryError::FractionalSeconds {
            key: "k".into(),
            value: "2024-01-01T00:00:00.5".into(),
        }
    );
}

#[test]
fn values_harbor_cannot_receive_are_rejected_with_the_key_and_value_named() {
    let cases = [
        (Query::new().exact("email", "a,b"), "`a,b`"),
        (Query::new().fuzzy("email", "a,b"), "`a,b`"),
        (Query::new().fuzzy("email", ""), "`email=~`"),
        (
            Query::new().any_of("realname", ["Ada Lovelace"]),
            "`Ada Lovelace`",
        ),
        (Query::new().any_of("realname", ["a,b"]), "`a,b`"),
        (Query::new().any_of("realname", [""]), "empty string"),
        (Query::new().any_of("realname", ["'x'"]), "`'x'`"),
        (Query::new().any_of("realname", ["x\""]), "`x\"`"),
        (Query::new().range("realname", "a~b", "c"), "`a~b`"),
        (Query::new().at_most("realname", ""), "empty string"),
        (Query::new().at_least("realname", "\"a"), "`\"a`"),
    ];
    for (result, offending) in cases {
        let message = result.expect_err("an invalid value").to_string();
        assert!(
            message.contains("`realname`") || message.contains("`email"),
            "{message}"
        );
        assert!(
            message.contains(offending),
            "{message} should name {offending}"
        );
    }
}

#[test]
fn keys_harbor_cannot_receive_are_rejected() {
    assert_eq!(
        Query::new().exact("a,b", "v"),
        Err(QueryError::ForbiddenCharacterInKey {
            key: "a,b".into(),
            character: ',',
        })
    );
    assert_eq!(
        Query::new().exact("a=b", "v"),
        Err(QueryError::ForbiddenCharacterInKey {
            key: "a=b".into(),
            character: '=',
        })
    );
    assert_eq!(
        Query::new().fuzzy("", "v"),
        Err(QueryError::EmptyKey { term: "=~v".into() })
    );
}

#[test]
fn a_range_needs_a_bound() {
    let unbounded = Term::Range {
        key: Key::new(Field::UserId),
        min: None,
        max: None,
    };
    assert_eq!(
        Query::new().with_term(unbounded),
        Err(QueryError::RangeWithoutBound {
            key: "user_id".into()
        })
    );
}

#[test]
fn a_key_may_appear_once_including_inside_raw_terms() {
    let query = Query::raw("username=~a,email=~b");
    assert_eq!(
        query.exact(Field::Email, "x@y.io"),
        Err(QueryError::DuplicateKey {
            key: "email".into()
        })
    );
    let query = Query::new().raw_term("user_id__gt=3").expect("a raw term");
    assert_eq!(
        query.raw_term("user_id__gt=4"),
        Err(QueryError::DuplicateKey {
            key: "user_id__gt".into()
        })
    );
}

#[test]
fn raw_terms_must_be_one_key_value_pair() {
    assert_eq!(
        Query::new().raw_term("a=1,b=2"),
        Err(QueryError::CommaInRawTerm {
            term: "a=1,b=2".into()
        })
    );
    assert_eq!(
        Query::new().raw_term("a"),
        Err(QueryError::MissingEquals { term: "a".into() })
    );
    assert_eq!(
        Query::new().raw_term("=1"),
        Err(QueryError::EmptyKey { term: "=1".into() })
    );
    assert_eq!(
        Query::new().raw_term("a="),
        Err(QueryError::EmptyValue { term: "a=".into() })
    );
}

#[test]
fn a_raw_query_is_passed_through_unchanged() {
    let text = "anything, at all=~[ {";
    assert_eq!(Query::raw(text).to_string(), text);
    assert!(Query::raw("").is_empty());
}

#[test]
fn to_query_param_encodes_everything_but_unreserved_characters() {
    let query = Query::new()
        .exact("k", "a b+c%d&e=f#g/é~._-")
        .expect("an exact value");
    assert_eq!(
        query.to_query_param(),
        "k%3Da%20b%2Bc%25d%26e%3Df%23g%2F%C3%A9~._-"
    );
}

#[test]
fn keys_split_into_field_and_operator() {
    for (operator, name) in [
        (Operator::IContains, "username__icontains"),
        (Operator::In, "username__in"),
        (Operator::Gte, "username__gte"),
        (Operator::Lte, "username__lte"),
        (Operator::Gt, "username__gt"),
        (Operator::Lt, "username__lt"),
        (Operator::Exact, "username__exact"),
    ] {
        let key = Key::from(name);
        assert_eq!(key, Key::with_operator(Field::Username, operator));
        assert_eq!(key.field(), Field::Username);
        assert_eq!(key.operator(), Some(operator));
    }
    assert_eq!(Key::from("__gt").operator(), None);
    assert_eq!(Key::from("x__other").field(), Field::from("x__other"));
}

#[test]
fn fields_are_equal_when_their_names_are() {
    assert_eq!(Field::Custom("username".into()), Field::Username);
    assert_eq!(Field::from(String::from("update_time")), Field::UpdateTime);
    assert_ne!(Field::from("Username"), Field::Username);
    assert_eq!(
        Key::new(Field::Custom("user_id__gt".into())),
        Key::with_operator(Field::UserId, Operator::Gt)
    );
}

#[test]
fn timestamps_accept_real_times_only() {
    assert!("2000-02-29T00:00:00".parse::<Timestamp>().is_ok());
    assert!("0000-01-01T00:00:00".parse::<Timestamp>().is_ok());
    assert_eq!(
        time("2024-01-02T3:04:05").to_string(),
        "2024-01-02T03:04:05"
    );
    for (input, problem) in [
        ("1900-02-29T00:00:00", "that month has no such day"),
        ("2024-04-31T00:00:00", "that month has no such day"),
        ("2024-13-01T00:00:00", "the month is not between 01 and 12"),
        ("2024-01-01T24:00:00", "the hour is not between 00 and 23"),
        ("2024-01-01T00:60:00", "the minute is not between 00 and 59"),
        ("2024-01-01T00:00:60", "the second is not between 00 and 59"),
        (
            "2024-01-01 00:00:00",
            "expected `T` between the date and the time",
        ),
        (
            "2024-01-01T00:00:00.5",
            "fractional seconds are not supported",
        ),
        ("2024-01-01T00:00:00Z", "there is text after the seconds"),
        ("24-01-01T00:00:00", "the year is not four digits"),
        ("2024-1-01T00:00:00", "the month is not two digits"),
    ] {
        assert_eq!(
            input.parse::<Timestamp>(),
            Err(QueryError::InvalidTimestamp {
                input: input.into(),
                problem,
            })
        );
    }
    assert!(Timestamp::new(10_000, 1, 1, 0, 0, 0).is_err());
}

#[test]
fn sort_renders_descending_keys_behind_a_dash_and_parses_back() {
    let sort = Sort::new()
        .asc(Field::Username)
        .and_then(|sort| sort.desc("creation_time"))
        .and_then(|sort| sort.asc("Custom Key"))
        .expect("a sort");
    assert_eq!(sort.to_string(), "username,-creation_time,Custom Key");
    assert_eq!(sort.to_string().parse::<Sort>(), Ok(sort));
    assert_eq!("".parse::<Sort>(), Ok(Sort::new()));
}

#[test]
fn sort_keys_harbor_cannot_receive_are_rejected() {
    assert_eq!(
        Sort::new().asc("a,b"),
        Err(QueryError::CommaInSortKey { key: "a,b".into() })
    );
    assert_eq!(
        Sort::new().asc("-a"),
        Err(QueryError::DashAtSortKeyStart { key: "-a".into() })
    );
    assert_eq!(
        Sort::new().asc("a").and_then(|sort| sort.desc("")),
        Err(QueryError::EmptySortKey { sort: "a,-".into() })
    );
    assert_eq!(
        "a,,b".parse::<Sort>(),
        Err(QueryError::EmptySortKey {
            sort: "a,,b".into()
        })
    );
    assert_eq!(
        "a,--b".parse::<Sort>(),
        Err(QueryError::DashAtSortKeyStart { key: "-b".into() })
    );
}
