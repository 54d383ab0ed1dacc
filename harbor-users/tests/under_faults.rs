//! What a sync job can count on when Harbor, or the network, misbehaves:
//! a listing yields every user exactly once and in order, a create is never
//! sent twice and every failed one says enough to check and retry safely,
//! and no call outlives its configured bounds.
//!
//! Faults come from `harbor-fake`'s injector with fixed seeds; requests are
//! sequential where the figures must repeat from run to run. Each test
//! prints its figures (`cargo test --test under_faults -- --nocapture`).

mod support;

use std::{
    collections::HashSet,
    future::Future,
    time::{Duration, Instant},
};

use futures::TryStreamExt;
use harbor_fake::{FakeHarbor, FaultKind, Faults, seeded_username};
use harbor_users::{Error, HarborClient, NewUser, RetryPolicy, User};
use support::{
    TestResult,
    raw_server::{RawServer, Reply, http},
};

const USERS: usize = 10_000;

/// Requests a fault-free listing of [`USERS`] takes at page size 100.
const FAULT_FREE_PAGES: u64 = 100;

/// Retries that wait for `Retry-After` but hardly at all otherwise, with
/// room for the runs of faults a 17 % fault rate produces.
fn patient_quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(8)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(10))
        .max_retry_after(Duration::from_secs(1))
}

fn admin(fake: &FakeHarbor, timeout: Duration, retry: RetryPolicy) -> Result<HarborClient, Error> {
    let credentials = fake.admin_credentials();
    HarborClient::builder(fake.url())
        .basic_auth(credentials.username, credentials.password)
        .timeout(timeout)
        .retry_policy(retry)
        .build()
}

/// Fails the test if `call` is still running after `limit`: the client's
/// own bounds must have ended it long before.
async fn within<T>(limit: Duration, call: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, call).await {
        Ok(outcome) => outcome,
        Err(_) => panic!("still running after {limit:?}: the client's bounds did not end it"),
    }
}

fn listing_faults(seed: u64) -> Faults {
    Faults::none()
        .rate(FaultKind::ServiceUnavailable, 0.10)
        .rate(FaultKind::TooManyRequests, 0.05)
        .rate(FaultKind::ConnectionReset, 0.02)
        .retry_after(Duration::ZERO)
        .seed(seed)
}

fn assert_every_user_once_in_order(users: &[User]) {
    assert_eq!(users.len(), USERS);
    let unique: HashSet<_> = users.iter().map(|user| user.id).collect();
    assert_eq!(unique.len(), USERS, "a user came twice");
    for (index, user) in users.iter().enumerate() {
        assert_eq!(user.username, seeded_username(index), "at position {index}");
    }
}

#[tokio::test]
async fn listing_10000_users_through_503s_429s_and_resets_yields_each_once_in_order() -> TestResult
{
    let fake = FakeHarbor::builder().users(USERS).start().await?;
    let client = admin(&fake, Duration::from_secs(10), patient_quick_retries())?;

    let baseline = client.get_users().collect().await?;
    assert_every_user_once_in_order(&baseline);
    assert_eq!(fake.stats().requests, FAULT_FREE_PAGES);

    fake.reset_stats();
    fake.set_faults(listing_faults(20_261_203));
    let started = Instant::now();
    let users = within(Duration::from_secs(60), client.get_users().collect()).await?;
    let elapsed = started.elapsed();

    assert_every_user_once_in_order(&users);
    let stats = fake.stats();
    let survived = [
        FaultKind::ServiceUnavailable,
        FaultKind::TooManyRequests,
        FaultKind::ConnectionReset,
    ]
    .map(|kind| (kind, stats.faults_of(kind)));
    for (kind, count) in survived {
        assert!(count > 0, "no {kind} was injected: the test proves nothing");
    }
    let faults: u64 = survived.iter().map(|(_, count)| count).sum();
    assert_eq!(stats.requests, FAULT_FREE_PAGES + faults);
    assert!(
        stats.requests * 10 <= FAULT_FREE_PAGES * 13,
        "{} requests for {FAULT_FREE_PAGES} pages",
        stats.requests
    );
    println!(
        "listing {USERS} users: {} requests ({:.2}x the fault-free {FAULT_FREE_PAGES}), \
         faults survived {survived:?}, {elapsed:?}",
        stats.requests,
        stats.requests as f64 / FAULT_FREE_PAGES as f64,
    );
    Ok(())
}

#[tokio::test]
async fn a_prefetched_listing_through_the_same_faults_still_yields_each_user_once_in_order()
-> TestResult {
    let fake = FakeHarbor::builder()
        .users(USERS)
        .faults(listing_faults(7))
        .start()
        .await?;
    let client = admin(&fake, Duration::from_secs(10), patient_quick_retries())?;

    let users: Vec<User> = within(
        Duration::from_secs(60),
        client.get_users().concurrency(4).stream().try_collect(),
    )
    .await?;

    assert_every_user_once_in_order(&users);
    let stats = fake.stats();
    let faults: u64 = stats.faults.values().sum();
    assert!(faults > 0, "no fault was injected: the test proves nothing");
    assert_eq!(stats.requests, FAULT_FREE_PAGES + faults);
    println!(
        "prefetched listing: {} requests, faults {:?}",
        stats.requests, stats.faults
    );
    Ok(())
}

/// How one failed create ended, as the caller saw it.
#[derive(Debug, Default)]
struct CreateFailures {
    timeouts: u64,
    connection_failures: u64,
    unavailable: u64,
    /// Creates that found the user already there: only possible after a
    /// timeout, when Harbor may have finished the create after the check.
    conflicts: u64,
    /// Failed creates that the check found had taken effect.
    took_effect: u64,
}

/// Whether `username` exists, asking until Harbor gives an answer.
async fn exists(client: &HarborClient, username: &str) -> Result<Option<User>, Error> {
    let mut last = None;
    for _ in 0..10 {
        match client.get_user_by_username(username).await {
            Ok(user) => return Ok(Some(user)),
            Err(Error::UserNotFound { .. }) => return Ok(None),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| Error::invalid_input("check", "no answer")))
}

#[tokio::test]
async fn creating_1000_users_while_answers_are_lost_after_the_fact_creates_each_exactly_once()
-> TestResult {
    const COUNT: usize = 1000;
    let faults = Faults::none()
        .rate(FaultKind::StallAfterHandling, 0.02)
        .rate(FaultKind::ResetAfterHandling, 0.03)
        .rate(FaultKind::TruncatedBody, 0.02)
        .rate(FaultKind::ServiceUnavailable, 0.03)
        .stall_for(Duration::from_secs(5))
        .seed(1000);
    let fake = FakeHarbor::builder().faults(faults).start().await?;
    let client = admin(&fake, Duration::from_millis(200), patient_quick_retries())?;

    let started = Instant::now();
    let mut created = Vec::with_capacity(COUNT);
    let mut posts = 0u64;
    let mut failures = CreateFailures::default();
    for index in 0..COUNT {
        let username = format!("sync{index:04}");
        let user = NewUser::new(
            &username,
            format!("{username}@example.com"),
            "Synced User",
            "Synced-passw0rd",
        );
        let mut after_timeout = false;
        let id = loop {
            assert!(posts < 2 * COUNT as u64, "creates do not converge");
            posts += 1;
            let error = match client.create_user(&user).await {
                Ok(id) => break id,
                Err(error) => error,
            };

            if error.is_conflict() {
                assert!(after_timeout, "a conflict without a lost answer: {error}");
                failures.conflicts += 1;
            } else {
                let request = error.request();
                assert_eq!(
                    request.map(|r| r.method().as_str()),
                    Some("POST"),
                    "{error}"
                );
                assert_eq!(
                    request.map(|r| r.path()),
                    Some("/api/v2.0/users"),
                    "{error}"
                );
                assert_eq!(
                    request.map(|r| r.attempts()),
                    Some(1),
                    "a POST was resent: {error}"
                );
                assert!(error.request_id().is_some(), "no request id: {error}");
                match &error {
                    Error::Transport { .. } if error.is_timeout() => {
                        failures.timeouts += 1;
                        after_timeout = true;
                    }
                    Error::Transport { .. } => failures.connection_failures += 1,
                    Error::Status { status, .. } if status.as_u16() == 503 => {
                        failures.unavailable += 1;
                    }
                    other => panic!("an unexpected failure: {other}"),
                }
            }

            if let Some(existing) = exists(&client, &username).await? {
                failures.took_effect += 1;
                break existing.id;
            }
        };
        created.push(id);
    }
    let elapsed = started.elapsed();

    let distinct: HashSet<_> = created.iter().copied().collect();
    assert_eq!(distinct.len(), COUNT, "two names got one id");
    assert_eq!(
        fake.user_count(),
        COUNT,
        "the fake holds a user twice or lacks one"
    );
    let names: HashSet<String> = fake.users().into_iter().map(|user| user.username).collect();
    let expected: HashSet<String> = (0..COUNT).map(|index| format!("sync{index:04}")).collect();
    assert_eq!(names, expected);

    let stats = fake.stats();
    // Harbor received exactly the POSTs the caller made: the client resent
    // none on its own. Those it carried out created the users, but for the
    // duplicates a create that timed out before Harbor finished it can
    // cause (refused with 409, and rare).
    let handled = stats.operation("POST /api/v2.0/users");
    assert_eq!(handled + failures.unavailable, posts);
    assert!(
        handled >= COUNT as u64 + failures.conflicts,
        "{handled} POSTs handled"
    );
    let lost_after_the_fact = [
        FaultKind::StallAfterHandling,
        FaultKind::ResetAfterHandling,
        FaultKind::TruncatedBody,
    ]
    .map(|kind| (kind, stats.faults_of(kind)));
    for (kind, count) in lost_after_the_fact {
        assert!(count > 0, "no {kind} was injected: the test proves nothing");
    }
    assert!(failures.took_effect > 0 && failures.timeouts > 0);
    println!(
        "creating {COUNT} users: {posts} POSTs, {failures:?}, faults {:?}, {} requests in all, \
         {elapsed:?}",
        stats.faults, stats.requests
    );
    Ok(())
}

#[tokio::test]
async fn a_body_that_stops_mid_way_ends_in_a_timeout_within_the_bound() -> TestResult {
    let server = RawServer::start(|_| {
        let mut head = http(200, &[("content-length", "1000")], "");
        head.extend_from_slice(br#"{"user_id":3,"username":"al"#);
        Reply::BytesThenSilence(head)
    })
    .await?;
    let client = HarborClient::builder(server.url())
        .timeout(Duration::from_millis(300))
        .retry_policy(support::quick_retries().max_attempts(2))
        .build()?;

    let started = Instant::now();
    let error = within(Duration::from_secs(10), client.get_user(3))
        .await
        .err();
    let elapsed = started.elapsed();

    assert!(error.as_ref().is_some_and(Error::is_timeout), "{error:?}");
    assert_eq!(
        error
            .as_ref()
            .and_then(Error::request)
            .map(|r| r.attempts()),
        Some(2)
    );
    assert_eq!(server.count(), 2);
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_ends_in_a_timeout_after_every_attempt() -> TestResult {
    let fake = FakeHarbor::builder()
        .faults(
            Faults::none()
                .rate(FaultKind::Stall, 1.0)
                .stall_for(Duration::from_secs(30)),
        )
        .start()
        .await?;
    let client = admin(
        &fake,
        Duration::from_millis(200),
        support::quick_retries().max_attempts(3),
    )?;

    let started = Instant::now();
    let error = within(Duration::from_secs(10), client.get_current_user())
        .await
        .err();
    let elapsed = started.elapsed();

    assert!(error.as_ref().is_some_and(Error::is_timeout), "{error:?}");
    let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        message.starts_with("GET /api/v2.0/users/current: timed out"),
        "{message}"
    );
    assert!(message.ends_with(", 3 attempts)"), "{message}");
    assert_eq!(fake.stats().faults_of(FaultKind::Stall), 3);
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_server_that_keeps_answering_503_is_given_up_at_the_attempt_limit() -> TestResult {
    let fake = FakeHarbor::builder()
        .faults(Faults::none().rate(FaultKind::ServiceUnavailable, 1.0))
        .start()
        .await?;
    let client = admin(
        &fake,
        Duration::from_secs(5),
        support::quick_retries().max_attempts(5),
    )?;

    let error = within(Duration::from_secs(10), client.get_user(3))
        .await
        .err();

    assert_eq!(
        error.as_ref().and_then(Error::status).map(|s| s.as_u16()),
        Some(503)
    );
    assert!(matches!(error, Some(Error::Status { .. })), "{error:?}");
    assert_eq!(
        error
            .as_ref()
            .and_then(Error::request)
            .map(|r| r.attempts()),
        Some(5)
    );
    assert_eq!(fake.stats().requests, 5);
    Ok(())
}

#[tokio::test]
async fn a_server_that_keeps_answering_503_is_given_up_at_max_elapsed() -> TestResult {
    let fake = FakeHarbor::builder()
        .faults(Faults::none().rate(FaultKind::ServiceUnavailable, 1.0))
        .start()
        .await?;
    let retry = RetryPolicy::default()
        .max_attempts(u32::MAX)
        .initial_backoff(Duration::from_millis(40))
        .max_backoff(Duration::from_millis(80))
        .max_elapsed(Duration::from_millis(500));
    let client = admin(&fake, Duration::from_secs(5), retry)?;

    let started = Instant::now();
    let error = within(Duration::from_secs(10), client.get_user(3))
        .await
        .err();
    let elapsed = started.elapsed();

    assert_eq!(
        error.as_ref().and_then(Error::status).map(|s| s.as_u16()),
        Some(503)
    );
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    let requests = fake.stats().requests;
    assert!((2..100).contains(&requests), "{requests} requests");
    Ok(())
}

#[tokio::test]
async fn a_listing_whose_server_stalls_half_way_ends_in_a_timeout_after_the_users_it_had()
-> TestResult {
    let fake = FakeHarbor::builder().users(1000).start().await?;
    let client = admin(
        &fake,
        Duration::from_millis(200),
        support::quick_retries().max_attempts(2),
    )?;
    fake.set_faults(Faults::none().stall_for(Duration::from_secs(30)));

    let mut users = client.get_users().page_size(100).stream();
    let mut received = 0;
    let outcome = within(Duration::from_secs(10), async {
        loop {
            match users.try_next().await {
                Ok(Some(_)) => {
                    received += 1;
                    if received == 300 {
                        fake.script_faults(FaultKind::Stall, 10);
                    }
                }
                Ok(None) => return None,
                Err(error) => return Some(error),
            }
        }
    })
    .await;

    assert_eq!(received, 300);
    assert!(
        outcome.as_ref().is_some_and(Error::is_timeout),
        "{outcome:?}"
    );
    let next = within(Duration::from_secs(1), users.try_next()).await;
    assert!(matches!(next, Ok(None)), "the stream ends after its error");
    Ok(())
}
