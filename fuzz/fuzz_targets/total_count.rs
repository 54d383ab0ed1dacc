//! `X-Total-Count`: any text gives a count that reads back from its own
//! rendering, or a reason that quotes it.

#![no_main]

use harbor_users::wire::parse_total_count;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &str| {
    match parse_total_count(value) {
        Ok(count) => assert_eq!(parse_total_count(&count.to_string()), Ok(count)),
        Err(error) => {
            let trimmed = value.trim();
            assert!(trimmed.is_empty() || error.reason().contains(trimmed));
        }
    }
});
