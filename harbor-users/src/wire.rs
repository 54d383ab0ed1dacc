//! The readers for what Harbor sends besides a success's JSON body: its
//! error body, the `Location` of a created user, `X-Total-Count`, and the
//! redaction of secrets from bodies quoted in errors.
//!
//! The client's operations call these same functions; they are public so
//! that they can be fuzzed (see the workspace's `fuzz/` directory) and used
//! by code that talks to Harbor through [`HarborClient::raw`]. Each one takes
//! text exactly as a server sent it, never panics, and says what is wrong
//! with a value it refuses.
//!
//! [`HarborClient::raw`]: crate::HarborClient::raw

use std::fmt;

use serde::Deserialize;
use url::Url;

use crate::{ErrorCode, HarborErrorEntry, UserId};

/// Why a value Harbor sent could not be read.
///
/// ```
/// let error = harbor_users::wire::parse_total_count("many").unwrap_err();
/// assert_eq!(error.to_string(), "`many` is not a number of items");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    reason: String,
}

impl WireError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// What is wrong with the value, quoting it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for WireError {}

/// Harbor's error body: `{"errors":[{"code":"NOT_FOUND","message":"…"}]}`.
#[derive(Deserialize)]
struct Envelope {
    errors: Vec<EnvelopeEntry>,
}

#[derive(Deserialize)]
struct EnvelopeEntry {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The entries of Harbor's error body, or `None` when `body` is not one (a
/// proxy's HTML page, an empty body, JSON of another shape).
///
/// An entry without a code or message gets an empty one; fields other than
/// `errors`, `code` and `message` are ignored.
///
/// ```
/// use harbor_users::{ErrorCode, wire::parse_error_body};
///
/// let body = br#"{"errors":[{"code":"NOT_FOUND","message":"user 42 not found"}]}"#;
/// let entries = parse_error_body(body).unwrap_or_default();
/// assert_eq!(entries[0].code(), &ErrorCode::NotFound);
/// assert_eq!(entries[0].message(), "user 42 not found");
///
/// assert_eq!(parse_error_body(b"<html>502 Bad Gateway</html>"), None);
/// assert_eq!(parse_error_body(br#"{"errors":null}"#), None);
/// ```
pub fn parse_error_body(body: &[u8]) -> Option<Vec<HarborErrorEntry>> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let entries = envelope
        .errors
        .into_iter()
        .map(|entry| {
            HarborErrorEntry::new(
                ErrorCode::from(entry.code.as_deref().unwrap_or_default()),
                entry.message.unwrap_or_default(),
            )
        })
        .collect();
    Some(entries)
}

/// The id of a created user, from the `Location` header of Harbor's
/// `201 Created`, given the API base the request went to (such as
/// [`HarborClient::base_url`](crate::HarborClient::base_url)).
///
/// Harbor sends a path, `/api/v2.0/users/42`. An absolute URL is accepted
/// when it has the origin (scheme, host and port) of `api_base`, as a proxy
/// may write one. **An absolute URL on another origin is refused**: an id is
/// only meaningful on the server that gave it, and returning one named by
/// another server could make the caller's next call change or delete the
/// wrong account. The URL is never requested either way.
///
/// The path must end in `/users/` and a positive decimal id; a query,
/// fragment or trailing `/` is ignored.
///
/// ```
/// use harbor_users::{UserId, Url, wire::parse_location};
///
/// let base = Url::parse("https://harbor.example.com/api/v2.0/")?;
/// assert_eq!(parse_location("/api/v2.0/users/42", &base), Ok(UserId::from(42)));
/// assert_eq!(
///     parse_location("https://harbor.example.com/api/v2.0/users/7", &base),
///     Ok(UserId::from(7))
/// );
///
/// let elsewhere = parse_location("https://evil.example.net/api/v2.0/users/7", &base);
/// assert!(elsewhere.is_err_and(|e| e.reason().contains("another server")));
/// assert!(parse_location("/api/v2.0/users/abc", &base).is_err());
/// # Ok::<(), url::ParseError>(())
/// ```
pub fn parse_location(location: &str, api_base: &Url) -> Result<UserId, WireError> {
    let location = location.trim();
    if location.is_empty() {
        return Err(WireError::new("the Location header is empty"));
    }
    let url = api_base
        .join(location)
        .map_err(|error| WireError::new(format!("`{location}` is not a URL or path ({error})")))?;
    if url.origin() != api_base.origin() {
        return Err(WireError::new(format!(
            "`{location}` points at another server than {}, the one that was asked",
            api_base.origin().ascii_serialization()
        )));
    }

    let path = url.path().trim_end_matches('/');
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| WireError::new(format!("`{location}` has no path")))?;
    if !parent.ends_with("/users") {
        return Err(WireError::new(format!("`{location}` is not under /users/")));
    }
    if last.is_empty() || !last.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(WireError::new(format!(
            "`{location}` does not end in a user id"
        )));
    }
    match last.parse::<i64>() {
        Ok(id) if id > 0 => Ok(UserId::from(id)),
        Ok(_) => Err(WireError::new(format!(
            "`{location}` ends in 0, which is not a user id"
        ))),
        Err(_) => Err(WireError::new(format!(
            "`{location}` ends in an id too large for Harbor"
        ))),
    }
}

/// The number of items of a listing, from its `X-Total-Count` header.
///
/// Surrounding spaces are ignored; anything but a non-negative decimal
/// integer that fits in a `u64` is refused.
///
/// ```
/// use harbor_users::wire::parse_total_count;
///
/// assert_eq!(parse_total_count("10000"), Ok(10_000));
/// assert_eq!(parse_total_count(" 0 "), Ok(0));
/// assert!(parse_total_count("-1").is_err_and(|e| e.reason().contains("negative")));
/// assert!(parse_total_count("1e3").is_err());
/// ```
pub fn parse_total_count(value: &str) -> Result<u64, WireError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(WireError::new("the X-Total-Count header is empty"));
    }
    let digits = text.strip_prefix('+').unwrap_or(text);
    if let Some(negative) = digits.strip_prefix('-')
        && !negative.is_empty()
        && negative.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(WireError::new(format!(
            "`{text}` is negative, not a number of items"
        )));
    }
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) || digits.is_empty() {
        return Err(WireError::new(format!("`{text}` is not a number of items")));
    }
    digits
        .parse()
        .map_err(|_| WireError::new(format!("`{text}` is larger than any listing can be")))
}

/// `text` with the value of every JSON field whose name contains `secret`
/// or `password` (in any case) replaced by `"***"`, for quoting a body in
/// an error or a log.
///
/// It works on text, not on parsed JSON, so that a body cut short or
/// otherwise broken (the bodies that end up quoted in errors) is redacted
/// too: a value that never ends is hidden up to the end of the text.
/// Escapes in field names are understood; everything else is kept as sent.
///
/// ```
/// use harbor_users::wire::redact_secrets;
///
/// let body = r#"{"user_id":3,"oidc_user_meta":{"secret":"CliSecret9"}}"#;
/// assert_eq!(redact_secrets(body), r#"{"user_id":3,"oidc_user_meta":{"secret":"***"}}"#);
///
/// // A body cut off inside the secret still hides it.
/// assert_eq!(redact_secrets(r#"{"password":"Harb"#), r#"{"password":"***""#);
/// ```
pub fn redact_secrets(text: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut index = 0;
    while let Some(offset) = text.get(index..).and_then(|rest| rest.find('"')) {
        let start = index + offset;
        redacted.push_str(text.get(index..start).unwrap_or_default());
        let (end, name) = read_string(text, start);
        redacted.push_str(text.get(start..end).unwrap_or_default());
        index = end;

        let colon = skip_whitespace(text, end);
        if !text.get(colon..).is_some_and(|rest| rest.starts_with(':')) || !is_sensitive(&name) {
            continue;
        }
        let value_start = skip_whitespace(text, colon + 1);
        redacted.push_str(text.get(end..value_start).unwrap_or_default());
        let value_end = skip_value(text, value_start);
        if value_end > value_start {
            redacted.push_str("\"***\"");
        }
        index = value_end;
    }
    redacted.push_str(text.get(index..).unwrap_or_default());
    redacted
}

fn is_sensitive(name: &str) -> bool {
    let name = name.to_lowercase();
    name.contains("secret") || name.contains("password")
}

/// The end of the JSON string starting at the quote at `start` (just past
/// its closing quote, or the end of `text`), and its unescaped content.
fn read_string(text: &str, start: usize) -> (usize, String) {
    let mut content = String::new();
    let mut chars = text.get(start + 1..).unwrap_or_default().char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return (start + 1 + offset + 1, content),
            '\\' => match chars.next() {
                Some((_, 'u')) => {
                    let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                    let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                    content.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                Some((_, escaped)) => content.push(escaped),
                None => break,
            },
            other => content.push(other),
        }
    }
    (text.len(), content)
}

/// The first index at or after `index` that is not JSON whitespace.
fn skip_whitespace(text: &str, index: usize) -> usize {
    let rest = text.get(index..).unwrap_or_default();
    let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
    index + (rest.len() - trimmed.len())
}

/// The end of the JSON value starting at `start`: a string, an object or
/// array (brackets counted outside strings), or a scalar up to the next
/// delimiter. Broken values run to the end of `text`.
fn skip_value(text: &str, start: usize) -> usize {
    let rest = text.get(start..).unwrap_or_default();
    match rest.chars().next() {
        None => start,
        Some('"') => read_string(text, start).0,
        Some('{' | '[') => {
            let mut depth = 0usize;
            let mut index = start;
            while let Some(c) = text.get(index..).and_then(|rest| rest.chars().next()) {
                match c {
                    '"' => {
                        index = read_string(text, index).0;
                        continue;
                    }
                    '{' | '[' => depth += 1,
                    '}' | ']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return index + 1;
                        }
                    }
                    _ => {}
                }
                index += c.len_utf8();
            }
            text.len()
        }
        Some(_) => {
            let length = rest
                .find([',', '}', ']', ' ', '\t', '\n', '\r'])
                .unwrap_or(rest.len());
            start + length
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://harbor.example.com/api/v2.0/").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn locations_give_the_new_id_or_say_why_not() {
        let base = base();
        assert_eq!(
            parse_location("/api/v2.0/users/42", &base),
            Ok(UserId::from(42))
        );
        assert_eq!(
            parse_location("https://harbor.example.com:443/api/v2.0/users/7/", &base),
            Ok(UserId::from(7))
        );
        assert_eq!(
            parse_location("/api/v2.0/users/9?x=1#top", &base),
            Ok(UserId::from(9))
        );
        for bad in [
            "",
            "   ",
            "/api/v2.0/users/",
            "/api/v2.0/users/abc",
            "/api/v2.0/users/-3",
            "/api/v2.0/users/0",
            "/api/v2.0/users/+3",
            "/api/v2.0/users/4%32",
            "/api/v2.0/projects/3",
            "/api/v2.0/users/99999999999999999999",
            "http://harbor.example.com/api/v2.0/users/3",
            "https://harbor.example.com:8443/api/v2.0/users/3",
            "//other.example.com/api/v2.0/users/3",
            "https://other.example.com/api/v2.0/users/3",
        ] {
            let refused = parse_location(bad, &base);
            assert!(refused.is_err(), "{bad:?} should be refused: {refused:?}");
        }
    }

    #[test]
    fn totals_are_non_negative_integers() {
        assert_eq!(parse_total_count("0"), Ok(0));
        assert_eq!(parse_total_count("+12"), Ok(12));
        assert_eq!(parse_total_count("18446744073709551615"), Ok(u64::MAX));
        for (bad, named) in [
            ("", "empty"),
            ("-1", "negative"),
            ("-0", "negative"),
            ("12 items", "not a number"),
            ("0x10", "not a number"),
            ("-", "not a number"),
            ("+", "not a number"),
            ("18446744073709551616", "larger"),
        ] {
            let reason = parse_total_count(bad)
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default();
            assert!(reason.contains(named), "{bad:?}: {reason}");
        }
    }

    #[test]
    fn redaction_hides_secret_and_password_values_of_any_shape() {
        let body = r#"{"username":"bob","oidc_user_meta":{"Secret" : "TopSecret1"},
                       "list":[{"new_password":"Passw0rd!"}],"client_secret":123456,
                       "pass\u0077ord":{"nested":["Hidden1"]},"note":"a \"secret\" here"}"#;
        let shown = redact_secrets(body);
        for hidden in ["TopSecret1", "Passw0rd!", "123456", "Hidden1"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert!(shown.contains("bob"), "{shown}");
        assert!(shown.contains(r#""note":"a \"secret\" here""#), "{shown}");
        assert_eq!(
            redact_secrets("<html>secret: x</html>"),
            "<html>secret: x</html>"
        );
        assert_eq!(redact_secrets(""), "");
        assert_eq!(redact_secrets(r#"{"secret":"#), r#"{"secret":"#);
        assert_eq!(
            redact_secrets(r#"{"secret":["un", "finished"#),
            r#"{"secret":"***""#
        );
    }
}
