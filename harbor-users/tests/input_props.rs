//! Property tests of everything that reads text the client did not write:
//! the Harbor URL and robot credentials a caller gives, and Harbor's error
//! body, `Location`, `X-Total-Count` and the redaction of quoted bodies.
//! No input panics, everything valid is read back as written, and every
//! refusal names the problem (and never quotes a secret).

use harbor_users::{
    Credentials, Error, ErrorCode, HarborClient, Url, UserId,
    wire::{parse_error_body, parse_location, parse_total_count, redact_secrets},
};
use proptest::{collection::vec, option, prelude::*};

fn scheme() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("http"), Just("https")]
}

/// Hosts as `Url` writes them back: lower-case names, IPv4, bracketed IPv6.
fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec("[a-wyz][a-z0-9-]{0,8}[a-z0-9]", 1..4).prop_map(|labels| labels.join(".")),
        1 => any::<[u8; 4]>().prop_map(|octets| std::net::Ipv4Addr::from(octets).to_string()),
        1 => Just("[::1]".to_owned()),
        1 => Just("localhost".to_owned()),
    ]
}

/// A path prefix Harbor may be served below; never `api` itself, which the
/// builder refuses as a likely typo.
fn prefix() -> impl Strategy<Value = Vec<String>> {
    vec("[a-z][a-z0-9_-]{0,6}", 0..3)
        .prop_filter("`api` segments read as another API", |segments| {
            segments.iter().all(|segment| segment != "api")
        })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Text that is not valid JSON as often as it is, rich in JSON's syntax.
fn json_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"[{}\[\]":,0-9a-z \\-]{0,40}"#,
        (any::<String>(), any::<String>(), any::<String>()).prop_map(|(name, secret, other)| {
            serde_json::json!({ "name": name, "secret": secret, "other": other }).to_string()
        }),
    ]
}

/// A secret distinct from anything else in the generated documents.
fn secret_value() -> impl Strategy<Value = String> {
    "S3cret-[a-z0-9]{8}"
}

proptest! {
    #[test]
    fn any_url_text_builds_a_client_or_a_config_error_naming_the_url(
        text in prop_oneof![any::<String>(), "[a-z]{0,5}:?/{0,3}[a-z.:@/?#\\[\\]0-9]{0,20}"],
        password in "[A-Za-z0-9]{12}",
    ) {
        match HarborClient::builder(&text).build() {
            Ok(client) => {
                let base = client.base_url();
                prop_assert!(matches!(base.scheme(), "http" | "https"));
                prop_assert!(base.path().ends_with("/api/v2.0/"), "{}", base);
                prop_assert!(base.query().is_none() && base.fragment().is_none());
                prop_assert!(base.username().is_empty() && base.password().is_none());
            }
            Err(error) => {
                prop_assert!(matches!(error, Error::Config { .. }), "{:?}", error);
                prop_assert!(error.to_string().contains("Harbor URL"), "{}", error);
            }
        }

        let with_userinfo = format!("https://admin:{password}@{text}");
        let refused = HarborClient::builder(&with_userinfo).build();
        prop_assert!(refused.as_ref().is_err());
        if let Err(error) = refused {
            prop_assert!(!error.to_string().contains(&password), "{}", error);
            prop_assert!(!format!("{error:?}").contains(&password), "{:?}", error);
        }
    }

    #[test]
    fn any_robot_file_text_gives_credentials_or_a_reason_that_quotes_nothing_of_it(
        text in json_ish(),
    ) {
        match Credentials::from_robot_json(&text) {
            Ok(credentials) => {
                let value: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let name = value.get("name").and_then(|name| name.as_str()).unwrap_or_default();
                prop_assert_eq!(credentials.username(), Some(name));
                // The Debug form is fixed but for the name: the secret is not in it.
                prop_assert_eq!(
                    format!("{credentials:?}"),
                    format!("Credentials::Basic {{ username: {name:?}, password: Secret(\"***\") }}")
                );
            }
            Err(error) => {
                prop_assert!(matches!(error, Error::InvalidInput { .. }), "{:?}", error);
                // Each reason is a fixed text or line and column numbers, so
                // no part of the input, secret included, can be in it.
                let message = error.to_string();
                let reason = message
                    .strip_prefix("invalid robot credentials: ")
                    .unwrap_or_default();
                let position = reason
                    .strip_prefix("not JSON (line ")
                    .and_then(|rest| rest.strip_suffix(')'))
                    .and_then(|rest| rest.split_once(", column "));
                let fixed = [
                    "the `name` field is missing, empty or not a string",
                    "the `secret` field is missing, empty or not a string",
                ];
                prop_assert!(
                    fixed.contains(&reason)
                        || position.is_some_and(|(line, column)| {
                            line.parse::<usize>().is_ok() && column.parse::<usize>().is_ok()
                        }),
                    "{}", message
                );
            }
        }
    }

    #[test]
    fn a_robot_file_with_name_and_secret_gives_that_robot(
        name in "robot\\$[a-z0-9+_-]{1,20}",
        secret in secret_value(),
        id in any::<i64>(),
        expires_at in any::<i64>(),
    ) {
        let json = serde_json::json!({
            "id": id, "name": name, "secret": secret, "expires_at": expires_at,
        });
        let credentials = Credentials::from_robot_json(&json.to_string());
        prop_assert_eq!(credentials.ok(), Some(Credentials::robot(&name, secret)));
    }

    #[test]
    fn any_error_body_is_read_or_refused_without_panicking(body in vec(any::<u8>(), 0..200)) {
        let _ = parse_error_body(&body);
    }

    #[test]
    fn harbors_error_bodies_give_back_every_entry(
        entries in vec((option::of("[A-Z_]{0,20}"), option::of(any::<String>())), 0..4),
        other_field in any::<bool>(),
    ) {
        let errors: Vec<serde_json::Value> = entries
            .iter()
            .map(|(code, message)| {
                let mut entry = serde_json::Map::new();
                if let Some(code) = code {
                    entry.insert("code".into(), code.clone().into());
                }
                if let Some(message) = message {
                    entry.insert("message".into(), message.clone().into());
                }
                serde_json::Value::Object(entry)
            })
            .collect();
        let mut body = serde_json::json!({ "errors": errors });
        if other_field {
            body["trace"] = "ignored".into();
        }

        let parsed = parse_error_body(body.to_string().as_bytes());
        let parsed = parsed.unwrap_or_default();
        prop_assert_eq!(parsed.len(), entries.len());
        for (entry, (code, message)) in parsed.iter().zip(&entries) {
            prop_assert_eq!(entry.code(), &ErrorCode::from(code.as_deref().unwrap_or_default()));
            prop_assert_eq!(entry.message(), message.as_deref().unwrap_or_default());
            let shown = entry.to_string();
            prop_assert!(shown.contains(entry.code().as_str()) && shown.contains(entry.message()));
        }
    }

    #[test]
    fn any_location_is_read_or_refused_quoting_it(location in any::<String>()) {
        let base = Url::parse("https://harbor.example.com/api/v2.0/").map_err(|e| TestCaseError::fail(e.to_string()))?;
        match parse_location(&location, &base) {
            Ok(id) => prop_assert!(id.get() > 0),
            Err(error) => {
                let trimmed = location.trim();
                prop_assert!(
                    trimmed.is_empty() || error.reason().contains(trimmed),
                    "{} does not quote {:?}", error, trimmed
                );
            }
        }
    }

    #[test]
    fn a_location_on_the_same_origin_gives_its_id_and_another_origin_is_refused(
        id in 1..=i64::MAX,
        prefix in prefix(),
        absolute in any::<bool>(),
        other_host in host(),
        tail in prop_oneof![Just(""), Just("/"), Just("?a=1"), Just("#x")],
    ) {
        let base = Url::parse("https://harbor.example.com/api/v2.0/").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let prefix: String = prefix.iter().map(|segment| format!("/{segment}")).collect();
        let path = format!("{prefix}/api/v2.0/users/{id}{tail}");
        let location = if absolute { format!("https://harbor.example.com{path}") } else { path.clone() };
        prop_assert_eq!(parse_location(&location, &base), Ok(UserId::from(id)));

        prop_assume!(other_host != "harbor.example.com");
        let elsewhere = format!("https://{other_host}{path}");
        let refused = parse_location(&elsewhere, &base);
        prop_assert!(
            refused.as_ref().is_err_and(|error| error.reason().contains("another server")),
            "{:?}", refused
        );
    }

    #[test]
    fn every_count_is_read_back_and_anything_else_is_refused_quoting_it(
        count in any::<u64>(),
        text in prop_oneof![any::<String>(), "[ +-]?[0-9a-z]{0,22} ?"],
    ) {
        prop_assert_eq!(parse_total_count(&count.to_string()), Ok(count));
        prop_assert_eq!(parse_total_count(&format!(" {count} ")), Ok(count));
        match parse_total_count(&text) {
            Ok(parsed) => {
                let digits = text.trim().trim_start_matches('+');
                prop_assert_eq!(digits.parse::<u64>().ok(), Some(parsed));
            }
            Err(error) => prop_assert!(
                text.trim().is_empty() || error.reason().contains(text.trim()),
                "{} does not quote {:?}", error, text
            ),
        }
    }

    #[test]
    fn redaction_of_any_text_never_panics_and_keeps_text_without_secrets(text in any::<String>()) {
        let redacted = redact_secrets(&text);
        let lower = text.to_lowercase();
        if !lower.contains("secret") && !lower.contains("password") && !text.contains('\\') {
            prop_assert_eq!(redacted, text);
        }
    }

    #[test]
    fn no_part_of_a_secret_survives_redaction_even_when_the_body_is_cut(
        sensitive in prop_oneof![
            Just("secret"), Just("password"), Just("new_password"), Just("client_Secret"),
        ],
        value in secret_value(),
        nested in any::<bool>(),
        other in "[a-z ]{0,10}",
        cut in any::<prop::sample::Index>(),
    ) {
        let document = if nested {
            serde_json::json!({ "user_id": 3, "note": other, "oidc_user_meta": { sensitive: value } })
        } else {
            serde_json::json!({ "note": other, sensitive: [value, { "deeper": value }] })
        };
        let text = serde_json::to_string_pretty(&document).map_err(|e| TestCaseError::fail(e.to_string()))?;

        let whole = redact_secrets(&text);
        prop_assert!(!whole.contains(&value[..4]), "{}", whole);
        prop_assert!(whole.contains(&other), "{}", whole);

        let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        let end = boundaries[cut.index(boundaries.len())];
        let redacted = redact_secrets(&text[..end]);
        prop_assert!(!redacted.contains(&value[..4]), "{} from {}", redacted, &text[..end]);
    }
}

proptest! {
    // Each case builds two HTTP clients, which load the system's roots.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_server_address_gives_its_api_base(
        scheme in scheme(),
        host in host(),
        port in option::of(1024u16..),
        prefix in prefix(),
        api_suffix in any::<bool>(),
        trailing_slash in any::<bool>(),
    ) {
        let port = port.map(|port| format!(":{port}")).unwrap_or_default();
        let prefix: String = prefix.iter().map(|segment| format!("/{segment}")).collect();
        let suffix = if api_suffix { "/api/v2.0" } else { "" };
        let slash = if trailing_slash { "/" } else { "" };
        let typed = format!("{scheme}://{host}{port}{prefix}{suffix}{slash}");

        let client = HarborClient::builder(&typed).build();
        let expected = format!("{scheme}://{host}{port}{prefix}/api/v2.0/");
        prop_assert_eq!(client.map(|c| c.base_url().to_string()).ok(), Some(expected));

        let with_password = HarborClient::builder(&typed)
            .basic_auth("admin", "Harbor12345")
            .build();
        let allowed = scheme == "https" || is_loopback(&host);
        prop_assert_eq!(with_password.is_ok(), allowed, "{}", typed);
        if let Err(error) = with_password {
            prop_assert!(error.to_string().contains("plain http://"), "{}", error);
        }
    }
}
