//! A client for the Users API of [Harbor](https://goharbor.io), the CNCF
//! container registry: create and remove accounts, grant admin, reset
//! passwords, look people up, audit who has which rights.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use harbor_users::{Credentials, HarborClient, NewUser, query::{Field, Query}};
//!
//! let client = HarborClient::builder("https://harbor.example.com")
//!     .credentials(Credentials::basic("admin", "Harbor12345"))
//!     .build()?;
//!
//! let id = client
//!     .create_user(&NewUser::new("alice", "alice@example.com", "Alice", "Wonder1and"))
//!     .await?;
//! let alice = client.get_user_by_username("alice").await?;
//! assert_eq!(alice.id, id);
//!
//! let mut admins = client
//!     .get_users()
//!     .query(Query::new().exact(Field::SysadminFlag, true)?)
//!     .stream();
//! while let Some(admin) = admins.try_next().await? {
//!     println!("{} is an administrator", admin.username);
//! }
//!
//! // Any other Harbor endpoint, with the same credentials, retries and tracing:
//! let projects = client.raw().list_projects().send().await?.into_inner();
//! # Ok(())
//! # }
//! ```
//!
//! # The operations
//!
//! Every operation of Harbor's Users API is a method of [`HarborClient`],
//! named as in the Python client `harborapi`: [`get_user`], [`get_user_by_username`]
//! (exact match only), [`create_user`] (returns the new [`UserId`]),
//! [`update_user`] and [`edit_user`] (read-modify-write), [`delete_user`] and
//! [`delete_user_if_exists`], [`get_users`] and [`search_users_by_username`]
//! (lazy streams; see [`Paging`] for `page_size`, `limit` and prefetching),
//! [`set_user_admin`], [`set_user_password`], [`set_user_cli_secret`],
//! [`get_current_user`] and [`get_current_user_permissions`]. Listings are
//! filtered and ordered with the typed [`query`] language.
//!
//! [`get_user`]: HarborClient::get_user
//! [`get_user_by_username`]: HarborClient::get_user_by_username
//! [`create_user`]: HarborClient::create_user
//! [`update_user`]: HarborClient::update_user
//! [`edit_user`]: HarborClient::edit_user
//! [`delete_user`]: HarborClient::delete_user
//! [`delete_user_if_exists`]: HarborClient::delete_user_if_exists
//! [`get_users`]: HarborClient::get_users
//! [`search_users_by_username`]: HarborClient::search_users_by_username
//! [`set_user_admin`]: HarborClient::set_user_admin
//! [`set_user_password`]: HarborClient::set_user_password
//! [`set_user_cli_secret`]: HarborClient::set_user_cli_secret
//! [`get_current_user`]: HarborClient::get_current_user
//! [`get_current_user_permissions`]: HarborClient::get_current_user_permissions
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
//! input apart, with helpers such as [`Error::is_not_found`]. The readers
//! of what Harbor sends besides its JSON bodies (its error body, `Location`,
//! `X-Total-Count`) are public in [`wire`], for callers of
//! [`HarborClient::raw`] and for fuzzing.

#![forbid(unsafe_code)]

mod base_url;
mod client;
mod credentials;
mod error;
mod pagination;
pub mod query;
mod retry;
mod timestamp;
mod transport;
mod users;
pub mod wire;

pub use client::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, HarborClient};
pub use credentials::{Credentials, Secret};
pub use error::{BoxError, Error, ErrorCode, HarborErrorEntry, RequestInfo};
pub use pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, Paging};
pub use query::{Field, Query, QueryError, Sort};
pub use retry::RetryPolicy;
pub use users::{
    ListUsers, NewUser, OidcUserMeta, Permission, PermissionScope, SearchUsers, User, UserId,
    UserProfile, UserSummary,
};

/// The generated client for the whole Harbor API, and its types
/// ([`harbor_openapi::types::UserResp`], …), re-exported so that callers
/// need no dependency of their own.
pub use harbor_openapi;
/// The HTTP client crate, for [`ClientBuilder::http_client`]: a
/// `reqwest::Client` from another version of it would not be accepted.
pub use reqwest;
/// The URL type of [`HarborClient::base_url`].
pub use url::Url;
