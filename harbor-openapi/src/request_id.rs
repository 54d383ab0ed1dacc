//! The `X-Request-Id` header that every request carries.
//!
//! Harbor logs the id of each request and echoes it in the response, so a
//! failing call can be matched with the server's log lines. The generated
//! client sends a fresh UUID per request unless the caller chose an id for the
//! requests made inside a future, with [`scope`].

use std::future::Future;

tokio::task_local! {
    static SCOPED_ID: String;
}

/// The name of the header, as Harbor spells it.
pub const HEADER: &str = "X-Request-Id";

/// Runs `future` so that every request it makes carries `id` as its
/// `X-Request-Id`, instead of a fresh UUID.
///
/// ```no_run
/// # async fn demo(client: harbor_openapi::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use harbor_openapi::request_id;
///
/// let user = request_id::scope("nightly-audit-42", client.get_user().user_id(42).send()).await?;
/// # Ok(())
/// # }
/// ```
pub async fn scope<F: Future>(id: impl Into<String>, future: F) -> F::Output {
    SCOPED_ID.scope(id.into(), future).await
}

/// The id chosen with [`scope`] for the current task, if any.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use harbor_openapi::request_id;
///
/// assert_eq!(request_id::scoped(), None);
/// let inside = request_id::scope("abc", async { request_id::scoped() }).await;
/// assert_eq!(inside.as_deref(), Some("abc"));
/// # }
/// ```
pub fn scoped() -> Option<String> {
    SCOPED_ID.try_with(Clone::clone).ok()
}

/// The id to send on the next request: the scoped one, or a fresh UUID.
///
/// ```
/// let id = harbor_openapi::request_id::next();
/// assert_eq!(id.len(), 36);
/// ```
pub fn next() -> String {
    scoped().unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
