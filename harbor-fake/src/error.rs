//! Harbor's error envelope.
//!
//! Every Harbor error is `{"errors":[{"code":"…","message":"…"}]}` followed by a newline, sent
//! with `Content-Type: application/json; charset=utf-8`. Statuses of 500 and above never reveal
//! their cause: the body is always the fixed `UNKNOWN` / "internal server error" pair.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::gojson;

/// An error answered the way Harbor answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Harbor recovers handler panics into a 500 with an empty body.
    empty_body: bool,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            empty_body: false,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized")
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    pub(crate) fn denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "DENIED", message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub(crate) fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            message,
        )
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    pub(crate) fn precondition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, "PRECONDITION", message)
    }

    pub(crate) fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_ENTITY_TOO_LARGE",
            message,
        )
    }

    /// A go-swagger binding failure: the items are joined under go-openapi's composite header.
    pub(crate) fn unprocessable(items: &[String]) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            composite_message(items),
        )
    }

    /// Any unmapped failure; the body never carries the detail.
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN", detail)
    }

    /// What a recovered handler panic looks like in Harbor's production mode.
    pub(crate) fn recovered_panic() -> Self {
        Self {
            empty_body: true,
            ..Self::internal("recovered panic")
        }
    }
}

/// go-openapi's `CompositeError` text: a header line, then one item a line.
pub(crate) fn composite_message(items: &[String]) -> String {
    let mut message = String::from("validation failure list:");
    for item in items {
        message.push('\n');
        message.push_str(item);
    }
    message
}

#[derive(Serialize)]
struct Envelope<'a> {
    errors: [ErrorItem<'a>; 1],
}

#[derive(Serialize)]
struct ErrorItem<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.status;
        if self.empty_body {
            return response;
        }
        let (code, message) = if self.status.is_server_error() {
            tracing::error!(detail = %self.message, "answering with an internal server error");
            ("UNKNOWN", "internal server error")
        } else {
            (self.code, self.message.as_str())
        };
        let envelope = Envelope {
            errors: [ErrorItem { code, message }],
        };
        let mut body = gojson::marshal_escaping_html(&envelope);
        body.push(b'\n');
        *response.body_mut() = Body::from(body);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}
