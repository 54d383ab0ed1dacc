//! A client for the Users API of [Harbor](https://goharbor.io), the CNCF
//! container registry: typed errors that say what went wrong, safe retries,
//! `tracing` spans, and the configuration a real deployment needs
//! (credentials, robot accounts, private CAs, timeouts).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use harbor_users::{Credentials, HarborClient};
//!
//! let client = HarborClient::builder("https://harbor.example.com")
//!     .credentials(Credentials::basic("admin", "Harbor12345"))
//!     .build()?;
//!
//! // Any Harbor endpoint, through the same credentials, retries and tracing:
//! let user = client.raw().get_user().user_id(3).send().await?.into_inner();
//! println!("{:?}", user.username);
//! # Ok(())
//! # }
//! ```
//!
//! # What every request gets
//!
//! * **Credentials** sent as HTTP Basic on every request ([`Credentials`]:
//!   user, robot account, robot credentials file, environment), never
//!   logged, and never sent over plain `http://` to another machine unless
//!   allowed with [`ClientBuilder::allow_insecure_http`].
//! * **An `X-Request-Id`**, fresh or chosen by the caller
//!   ([`harbor_openapi::request_id::scope`], [`HarborClient::with_request_id`]),
//!   which errors report so the call can be found in Harbor's log.
//! * **Retries** of idempotent requests on connection failures, timeouts
//!   and 429/502/503/504, with jittered backoff and `Retry-After`
//!   ([`RetryPolicy`]). A POST is never retried.
//! * **A `tracing` span** per HTTP attempt, with OpenTelemetry-style fields
//!   (`http.request.method`, `url.path`, `http.response.status_code`, …).
//! * **Timeouts** (30 s per request, 10 s to connect) and **TLS** by rustls
//!   with the system's roots plus any CA you add.
//! * **No cookie store**, on purpose: see [`ClientBuilder`].
//!
//! Failures are one [`Error`] type whose variants tell Harbor's refusals,
//! proxies' error pages, unreadable responses, network failures and bad
//! input apart, with helpers such as [`Error::is_not_found`].

#![forbid(unsafe_code)]

mod base_url;
mod client;
mod credentials;
mod error;
pub mod query;
mod retry;
mod transport;

pub use client::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, HarborClient};
pub use credentials::{Credentials, Secret};
pub use error::{BoxError, Error, ErrorCode, HarborErrorEntry, RequestInfo};
pub use retry::RetryPolicy;

/// The generated client for the whole Harbor API, and its types
/// ([`harbor_openapi::types::UserResp`], …), re-exported so that callers
/// need no dependency of their own.
pub use harbor_openapi;
/// The HTTP client crate, for [`ClientBuilder::http_client`]: a
/// `reqwest::Client` from another version of it would not be accepted.
pub use reqwest;
/// The URL type of [`HarborClient::base_url`].
pub use url::Url;
