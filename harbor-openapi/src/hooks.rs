//! How each generated operation reaches the network.

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue};

use crate::{Client, request_id};

/// A boxed, sendable future, as returned by [`Middleware::execute`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Carries out one HTTP exchange for a generated operation.
///
/// The default (no middleware) sends the request once with the client's
/// `reqwest::Client`. A middleware may add headers, retry, time or log the
/// exchange; it receives the request with its `X-Request-Id` already set.
///
/// ```
/// use harbor_openapi::{BoxFuture, Middleware};
///
/// /// Sends every request twice as slowly as it could: an example, not advice.
/// #[derive(Debug)]
/// struct Patient;
///
/// impl Middleware for Patient {
///     fn execute<'a>(
///         &'a self,
///         http: &'a reqwest::Client,
///         request: reqwest::Request,
///         _operation_id: &'static str,
///     ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
///         Box::pin(async move {
///             tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///             http.execute(request).await
///         })
///     }
/// }
///
/// let hooks = harbor_openapi::Hooks::new(std::sync::Arc::new(Patient));
/// assert!(hooks.middleware().is_some());
/// ```
pub trait Middleware: fmt::Debug + Send + Sync + 'static {
    /// Sends `request`, made by the operation `operation_id` (the generated
    /// method's name, such as `list_users`), and returns
    /// Harbor's response or the transport error that ended the exchange.
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// The per-client state that the generated operations consult: an optional
/// [`Middleware`].
///
/// ```
/// let hooks = harbor_openapi::Hooks::default();
/// assert!(hooks.middleware().is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    middleware: Option<Arc<dyn Middleware>>,
}

impl Hooks {
    /// Hooks that hand every exchange to `middleware`.
    pub fn new(middleware: Arc<dyn Middleware>) -> Self {
        Self {
            middleware: Some(middleware),
        }
    }

    /// The middleware, if one was given.
    pub fn middleware(&self) -> Option<&Arc<dyn Middleware>> {
        self.middleware.as_ref()
    }
}

impl ClientHooks<Hooks> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let name = HeaderName::from_static("x-request-id");
        if !request.headers().contains_key(&name) {
            let id = request_id::next();
            // A scoped id that is not a valid header value is replaced by a
            // fresh one rather than failing the call.
            let value = HeaderValue::from_str(&id).unwrap_or_else(|_| {
                HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                    .unwrap_or(HeaderValue::from_static("harbor-openapi"))
            });
            request.headers_mut().insert(name, value);
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match self.inner().middleware() {
            Some(middleware) => {
                middleware
                    .execute(self.client(), request, info.operation_id)
                    .await
            }
            None => self.client().execute(request).await,
        }
    }
}
