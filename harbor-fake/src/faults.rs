//! Injected failures, so that client retries and timeouts meet real errors.
//!
//! Faults apply to requests under `/api/v2.0/users`. Each such request first waits for the
//! configured latency, then takes the next scripted fault if any is queued, else draws one
//! from the configured rates with a seeded generator. Decisions are made in request-arrival
//! order, so a sequential client sees the same faults for the same seed every run.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One kind of injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// 429 with `Retry-After` in seconds.
    TooManyRequests,
    /// 500 with Harbor's `UNKNOWN` body.
    InternalServerError,
    /// 502 with a reverse proxy's HTML page.
    BadGateway,
    /// 503 with a reverse proxy's HTML page.
    ServiceUnavailable,
    /// 504 with a reverse proxy's HTML page.
    GatewayTimeout,
    /// The connection is closed without an answer. Needs the built-in server
    /// ([`FakeHarbor`](crate::FakeHarbor) or [`HarborState::serve`](crate::HarborState::serve)).
    ConnectionReset,
    /// The real answer, but the connection closes after half of its announced
    /// `Content-Length`. Needs the built-in server.
    TruncatedBody,
    /// No answer for [`Faults::stall_for`], then the real answer.
    Stall,
    /// The request is carried out (a user is created, a password changed), then the
    /// connection is closed without an answer: the client cannot know that it took effect.
    /// Needs the built-in server.
    ResetAfterHandling,
    /// The request is carried out, then its answer is held back for [`Faults::stall_for`],
    /// long enough for a client to time out on a change that did happen.
    StallAfterHandling,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FaultKind; 10] = [
        FaultKind::TooManyRequests,
        FaultKind::InternalServerError,
        FaultKind::BadGateway,
        FaultKind::ServiceUnavailable,
        FaultKind::GatewayTimeout,
        FaultKind::ConnectionReset,
        FaultKind::TruncatedBody,
        FaultKind::Stall,
        FaultKind::ResetAfterHandling,
        FaultKind::StallAfterHandling,
    ];
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::TooManyRequests => "429",
            FaultKind::InternalServerError => "500",
            FaultKind::BadGateway => "502",
            FaultKind::ServiceUnavailable => "503",
            FaultKind::GatewayTimeout => "504",
            FaultKind::ConnectionReset => "reset",
            FaultKind::TruncatedBody => "truncate",
            FaultKind::Stall => "stall",
            FaultKind::ResetAfterHandling => "reset-after-handling",
            FaultKind::StallAfterHandling => "stall-after-handling",
        })
    }
}

/// Fault configuration: latency, per-kind rates and their seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    latency: Duration,
    rates: BTreeMap<FaultKind, f64>,
    seed: u64,
    retry_after: Duration,
    stall_for: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self::none()
    }
}

impl Faults {
    /// No latency and no faults.
    pub fn none() -> Self {
        Self {
            latency: Duration::ZERO,
            rates: BTreeMap::new(),
            seed: 0,
            retry_after: Duration::from_secs(1),
            stall_for: Duration::from_secs(3600),
        }
    }

    /// Adds a fixed delay before every answer.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Injects `kind` into this fraction of requests (0.0 to 1.0). The rates of all kinds
    /// together should not exceed 1.
    #[must_use]
    pub fn rate(mut self, kind: FaultKind, rate: f64) -> Self {
        self.rates.insert(kind, rate.clamp(0.0, 1.0));
        self
    }

    /// Seeds the generator that draws probabilistic faults.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The `Retry-After` of 429 answers, in whole seconds (default 1 s).
    #[must_use]
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// How long a stalled request waits before answering (default one hour); applies to
    /// [`FaultKind::Stall`] and [`FaultKind::StallAfterHandling`].
    #[must_use]
    pub fn stall_for(mut self, stall_for: Duration) -> Self {
        self.stall_for = stall_for;
        self
    }

    pub(crate) fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs()
    }

    pub(crate) fn stall_duration(&self) -> Duration {
        self.stall_for
    }
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) fault: Option<FaultKind>,
    pub(crate) config: Faults,
}

#[derive(Debug)]
struct Engine {
    config: Faults,
    rng: StdRng,
    script: VecDeque<(FaultKind, u64)>,
}

/// The fault configuration in force plus the scripted queue.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    engine: Mutex<Engine>,
}

impl FaultInjector {
    pub(crate) fn new(config: Faults) -> Self {
        Self {
            engine: Mutex::new(Engine {
                rng: StdRng::seed_from_u64(config.seed),
                config,
                script: VecDeque::new(),
            }),
        }
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the configuration and reseeds the generator; the script is kept.
    pub(crate) fn configure(&self, config: Faults) {
        let mut engine = self.engine();
        engine.rng = StdRng::seed_from_u64(config.seed);
        engine.config = config;
    }

    /// Queues `count` requests that get `kind`, after those already queued.
    pub(crate) fn script(&self, kind: FaultKind, count: u64) {
        if count > 0 {
            self.engine().script.push_back((kind, count));
        }
    }

    /// Drops the configuration and the script.
    pub(crate) fn clear(&self) {
        let mut engine = self.engine();
        engine.script.clear();
        engine.config = Faults::none();
    }

    pub(crate) fn decide(&self) -> Decision {
        let mut engine = self.engine();
        let scripted = match engine.script.front_mut() {
            Some((kind, remaining)) => {
                let kind = *kind;
                *remaining -= 1;
                if *remaining == 0 {
                    engine.script.pop_front();
                }
                Some(kind)
            }
            None => None,
        };
        let fault = scripted.or_else(|| {
            if engine.config.rates.is_empty() {
                return None;
            }
            let draw: f64 = engine.rng.random();
            let mut threshold = 0.0;
            engine.config.rates.iter().find_map(|(kind, rate)| {
                threshold += rate;
                (draw < threshold).then_some(*kind)
            })
        });
        Decision {
            latency: engine.config.latency,
            fault,
            config: engine.config.clone(),
        }
    }
}

/// Request counters, readable through [`HarborState::stats`](crate::HarborState::stats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every request the server received.
    pub requests: u64,
    /// Requests per operation, keyed like `GET /api/v2.0/users/{user_id}`; requests that
    /// matched no operation are counted under `<method> <unrouted>`.
    pub by_operation: BTreeMap<String, u64>,
    /// Injected faults per kind.
    pub faults: BTreeMap<FaultKind, u64>,
    /// Answers that set a new `sid` session cookie.
    pub session_cookies_set: u64,
    /// Requests that carried a `sid` session cookie back (the CSRF trap's bait taken).
    pub session_cookies_received: u64,
}

impl Stats {
    /// How many times `kind` was injected.
    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    /// How many requests reached the operation `key` (e.g. `"GET /api/v2.0/users"`).
    pub fn operation(&self, key: &str) -> u64 {
        self.by_operation.get(key).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    requests: AtomicU64,
    detail: Mutex<Stats>,
}

impl StatsRecorder {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn operation(&self, key: String) {
        let mut detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        *detail.by_operation.entry(key).or_default() += 1;
    }

    pub(crate) fn fault(&self, kind: FaultKind) {
        let mut detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        *detail.faults.entry(kind).or_default() += 1;
    }

    /// Counts a session cookie sent to the client.
    pub(crate) fn session_cookie_set(&self) {
        let mut detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        detail.session_cookies_set += 1;
    }

    /// Counts a request that carried a session cookie.
    pub(crate) fn session_cookie_received(&self) {
        let mut detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        detail.session_cookies_received += 1;
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            ..detail.clone()
        }
    }

    pub(crate) fn reset(&self) {
        let mut detail = self.detail.lock().unwrap_or_else(|e| e.into_inner());
        *detail = Stats::default();
        self.requests.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_come_first_and_run_out() {
        let injector = FaultInjector::new(Faults::none());
        injector.script(FaultKind::ServiceUnavailable, 2);
        injector.script(FaultKind::TooManyRequests, 1);
        let faults: Vec<_> = (0..4).map(|_| injector.decide().fault).collect();
        assert_eq!(
            faults,
            vec![
                Some(FaultKind::ServiceUnavailable),
                Some(FaultKind::ServiceUnavailable),
                Some(FaultKind::TooManyRequests),
                None
            ]
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let config = Faults::none()
            .rate(FaultKind::BadGateway, 0.3)
            .rate(FaultKind::GatewayTimeout, 0.2)
            .seed(7);
        let draw = || {
            let injector = FaultInjector::new(config.clone());
            (0..200)
                .map(|_| injector.decide().fault)
                .collect::<Vec<_>>()
        };
        let first = draw();
        assert_eq!(first, draw());
        let faulted = first.iter().filter(|fault| fault.is_some()).count();
        assert!((60..140).contains(&faulted), "{faulted} of 200 faulted");
    }
}
