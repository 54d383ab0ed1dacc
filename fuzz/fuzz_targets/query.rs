//! The `q` and `sort` parsers: any text parses to a value whose rendering
//! parses back to it, or to an error; the wire form of a parsed query never
//! panics either.

#![no_main]

use harbor_users::query::{Query, Sort};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(query) = text.parse::<Query>() {
        let rendered = query.to_string();
        assert_eq!(rendered.parse::<Query>().ok(), Some(query.clone()));
        let _ = query.to_query_param();
    }
    if let Ok(sort) = text.parse::<Sort>() {
        assert_eq!(sort.to_string().parse::<Sort>().ok(), Some(sort));
    }
});
