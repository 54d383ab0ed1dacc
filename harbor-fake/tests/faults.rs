//! Injected faults and request counters.

mod common;

use std::time::{Duration, Instant};

use common::{get, start, start_with};
use harbor_fake::{FakeHarbor, FaultKind, Faults};

#[tokio::test]
async fn latency_delays_every_users_request() {
    let fake = start_with(
        FakeHarbor::builder().faults(Faults::none().latency(Duration::from_millis(120))),
    )
    .await;
    let started = Instant::now();
    let reply = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn faults_apply_only_under_the_users_api() {
    let fake = start().await;
    fake.script_faults(FaultKind::ServiceUnavailable, 1);
    let elsewhere = get("/api/v2.0/projects").send(&fake).await;
    assert_eq!(elsewhere.status, 404);
    let users = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    assert_eq!(users.status, 503);
}

#[tokio::test]
async fn scripted_faults_hit_the_next_requests_in_order() {
    let fake = start().await;
    fake.script_faults(FaultKind::ServiceUnavailable, 2);
    fake.script_faults(FaultKind::BadGateway, 1);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get("/api/v2.0/users").admin(&fake).send(&fake).await.status);
    }
    assert_eq!(statuses, [503, 503, 502, 200]);
    let stats = fake.stats();
    assert_eq!(stats.faults_of(FaultKind::ServiceUnavailable), 2);
    assert_eq!(stats.faults_of(FaultKind::BadGateway), 1);
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let fake = start().await;
    fake.set_faults(Faults::none().retry_after(Duration::from_secs(7)));
    fake.script_faults(FaultKind::TooManyRequests, 1);
    let reply = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    reply.assert_error(429, "TOO_MANY_REQUEST", "too many requests");
    assert_eq!(reply.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn injected_500_has_harbors_unknown_body() {
    let fake = start().await;
    fake.script_faults(FaultKind::InternalServerError, 1);
    get("/api/v2.0/users")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(500, "UNKNOWN", "internal server error");
}

#[tokio::test]
async fn gateway_errors_come_as_proxy_html() {
    let fake = start().await;
    for (kind, status) in [
        (FaultKind::BadGateway, 502),
        (FaultKind::ServiceUnavailable, 503),
        (FaultKind::GatewayTimeout, 504),
    ] {
        fake.script_faults(kind, 1);
        let reply = get("/api/v2.0/users").admin(&fake).send(&fake).await;
        assert_eq!(reply.status, status);
        assert_eq!(reply.header("content-type"), Some("text/html"));
        assert!(
            reply.body.contains(&format!("<h1>{status} ")),
            "{}",
            reply.body
        );
        assert!(reply.header("x-request-id").is_some());
    }
}

#[tokio::test]
async fn connection_reset_is_a_transport_error() {
    let fake = start().await;
    fake.script_faults(FaultKind::ConnectionReset, 1);
    let result = common::client()
        .get(format!("{}/api/v2.0/users", fake.url()))
        .basic_auth("admin", Some("Harbor12345"))
        .send()
        .await;
    let error = result.expect_err("no response arrives");
    assert!(!error.is_status(), "{error:?}");
    let after = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    assert_eq!(after.status, 200, "the next request is served");
}

#[tokio::test]
async fn truncated_body_fails_while_reading() {
    let fake = start_with(FakeHarbor::builder().users(20)).await;
    fake.script_faults(FaultKind::TruncatedBody, 1);
    let response = common::client()
        .get(format!("{}/api/v2.0/users", fake.url()))
        .basic_auth("admin", Some("Harbor12345"))
        .send()
        .await
        .expect("the headers arrive");
    assert_eq!(response.status().as_u16(), 200);
    let announced = response.content_length().expect("a Content-Length");
    assert!(announced > 100);
    let body = response.bytes().await;
    assert!(body.is_err(), "the body is cut short");
}

#[tokio::test]
async fn a_stalled_request_times_out_on_the_client() {
    let fake = start().await;
    fake.set_faults(Faults::none().stall_for(Duration::from_secs(30)));
    fake.script_faults(FaultKind::Stall, 1);
    let started = Instant::now();
    let result = common::client()
        .get(format!("{}/api/v2.0/users", fake.url()))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    let error = result.expect_err("the client gives up");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_short_stall_answers_late() {
    let fake = start().await;
    fake.set_faults(Faults::none().stall_for(Duration::from_millis(150)));
    fake.script_faults(FaultKind::Stall, 1);
    let started = Instant::now();
    let reply = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

/// Sends `POST /users` for `username` as the admin, with a client-side timeout.
async fn create_with_timeout(
    fake: &FakeHarbor,
    username: &str,
    timeout: Duration,
) -> reqwest::Result<reqwest::Response> {
    common::client()
        .post(format!("{}/api/v2.0/users", fake.url()))
        .basic_auth("admin", Some("Harbor12345"))
        .header("content-type", "application/json")
        .body(common::new_user_json(username))
        .timeout(timeout)
        .send()
        .await
}

#[tokio::test]
async fn reset_after_handling_creates_the_user_but_never_answers() {
    let fake = start().await;
    fake.script_faults(FaultKind::ResetAfterHandling, 1);
    let result = create_with_timeout(&fake, "carol", Duration::from_secs(5)).await;
    let error = result.expect_err("the connection closes without an answer");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(fake.user_by_name("carol").is_some(), "the user was created");
    assert_eq!(fake.stats().faults_of(FaultKind::ResetAfterHandling), 1);
}

#[tokio::test]
async fn stall_after_handling_creates_the_user_and_lets_the_client_time_out() {
    let fake = start().await;
    fake.set_faults(Faults::none().stall_for(Duration::from_secs(30)));
    fake.script_faults(FaultKind::StallAfterHandling, 1);
    let started = Instant::now();
    let result = create_with_timeout(&fake, "dave", Duration::from_millis(300)).await;
    let error = result.expect_err("the client gives up");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(fake.user_by_name("dave").is_some(), "the user was created");
}

#[tokio::test]
async fn a_short_stall_after_handling_answers_late_with_the_real_answer() {
    let fake = start().await;
    fake.set_faults(Faults::none().stall_for(Duration::from_millis(150)));
    fake.script_faults(FaultKind::StallAfterHandling, 1);
    let started = Instant::now();
    let response = create_with_timeout(&fake, "erin", Duration::from_secs(5))
        .await
        .expect("an answer arrives");
    assert_eq!(response.status().as_u16(), 201);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(fake.user_by_name("erin").is_some());
}

#[tokio::test]
async fn a_truncated_create_answer_comes_after_the_user_exists() {
    let fake = start().await;
    fake.script_faults(FaultKind::TruncatedBody, 1);
    let outcome = match create_with_timeout(&fake, "fay", Duration::from_secs(5)).await {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(
        outcome.is_err(),
        "the empty 201 announces a byte that never comes"
    );
    assert!(fake.user_by_name("fay").is_some(), "the user was created");
}

#[tokio::test]
async fn session_cookies_set_and_sent_back_are_counted() {
    let fake = start().await;
    let first = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    let cookie = first
        .header("set-cookie")
        .and_then(|value| value.split(';').next())
        .expect("an authenticated answer sets a session cookie")
        .to_owned();
    get("/api/v2.0/users").admin(&fake).send(&fake).await;
    let refused = common::delete("/api/v2.0/users/5")
        .admin(&fake)
        .header("cookie", &cookie)
        .send(&fake)
        .await;
    refused.assert_error(403, "FORBIDDEN", "CSRF token invalid");

    let stats = fake.stats();
    assert_eq!(stats.session_cookies_set, 2);
    assert_eq!(stats.session_cookies_received, 1);
}

async fn statuses_for_seed(seed: u64) -> Vec<u16> {
    let faults = Faults::none()
        .rate(FaultKind::ServiceUnavailable, 0.3)
        .rate(FaultKind::TooManyRequests, 0.2)
        .seed(seed);
    let fake = start_with(FakeHarbor::builder().faults(faults)).await;
    let client = common::client();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let reply = get("/api/v2.0/users")
            .admin(&fake)
            .send_with(&client, fake.url())
            .await;
        statuses.push(reply.status);
    }
    statuses
}

#[tokio::test]
async fn probabilistic_faults_are_deterministic_under_a_seed() {
    let first = statuses_for_seed(11).await;
    assert_eq!(first, statuses_for_seed(11).await);
    assert!(first.contains(&503) && first.contains(&429) && first.contains(&200));
    assert_ne!(first, statuses_for_seed(12).await);
}

#[tokio::test]
async fn faults_can_be_cleared_at_runtime() {
    let fake = start_with(
        FakeHarbor::builder().faults(Faults::none().rate(FaultKind::GatewayTimeout, 1.0)),
    )
    .await;
    assert_eq!(
        get("/api/v2.0/users").admin(&fake).send(&fake).await.status,
        504
    );
    fake.clear_faults();
    assert_eq!(
        get("/api/v2.0/users").admin(&fake).send(&fake).await.status,
        200
    );
}

#[tokio::test]
async fn requests_are_counted_per_operation() {
    let fake = start().await;
    get("/api/v2.0/users").admin(&fake).send(&fake).await;
    get("/api/v2.0/users").admin(&fake).send(&fake).await;
    get("/api/v2.0/users/1").admin(&fake).send(&fake).await;
    get("/api/v2.0/elsewhere").send(&fake).await;
    let stats = fake.stats();
    assert_eq!(stats.requests, 4);
    assert_eq!(stats.operation("GET /api/v2.0/users"), 2);
    assert_eq!(stats.operation("GET /api/v2.0/users/{user_id}"), 1);
    assert_eq!(stats.operation("GET <unrouted>"), 1);
    fake.reset_stats();
    assert_eq!(fake.stats().requests, 0);
}

#[tokio::test]
async fn embedding_with_serve_keeps_connection_faults() {
    let state = FakeHarbor::builder().users(1).build().expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(state.clone().serve(listener, async {
        let _ = stopped.await;
    }));

    state.script_faults(FaultKind::ConnectionReset, 1);
    let reset = common::client()
        .get(format!("{base}/api/v2.0/users"))
        .send()
        .await;
    assert!(reset.is_err(), "the connection closes without an answer");
    let reply = get("/api/v2.0/users")
        .auth("admin", "Harbor12345")
        .send_with(&common::client(), &base)
        .await;
    assert_eq!(reply.total(), 1);

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops after the shutdown signal")
        .expect("the server task ends cleanly");
}
