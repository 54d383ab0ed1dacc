//! Go's `net/url` query handling, which Harbor's `q` decoding and `Link` header depend on.
//!
//! Go's `QueryUnescape` turns `+` into a space and rejects a malformed `%` escape, unlike the
//! lenient decoders of the Rust ecosystem, so the few functions Harbor relies on are ported
//! here with their exact rules.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Go's `url.Values`: keys in byte order (as `Encode` sorts them), each with its values.
pub(crate) type Values = BTreeMap<String, Vec<String>>;

/// Go's `url.QueryUnescape`. The error is Go's message for the first bad escape.
pub(crate) fn query_unescape(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let high = bytes.get(index + 1).and_then(|&b| hex_value(b));
                let low = bytes.get(index + 2).and_then(|&b| hex_value(b));
                match (high, low) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        index += 3;
                    }
                    _ => {
                        let end = (index + 3).min(bytes.len());
                        let bad = String::from_utf8_lossy(&bytes[index..end]);
                        return Err(format!(
                            "invalid URL escape {}",
                            crate::gojson::go_quote(&bad)
                        ));
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// Go's `url.QueryEscape` keeps only ASCII letters, digits and `-_.~`, and writes spaces as `+`.
const QUERY_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(text: &str) -> String {
    text.split(' ')
        .map(|part| utf8_percent_encode(part, QUERY_ESCAPE).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// Go's `url.ParseQuery`: the values, or the error Harbor's URL middleware answers with.
/// Like Go, parsing goes on after an error, and a `;` error wins over an escape error.
pub(crate) fn parse_query_strict(raw: &str) -> Result<Values, String> {
    let mut values = Values::new();
    let mut error = None;
    for pair in raw.split('&') {
        if pair.contains(';') {
            error = Some("invalid semicolon separator in query".to_string());
            continue;
        }
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = query_unescape(key).and_then(|key| Ok((key, query_unescape(value)?)));
        match decoded {
            Ok((key, value)) => values.entry(key).or_default().push(value),
            Err(message) => {
                error.get_or_insert(message);
            }
        }
    }
    match error {
        Some(message) => Err(message),
        None => Ok(values),
    }
}

/// Go's `URL.Query()`: like [`parse_query_strict`] but bad pairs are silently dropped.
pub(crate) fn parse_query_lenient(raw: &str) -> Values {
    let mut values = Values::new();
    for pair in raw.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if let (Ok(key), Ok(value)) = (query_unescape(key), query_unescape(value)) {
            values.entry(key).or_default().push(value);
        }
    }
    values
}

/// Go's `Values.Encode`: keys sorted, every value escaped.
pub(crate) fn encode(values: &Values) -> String {
    let mut out = String::new();
    for (key, list) in values {
        let key = query_escape(key);
        for value in list {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&key);
            out.push('=');
            out.push_str(&query_escape(value));
        }
    }
    out
}

/// Go's `Values.Get`: the first value of a key, or "".
pub(crate) fn first<'a>(values: &'a Values, key: &str) -> &'a str {
    values
        .get(key)
        .and_then(|list| list.first())
        .map_or("", String::as_str)
}

/// What go-swagger binds for a query parameter: the last value given, if the key is present.
pub(crate) fn last<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    values
        .get(key)
        .and_then(|list| list.last())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_turns_plus_into_space_and_rejects_bad_escapes() {
        assert_eq!(query_unescape("a+b%2Bc"), Ok("a b+c".to_string()));
        assert_eq!(
            query_unescape("100%"),
            Err("invalid URL escape \"%\"".to_string())
        );
        assert_eq!(
            query_unescape("%zz1"),
            Err("invalid URL escape \"%zz\"".to_string())
        );
    }

    #[test]
    fn escape_matches_go() {
        assert_eq!(query_escape("a b~c*d/é"), "a+b~c%2Ad%2F%C3%A9");
    }

    #[test]
    fn strict_parse_reports_semicolons() {
        assert_eq!(
            parse_query_strict("a=1;b=2"),
            Err("invalid semicolon separator in query".to_string())
        );
        let values = parse_query_strict("b=2&a=1&a=3").expect("valid query");
        assert_eq!(encode(&values), "a=1&a=3&b=2");
    }
}
