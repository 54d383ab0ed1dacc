//! Harbor's profile and password rules, checked in Harbor's order with Harbor's messages.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::ApiError;

const WEAK_SECRET: &str = "the password or secret must be 8-128, inclusively, characters long \
                           with at least 1 uppercase letter, 1 lowercase letter and 1 number";

/// Harbor's email pattern, ported from Go's RE2 syntax.
///
/// The `regex` crate reads `[` inside a class as a nested class, so it is escaped, and Go's
/// ASCII-only `\s` is spelled out as its five characters.
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"^(([^<>()\[\]\\.,;:\t\n\x0C\r @"]+(\.[^<>()\[\]\\.,;:\t\n\x0C\r @"]+)*)|(".+"))"#,
        r"@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$",
    ))
    .map_err(|error| tracing::error!(%error, "the email pattern does not compile"))
    .ok()
});

/// The characters Harbor refuses in usernames and realnames.
const ILLEGAL_NAME_CHARS: [char; 6] = [',', '"', '~', '#', '%', '$'];

/// Harbor's `requireValidSecret`: 8 to 128 bytes with an ASCII lower, upper and digit.
pub(crate) fn is_strong_secret(secret: &str) -> bool {
    (8..=128).contains(&secret.len())
        && secret.bytes().any(|b| b.is_ascii_lowercase())
        && secret.bytes().any(|b| b.is_ascii_uppercase())
        && secret.bytes().any(|b| b.is_ascii_digit())
}

pub(crate) fn require_strong_secret(secret: &str) -> Result<(), ApiError> {
    if is_strong_secret(secret) {
        Ok(())
    } else {
        Err(ApiError::bad_request(WEAK_SECRET))
    }
}

pub(crate) fn is_valid_email(email: &str) -> bool {
    EMAIL
        .as_ref()
        .is_some_and(|pattern| pattern.is_match(email))
}

/// The fields `validateUserProfile` looks at.
pub(crate) struct Profile<'a> {
    pub(crate) email: &'a str,
    pub(crate) realname: &'a str,
    pub(crate) comment: &'a str,
    /// Present on create only: updates cannot change the username.
    pub(crate) username: Option<&'a str>,
}

/// Harbor's `validateUserProfile`: the first failing rule wins.
pub(crate) fn validate_profile(profile: &Profile<'_>) -> Result<(), ApiError> {
    if profile.email.is_empty() {
        return Err(ApiError::bad_request("email can't be empty"));
    }
    if !is_valid_email(profile.email) {
        return Err(ApiError::bad_request("email with illegal format"));
    }
    if !(1..=255).contains(&profile.realname.len()) {
        return Err(ApiError::bad_request("realname with illegal length"));
    }
    if profile.realname.contains(ILLEGAL_NAME_CHARS) {
        return Err(ApiError::bad_request(
            "realname contains illegal characters",
        ));
    }
    if profile.comment.len() > 30 {
        return Err(ApiError::bad_request("comment with illegal length"));
    }
    if let Some(username) = profile.username {
        if !(1..=255).contains(&username.len()) {
            return Err(ApiError::bad_request("username with illegal length"));
        }
        if username.contains(ILLEGAL_NAME_CHARS) {
            return Err(ApiError::bad_request(
                "username contains illegal characters",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_pattern_accepts_what_harbor_accepts() {
        for email in [
            "a@b.co",
            "a+b@x.io",
            "a@[1.2.3.4]",
            "\"a b\"@x.io",
            "ä@x.io",
        ] {
            assert!(is_valid_email(email), "{email} should be accepted");
        }
    }

    #[test]
    fn email_pattern_rejects_what_harbor_rejects() {
        for email in [
            "a@b.c",
            "a@localhost",
            "a@1.2.3.4",
            "a..b@x.io",
            "a@b_c.io",
            "a[b@x.io",
            "a@b.co\n",
        ] {
            assert!(!is_valid_email(email), "{email:?} should be rejected");
        }
    }

    #[test]
    fn secret_strength_counts_bytes() {
        assert!(is_strong_secret("Abcdefg1"));
        assert!(!is_strong_secret("Abcdef1"));
        assert!(!is_strong_secret(&format!("Ab1{}", "x".repeat(126))));
        assert!(!is_strong_secret("ÄÖÜabcd1"));
    }
}
