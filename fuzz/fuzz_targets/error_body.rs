//! Harbor's error body, as `wire::parse_error_body` reads it for every error
//! status: any bytes give entries or `None`, never a panic.

#![no_main]

use harbor_users::wire::parse_error_body;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Some(entries) = parse_error_body(body) {
        for entry in entries {
            // Display joins code and message; it must cope with any text.
            let shown = entry.to_string();
            assert!(shown.contains(entry.code().as_str()));
        }
    }
});
