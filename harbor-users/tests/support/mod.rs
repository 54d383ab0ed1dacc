//! Helpers shared by the wire tests.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use harbor_users::{ClientBuilder, HarborClient, RetryPolicy};
use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};

pub mod raw_server;

/// The test's failure type: any error, with its message.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Retries without the waiting, so that retry tests run in milliseconds.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

/// A builder for the mock server, retrying quickly.
pub fn builder(server: &MockServer) -> ClientBuilder {
    HarborClient::builder(server.base_url()).retry_policy(quick_retries())
}

/// One canned answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn json(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self.header("content-type", "application/json")
    }

    fn response(&self) -> HttpMockResponse {
        let mut response = HttpMockResponse::builder().status(self.status);
        for (name, value) in &self.headers {
            response = response.header(*name, value.clone());
        }
        response.body(self.body.clone()).build()
    }
}

/// Answers with `answers` in order, repeating the last one, and records
/// each request it saw.
#[derive(Clone, Default)]
pub struct Script {
    answers: Arc<Vec<Answer>>,
    served: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<HttpMockRequest>>>,
}

impl Script {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Arc::new(answers.into_iter().collect()),
            ..Self::default()
        }
    }

    /// The responder to give `then.respond_with`.
    pub fn responder(
        &self,
    ) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync + 'static {
        let script = self.clone();
        move |request| {
            let index = script.served.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut seen) = script.seen.lock() {
                seen.push(request.clone());
            }
            let last = script.answers.len().saturating_sub(1);
            script
                .answers
                .get(index.min(last))
                .map(Answer::response)
                .unwrap_or_else(|| HttpMockResponse::builder().status(599).build())
        }
    }

    /// How many requests were answered.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    /// The value of `header` in each request seen, in order.
    pub fn header_values(&self, header: &str) -> Vec<Option<String>> {
        self.seen
            .lock()
            .map(|seen| {
                seen.iter()
                    .map(|request| {
                        request
                            .headers()
                            .get(header)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
