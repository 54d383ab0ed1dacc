//! Which failures are retried, how long the client waits, and what comes
//! back when it stops; driven through the raw client, which shares the
//! transport with this crate's own operations.

mod support;

use std::time::{Duration, Instant, SystemTime};

use harbor_users::harbor_openapi::{Error as RawError, types};
use httpmock::MockServer;
use support::{Answer, Script, TestResult, builder};

const USER: &str = r#"{"user_id":3,"username":"alice"}"#;

async fn scripted(server: &MockServer, path: &str, script: &Script) {
    server
        .mock_async(|when, then| {
            when.path(path);
            then.respond_with(script.responder());
        })
        .await;
}

fn status_of<E>(error: &RawError<E>) -> Option<u16> {
    error.status().map(|status| status.as_u16())
}

#[tokio::test]
async fn a_503_is_retried_and_the_success_returned() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(503), Answer::new(200).json(USER)]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    let user = client
        .raw()
        .get_user()
        .user_id(3)
        .send()
        .await?
        .into_inner();

    assert_eq!(user.username.as_deref(), Some("alice"));
    assert_eq!(script.served(), 2);
    Ok(())
}

#[tokio::test]
async fn every_attempt_carries_the_same_request_id_and_credentials() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([
        Answer::new(429),
        Answer::new(502),
        Answer::new(504),
        Answer::new(200).json(USER),
    ]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server)
        .basic_auth("admin", "Harbor12345")
        .build()?;
    client.raw().get_user().user_id(3).send().await?;

    let ids = script.header_values("x-request-id");
    assert_eq!(ids.len(), 4);
    assert!(
        ids.iter().all(|id| id.is_some() && *id == ids[0]),
        "{ids:?}"
    );
    let auth = script.header_values("authorization");
    assert!(auth.iter().all(Option::is_some), "{auth:?}");
    Ok(())
}

#[tokio::test]
async fn put_and_delete_are_retried_like_get() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(503), Answer::new(200)]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    client
        .raw()
        .update_user_profile()
        .user_id(3)
        .body(types::UserProfile::default())
        .send()
        .await?;
    assert_eq!(script.served(), 2);

    client.raw().delete_user().user_id(3).send().await?;
    assert_eq!(
        script.served(),
        3,
        "the script now answers 200 to everything"
    );
    Ok(())
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([
        Answer::new(503).header("retry-after", "1"),
        Answer::new(200).json(USER),
    ]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    let started = Instant::now();
    client.raw().get_user().user_id(3).send().await?;

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(script.served(), 2);
    Ok(())
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() -> TestResult {
    let server = MockServer::start_async().await;
    // HTTP dates have whole seconds, so two seconds from now is at least one.
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let script = Script::new([
        Answer::new(429).header("retry-after", date),
        Answer::new(200).json(USER),
    ]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    let started = Instant::now();
    client.raw().get_user().user_id(3).send().await?;

    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(script.served(), 2);
    Ok(())
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_returns_the_error_at_once() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(503).header("retry-after", "3600")]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    let started = Instant::now();
    let error = client.raw().get_user().user_id(3).send().await.err();

    assert_eq!(error.as_ref().and_then(status_of), Some(503));
    assert_eq!(script.served(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    Ok(())
}

#[tokio::test]
async fn post_is_never_retried() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(503), Answer::new(201)]);
    scripted(&server, "/api/v2.0/users", &script).await;

    let client = builder(&server).build()?;
    let error = client
        .raw()
        .create_user()
        .body(types::UserCreationReq::default())
        .send()
        .await
        .err();

    assert_eq!(error.as_ref().and_then(status_of), Some(503));
    assert_eq!(script.served(), 1);
    Ok(())
}

#[tokio::test]
async fn retries_exhausted_give_the_last_error() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(503), Answer::new(502), Answer::new(504)]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    let error = client.raw().get_user().user_id(3).send().await.err();

    assert_eq!(script.served(), 4, "the default policy sends four times");
    assert_eq!(error.as_ref().and_then(status_of), Some(504));
    Ok(())
}

#[tokio::test]
async fn errors_that_will_not_change_are_not_retried() -> TestResult {
    let server = MockServer::start_async().await;
    let script =
        Script::new([Answer::new(404)
            .json(r#"{"errors":[{"code":"NOT_FOUND","message":"user 3 not found"}]}"#)]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server).build()?;
    let error = client.raw().get_user().user_id(3).send().await.err();

    assert_eq!(error.as_ref().and_then(status_of), Some(404));
    assert_eq!(script.served(), 1);
    Ok(())
}

#[tokio::test]
async fn a_timed_out_get_is_retried_and_reported_as_a_timeout() -> TestResult {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/api/v2.0/users/3");
            then.status(200).delay(Duration::from_secs(3)).body(USER);
        })
        .await;

    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry_policy(support::quick_retries().max_attempts(3))
        .build()?;
    let error = client.raw().get_user().user_id(3).send().await.err();

    match error {
        Some(RawError::CommunicationError(source)) => assert!(source.is_timeout()),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(mock.calls_async().await, 3);
    Ok(())
}

#[tokio::test]
async fn a_disabled_policy_sends_once() -> TestResult {
    let server = MockServer::start_async().await;
    let script = Script::new([Answer::new(503), Answer::new(200).json(USER)]);
    scripted(&server, "/api/v2.0/users/3", &script).await;

    let client = builder(&server)
        .retry_policy(harbor_users::RetryPolicy::disabled())
        .build()?;
    let error = client.raw().get_user().user_id(3).send().await.err();

    assert_eq!(error.as_ref().and_then(status_of), Some(503));
    assert_eq!(script.served(), 1);
    Ok(())
}
