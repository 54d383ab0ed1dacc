//! When a failed request is sent again, and after how long.
//!
//! Only idempotent requests (GET, HEAD, PUT, DELETE) are retried: sending
//! them twice leaves Harbor as sending them once did. A POST is never
//! retried, because a create that timed out may still have happened, and a
//! second one would fail with 409 or create a second object. A retry repeats
//! one HTTP request, never a whole listing.
//!
//! The decisions are pure functions of the policy, the method, what came
//! back and the time spent so far, so they are tested without a server; the
//! only randomness, the jitter, is passed in.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::{Method, StatusCode, header::HeaderValue};

/// When and how often a failed request is sent again.
///
/// A request is retried when it is idempotent (GET, HEAD, PUT, DELETE; never
/// POST) and it failed to connect, timed out, lost its connection, or got
/// 429 Too Many Requests, 502 Bad Gateway, 503 Service Unavailable or
/// 504 Gateway Timeout. The pause before retry *n* is drawn uniformly
/// from zero up to `initial_backoff × 2ⁿ⁻¹`, capped at `max_backoff`
/// ("full jitter", so that many clients failing together do not come back
/// together), and is at least what Harbor's `Retry-After` header asks for.
///
/// Retrying stops, and the last error is returned, when `max_attempts`
/// requests have been sent, when the next pause would end after
/// `max_elapsed` since the first one was sent, or when `Retry-After` asks
/// for a longer pause than `max_retry_after`.
///
/// ```
/// use std::time::Duration;
/// use harbor_users::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(8)
///     .max_elapsed(Duration::from_secs(300));
/// assert_eq!(patient.max_attempts, 8);
///
/// assert_eq!(RetryPolicy::disabled().max_attempts, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Requests sent at most, the first included (default 4; 1 disables
    /// retries).
    pub max_attempts: u32,
    /// The ceiling of the first pause; each later ceiling doubles
    /// (default 250 ms).
    pub initial_backoff: Duration,
    /// The largest ceiling of a pause (default 8 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` that is waited for (default 30 s); a server
    /// that asks for more gets its error returned instead.
    pub max_retry_after: Duration,
    /// The time after which no retry starts, counted from the first
    /// request (default 60 s).
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry: every request is sent once.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// Sends each request at most `attempts` times in all; 0 counts as 1.
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the ceiling of the first pause.
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the largest ceiling of a pause.
    #[must_use]
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Sets the longest `Retry-After` that is waited for.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Sets the time after which no retry starts.
    #[must_use]
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The upper bound of the pause before retry number `retry` (1 for the
    /// first retry): `initial_backoff × 2^(retry-1)`, at most `max_backoff`.
    pub(crate) fn backoff_ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }

    /// Whether to retry after `attempts` requests were sent and the last one
    /// ended as `failure`, `elapsed` after the first was sent; and if so,
    /// after which pause. `jitter` draws a pause between zero and the
    /// ceiling it is given ([`full_jitter`] in production).
    pub(crate) fn decide(
        &self,
        method: &Method,
        failure: &Failure,
        attempts: u32,
        elapsed: Duration,
        jitter: impl FnOnce(Duration) -> Duration,
    ) -> Decision {
        if !is_idempotent(method) {
            return Decision::Stop(Stop::NotIdempotent);
        }
        if !failure.is_retryable() {
            return Decision::Stop(Stop::NotRetryable);
        }
        if attempts >= self.max_attempts {
            return Decision::Stop(Stop::AttemptsExhausted);
        }

        let retry_after = failure.retry_after();
        if let Some(asked) = retry_after.filter(|asked| *asked > self.max_retry_after) {
            return Decision::Stop(Stop::RetryAfterTooLong(asked));
        }
        let ceiling = self.backoff_ceiling(attempts);
        let pause = jitter(ceiling)
            .min(ceiling)
            .max(retry_after.unwrap_or_default());
        if elapsed.saturating_add(pause) > self.max_elapsed {
            return Decision::Stop(Stop::OutOfTime);
        }
        Decision::Retry(pause)
    }
}

/// A pause drawn uniformly from `0..=ceiling`.
pub(crate) fn full_jitter(ceiling: Duration, rng: &mut impl Rng) -> Duration {
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.random_range(0..=nanos))
}

/// Whether sending the request twice has the effect of sending it once.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// How one attempt failed, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An answer with this status; `retry_after` from its `Retry-After`.
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    /// The connection could not be made.
    Connect,
    /// No (complete) answer in time.
    Timeout,
    /// The connection broke during the exchange.
    ConnectionLost,
    /// Anything else that is not worth repeating (a malformed request, …).
    Other,
}

impl Failure {
    /// Classifies an error of the HTTP stack.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Connect
        } else if error.is_request() || error.is_body() || error.is_decode() {
            // `is_request` covers a pooled connection the server had closed;
            // `is_decode` is how reqwest reports a body cut off mid-read.
            Self::ConnectionLost
        } else {
            Self::Other
        }
    }

    fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => is_retryable_status(*status),
            Self::Connect | Self::Timeout | Self::ConnectionLost => true,
            Self::Other => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status { status, .. } => write!(f, "{status}"),
            Self::Connect => f.write_str("could not connect"),
            Self::Timeout => f.write_str("timed out"),
            Self::ConnectionLost => f.write_str("connection lost"),
            Self::Other => f.write_str("request failed"),
        }
    }
}

/// The statuses that mean "not now" rather than "no".
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send the request again after this pause.
    Retry(Duration),
    /// Return the failure to the caller.
    Stop(Stop),
}

/// Why a failure is returned rather than retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// POST (or PATCH) might have taken effect; repeating it is unsafe.
    NotIdempotent,
    /// The failure would not go away by itself (404, 401, …).
    NotRetryable,
    /// `max_attempts` requests were sent.
    AttemptsExhausted,
    /// `Retry-After` asked for more than `max_retry_after`.
    RetryAfterTooLong(Duration),
    /// The pause would end after `max_elapsed`.
    OutOfTime,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotIdempotent => f.write_str("the method is not idempotent"),
            Self::NotRetryable => f.write_str("the failure is not transient"),
            Self::AttemptsExhausted => f.write_str("no attempts left"),
            Self::RetryAfterTooLong(asked) => {
                write!(
                    f,
                    "Retry-After asks for {asked:?}, more than max_retry_after"
                )
            }
            Self::OutOfTime => f.write_str("the next attempt would start after max_elapsed"),
        }
    }
}

/// The pause a `Retry-After` header asks for: delay-seconds, or an HTTP
/// date (a date in the past means no pause). `None` when absent or
/// malformed.
pub(crate) fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::SmallRng};

    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn status(code: u16) -> Failure {
        Failure::Status {
            status: StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT),
            retry_after: None,
        }
    }

    fn ceiling_jitter(ceiling: Duration) -> Duration {
        ceiling
    }

    fn decide(method: Method, failure: Failure, attempts: u32) -> Decision {
        RetryPolicy::default().decide(&method, &failure, attempts, Duration::ZERO, ceiling_jitter)
    }

    #[test]
    fn post_is_never_retried_whatever_the_failure() {
        for failure in [status(503), Failure::Connect, Failure::Timeout] {
            assert_eq!(
                decide(Method::POST, failure, 1),
                Decision::Stop(Stop::NotIdempotent)
            );
        }
        assert_eq!(
            decide(Method::PATCH, status(503), 1),
            Decision::Stop(Stop::NotIdempotent)
        );
    }

    #[test]
    fn idempotent_methods_retry_transient_failures() {
        for method in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            for failure in [
                status(429),
                status(502),
                status(503),
                status(504),
                Failure::Connect,
                Failure::Timeout,
                Failure::ConnectionLost,
            ] {
                assert!(
                    matches!(decide(method.clone(), failure, 1), Decision::Retry(_)),
                    "{method} {failure}"
                );
            }
        }
    }

    #[test]
    fn answers_that_will_not_change_are_not_retried() {
        for code in [400, 401, 403, 404, 409, 412, 422, 500, 501] {
            assert_eq!(
                decide(Method::GET, status(code), 1),
                Decision::Stop(Stop::NotRetryable),
                "{code}"
            );
        }
        assert_eq!(
            decide(Method::GET, Failure::Other, 1),
            Decision::Stop(Stop::NotRetryable)
        );
    }

    #[test]
    fn attempts_are_bounded_by_max_attempts() {
        assert!(matches!(
            decide(Method::GET, status(503), 3),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(Method::GET, status(503), 4),
            Decision::Stop(Stop::AttemptsExhausted)
        );
        let disabled = RetryPolicy::disabled();
        assert_eq!(
            disabled.decide(
                &Method::GET,
                &status(503),
                1,
                Duration::ZERO,
                ceiling_jitter
            ),
            Decision::Stop(Stop::AttemptsExhausted)
        );
    }

    #[test]
    fn ceilings_double_up_to_max_backoff() {
        let policy = RetryPolicy::default()
            .initial_backoff(100 * MS)
            .max_backoff(1000 * MS);
        let ceilings: Vec<_> = (1..=6).map(|retry| policy.backoff_ceiling(retry)).collect();
        assert_eq!(
            ceilings,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        assert_eq!(policy.backoff_ceiling(u32::MAX), 1000 * MS);
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling_and_is_reproducible_with_a_seed() {
        let draw = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..50)
                .map(|_| full_jitter(400 * MS, &mut rng))
                .collect::<Vec<_>>()
        };
        let pauses = draw(7);
        assert!(pauses.iter().all(|pause| *pause <= 400 * MS));
        assert!(pauses.iter().any(|pause| *pause < 200 * MS));
        assert!(pauses.iter().any(|pause| *pause > 200 * MS));
        assert_eq!(pauses, draw(7));
        assert_eq!(
            full_jitter(Duration::ZERO, &mut SmallRng::seed_from_u64(1)),
            Duration::ZERO
        );
    }

    #[test]
    fn retry_after_is_a_lower_bound_on_the_pause() {
        let failure = Failure::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(Duration::from_secs(3)),
        };
        let decision =
            RetryPolicy::default().decide(&Method::GET, &failure, 1, Duration::ZERO, |_| MS);
        assert_eq!(decision, Decision::Retry(Duration::from_secs(3)));
    }

    #[test]
    fn retry_after_beyond_the_cap_returns_the_error() {
        let failure = Failure::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(120)),
        };
        assert_eq!(
            decide(Method::GET, failure, 1),
            Decision::Stop(Stop::RetryAfterTooLong(Duration::from_secs(120)))
        );
    }

    #[test]
    fn no_retry_starts_after_max_elapsed() {
        let policy = RetryPolicy::default().max_elapsed(Duration::from_secs(10));
        let late = Duration::from_secs(10) - MS;
        assert_eq!(
            policy.decide(&Method::GET, &Failure::Timeout, 1, late, ceiling_jitter),
            Decision::Stop(Stop::OutOfTime)
        );
        assert!(matches!(
            policy.decide(&Method::GET, &Failure::Timeout, 1, late, |_| Duration::ZERO),
            Decision::Retry(Duration::ZERO)
        ));
    }

    #[test]
    fn jitter_larger_than_the_ceiling_is_clamped() {
        let policy = RetryPolicy::default().initial_backoff(10 * MS);
        let decision = policy.decide(&Method::GET, &Failure::Connect, 1, Duration::ZERO, |_| {
            Duration::from_secs(99)
        });
        assert_eq!(decision, Decision::Retry(10 * MS));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let parse = |text: &'static str| parse_retry_after(&HeaderValue::from_static(text), now);

        assert_eq!(parse("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse(" 0 "), Some(Duration::ZERO));

        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        let later = HeaderValue::from_str(&later).ok();
        assert_eq!(
            later.and_then(|value| parse_retry_after(&value, now)),
            Some(Duration::from_secs(7))
        );

        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        let earlier = HeaderValue::from_str(&earlier).ok();
        assert_eq!(
            earlier.and_then(|value| parse_retry_after(&value, now)),
            Some(Duration::ZERO)
        );

        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-3"), None);
    }
}
