//! The one error type of this crate.
//!
//! Every error that comes from talking to Harbor says what was attempted
//! (method and full path), what came back (status, Harbor's error codes and
//! messages, or the start of a body that was not Harbor's) and the
//! `X-Request-Id` under which Harbor logged the request. Errors caught before
//! anything is sent ([`Error::InvalidInput`], [`Error::Config`]) say which
//! value was wrong and why.

use std::{borrow::Cow, fmt};

use reqwest::{Method, StatusCode};

/// A boxed error, as kept by [`Error::Config`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when using a [`HarborClient`](crate::HarborClient).
///
/// The variants tell apart *who* failed: Harbor refusing the request
/// ([`Api`](Self::Api)), something between you and Harbor answering in its
/// place ([`Status`](Self::Status)), a response this crate cannot read
/// ([`Decode`](Self::Decode), [`BodyTooLarge`](Self::BodyTooLarge)), the
/// network ([`Transport`](Self::Transport)), or the caller
/// ([`InvalidInput`](Self::InvalidInput), [`Config`](Self::Config)).
/// Most code only needs the helpers:
///
/// ```
/// use harbor_users::Error;
///
/// fn describe(error: &Error) -> &'static str {
///     if error.is_not_found() {
///         "no such user"
///     } else if error.is_unauthorized() {
///         "check the credentials"
///     } else if error.is_timeout() {
///         "Harbor is slow; try again later"
///     } else {
///         "something else went wrong"
///     }
/// }
///
/// let error = Error::invalid_input("user id", "must be positive, got 0");
/// assert_eq!(describe(&error), "something else went wrong");
/// assert_eq!(error.to_string(), "invalid user id: must be positive, got 0");
/// ```
///
/// The [`Display`](fmt::Display) form is one line made for logs:
///
/// ```text
/// GET /api/v2.0/users/42: 404 Not Found: NOT_FOUND: user 42 not found (request id 8c0f…)
/// ```
///
/// Causes (the I/O error behind a transport failure, for example) are kept
/// as [`source`](std::error::Error::source), not repeated in that line;
/// print the whole chain with `{:#}` in `anyhow` or by walking `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Harbor answered with an error status and its JSON error body,
    /// `{"errors":[{"code":…,"message":…}]}`.
    #[error("{request}: {status}: {}{}", Entries(errors), Trailer(request))]
    #[non_exhaustive]
    Api {
        /// What was sent.
        request: Box<RequestInfo>,
        /// The HTTP status.
        status: StatusCode,
        /// Every entry of Harbor's error body, in order.
        errors: Vec<HarborErrorEntry>,
    },

    /// An error status whose body is not Harbor's error body: a proxy's
    /// HTML page, or the empty body Harbor sends when a handler panics.
    #[error("{request}: {status}: {}{}", Snippet(body), Trailer(request))]
    #[non_exhaustive]
    Status {
        /// What was sent.
        request: Box<RequestInfo>,
        /// The HTTP status.
        status: StatusCode,
        /// The first KiB of the body, decoded as lossy UTF-8 and cut at a
        /// character boundary, with the values of JSON fields named like
        /// passwords or secrets replaced by `***`; empty when the body was.
        body: String,
    },

    /// A successful response that does not have the expected shape.
    #[error(
        "{request}: {status}: expected {expected}, but {reason}; received {snippet:?}{}",
        Trailer(request)
    )]
    #[non_exhaustive]
    Decode {
        /// What was sent.
        request: Box<RequestInfo>,
        /// The HTTP status.
        status: StatusCode,
        /// What the response should have held, such as `a UserResp`.
        expected: Cow<'static, str>,
        /// Why it did not, such as serde's message with line and column.
        reason: String,
        /// The start of what was received, with the values of fields named
        /// like passwords or secrets replaced by `***`.
        snippet: String,
    },

    /// A response body larger than the configured limit; reading stopped
    /// there so that a runaway body cannot exhaust memory.
    #[error(
        "{request}: {status}: the body exceeds the limit of {limit} bytes \
         (see ClientBuilder::max_body_size){}",
        Trailer(request)
    )]
    #[non_exhaustive]
    BodyTooLarge {
        /// What was sent.
        request: Box<RequestInfo>,
        /// The HTTP status.
        status: StatusCode,
        /// The limit in bytes.
        limit: usize,
    },

    /// No complete response arrived: the connection could not be made
    /// (DNS, refused, TLS), broke, or timed out.
    #[error("{request}: {}{}", transport_summary(source), Trailer(request))]
    #[non_exhaustive]
    Transport {
        /// What was sent.
        request: Box<RequestInfo>,
        /// The error from the HTTP stack.
        #[source]
        source: reqwest::Error,
    },

    /// A lookup by username found no user with exactly that name: the
    /// search answered, but none of its hits matched.
    #[error("no user is named exactly {username:?}")]
    #[non_exhaustive]
    UserNotFound {
        /// The username looked for.
        username: String,
    },

    /// An argument was rejected before any request was sent.
    #[error("invalid {what}: {reason}")]
    #[non_exhaustive]
    InvalidInput {
        /// The argument, such as `page size` or `robot credentials file`.
        what: Cow<'static, str>,
        /// What is wrong with it and what is accepted.
        reason: String,
    },

    /// The client could not be built from its configuration.
    #[error("invalid client configuration: {reason}")]
    #[non_exhaustive]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
        /// The underlying error, if any (for example from reading a file).
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// An [`Error::InvalidInput`]: `what` names the argument, `reason` says
    /// what is wrong with it.
    ///
    /// ```
    /// let error = harbor_users::Error::invalid_input("page size", "must be 1..=100, got 500");
    /// assert_eq!(error.to_string(), "invalid page size: must be 1..=100, got 500");
    /// ```
    pub fn invalid_input(what: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Self::Config {
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn config_with(reason: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Config {
            reason: reason.into(),
            source: Some(source.into()),
        }
    }

    /// The HTTP status of the response, if one arrived.
    ///
    /// ```
    /// let error = harbor_users::Error::invalid_input("user id", "must be positive");
    /// assert_eq!(error.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. }
            | Self::Status { status, .. }
            | Self::Decode { status, .. }
            | Self::BodyTooLarge { status, .. } => Some(*status),
            Self::Transport { .. }
            | Self::UserNotFound { .. }
            | Self::InvalidInput { .. }
            | Self::Config { .. } => None,
        }
    }

    /// What was sent, for errors that happened after a request left.
    pub fn request(&self) -> Option<&RequestInfo> {
        match self {
            Self::Api { request, .. }
            | Self::Status { request, .. }
            | Self::Decode { request, .. }
            | Self::BodyTooLarge { request, .. }
            | Self::Transport { request, .. } => Some(request),
            Self::UserNotFound { .. } | Self::InvalidInput { .. } | Self::Config { .. } => None,
        }
    }

    /// The `X-Request-Id` of the failed request: search Harbor's logs for it.
    ///
    /// It is the id Harbor echoed in its response, or the one that was sent
    /// when no response arrived.
    pub fn request_id(&self) -> Option<&str> {
        self.request().and_then(RequestInfo::request_id)
    }

    /// The entries of Harbor's error body; empty unless this is
    /// [`Error::Api`].
    pub fn harbor_errors(&self) -> &[HarborErrorEntry] {
        match self {
            Self::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// Whether Harbor's error body has an entry with this code.
    ///
    /// Useful where one status has several meanings: a 403 is
    /// [`ErrorCode::Denied`] when Harbor is in read-only mode and
    /// [`ErrorCode::Forbidden`] when the caller lacks a permission.
    ///
    /// ```
    /// use harbor_users::{Error, ErrorCode};
    ///
    /// fn should_wait_for_maintenance(error: &Error) -> bool {
    ///     error.is_forbidden() && error.has_code(&ErrorCode::Denied)
    /// }
    /// # assert!(!should_wait_for_maintenance(&Error::invalid_input("x", "y")));
    /// ```
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.harbor_errors()
            .iter()
            .any(|entry| entry.code() == code)
    }

    /// The response status was 404 Not Found, or a lookup by username
    /// found nobody ([`Error::UserNotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::UserNotFound { .. }) || self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The response status was 401 Unauthorized: no credentials, or wrong
    /// ones.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// The response status was 403 Forbidden: the credentials are valid but
    /// lack a permission, or Harbor is in read-only mode.
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// The response status was 409 Conflict, as when a username or email is
    /// already taken.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// No response arrived in time (connecting, or the whole request).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if source.is_timeout())
    }
}

/// What a failed request was: method, full path, request id and how many
/// times it was sent.
///
/// ```
/// fn log_failure(error: &harbor_users::Error) {
///     if let Some(request) = error.request() {
///         eprintln!(
///             "{request} failed after {} attempt(s); Harbor logged it as {:?}",
///             request.attempts(),
///             request.request_id(),
///         );
///     }
/// }
/// # log_failure(&harbor_users::Error::invalid_input("x", "y"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    method: Method,
    path: String,
    request_id: Option<String>,
    attempts: u32,
}

impl RequestInfo {
    pub(crate) fn new(method: Method, path: impl Into<String>, request_id: Option<String>) -> Self {
        Self {
            method,
            path: path.into(),
            request_id,
            attempts: 1,
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        if request_id.is_some() {
            self.request_id = request_id;
        }
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full path, including Harbor's `/api/v2.0` prefix, without the
    /// query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `X-Request-Id` Harbor logged the request under.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// How many times the request was sent (1 when it was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// One entry of Harbor's error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarborErrorEntry {
    code: ErrorCode,
    message: String,
}

impl HarborErrorEntry {
    /// An entry with this code and message.
    ///
    /// ```
    /// use harbor_users::{ErrorCode, HarborErrorEntry};
    ///
    /// let entry = HarborErrorEntry::new(ErrorCode::NotFound, "user 42 not found");
    /// assert_eq!(entry.to_string(), "NOT_FOUND: user 42 not found");
    /// ```
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The machine-readable code, such as [`ErrorCode::NotFound`].
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The human-readable message, such as `user 42 not found`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HarborErrorEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code.as_str(), self.message.as_str()) {
            ("", "") => f.write_str("(empty error entry)"),
            (code, "") => f.write_str(code),
            ("", message) => f.write_str(message),
            (code, message) => write!(f, "{code}: {message}"),
        }
    }
}

/// The `code` of a Harbor error entry.
///
/// The codes Harbor is known to send are variants; anything else is kept
/// as [`ErrorCode::Other`] with the text unchanged, so a code added by a
/// later Harbor never fails to parse. Compare [`as_str`](Self::as_str) to
/// match a code this type does not list yet.
///
/// ```
/// use harbor_users::ErrorCode;
///
/// assert_eq!(ErrorCode::from("NOT_FOUND"), ErrorCode::NotFound);
/// assert_eq!(ErrorCode::from("SOMETHING_NEW").as_str(), "SOMETHING_NEW");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `BAD_REQUEST`: validation failed, or a bad `q` query.
    BadRequest,
    /// `UNAUTHORIZED`: no or wrong credentials.
    Unauthorized,
    /// `FORBIDDEN`: the caller lacks a permission, or the action is never
    /// allowed (deleting yourself, for example).
    Forbidden,
    /// `DENIED`: Harbor is in read-only mode.
    Denied,
    /// `NOT_FOUND`: no such user, or no such path.
    NotFound,
    /// `METHOD_NOT_ALLOWED`: a known path with the wrong method.
    MethodNotAllowed,
    /// `CONFLICT`: the username or email is taken.
    Conflict,
    /// `PRECONDITION`: not possible in the current state or auth mode.
    Precondition,
    /// `UNPROCESSABLE_ENTITY`: the request did not match Harbor's API
    /// description (a missing body, `page_size` above 100, …).
    UnprocessableEntity,
    /// `TOO_MANY_REQUEST` (sic): rate limited.
    TooManyRequests,
    /// `UNKNOWN`: every 5xx from Harbor itself; the details are only in
    /// Harbor's log.
    Unknown,
    /// Any other code, verbatim (empty when the entry had none).
    Other(String),
}

impl ErrorCode {
    /// The code as Harbor spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::BadRequest => "BAD_REQUEST",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::Denied => "DENIED",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Conflict => "CONFLICT",
            Self::Precondition => "PRECONDITION",
            Self::UnprocessableEntity => "UNPROCESSABLE_ENTITY",
            Self::TooManyRequests => "TOO_MANY_REQUEST",
            Self::Unknown => "UNKNOWN",
            Self::Other(code) => code,
        }
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        match code {
            "BAD_REQUEST" => Self::BadRequest,
            "UNAUTHORIZED" => Self::Unauthorized,
            "FORBIDDEN" => Self::Forbidden,
            "DENIED" => Self::Denied,
            "NOT_FOUND" => Self::NotFound,
            "METHOD_NOT_ALLOWED" => Self::MethodNotAllowed,
            "CONFLICT" => Self::Conflict,
            "PRECONDITION" => Self::Precondition,
            "UNPROCESSABLE_ENTITY" => Self::UnprocessableEntity,
            "TOO_MANY_REQUEST" => Self::TooManyRequests,
            "UNKNOWN" => Self::Unknown,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Harbor's error entries joined with `; `.
struct Entries<'a>(&'a [HarborErrorEntry]);

impl fmt::Display for Entries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("Harbor's error body lists no errors");
        }
        for (index, entry) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

/// The body of a non-Harbor error response, quoted.
struct Snippet<'a>(&'a str);

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("empty body")
        } else {
            write!(f, "unexpected body {:?}", self.0)
        }
    }
}

/// ` (request id …, N attempts)`, or nothing when there is nothing to say.
struct Trailer<'a>(&'a RequestInfo);

impl fmt::Display for Trailer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let RequestInfo {
            request_id,
            attempts,
            ..
        } = self.0;
        match (request_id, *attempts > 1) {
            (Some(id), true) => write!(f, " (request id {id}, {attempts} attempts)"),
            (Some(id), false) => write!(f, " (request id {id})"),
            (None, true) => write!(f, " ({attempts} attempts)"),
            (None, false) => Ok(()),
        }
    }
}

/// A few words on how a transport failure happened; the details stay in
/// the chained source.
fn transport_summary(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect (DNS, refused connection or TLS)"
    } else {
        "the connection failed before a complete response arrived"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Box<RequestInfo> {
        Box::new(RequestInfo::new(
            Method::GET,
            "/api/v2.0/users/42",
            Some("8c0f".to_owned()),
        ))
    }

    #[test]
    fn api_error_display_names_request_status_codes_and_request_id() {
        let error = Error::Api {
            request: info(),
            status: StatusCode::NOT_FOUND,
            errors: vec![HarborErrorEntry::new(
                ErrorCode::NotFound,
                "user 42 not found",
            )],
        };
        assert_eq!(
            error.to_string(),
            "GET /api/v2.0/users/42: 404 Not Found: NOT_FOUND: user 42 not found \
             (request id 8c0f)"
        );
        assert!(error.is_not_found());
        assert!(error.has_code(&ErrorCode::NotFound));
        assert!(!error.has_code(&ErrorCode::Forbidden));
        assert_eq!(error.request_id(), Some("8c0f"));
    }

    #[test]
    fn several_harbor_entries_are_all_shown() {
        let error = Error::Api {
            request: Box::new((*info()).clone().with_attempts(3)),
            status: StatusCode::SERVICE_UNAVAILABLE,
            errors: vec![
                HarborErrorEntry::new(ErrorCode::Unknown, "internal server error"),
                HarborErrorEntry::new(ErrorCode::from("NEW_CODE"), ""),
            ],
        };
        assert_eq!(
            error.to_string(),
            "GET /api/v2.0/users/42: 503 Service Unavailable: UNKNOWN: internal server error; \
             NEW_CODE (request id 8c0f, 3 attempts)"
        );
    }

    #[test]
    fn status_error_quotes_the_body_or_says_it_was_empty() {
        let html = Error::Status {
            request: info(),
            status: StatusCode::BAD_GATEWAY,
            body: "<html>\n<h1>502</h1></html>".to_owned(),
        };
        assert_eq!(
            html.to_string(),
            "GET /api/v2.0/users/42: 502 Bad Gateway: unexpected body \
             \"<html>\\n<h1>502</h1></html>\" (request id 8c0f)"
        );
        let empty = Error::Status {
            request: info(),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: String::new(),
        };
        assert_eq!(
            empty.to_string(),
            "GET /api/v2.0/users/42: 500 Internal Server Error: empty body (request id 8c0f)"
        );
        assert!(empty.harbor_errors().is_empty());
    }

    #[test]
    fn error_codes_round_trip_and_unknown_codes_stay_opaque() {
        for code in [
            "BAD_REQUEST",
            "UNAUTHORIZED",
            "FORBIDDEN",
            "DENIED",
            "NOT_FOUND",
            "METHOD_NOT_ALLOWED",
            "CONFLICT",
            "PRECONDITION",
            "UNPROCESSABLE_ENTITY",
            "TOO_MANY_REQUEST",
            "UNKNOWN",
            "PROJECTPOLICYVIOLATION",
        ] {
            assert_eq!(ErrorCode::from(code).as_str(), code);
        }
        assert_eq!(
            ErrorCode::from("PROJECTPOLICYVIOLATION"),
            ErrorCode::Other("PROJECTPOLICYVIOLATION".to_owned())
        );
    }

    #[test]
    fn trailer_is_left_out_when_there_is_no_id_and_one_attempt() {
        let error = Error::Status {
            request: Box::new(RequestInfo::new(Method::DELETE, "/api/v2.0/users/3", None)),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: "oops".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "DELETE /api/v2.0/users/3: 500 Internal Server Error: unexpected body \"oops\""
        );
    }

    #[test]
    fn errors_can_cross_threads_and_join_anyhow_style_chains() {
        fn boxable<E: std::error::Error + Send + Sync + 'static>() {}
        boxable::<Error>();
    }

    #[test]
    fn the_error_type_stays_small_enough_to_return_cheaply() {
        // Clippy's `result_large_err` starts at 128 bytes; details that would
        // grow the type go behind the boxed `RequestInfo`.
        let size = std::mem::size_of::<Error>();
        assert!(size <= 128, "Error is {size} bytes");
    }
}
