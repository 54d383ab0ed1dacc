//! Everything logged at TRACE level, by this crate and the HTTP stack below
//! it, through failing and succeeding calls, holds no credential.
//!
//! The subscriber is global (so that events from every thread and from the
//! `log` crate are caught), which is why this test has a binary of its own.

mod support;

use std::{
    io,
    sync::{Arc, Mutex},
};

use base64::Engine as _;
use harbor_users::{Credentials, HarborClient};
use httpmock::MockServer;
use support::{Answer, Script, TestResult, builder};
use tracing_subscriber::{EnvFilter, fmt::format::FmtSpan};

const PASSWORD: &str = "Pa55word-that-must-not-leak";
const ROBOT_SECRET: &str = "Robot-secret-that-must-not-leak";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|buffer| String::from_utf8_lossy(&buffer).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn no_password_secret_or_authorization_header_is_ever_logged() -> TestResult {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(FmtSpan::FULL)
        // The mock server logs each request it routes, headers included;
        // it stands in for Harbor and is not under test.
        .with_env_filter(EnvFilter::new("trace,httpmock=off"))
        .try_init()
        .map_err(|error| error.to_string())?;

    let server = MockServer::start_async().await;
    let script = Script::new([
        Answer::new(401).json(r#"{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}"#),
        Answer::new(503).header("retry-after", "0"),
        Answer::new(502)
            .header("content-type", "text/html")
            .json("<html>bad gateway</html>"),
        Answer::new(200).json(r#"{"user_id":3,"username":"alice"}"#),
        Answer::new(200).json(r#"{"user_id":"not a number"}"#),
    ]);
    server
        .mock_async(|when, then| {
            when.path_prefix("/api/v2.0/");
            then.respond_with(script.responder());
        })
        .await;

    let user = builder(&server)
        .credentials(Credentials::basic("log-test-user", PASSWORD))
        .build()?;
    let robot = builder(&server)
        .credentials(Credentials::robot("robot$log-test", ROBOT_SECRET))
        .build()?;
    tracing::info!(?user, ?robot, "clients built");

    // 401, not retried.
    assert!(user.raw().get_user().user_id(3).send().await.is_err());
    // 503 then 502 retried, then a success.
    robot.raw().get_user().user_id(3).send().await?;
    // A body that does not decode.
    assert!(user.raw().get_user().user_id(3).send().await.is_err());
    // A POST, with the password in its body as Harbor's API requires.
    let _ = user
        .raw()
        .create_user()
        .body(harbor_users::harbor_openapi::types::UserCreationReq {
            password: Some(PASSWORD.to_owned()),
            ..Default::default()
        })
        .send()
        .await;
    // Nobody listening: transport errors, retried and given up.
    let closed = HarborClient::builder("http://127.0.0.1:9")
        .basic_auth("log-test-user", PASSWORD)
        .retry_policy(support::quick_retries())
        .build()?;
    assert!(closed.raw().get_health().send().await.is_err());

    let logged = captured.text();
    let encoded = |user: &str, secret: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    };
    for forbidden in [
        PASSWORD,
        ROBOT_SECRET,
        &encoded("log-test-user", PASSWORD),
        &encoded("robot$log-test", ROBOT_SECRET),
        "Basic ",
    ] {
        assert!(!logged.contains(forbidden), "{forbidden:?} was logged");
    }
    assert!(
        !logged.to_ascii_lowercase().contains("authorization"),
        "a header was logged"
    );

    // The capture really saw the calls, so the checks above mean something.
    for expected in [
        "harbor.http",
        "http.response.status_code=401",
        "http.response.status_code=503",
        "retrying",
        "error.type=\"connect\"",
        "duration_ms=",
        "request_id=",
        "robot$log-test",
    ] {
        assert!(
            logged.contains(expected),
            "{expected:?} missing from the log"
        );
    }
    Ok(())
}
