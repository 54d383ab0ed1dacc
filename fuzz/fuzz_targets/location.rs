//! The `Location` of a created user: any text gives a positive id on the
//! API's own origin, or a reason that quotes it.

#![no_main]

use harbor_users::{Url, wire::parse_location};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|location: &str| {
    let Ok(base) = Url::parse("https://harbor.example.com/prefix/api/v2.0/") else {
        return;
    };
    match parse_location(location, &base) {
        Ok(id) => assert!(id.get() > 0, "{location:?} gave {id}"),
        Err(error) => {
            let trimmed = location.trim();
            assert!(trimmed.is_empty() || error.reason().contains(trimmed));
        }
    }
});
