//! How a client is built, and what every request it sends carries:
//! the URL forms, each source of credentials, the headers, no cookies.

mod support;

use harbor_users::{
    ClientBuilder, Credentials, Error, HarborClient,
    harbor_openapi::{request_id, types},
};
use httpmock::{
    Method::{DELETE, GET, POST, PUT},
    MockServer,
};
use support::{Answer, Script, TestResult, builder};

/// `admin:Harbor12345`, base64-encoded.
const ADMIN_BASIC: &str = "Basic YWRtaW46SGFyYm9yMTIzNDU=";

async fn health_mock<'a>(server: &'a MockServer, path: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET).path(path);
            then.status(200)
                .json_body(serde_json::json!({"status": "healthy"}));
        })
        .await
}

#[tokio::test]
async fn every_url_form_reaches_the_api_below_the_server() -> TestResult {
    let server = MockServer::start_async().await;
    let mock = health_mock(&server, "/api/v2.0/health").await;

    let base = server.base_url();
    for url in [
        base.clone(),
        format!("{base}/"),
        format!("{base}/api/v2.0"),
        format!("{base}/api/v2.0/"),
    ] {
        let client = HarborClient::builder(&url).build()?;
        assert_eq!(client.base_url().as_str(), format!("{base}/api/v2.0/"));
        let health = client.raw().get_health().send().await?.into_inner();
        assert_eq!(health.status.as_deref(), Some("healthy"), "{url}");
    }
    mock.assert_calls_async(4).await;
    Ok(())
}

#[tokio::test]
async fn a_path_prefix_is_kept_in_every_request() -> TestResult {
    let server = MockServer::start_async().await;
    let mock = health_mock(&server, "/harbor/api/v2.0/health").await;

    let client = HarborClient::builder(format!("{}/harbor/", server.base_url())).build()?;
    client.raw().get_health().send().await?;

    mock.assert_async().await;
    Ok(())
}

#[test]
fn a_url_without_scheme_or_with_query_fragment_or_userinfo_is_refused() {
    for (url, problem) in [
        ("harbor.example.com", "has no scheme"),
        ("ftp://harbor.example.com", "not https or http"),
        ("https://harbor.example.com/?page=2", "has a query"),
        ("https://harbor.example.com/#users", "has a fragment"),
        (
            "https://admin:Harbor12345@harbor.example.com",
            "username or password",
        ),
    ] {
        let error = HarborClient::builder(url).build().err();
        let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(
            matches!(error, Some(Error::Config { .. })),
            "{url}: {message}"
        );
        assert!(message.contains(problem), "{url}: {message}");
        assert!(
            message.contains("https://harbor.example.com/api/v2.0"),
            "{url}: {message}"
        );
        assert!(!message.contains("Harbor12345"), "{url}: {message}");
    }
}

#[tokio::test]
async fn basic_credentials_are_sent_on_every_verb() -> TestResult {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for (method, path, status) in [
        (GET, "/api/v2.0/users/3", 200),
        (POST, "/api/v2.0/users", 201),
        (PUT, "/api/v2.0/users/3", 200),
        (DELETE, "/api/v2.0/users/3", 200),
    ] {
        let mock = server
            .mock_async(|when, then| {
                when.method(method)
                    .path(path)
                    .header("authorization", ADMIN_BASIC);
                then.status(status)
                    .json_body(serde_json::json!({"user_id": 3}));
            })
            .await;
        mocks.push(mock);
    }

    let client = builder(&server)
        .credentials(Credentials::basic("admin", "Harbor12345"))
        .build()?;
    let raw = client.raw();
    raw.get_user().user_id(3).send().await?;
    raw.create_user()
        .body(types::UserCreationReq::default())
        .send()
        .await?;
    raw.update_user_profile()
        .user_id(3)
        .body(types::UserProfile::default())
        .send()
        .await?;
    raw.delete_user().user_id(3).send().await?;

    for mock in &mocks {
        mock.assert_async().await;
    }
    Ok(())
}

#[tokio::test]
async fn robot_credentials_from_harbors_file_are_sent_as_basic_auth() -> TestResult {
    let server = MockServer::start_async().await;
    // `robot$ci:Secret123`, base64-encoded.
    let mock = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health")
                .header("authorization", "Basic cm9ib3QkY2k6U2VjcmV0MTIz");
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;

    let path = std::env::temp_dir().join(format!("harbor-users-robot-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"id":7,"name":"robot$ci","secret":"Secret123","creation_time":"2026-01-02T03:04:05.678Z","expires_at":-1}"#,
    )?;
    let from_file = Credentials::from_robot_file(&path);
    std::fs::remove_file(&path)?;

    for credentials in [
        from_file?,
        Credentials::from_robot_json(r#"{"name":"robot$ci","secret":"Secret123"}"#)?,
        Credentials::robot("robot$ci", "Secret123"),
    ] {
        let client = builder(&server).credentials(credentials).build()?;
        client.raw().get_health().send().await?;
    }

    mock.assert_calls_async(3).await;
    Ok(())
}

#[test]
fn a_missing_robot_file_is_invalid_input_naming_the_path() {
    let error = Credentials::from_robot_file("/nonexistent/robot$ci.json").err();
    let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        matches!(error, Some(Error::InvalidInput { .. })),
        "{message}"
    );
    assert!(
        message
            .starts_with("invalid robot credentials file: cannot read /nonexistent/robot$ci.json"),
        "{message}"
    );
}

#[tokio::test]
async fn credentials_from_the_environment_are_sent() -> TestResult {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health")
                .header("authorization", ADMIN_BASIC);
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;

    let url = server.base_url();
    let lookup = |name: &str| match name {
        "HARBOR_URL" => Some(url.clone()),
        "HARBOR_USERNAME" => Some("admin".to_owned()),
        "HARBOR_PASSWORD" => Some("Harbor12345".to_owned()),
        _ => None,
    };
    let client = ClientBuilder::from_env_with(lookup)?.build()?;
    client.raw().get_health().send().await?;

    mock.assert_async().await;
    Ok(())
}

#[test]
fn environment_errors_name_the_missing_variable() {
    let message = |vars: &'static [(&'static str, &'static str)]| {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        ClientBuilder::from_env_with(lookup)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    };
    assert!(message(&[]).contains("HARBOR_URL is not set"));
    assert!(
        message(&[
            ("HARBOR_URL", "https://h.example.com"),
            ("HARBOR_USERNAME", "admin")
        ])
        .contains("HARBOR_PASSWORD is not")
    );
    assert!(
        message(&[
            ("HARBOR_URL", "https://h.example.com"),
            ("HARBOR_PASSWORD", "x")
        ])
        .contains("HARBOR_USERNAME is not")
    );
}

#[tokio::test]
async fn anonymous_requests_carry_no_authorization_header() -> TestResult {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health")
                .header_missing("authorization");
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;

    let client = builder(&server).build()?;
    client.raw().get_health().send().await?;

    mock.assert_async().await;
    Ok(())
}

#[tokio::test]
async fn a_set_cookie_is_never_sent_back() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([
        Answer::new(200)
            .header("set-cookie", "sid=0123456789abcdef; Path=/; HttpOnly")
            .json(r#"{"user_id":3}"#),
        Answer::new(200),
    ]);
    server
        .mock_async(|when, then| {
            when.path_prefix("/api/v2.0/users/3");
            then.respond_with(script.responder());
        })
        .await;

    let client = builder(&server)
        .credentials(Credentials::basic("admin", "Harbor12345"))
        .build()?;
    client.raw().get_user().user_id(3).send().await?;
    client
        .raw()
        .update_user_profile()
        .user_id(3)
        .body(types::UserProfile::default())
        .send()
        .await?;

    assert_eq!(script.served(), 2);
    assert_eq!(script.header_values("cookie"), [None, None]);
    Ok(())
}

#[tokio::test]
async fn the_user_agent_names_the_crate_and_can_be_overridden() -> TestResult {
    let server = MockServer::start_async().await;
    let default_agent = concat!("harbor-users/", env!("CARGO_PKG_VERSION"));
    let default = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health")
                .header("user-agent", default_agent);
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;
    let custom = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health")
                .header("user-agent", "nightly-cleanup/2.1");
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;

    builder(&server).build()?.raw().get_health().send().await?;
    builder(&server)
        .user_agent("nightly-cleanup/2.1")
        .build()?
        .raw()
        .get_health()
        .send()
        .await?;

    default.assert_async().await;
    custom.assert_async().await;
    Ok(())
}

#[tokio::test]
async fn every_request_carries_a_request_id_fresh_scoped_or_the_clients_own() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(200).json("{}")]);
    server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health");
            then.respond_with(script.responder());
        })
        .await;

    let client = builder(&server).build()?;
    let tagged = client.with_request_id("cleanup-job-7")?;
    client.raw().get_health().send().await?;
    client.raw().get_health().send().await?;
    request_id::scope("scoped-42", client.raw().get_health().send()).await?;
    tagged.raw().get_health().send().await?;
    request_id::scope("scope-wins", tagged.raw().get_health().send()).await?;

    let ids = script.header_values("x-request-id");
    let fresh: Vec<_> = ids[..2].iter().flatten().collect();
    assert_eq!(fresh.len(), 2);
    assert!(fresh.iter().all(|id| id.len() == 36), "{fresh:?}");
    assert_ne!(fresh[0], fresh[1]);
    assert_eq!(
        ids[2..],
        [
            Some("scoped-42".to_owned()),
            Some("cleanup-job-7".to_owned()),
            Some("scope-wins".to_owned())
        ]
    );
    Ok(())
}

#[test]
fn a_request_id_that_is_not_a_header_value_is_refused() -> TestResult {
    let client = HarborClient::builder("https://harbor.example.com").build()?;
    for id in ["", "line\nbreak"] {
        let error = client.with_request_id(id).err();
        assert!(matches!(error, Some(Error::InvalidInput { .. })), "{id:?}");
    }
    Ok(())
}

#[test]
fn credentials_over_plain_http_to_another_host_are_refused() {
    let error = HarborClient::builder("http://harbor.example.com")
        .basic_auth("admin", "Harbor12345")
        .build()
        .err();
    let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(error, Some(Error::Config { .. })), "{message}");
    assert!(
        message.contains("refusing to send credentials over plain http:// to harbor.example.com"),
        "{message}"
    );
    assert!(message.contains("use https://"), "{message}");
    assert!(message.contains("allow_insecure_http(true)"), "{message}");
}

#[test]
fn plain_http_is_allowed_on_loopback_without_credentials_or_when_opted_in() -> TestResult {
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost",
        "http://[::1]:80",
    ] {
        HarborClient::builder(url)
            .basic_auth("admin", "Harbor12345")
            .build()?;
    }
    HarborClient::builder("http://harbor.example.com").build()?;
    HarborClient::builder("http://harbor.example.com")
        .basic_auth("admin", "Harbor12345")
        .allow_insecure_http(true)
        .build()?;
    Ok(())
}

#[test]
fn debug_output_never_shows_a_secret() -> TestResult {
    let credentials = Credentials::basic("admin", "Pa55word-in-debug");
    let builder = HarborClient::builder("https://harbor.example.com")
        .credentials(credentials.clone())
        .add_ca_certificate_pem(b"-----BEGIN CERTIFICATE-----".to_vec());
    let client = HarborClient::builder("https://harbor.example.com")
        .credentials(credentials.clone())
        .build()?;
    let robot = Credentials::robot("robot$ci", "Robot-secret-in-debug");
    let with_userinfo = HarborClient::builder("https://admin:Pa55word-in-debug@h.example.com");

    let shown = format!("{credentials:?} {builder:?} {client:?} {robot:?} {with_userinfo:?}");

    assert!(!shown.contains("Pa55word-in-debug"), "{shown}");
    assert!(!shown.contains("Robot-secret-in-debug"), "{shown}");
    assert!(!shown.contains("YWRtaW46"), "{shown}");
    assert!(
        shown.contains("admin") && shown.contains("robot$ci"),
        "{shown}"
    );
    assert!(
        shown.contains("https://harbor.example.com/api/v2.0/"),
        "{shown}"
    );
    Ok(())
}

#[tokio::test]
async fn a_given_reqwest_client_is_used_with_this_crates_headers() -> TestResult {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/health")
                .header("authorization", ADMIN_BASIC)
                .header_exists("x-request-id");
            then.status(200).json_body(serde_json::json!({}));
        })
        .await;

    harbor_openapi::install_crypto_provider();
    let http = reqwest::Client::builder().build()?;
    let client = builder(&server)
        .http_client(http)
        .basic_auth("admin", "Harbor12345")
        .build()?;
    client.raw().get_health().send().await?;

    mock.assert_async().await;
    Ok(())
}

#[test]
fn settings_a_given_reqwest_client_would_ignore_are_refused() -> TestResult {
    harbor_openapi::install_crypto_provider();
    let http = reqwest::Client::builder().build()?;
    let error = HarborClient::builder("https://harbor.example.com")
        .http_client(http)
        .timeout(std::time::Duration::from_secs(5))
        .danger_accept_invalid_certs(true)
        .build()
        .err();
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.contains("timeout, danger_accept_invalid_certs cannot apply"),
        "{message}"
    );
    Ok(())
}
