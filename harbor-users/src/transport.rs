//! The one road every request takes to Harbor.
//!
//! [`Pipeline`] adds the `Authorization`, `User-Agent` and `X-Request-Id`
//! headers, sends the request, retries it when [`RetryPolicy`] says so, and
//! wraps each attempt in a `tracing` span. It serves two callers:
//!
//! * this crate's operations, through [`HarborClient::execute`] with a
//!   [`Call`], which read the body under a size cap and turn any error
//!   status into a typed [`Error`];
//! * the generated client handed out by [`HarborClient::raw`], as its
//!   [`harbor_openapi::Middleware`], which gets the response unread.
//!
//! # Spans
//!
//! There is one `harbor.http` span per HTTP attempt, not one per call: each
//! attempt has its own status, duration and outcome, which is what
//! OpenTelemetry's HTTP client conventions ask for (a resend is a new span,
//! numbered by `http.request.resend_count`). The decision to retry, with its
//! reason and pause, is a `WARN` event between two spans. No header, body or
//! request is ever recorded: the credentials are in a header.
//!
//! [`HarborClient::execute`]: crate::HarborClient::execute
//! [`HarborClient::raw`]: crate::HarborClient::raw

use std::{
    borrow::Cow,
    convert::Infallible,
    fmt,
    future::Future,
    time::{Duration, Instant, SystemTime},
};

use bytes::{Bytes, BytesMut};
use harbor_openapi::{BoxFuture, request_id};
use rand::SeedableRng as _;
use reqwest::{
    Method, Request, Response, StatusCode,
    header::{self, HeaderMap, HeaderName, HeaderValue},
};
use serde::{Serialize, de::DeserializeOwned};
use tracing::{Instrument as _, field::Empty};
use url::Url;

use crate::{
    Error, RequestInfo,
    retry::{self, Decision, Failure, RetryPolicy},
    wire,
};

/// How much of an error body is kept in [`Error::Status`].
const ERROR_SNIPPET_LIMIT: usize = 1024;

/// How much of a success body is quoted in [`Error::Decode`].
const DECODE_SNIPPET_LIMIT: usize = 512;

/// How much of an error body is read to look for Harbor's error entries;
/// the rest is left unread. Harbor's own error bodies are far smaller.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The default cap on a success body.
pub(crate) const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The shared request path: headers, retries, spans.
pub(crate) struct Pipeline {
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) retry: RetryPolicy,
    /// An `X-Request-Id` for every request of this client, unless a
    /// [`request_id::scope`] chose one.
    pub(crate) request_id: Option<HeaderValue>,
    pub(crate) max_body_size: usize,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            // Only whether there are credentials: the header value is secret.
            .field("sends_credentials", &self.authorization.is_some())
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("request_id", &self.request_id)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

/// How the last attempt of an exchange failed.
pub(crate) enum Failed<E> {
    /// The HTTP stack gave up: no (complete) response.
    Transport {
        source: reqwest::Error,
        attempts: u32,
    },
    /// The caller's reading of the response failed for its own reasons.
    Reading(E),
}

/// Why reading a response failed.
pub(crate) enum ReadError<E> {
    /// The connection failed while reading; retried like a send failure.
    Transport(reqwest::Error),
    /// Anything else; never retried.
    Other(E),
}

impl Pipeline {
    /// Sets the headers every request carries. Called once per call, not
    /// per attempt, so that retries carry the same `X-Request-Id`.
    pub(crate) fn prepare(&self, request: &mut Request) {
        let headers = request.headers_mut();
        if let Some(authorization) = &self.authorization {
            headers.insert(header::AUTHORIZATION, authorization.clone());
        }
        headers.insert(header::USER_AGENT, self.user_agent.clone());

        // A scope set by the caller around this call wins over the client's
        // id, which wins over the fresh id the generated code may have set.
        let scoped = request_id::scoped().and_then(|id| HeaderValue::try_from(id).ok());
        match (scoped, &self.request_id) {
            (Some(id), _) => {
                headers.insert(REQUEST_ID, id);
            }
            (None, Some(id)) => {
                headers.insert(REQUEST_ID, id.clone());
            }
            (None, None) => {
                if !headers.contains_key(REQUEST_ID) {
                    let fresh = HeaderValue::try_from(request_id::next())
                        .unwrap_or(HeaderValue::from_static("harbor-users"));
                    headers.insert(REQUEST_ID, fresh);
                }
            }
        }
    }

    /// Sends `request` until an attempt succeeds or retrying stops, and
    /// hands the final response to `read`. A response whose status is
    /// retried is dropped unread.
    ///
    /// `read` gets the response and the number of attempts made so far; a
    /// transport error it reports (a body cut off, a timeout while
    /// reading) is retried like a failure to send.
    pub(crate) async fn exchange<T, E, F, Fut>(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &'static str,
        read: F,
    ) -> Result<T, Failed<E>>
    where
        F: Fn(Response, u32) -> Fut,
        Fut: Future<Output = Result<T, ReadError<E>>>,
    {
        let method = request.method().clone();
        let path = request.url().path().to_owned();
        let host = request.url().host_str().unwrap_or_default().to_owned();
        let request_id = header_text(request.headers(), &REQUEST_ID).unwrap_or_default();
        let call = CallContext {
            operation,
            method: &method,
            path: &path,
            started: Instant::now(),
        };

        let mut request = request;
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Bodies here are always in memory, so the copy only fails for a
            // streaming body, which then is sent once.
            let mut spare = request.try_clone();
            let span = tracing::info_span!(
                "harbor.http",
                otel.name = operation,
                otel.kind = "client",
                otel.status_code = Empty,
                http.request.method = %method,
                url.path = %path,
                server.address = %host,
                http.request.resend_count = attempts - 1,
                attempt = attempts,
                request_id = %request_id,
                http.response.status_code = Empty,
                "error.type" = Empty,
                duration_ms = Empty,
            );
            let attempt_started = Instant::now();

            let outcome = send(http, request).instrument(span.clone()).await;
            let retry = outcome
                .failure()
                .and_then(|failure| self.next_attempt(&call, &failure, attempts, &mut spare));
            if let Some((pause, copy)) = retry {
                span.record("duration_ms", elapsed_ms(attempt_started));
                drop((outcome, span));
                tokio::time::sleep(pause).await;
                request = copy;
                continue;
            }

            let response = match outcome {
                Attempt::Answered(_, response) => response,
                Attempt::Failed(source) => {
                    span.record("duration_ms", elapsed_ms(attempt_started));
                    return Err(Failed::Transport { source, attempts });
                }
            };
            let read_result = read(response, attempts).instrument(span.clone()).await;
            span.record("duration_ms", elapsed_ms(attempt_started));
            let source = match read_result {
                Ok(value) => return Ok(value),
                Err(ReadError::Other(error)) => return Err(Failed::Reading(error)),
                Err(ReadError::Transport(source)) => source,
            };

            // The body broke off: judged like a failure to send.
            span.record("error.type", error_type(&source));
            span.record("otel.status_code", "ERROR");
            let failure = Failure::of(&source);
            let Some((pause, copy)) = self.next_attempt(&call, &failure, attempts, &mut spare)
            else {
                return Err(Failed::Transport { source, attempts });
            };
            drop(span);
            tokio::time::sleep(pause).await;
            request = copy;
        }
    }

    /// The pause before the next attempt and the request to send then, or
    /// `None` to stop; logs either way. Takes the spare copy only when
    /// retrying.
    fn next_attempt(
        &self,
        call: &CallContext<'_>,
        failure: &Failure,
        attempts: u32,
        spare: &mut Option<Request>,
    ) -> Option<(Duration, Request)> {
        spare.as_ref()?;
        let elapsed = call.started.elapsed();
        let decision = self
            .retry
            .decide(call.method, failure, attempts, elapsed, |ceiling| {
                // Jitter spreads retries apart; it needs no cryptographic
                // generator, and one seeded per retry keeps no state.
                retry::full_jitter(ceiling, &mut rand::rngs::SmallRng::from_os_rng())
            });
        match decision {
            Decision::Retry(pause) => {
                tracing::warn!(
                    operation = call.operation,
                    http.request.method = %call.method,
                    url.path = call.path,
                    attempt = attempts,
                    reason = %failure,
                    pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                    "Harbor request failed; retrying",
                );
                spare.take().map(|request| (pause, request))
            }
            Decision::Stop(reason) => {
                // A first failure that is simply not retryable (a 404, a
                // POST) is the caller's business, not a warning.
                let retried = attempts > 1 || matches!(reason, retry::Stop::RetryAfterTooLong(_));
                if retried {
                    tracing::warn!(
                        operation = call.operation,
                        http.request.method = %call.method,
                        url.path = call.path,
                        attempts,
                        reason = %failure,
                        stopped_because = %reason,
                        "Harbor request failed; giving up",
                    );
                }
                None
            }
        }
    }
}

/// The call an attempt belongs to, for retry decisions and logs.
struct CallContext<'a> {
    operation: &'static str,
    method: &'a Method,
    path: &'a str,
    started: Instant,
}

impl harbor_openapi::Middleware for Pipeline {
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<Response>> {
        Box::pin(async move {
            self.prepare(&mut request);
            let read =
                |response, _attempts| async move { Ok::<_, ReadError<Infallible>>(response) };
            match self.exchange(http, request, operation_id, read).await {
                Ok(response) => Ok(response),
                Err(Failed::Transport { source, .. }) => Err(source),
                Err(Failed::Reading(never)) => match never {},
            }
        })
    }
}

/// How one attempt ended, before its body is read.
enum Attempt {
    Answered(StatusCode, Response),
    Failed(reqwest::Error),
}

impl Attempt {
    /// `None` for a success; otherwise what the retry policy judges.
    fn failure(&self) -> Option<Failure> {
        match self {
            Self::Answered(status, _) if status.is_success() => None,
            Self::Answered(status, response) => Some(Failure::Status {
                status: *status,
                retry_after: response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|value| retry::parse_retry_after(value, SystemTime::now())),
            }),
            Self::Failed(error) => Some(Failure::of(error)),
        }
    }
}

/// Sends one attempt and records its outcome on the current span.
async fn send(http: &reqwest::Client, request: Request) -> Attempt {
    let attempt = match http.execute(request).await {
        Ok(response) => Attempt::Answered(response.status(), response),
        Err(error) => Attempt::Failed(error),
    };
    record_outcome(&attempt);
    attempt
}

fn record_outcome(attempt: &Attempt) {
    let span = tracing::Span::current();
    match attempt {
        Attempt::Answered(status, _) => {
            span.record("http.response.status_code", status.as_u16());
            if status.is_client_error() || status.is_server_error() {
                span.record("error.type", status.as_str());
                span.record("otel.status_code", "ERROR");
            }
            tracing::debug!(status = status.as_u16(), "Harbor answered");
        }
        Attempt::Failed(error) => {
            span.record("error.type", error_type(error));
            span.record("otel.status_code", "ERROR");
            tracing::debug!(error = %error_type(error), "no answer from Harbor");
        }
    }
}

/// The `error.type` of a transport failure, in OpenTelemetry's spirit.
fn error_type(error: &reqwest::Error) -> &'static str {
    match Failure::of(error) {
        Failure::Timeout => "timeout",
        Failure::Connect => "connect",
        Failure::ConnectionLost => "connection_lost",
        Failure::Status { .. } | Failure::Other => "request",
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// One request of this crate's operations, built before anything is sent.
///
/// ```text
/// let reply = client
///     .execute(Call::get("get_user", format!("/users/{id}")))
///     .await?;
/// let user: UserResp = reply.json("a UserResp")?;
/// ```
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) path: Cow<'a, str>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

impl<'a> Call<'a> {
    /// A request for Harbor's operation `operation` (named as the generated
    /// client names it, such as `get_user`, for spans and logs) to `path`, relative to the API
    /// base (such as `/users/42`).
    ///
    /// Each `/`-separated segment of `path` is percent-encoded when the URL
    /// is built, so segments are given unencoded.
    pub(crate) fn new(
        operation: &'static str,
        method: Method,
        path: impl Into<Cow<'a, str>>,
    ) -> Self {
        Self {
            operation,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    /// A GET request.
    pub(crate) fn get(operation: &'static str, path: impl Into<Cow<'a, str>>) -> Self {
        Self::new(operation, Method::GET, path)
    }

    /// A POST request; never retried.
    pub(crate) fn post(operation: &'static str, path: impl Into<Cow<'a, str>>) -> Self {
        Self::new(operation, Method::POST, path)
    }

    /// A PUT request.
    pub(crate) fn put(operation: &'static str, path: impl Into<Cow<'a, str>>) -> Self {
        Self::new(operation, Method::PUT, path)
    }

    /// A DELETE request.
    pub(crate) fn delete(operation: &'static str, path: impl Into<Cow<'a, str>>) -> Self {
        Self::new(operation, Method::DELETE, path)
    }

    /// Adds a query pair; the value is form-encoded once when the URL is
    /// built (encode it beforehand where Harbor decodes twice, as for `q`).
    #[must_use]
    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    /// Adds a query pair when `value` is `Some`.
    #[must_use]
    pub(crate) fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(key, value),
            None => self,
        }
    }

    /// Sets `body`, serialized as JSON, as the request body.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|error| Error::invalid_input("request body", error.to_string()))?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// The full URL below `base` (which ends with `/`).
    pub(crate) fn url(&self, base: &Url) -> Result<Url, Error> {
        let mut url = base.clone();
        {
            let mut segments = url.path_segments_mut().map_err(|()| {
                Error::invalid_input("API base URL", format!("{base} cannot carry a path"))
            })?;
            segments.pop_if_empty();
            for segment in self.path.split('/').filter(|segment| !segment.is_empty()) {
                segments.push(segment);
            }
        }
        if !self.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(self.query.iter().map(|(key, value)| (*key, value.as_str())));
        }
        Ok(url)
    }
}

/// A successful answer from Harbor, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// What was sent, for errors about this reply.
    pub(crate) request: RequestInfo,
}

impl Reply {
    /// The body decoded as JSON; `expected` names the type for the error,
    /// such as `"a UserResp"` or `"a list of UserResp"`.
    pub(crate) fn json<T: DeserializeOwned>(&self, expected: &'static str) -> Result<T, Error> {
        // One UTF-8 check of the whole body costs far less than serde_json's
        // check of each string and key when reading bytes. A body that fails
        // it is read as bytes, for serde_json's error and its position.
        let decoded = match std::str::from_utf8(&self.body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(&self.body),
        };
        decoded.map_err(|error| self.decode_error(expected, error))
    }

    /// A header's value as text, trimmed; `None` when absent or not text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    }

    /// A header read by `parse`: `Ok(None)` when absent, an
    /// [`Error::Decode`] naming `expected` when present but unreadable.
    pub(crate) fn parse_header<T, E: fmt::Display>(
        &self,
        name: &str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, Error> {
        let Some(value) = self.headers.get(name) else {
            return Ok(None);
        };
        let text = value.to_str().map_err(|error| Error::Decode {
            request: Box::new(self.request.clone()),
            status: self.status,
            expected: Cow::Borrowed(expected),
            reason: format!("the {name} header is not text: {error}"),
            snippet: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        })?;
        parse(text).map(Some).map_err(|error| Error::Decode {
            request: Box::new(self.request.clone()),
            status: self.status,
            expected: Cow::Borrowed(expected),
            reason: format!("the {name} header cannot be parsed: {error}"),
            snippet: text.to_owned(),
        })
    }

    /// An [`Error::Decode`] for this reply's body.
    pub(crate) fn decode_error(&self, expected: &'static str, reason: impl fmt::Display) -> Error {
        Error::Decode {
            request: Box::new(self.request.clone()),
            status: self.status,
            expected: Cow::Borrowed(expected),
            reason: reason.to_string(),
            snippet: redacted_snippet(&self.body, DECODE_SNIPPET_LIMIT),
        }
    }
}

/// The response of the last attempt, body read, before its status is
/// judged.
struct RawReply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// Whether the body went on past what was read.
    truncated: bool,
    request: RequestInfo,
}

impl RawReply {
    /// A success as a [`Reply`]; any other status as the matching error.
    fn into_result(self) -> Result<Reply, Error> {
        let Self {
            status,
            headers,
            body,
            truncated,
            request,
        } = self;
        if status.is_success() {
            return Ok(Reply {
                status,
                headers,
                body,
                request,
            });
        }

        let entries = if truncated {
            None
        } else {
            wire::parse_error_body(&body)
        };
        Err(match entries {
            Some(errors) => Error::Api {
                request: Box::new(request),
                status,
                errors,
            },
            None => Error::Status {
                request: Box::new(request),
                status,
                body: redacted_snippet(&body, ERROR_SNIPPET_LIMIT),
            },
        })
    }
}

/// Reads the final response of a [`Call`]: a success body up to
/// `max_body_size` (more is an error), an error body up to
/// [`ERROR_BODY_LIMIT`] (more is left unread).
async fn read_reply(
    mut response: Response,
    request: RequestInfo,
    max_body_size: usize,
) -> Result<RawReply, ReadError<Error>> {
    let status = response.status();
    let request = request.with_request_id(header_text(response.headers(), &REQUEST_ID));
    // The body's length comes from its framing, not from these headers.
    let headers = std::mem::take(response.headers_mut());

    let limit = if status.is_success() {
        max_body_size
    } else {
        ERROR_BODY_LIMIT
    };
    let too_large = || {
        ReadError::Other(Error::BodyTooLarge {
            request: Box::new(request.clone()),
            status,
            limit,
        })
    };
    let announced = response.content_length().unwrap_or(0);
    if status.is_success() && announced > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(too_large());
    }

    let capacity = usize::try_from(announced).unwrap_or(usize::MAX).min(limit);
    let mut body = Collected::Empty;
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            if status.is_success() {
                return Err(too_large());
            }
            let room = limit - body.len();
            body.push(chunk.slice(..room.min(chunk.len())), capacity);
            truncated = true;
            break;
        }
        body.push(chunk, capacity);
    }

    Ok(RawReply {
        status,
        headers,
        body: body.into_bytes(),
        truncated,
        request,
    })
}

/// A body read chunk by chunk. Most bodies come in one chunk, which is kept
/// as it is; the second chunk of a body copies both into one buffer, sized
/// for the whole body when its length was announced.
enum Collected {
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl Collected {
    fn len(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::One(bytes) => bytes.len(),
            Self::Many(bytes) => bytes.len(),
        }
    }

    /// Appends `chunk`; `capacity` is the expected size of the whole body.
    fn push(&mut self, chunk: Bytes, capacity: usize) {
        *self = match std::mem::replace(self, Self::Empty) {
            Self::Empty => Self::One(chunk),
            Self::One(first) => {
                let mut all = BytesMut::with_capacity(capacity.max(first.len() + chunk.len()));
                all.extend_from_slice(&first);
                all.extend_from_slice(&chunk);
                Self::Many(all)
            }
            Self::Many(mut all) => {
                all.extend_from_slice(&chunk);
                Self::Many(all)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Self::Empty => Bytes::new(),
            Self::One(bytes) => bytes,
            Self::Many(bytes) => bytes.freeze(),
        }
    }
}

/// At most `limit` bytes of `body` as text: lossy UTF-8, cut at a character
/// boundary.
pub(crate) fn snippet(body: &[u8], limit: usize) -> String {
    let mut end = body.len().min(limit);
    if end < body.len() {
        // Step back over UTF-8 continuation bytes (10xxxxxx) so that a
        // character split by the limit is dropped whole.
        let mut steps = 0;
        while end > 0 && steps < 3 && body.get(end).is_some_and(|byte| byte & 0xC0 == 0x80) {
            end -= 1;
            steps += 1;
        }
    }
    String::from_utf8_lossy(body.get(..end).unwrap_or_default()).into_owned()
}

/// Like [`snippet`], but with the values of JSON fields whose name mentions
/// a password or secret replaced by `***` ([`wire::redact_secrets`]):
/// Harbor returns a user's plaintext CLI secret in `oidc_user_meta.secret`,
/// and errors end up in logs. The body is cut before it is redacted, so a
/// secret cut in two is hidden too, and cut again to keep to `limit`.
fn redacted_snippet(body: &[u8], limit: usize) -> String {
    let redacted = wire::redact_secrets(&snippet(body, limit));
    snippet(redacted.as_bytes(), limit)
}

impl crate::HarborClient {
    /// Sends `call` through the pipeline and returns Harbor's successful
    /// answer, read in full; any other status becomes the matching
    /// [`Error`].
    ///
    /// Idempotent calls are retried under the client's [`RetryPolicy`];
    /// nothing is sent when the URL cannot be built.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Reply, Error> {
        let inner = self.inner();
        let url = call.url(inner.base_url())?;

        let mut request = Request::new(call.method.clone(), url);
        request
            .headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(body) = call.body {
            // Harbor answers 422 to a body without this content type.
            request.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            *request.body_mut() = Some(body.into());
        }
        let pipeline = inner.pipeline();
        pipeline.prepare(&mut request);

        let sent = RequestInfo::new(
            call.method,
            request.url().path(),
            header_text(request.headers(), &REQUEST_ID),
        );
        let max_body_size = pipeline.max_body_size;
        let read = |response, attempts| {
            let sent = sent.clone().with_attempts(attempts);
            read_reply(response, sent, max_body_size)
        };
        match pipeline
            .exchange(inner.http(), request, call.operation, read)
            .await
        {
            Ok(raw) => raw.into_result(),
            Err(Failed::Reading(error)) => Err(error),
            Err(Failed::Transport { source, attempts }) => Err(Error::Transport {
                request: Box::new(sent.with_attempts(attempts)),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn a_body_in_one_chunk_is_kept_as_it_came_and_chunks_are_joined_in_order() {
        let chunk = Bytes::from_static(br#"[{"user_id":3}]"#);
        let mut one = Collected::Empty;
        one.push(chunk.clone(), chunk.len());
        assert_eq!(one.into_bytes().as_ptr(), chunk.as_ptr(), "no copy");

        for capacity in [0, 15, 4096] {
            let mut many = Collected::Empty;
            for part in [&br#"[{"user"#[..], br#"_id":"#, b"3}]"] {
                many.push(Bytes::copy_from_slice(part), capacity);
            }
            assert_eq!(many.len(), 15);
            assert_eq!(&many.into_bytes()[..], br#"[{"user_id":3}]"#);
        }
        assert!(Collected::Empty.into_bytes().is_empty());
    }

    #[test]
    fn snippet_cuts_at_a_character_boundary() {
        let text = "é".repeat(600); // 1200 bytes, two per character
        let cut = snippet(text.as_bytes(), 1023);
        assert_eq!(cut.len(), 1022);
        assert!(!cut.contains('\u{FFFD}'));
        assert_eq!(snippet(b"short", 1024), "short");
        assert_eq!(snippet(b"", 1024), "");
    }

    #[test]
    fn snippet_of_invalid_utf8_is_lossy() {
        assert_eq!(snippet(b"ok \xff\xfe end", 1024), "ok \u{FFFD}\u{FFFD} end");
    }

    #[test]
    fn redacted_snippet_hides_secret_and_password_fields_at_any_depth() {
        let body = br#"{"username":"bob","oidc_user_meta":{"secret":"TopSecret1"},
                        "list":[{"new_password":"Passw0rd!"}]}"#;
        let shown = redacted_snippet(body, 1024);
        assert!(shown.contains("bob"), "{shown}");
        assert!(!shown.contains("TopSecret1"), "{shown}");
        assert!(!shown.contains("Passw0rd!"), "{shown}");
        assert_eq!(redacted_snippet(b"<html>", 1024), "<html>");
    }

    #[test]
    fn a_body_cut_off_inside_a_secret_is_quoted_without_it() {
        // Before redaction worked on text, a body that was not valid JSON
        // was quoted as it came, secret included.
        let cut = br#"{"user_id":3,"oidc_user_meta":{"secret":"CliSecret9-and-more"#;
        let shown = redacted_snippet(cut, 1024);
        assert!(!shown.contains("CliSecret9"), "{shown}");
        assert!(shown.contains("user_id"), "{shown}");

        // A secret cut by the snippet limit is hidden whole as well.
        let long = format!(
            r#"{{"pad":"{}","password":"Harbor12345"}}"#,
            "x".repeat(990)
        );
        let shown = redacted_snippet(long.as_bytes(), 1010);
        assert!(!shown.contains("Harb"), "{shown}");
        assert!(shown.len() <= 1010);
    }

    #[test]
    fn call_url_encodes_segments_and_query_below_the_base() {
        let base = Url::parse("https://h.example.com/harbor/api/v2.0/").ok();
        let call = Call::get("listUsers", "/users")
            .query("q", "username=~a b&c")
            .query_opt("page", Some(2))
            .query_opt("page_size", None::<u32>);
        let url = base
            .as_ref()
            .map(|base| call.url(base).map(|url| url.to_string()));
        assert_eq!(
            url.and_then(Result::ok).as_deref(),
            Some("https://h.example.com/harbor/api/v2.0/users?q=username%3D%7Ea+b%26c&page=2")
        );

        let odd = Call::get("getUser", "users/a?b#c/");
        let url = base
            .as_ref()
            .map(|base| odd.url(base).map(|url| url.path().to_owned()));
        assert_eq!(
            url.and_then(Result::ok).as_deref(),
            Some("/harbor/api/v2.0/users/a%3Fb%23c")
        );
    }

    #[test]
    fn json_reads_text_and_reports_bad_utf8_as_serde_json_does() {
        let reply = |body: &'static [u8]| Reply {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
            request: RequestInfo::new(Method::GET, "/api/v2.0/users", None),
        };
        let names: Result<Vec<String>, Error> =
            reply(b"[\"alice\",\"b\\u00f6b\",\"\xc3\xa9\"]").json("names");
        assert_eq!(
            names.ok(),
            Some(vec!["alice".into(), "böb".into(), "é".into()])
        );

        let bad = b"[\"alice\",\"b\xffb\"]";
        let expected = serde_json::from_slice::<Vec<String>>(bad)
            .err()
            .map(|error| error.to_string());
        let error = reply(bad).json::<Vec<String>>("names").err();
        assert!(matches!(error, Some(Error::Decode { .. })), "{error:?}");
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        let expected = expected.unwrap_or_default();
        assert!(
            !expected.is_empty() && message.contains(&expected),
            "{message}"
        );
    }

    #[test]
    fn harbor_envelope_becomes_api_error_and_anything_else_a_status_error() {
        let request = RequestInfo::new(Method::GET, "/api/v2.0/users/42", None);
        let raw = |status: u16, body: &'static [u8], truncated| RawReply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
            truncated,
            request: request.clone(),
        };

        let api = raw(
            404,
            br#"{"errors":[{"code":"NOT_FOUND","message":"user 42 not found"}]}"#,
            false,
        );
        assert!(matches!(
            api.into_result(),
            Err(Error::Api { errors, .. }) if errors[0].code() == &ErrorCode::NotFound
        ));

        for body in [
            &b"<html>bad gateway</html>"[..],
            b"",
            b"{}",
            b"{\"errors\":null}",
        ] {
            assert!(matches!(
                raw(502, body, false).into_result(),
                Err(Error::Status { .. })
            ));
        }

        let cut = raw(500, br#"{"errors":[]}"#, true);
        assert!(matches!(cut.into_result(), Err(Error::Status { .. })));

        assert!(matches!(raw(200, b"[]", false).into_result(), Ok(reply) if reply.body == "[]"));
    }

    /// Wire-level tests of `HarborClient::execute`, the path this crate's
    /// own operations take.
    mod wire {
        use std::time::Duration;

        use harbor_openapi::types::{UserProfile, UserResp};
        use httpmock::{Method::GET, Method::POST, Method::PUT, MockServer};

        use crate::{Error, ErrorCode, HarborClient, RetryPolicy};

        use super::super::Call;

        fn quick_retries() -> RetryPolicy {
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5))
        }

        fn client(server: &MockServer, retry: RetryPolicy) -> Result<HarborClient, Error> {
            HarborClient::builder(server.base_url())
                .basic_auth("admin", "Harbor12345")
                .retry_policy(retry)
                .build()
        }

        #[test]
        fn the_client_and_its_calls_can_move_between_tasks() -> Result<(), Error> {
            fn sendable<T: Send + 'static>(_: &T) {}
            fn shareable<T: Send + Sync + Clone + 'static>(_: &T) {}

            let client = HarborClient::builder("https://harbor.example.com").build()?;
            shareable(&client);
            let owned = client.clone();
            sendable(&async move { owned.execute(Call::get("get_user", "/users/1")).await });
            Ok(())
        }

        #[tokio::test]
        async fn a_success_gives_body_headers_and_the_echoed_request_id() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            let mock = server
                .mock_async(|when, then| {
                    when.method(GET)
                        .path("/api/v2.0/users")
                        .query_param("page", "2")
                        .header("accept", "application/json")
                        .header_exists("x-request-id");
                    then.status(200)
                        .header("x-total-count", "31")
                        .header("x-request-id", "echoed-id")
                        .json_body(serde_json::json!([{"user_id": 3, "username": "alice"}]));
                })
                .await;

            let client = client(&server, RetryPolicy::disabled())?;
            let reply = client
                .execute(Call::get("list_users", "/users").query("page", 2))
                .await?;

            mock.assert_async().await;
            let users: Vec<UserResp> = reply.json("a list of UserResp")?;
            assert_eq!(users[0].username.as_deref(), Some("alice"));
            assert_eq!(
                reply.parse_header("x-total-count", "a count", crate::wire::parse_total_count)?,
                Some(31)
            );
            assert_eq!(reply.header("x-total-count"), Some("31"));
            assert_eq!(reply.header("link"), None);
            assert_eq!(reply.request.request_id(), Some("echoed-id"));
            Ok(())
        }

        #[tokio::test]
        async fn harbor_error_body_becomes_an_api_error_naming_everything() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users/42");
                    then.status(404)
                        .header("content-type", "application/json; charset=utf-8")
                        .header("x-request-id", "8c0f-req")
                        .body("{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"user 42 not found\"}]}\n");
                })
                .await;

            let client = client(&server, quick_retries())?;
            let error = client
                .execute(Call::get("get_user", "/users/42"))
                .await
                .err();

            let error = error.ok_or_else(|| Error::invalid_input("test", "expected an error"))?;
            assert_eq!(
                error.to_string(),
                "GET /api/v2.0/users/42: 404 Not Found: NOT_FOUND: user 42 not found \
                 (request id 8c0f-req)"
            );
            assert!(error.is_not_found());
            assert!(!error.is_forbidden());
            assert!(error.has_code(&ErrorCode::NotFound));
            assert_eq!(error.harbor_errors()[0].message(), "user 42 not found");
            assert_eq!(error.request_id(), Some("8c0f-req"));
            assert_eq!(error.request().map(|r| r.attempts()), Some(1));
            Ok(())
        }

        #[tokio::test]
        async fn a_proxy_html_page_becomes_a_status_error_with_the_first_kib() -> Result<(), Error>
        {
            let server = MockServer::start_async().await;
            let page = format!("<html><body>{}</body></html>", "bad gateway ".repeat(300));
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users/7");
                    then.status(502)
                        .header("content-type", "text/html")
                        .body(page);
                })
                .await;

            let client = client(&server, RetryPolicy::disabled())?;
            let error = client
                .execute(Call::get("get_user", "/users/7"))
                .await
                .err();

            match error {
                Some(Error::Status {
                    status,
                    body,
                    request,
                    ..
                }) => {
                    assert_eq!(status.as_u16(), 502);
                    assert_eq!(body.len(), 1024);
                    assert!(body.starts_with("<html><body>bad gateway"));
                    assert!(request.request_id().is_some());
                }
                other => panic!("expected a status error, got {other:?}"),
            }
            Ok(())
        }

        #[tokio::test]
        async fn an_empty_500_says_empty_body() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users/3");
                    then.status(500).header("x-request-id", "r-500");
                })
                .await;

            let client = client(&server, quick_retries())?;
            let error = client
                .execute(Call::get("get_user", "/users/3"))
                .await
                .err();

            assert_eq!(
                error.map(|error| error.to_string()).as_deref(),
                Some(
                    "GET /api/v2.0/users/3: 500 Internal Server Error: empty body (request id r-500)"
                )
            );
            Ok(())
        }

        #[tokio::test]
        async fn an_undecodable_success_names_the_expected_type_and_quotes_the_body()
        -> Result<(), Error> {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users/current");
                    then.status(200)
                        .header("x-request-id", "r-dec")
                        .body(r#"{"user_id":"three","oidc_user_meta":{"secret":"CliSecret9"}}"#);
                })
                .await;

            let client = client(&server, RetryPolicy::disabled())?;
            let reply = client
                .execute(Call::get("get_current_user_info", "/users/current"))
                .await?;
            let error = reply.json::<UserResp>("a UserResp").err();

            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(matches!(error, Some(Error::Decode { .. })), "{message}");
            assert!(
                message.starts_with(
                    "GET /api/v2.0/users/current: 200 OK: expected a UserResp, but invalid type"
                ),
                "{message}"
            );
            assert!(message.contains("user_id"), "{message}");
            assert!(message.contains("(request id r-dec)"), "{message}");
            assert!(!message.contains("CliSecret9"), "{message}");
            Ok(())
        }

        #[tokio::test]
        async fn a_malformed_header_is_a_decode_error() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users");
                    then.status(200).header("x-total-count", "many").body("[]");
                })
                .await;

            let client = client(&server, RetryPolicy::disabled())?;
            let reply = client.execute(Call::get("list_users", "/users")).await?;
            let error = reply
                .parse_header(
                    "x-total-count",
                    "an X-Total-Count",
                    crate::wire::parse_total_count,
                )
                .err();

            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(matches!(error, Some(Error::Decode { .. })), "{message}");
            assert!(message.contains("expected an X-Total-Count"), "{message}");
            assert!(message.contains("\"many\""), "{message}");
            Ok(())
        }

        #[tokio::test]
        async fn a_success_body_over_the_cap_is_refused() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users");
                    then.status(200).body(vec![b' '; 4096]);
                })
                .await;

            let client = HarborClient::builder(server.base_url())
                .max_body_size(1000)
                .retry_policy(RetryPolicy::disabled())
                .build()?;
            let error = client
                .execute(Call::get("list_users", "/users"))
                .await
                .err();

            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                matches!(error, Some(Error::BodyTooLarge { limit: 1000, .. })),
                "{message}"
            );
            assert!(
                message.contains("exceeds the limit of 1000 bytes"),
                "{message}"
            );
            Ok(())
        }

        #[tokio::test]
        async fn json_bodies_are_sent_with_their_content_type() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            let mock = server
                .mock_async(|when, then| {
                    when.method(PUT)
                        .path("/api/v2.0/users/3")
                        .header("content-type", "application/json")
                        .json_body(serde_json::json!({"email": "a@b.co", "realname": "A"}));
                    then.status(200);
                })
                .await;

            let profile = UserProfile {
                email: Some("a@b.co".to_owned()),
                realname: Some("A".to_owned()),
                comment: None,
            };
            let client = client(&server, RetryPolicy::disabled())?;
            let reply = client
                .execute(Call::put("update_user_profile", "/users/3").json(&profile)?)
                .await?;

            mock.assert_async().await;
            assert!(reply.body.is_empty());
            assert_eq!(reply.status.as_u16(), 200);
            Ok(())
        }

        #[tokio::test]
        async fn retries_exhausted_give_the_last_error_and_the_attempt_count() -> Result<(), Error>
        {
            let server = MockServer::start_async().await;
            let mock = server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users/9");
                    then.status(503).header("x-request-id", "r-503").body(
                        r#"{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}"#,
                    );
                })
                .await;

            let client = client(&server, quick_retries())?;
            let error = client
                .execute(Call::get("get_user", "/users/9"))
                .await
                .err();

            assert_eq!(mock.calls_async().await, 4);
            assert_eq!(
                error.map(|error| error.to_string()).as_deref(),
                Some(
                    "GET /api/v2.0/users/9: 503 Service Unavailable: UNKNOWN: internal server \
                     error (request id r-503, 4 attempts)"
                )
            );
            Ok(())
        }

        #[tokio::test]
        async fn a_post_is_sent_once_even_when_harbor_is_unavailable() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            let mock = server
                .mock_async(|when, then| {
                    when.method(POST).path("/api/v2.0/users");
                    then.status(503);
                })
                .await;

            let client = client(&server, quick_retries())?;
            let call = Call::post("create_user", "/users").json(&serde_json::json!({}))?;
            let error = client.execute(call).await.err();

            assert_eq!(mock.calls_async().await, 1);
            assert_eq!(
                error.and_then(|error| error.status()).map(|s| s.as_u16()),
                Some(503)
            );
            Ok(())
        }

        #[tokio::test]
        async fn a_refused_connection_is_a_transport_error_after_every_attempt() -> Result<(), Error>
        {
            // Bind and drop a listener to get a port nobody listens on.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(|address| address.port())
                .map_err(|error| Error::invalid_input("test port", error.to_string()))?;
            let client = HarborClient::builder(format!("http://127.0.0.1:{port}"))
                .retry_policy(quick_retries().max_attempts(3))
                .build()?;

            let error = client
                .execute(Call::delete("delete_user", "/users/5"))
                .await
                .err();

            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(matches!(error, Some(Error::Transport { .. })), "{message}");
            assert!(
                message.starts_with("DELETE /api/v2.0/users/5: could not connect"),
                "{message}"
            );
            assert!(message.ends_with(", 3 attempts)"), "{message}");
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| std::error::Error::source(e).is_some())
            );
            assert!(!error.is_some_and(|e| e.is_timeout()));
            Ok(())
        }

        #[tokio::test]
        async fn a_body_cut_off_mid_read_is_retried_for_a_get() -> Result<(), Error> {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};

            // The first connection promises 100 bytes and hangs up after 9;
            // the second answers in full.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|error| Error::invalid_input("test listener", error.to_string()))?;
            let port = listener
                .local_addr()
                .map_err(|error| Error::invalid_input("test listener", error.to_string()))?
                .port();
            tokio::spawn(async move {
                let answers = [
                    "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"user_i",
                    "HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"user_id\":3}",
                ];
                for answer in answers {
                    let Ok((mut socket, _)) = listener.accept().await else {
                        return;
                    };
                    let mut buffer = [0_u8; 4096];
                    let _ = socket.read(&mut buffer).await;
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                }
            });

            let client = HarborClient::builder(format!("http://127.0.0.1:{port}"))
                .retry_policy(quick_retries())
                .build()?;
            let reply = client.execute(Call::get("get_user", "/users/3")).await?;

            let user: UserResp = reply.json("a UserResp")?;
            assert_eq!(user.user_id, Some(3));
            assert_eq!(reply.request.attempts(), 2);
            Ok(())
        }

        #[tokio::test]
        async fn a_slow_answer_is_a_timeout() -> Result<(), Error> {
            let server = MockServer::start_async().await;
            let mock = server
                .mock_async(|when, then| {
                    when.method(GET).path("/api/v2.0/users/4");
                    then.status(200).delay(Duration::from_secs(3)).body("{}");
                })
                .await;

            let client = HarborClient::builder(server.base_url())
                .timeout(Duration::from_millis(200))
                .retry_policy(quick_retries().max_attempts(2))
                .build()?;
            let error = client
                .execute(Call::get("get_user", "/users/4"))
                .await
                .err();

            assert!(error.as_ref().is_some_and(Error::is_timeout), "{error:?}");
            assert!(error.is_some_and(|e| e.to_string().contains(": timed out")));
            assert_eq!(mock.calls_async().await, 2);
            Ok(())
        }
    }
}
