//! Everything logged at TRACE level, by this crate, the HTTP stack below it
//! and the fake Harbor, through failing and succeeding calls of every users
//! operation, holds no credential; nor does the `Debug` or `Display` form of
//! any public type that carries one.
//!
//! The subscriber is global (so that events from every thread and from the
//! `log` crate are caught), which is why these tests have a binary of their
//! own; they share one capture and each checks all of it.

mod support;

use std::{
    io,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use base64::Engine as _;
use harbor_fake::{AuthMode, FakeHarbor, Robot};
use harbor_users::{Credentials, Error, HarborClient, NewUser, PermissionScope, Secret, wire};
use httpmock::MockServer;
use support::{
    Answer, Script, TestResult, builder,
    raw_server::{RawServer, Reply, http},
};
use tracing_subscriber::{EnvFilter, fmt::format::FmtSpan};

const PASSWORD: &str = "Pa55word-that-must-not-leak";
const ROBOT_SECRET: &str = "Robot-secret-that-must-not-leak";
const ADMIN_PASSWORD: &str = "Admin-pa55word-must-not-leak";
const NEW_USER_PASSWORD: &str = "New-user-pa55word-must-not-leak";
const RESET_PASSWORD: &str = "Reset-pa55word-must-not-leak";
const OWN_PASSWORD: &str = "Own-pa55word-must-not-leak";
const WRONG_PASSWORD: &str = "Wrong-pa55word-must-not-leak";
const CLI_SECRET: &str = "Cli-s3cret-must-not-leak";
const SEED_CLI_SECRET: &str = "Seeded-cli-s3cret-must-not-leak";
const FAKE_ROBOT_SECRET: &str = "Fake-robot-s3cret-must-not-leak";

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

/// The log of the whole test binary at TRACE, installed by the first test
/// that asks for it.
fn capture() -> &'static Captured {
    static CAPTURE: OnceLock<Captured> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let installed = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_span_events(FmtSpan::FULL)
            // The mock server logs each request it routes, headers included;
            // it stands in for Harbor and is not under test.
            .with_env_filter(EnvFilter::new("trace,httpmock=off"))
            .try_init();
        assert!(installed.is_ok(), "no other subscriber may be installed");
        captured
    })
}

fn basic(user: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
}

/// Asserts that no secret, and no `Authorization` header, is in `text`.
#[track_caller]
fn assert_no_secret(text: &str, what: &str) {
    for secret in [
        PASSWORD,
        ROBOT_SECRET,
        ADMIN_PASSWORD,
        NEW_USER_PASSWORD,
        RESET_PASSWORD,
        OWN_PASSWORD,
        WRONG_PASSWORD,
        CLI_SECRET,
        SEED_CLI_SECRET,
        FAKE_ROBOT_SECRET,
    ] {
        assert!(!text.contains(secret), "{secret:?} appears in {what}");
    }
    for (user, secret) in [
        ("log-test-user", PASSWORD),
        ("robot$log-test", ROBOT_SECRET),
        ("admin", ADMIN_PASSWORD),
        ("alice", RESET_PASSWORD),
        ("alice", OWN_PASSWORD),
        ("alice", WRONG_PASSWORD),
        ("robot$sync", FAKE_ROBOT_SECRET),
    ] {
        assert!(
            !text.contains(&basic(user, secret)),
            "{user}'s header appears in {what}"
        );
    }
    assert!(
        !text.to_ascii_lowercase().contains("authorization:"),
        "a header appears in {what}"
    );
}

#[tokio::test]
async fn no_password_secret_or_authorization_header_is_ever_logged() -> TestResult {
    let captured = capture();

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

fn fake_client(fake: &FakeHarbor, credentials: Credentials) -> Result<HarborClient, Error> {
    HarborClient::builder(fake.url())
        .credentials(credentials)
        .retry_policy(support::quick_retries())
        .build()
}

#[tokio::test]
async fn the_users_operations_never_log_a_password_secret_or_header() -> TestResult {
    let captured = capture();
    let robot = Robot::new("sync", FAKE_ROBOT_SECRET).allow("user", "list");
    let fake = FakeHarbor::builder()
        .admin_password(ADMIN_PASSWORD)
        .user(
            harbor_fake::NewUser::new("kim")
                .oidc(true)
                .oidc_secret(SEED_CLI_SECRET),
        )
        .robot(robot.clone())
        .start()
        .await?;
    let admin = fake_client(&fake, Credentials::basic("admin", ADMIN_PASSWORD))?;
    let mut shown = Vec::new();

    // Create, then read back, a user with a password.
    let new_user = NewUser::new("alice", "alice@example.com", "Alice", NEW_USER_PASSWORD);
    shown.push(format!("{new_user:?}"));
    let id = admin.create_user(&new_user).await?;
    let alice = admin.get_user_by_username("alice").await?;
    tracing::info!(?alice, "created");
    let duplicate = admin.create_user(&new_user).await.err();
    tracing::warn!(error = ?duplicate, "second create refused");
    shown.push(format!("{duplicate:?}"));

    // Passwords: reset by the admin, changed by the user, a wrong old one.
    admin.set_user_password(id, RESET_PASSWORD, None).await?;
    let own = fake_client(&fake, Credentials::basic("alice", RESET_PASSWORD))?;
    own.set_user_password(id, OWN_PASSWORD, Some(&Secret::new(RESET_PASSWORD)))
        .await?;
    let own = fake_client(&fake, Credentials::basic("alice", OWN_PASSWORD))?;
    let wrong = own
        .set_user_password(id, RESET_PASSWORD, Some(&Secret::new(WRONG_PASSWORD)))
        .await
        .err();
    assert!(wrong.as_ref().is_some_and(Error::is_wrong_current_password));
    tracing::error!(error = %wrong.as_ref().map(ToString::to_string).unwrap_or_default(), "wrong");
    shown.push(format!("{wrong:?}"));
    let refused = fake_client(&fake, Credentials::basic("alice", WRONG_PASSWORD))?
        .get_current_user()
        .await
        .err();
    assert!(refused.as_ref().is_some_and(Error::is_unauthorized));
    tracing::error!(error = ?refused, "signed out");
    shown.push(format!(
        "{refused:?} {:?}",
        refused.as_ref().map(ToString::to_string)
    ));

    // The robot lists; it has no current user.
    let credentials = robot.credentials();
    let robot = fake_client(
        &fake,
        Credentials::robot(credentials.username, credentials.password),
    )?;
    let listed = robot.get_users().collect().await?;
    tracing::debug!(?listed, "listed by the robot");
    let no_user = robot.get_current_user().await.err();
    tracing::warn!(error = ?no_user, "robot");
    let rights = robot
        .get_current_user_permissions(PermissionScope::System, true)
        .await?;
    tracing::debug!(?rights, ?robot, "rights");

    // OIDC: a chosen CLI secret, a generated one, and the user read back
    // with its plaintext secret, as Harbor answers.
    fake.set_auth_mode(AuthMode::Oidc);
    let kim = admin.get_user_by_username("kim").await?;
    tracing::info!(?kim, "kim with the seeded secret");
    shown.push(format!("{kim:?}"));
    admin
        .set_user_cli_secret(kim.id, Some(&Secret::new(CLI_SECRET)))
        .await?;
    let kim = admin.get_user(kim.id).await?;
    let meta = kim.oidc_user_meta.clone();
    assert_eq!(
        meta.as_ref()
            .and_then(|meta| meta.secret.as_ref())
            .map(Secret::expose),
        Some(CLI_SECRET),
        "the secret really came back"
    );
    tracing::info!(?kim, ?meta, "kim with the chosen secret");
    shown.push(format!("{kim:?} {meta:?}"));
    admin.set_user_cli_secret(kim.id, None).await?;
    let generated = admin.get_user(kim.id).await?;
    let generated_secret = generated
        .oidc_user_meta
        .as_ref()
        .and_then(|meta| meta.secret.as_ref())
        .map(|secret| secret.expose().to_owned())
        .unwrap_or_default();
    assert!(generated_secret.len() >= 8, "Harbor generated a secret");
    tracing::info!(?generated, "kim with a generated secret");
    shown.push(format!("{generated:?}"));
    admin.delete_user(id).await?;

    let logged = captured.text();
    assert_no_secret(&logged, "the log");
    assert!(
        !logged.contains(&generated_secret),
        "the generated secret was logged"
    );
    for text in &shown {
        assert_no_secret(text, "a Debug or Display form");
        assert!(
            !text.contains(&generated_secret),
            "the generated secret in {text}"
        );
    }
    // The capture really saw these calls, so the checks above mean something.
    for expected in [
        "POST",
        &format!("/api/v2.0/users/{id}/password"),
        &format!("/api/v2.0/users/{}/cli_secret", kim.id),
        "http.response.status_code=409",
        "http.response.status_code=412",
        "harbor_fake.request",
        "robot$sync",
        "kim",
    ] {
        assert!(
            logged.contains(expected),
            "{expected:?} missing from the log"
        );
    }
    Ok(())
}

#[tokio::test]
async fn no_public_type_shows_a_secret_in_debug_or_display() -> TestResult {
    let credentials = Credentials::basic("log-test-user", PASSWORD);
    let robot = Credentials::from_robot_json(&format!(
        r#"{{"name":"robot$log-test","secret":"{ROBOT_SECRET}"}}"#
    ))?;
    let builder = HarborClient::builder("https://harbor.example.com")
        .credentials(credentials.clone())
        .add_ca_certificate_pem(b"-----BEGIN CERTIFICATE-----".to_vec());
    let shown_builder = format!("{builder:?}");
    let refused_ca = builder.build().err();
    let client = HarborClient::builder("https://harbor.example.com")
        .credentials(credentials.clone())
        .build()?;
    let userinfo_error =
        HarborClient::builder(format!("https://admin:{ADMIN_PASSWORD}@h.example.com"))
            .build()
            .err();
    let robot_json_errors = [
        format!(r#"{{"name":"robot$x","secret":{ROBOT_SECRET:?}"#),
        format!(r#"{{"name":"robot$x","secret":["{ROBOT_SECRET}"]}}"#),
        format!(r#"{{"name":{ROBOT_SECRET:?}}}"#),
    ]
    .map(|json| Credentials::from_robot_json(&json).err());
    let new_user = NewUser::new("alice", "a@example.com", "Alice", NEW_USER_PASSWORD);
    let secret = Secret::new(CLI_SECRET);

    // Errors quoting answers that carry secrets: a body that does not
    // decode, one cut short, an error status whose body echoes a password.
    let echoed = format!(r#"{{"message":"bad","password":"{OWN_PASSWORD}"}}"#);
    let server = RawServer::start(move |seen| match seen.path() {
        "/api/v2.0/users/3" => Reply::Bytes(http(
            200,
            &[],
            format!(r#"{{"user_id":"x","oidc_user_meta":{{"secret":"{CLI_SECRET}"}}}}"#),
        )),
        "/api/v2.0/users/4" => Reply::Bytes(http(
            200,
            &[],
            format!(r#"{{"user_id":4,"username":"kim","oidc_user_meta":{{"secret":"{CLI_SECRET}"#),
        )),
        _ => Reply::Bytes(http(400, &[], echoed.clone())),
    })
    .await?;
    let small = HarborClient::builder(server.url())
        .credentials(Credentials::basic("log-test-user", PASSWORD))
        .retry_policy(harbor_users::RetryPolicy::disabled())
        .max_body_size(16)
        .build()?;
    let too_large = small.get_user(4).await.err();
    let remote = HarborClient::builder(server.url())
        .credentials(Credentials::basic("log-test-user", PASSWORD))
        .retry_policy(harbor_users::RetryPolicy::disabled())
        .build()?;
    let decode = remote.get_user(3).await.err();
    let cut = remote.get_user(4).await.err();
    let status = remote.delete_user(5).await.err();
    let transport = HarborClient::builder("http://127.0.0.1:9")
        .credentials(Credentials::basic("log-test-user", PASSWORD))
        .retry_policy(harbor_users::RetryPolicy::disabled())
        .timeout(Duration::from_secs(2))
        .build()?
        .get_user(3)
        .await
        .err();
    let errors = [
        decode,
        too_large,
        cut,
        status,
        transport,
        userinfo_error,
        refused_ca,
    ];
    assert!(
        matches!(errors[0], Some(Error::Decode { .. })),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(errors[2], Some(Error::Decode { .. })),
        "{:?}",
        errors[2]
    );
    assert!(
        matches!(errors[3], Some(Error::Status { .. })),
        "{:?}",
        errors[3]
    );

    let mut shown = vec![
        format!("{credentials:?} {robot:?} {client:?} {new_user:?} {secret:?} {secret}"),
        shown_builder,
        wire::redact_secrets(&format!(r#"{{"secret":"{CLI_SECRET}"}}"#)),
    ];
    for error in errors.iter().chain(&robot_json_errors).flatten() {
        shown.push(format!(
            "{error} | {error:?} | {:?}",
            std::error::Error::source(error)
        ));
    }
    for text in &shown {
        assert_no_secret(text, text);
    }
    assert!(
        shown.iter().any(|text| text.contains("oidc_user_meta")),
        "the bodies were quoted"
    );
    Ok(())
}
