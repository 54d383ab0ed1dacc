//! The request pipeline, in Harbor's order.
//!
//! Harbor runs its middlewares before go-swagger sees a request, so the checks happen in
//! this order: injected faults, the raw query parse (400), the CSRF check (403), building the
//! security context, read-only mode (403 `DENIED`), routing (404/405), go-swagger binding
//! (422), and finally the handler's own checks. The order decides which error wins when a
//! request has several problems.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use percent_encoding::percent_decode_str;
use rand::Rng;
use tracing::Instrument;

use crate::HarborState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, composite_message};
use crate::faults::FaultKind;
use crate::gojson::{self, DecodeError, Decoded, Model, go_quote};
use crate::link;
use crate::model::{AuthMode, NewUser, Settings};
use crate::permissions::{self, Namespace};
use crate::query::{self, Keyword, LikePattern};
use crate::server::ConnectionFault;
use crate::store::{self, InsertError, UserRecord};
use crate::validate::{self, Profile};
use crate::wire::{self, Permission, UserResp, UserSearchRespItem};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// Bodies larger than this are refused; Harbor's users API never needs more than a few
/// hundred bytes.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The axum router serving the Users API of `state`.
pub(crate) fn router(state: HarborState) -> Router {
    Router::new().fallback(entry).with_state(state)
}

async fn entry(State(state): State<HarborState>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .filter(|value| !value.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static("0"))
        });
    let span = tracing::info_span!(
        "harbor_fake.request",
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
        request_id = %String::from_utf8_lossy(request_id.as_bytes()),
        http.response.status_code = tracing::field::Empty,
    );
    let mut response = process(&state, request).instrument(span.clone()).await;
    response.headers_mut().insert(X_REQUEST_ID, request_id);
    span.record("http.response.status_code", response.status().as_u16());
    tracing::debug!(
        parent: &span,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "answered"
    );
    response
}

async fn process(state: &HarborState, request: Request) -> Response {
    state.inner.stats.request();
    let mut connection_fault = None;
    let mut stall_after_handling = None;
    if request.uri().path().starts_with("/api/v2.0/users") {
        let decision = state.inner.faults.decide();
        if !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        if let Some(kind) = decision.fault {
            state.inner.stats.fault(kind);
            tracing::debug!(fault = %kind, "injecting a fault");
            match kind {
                FaultKind::TooManyRequests => {
                    return too_many_requests(decision.config.retry_after_secs());
                }
                FaultKind::InternalServerError => {
                    return ApiError::internal("injected fault").into_response();
                }
                FaultKind::BadGateway => return proxy_error(StatusCode::BAD_GATEWAY),
                FaultKind::ServiceUnavailable => {
                    return proxy_error(StatusCode::SERVICE_UNAVAILABLE);
                }
                FaultKind::GatewayTimeout => return proxy_error(StatusCode::GATEWAY_TIMEOUT),
                FaultKind::ConnectionReset => {
                    // Embedders serving the router themselves get an empty 500 instead.
                    let mut response = ApiError::recovered_panic().into_response();
                    response.extensions_mut().insert(ConnectionFault::Reset);
                    return response;
                }
                FaultKind::TruncatedBody => connection_fault = Some(ConnectionFault::Truncate),
                FaultKind::Stall => tokio::time::sleep(decision.config.stall_duration()).await,
                FaultKind::ResetAfterHandling => connection_fault = Some(ConnectionFault::Reset),
                FaultKind::StallAfterHandling => {
                    stall_after_handling = Some(decision.config.stall_duration());
                }
            }
        }
    }
    let mut response = handle(state, request).await;
    if let Some(stall) = stall_after_handling {
        tokio::time::sleep(stall).await;
    }
    if let Some(fault) = connection_fault {
        response.extensions_mut().insert(fault);
    }
    response
}

fn too_many_requests(retry_after_secs: u64) -> Response {
    let body =
        b"{\"errors\":[{\"code\":\"TOO_MANY_REQUEST\",\"message\":\"too many requests\"}]}\n";
    let mut response = Response::new(Body::from(body.as_slice()));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// 502, 503 and 504 come from the reverse proxy in front of Harbor, as HTML.
fn proxy_error(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
         <center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(name, _)| name == "sid")
        })
}

fn new_session_cookie() -> HeaderValue {
    let id: u128 = rand::rng().random();
    HeaderValue::from_str(&format!("sid={id:032x}; Path=/; HttpOnly"))
        .unwrap_or(HeaderValue::from_static("sid=0; Path=/; HttpOnly"))
}

async fn handle(state: &HarborState, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw_query = parts.uri.query().unwrap_or("");
    if !raw_query.is_empty()
        && let Err(message) = crate::goquery::parse_query_strict(raw_query)
    {
        return ApiError::bad_request(message).into_response();
    }

    let settings = state.settings();
    let carries_session = has_session_cookie(&parts.headers);
    if carries_session {
        state.inner.stats.session_cookie_received();
    }
    let modifying = matches!(
        parts.method,
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    );
    if settings.csrf_check && carries_session && modifying {
        return ApiError::forbidden("CSRF token invalid").into_response();
    }

    let authentication = {
        let store = state.read_store();
        auth::authenticate(&parts.headers, &store, &settings, &state.inner.locks)
    };
    if !authentication.penalty.is_zero() {
        tokio::time::sleep(authentication.penalty).await;
    }
    let caller = authentication.caller;

    let result = answer(state, &settings, &caller, carries_session, parts, body).await;
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    if settings.session_cookie && caller.is_authenticated() && !carries_session {
        response
            .headers_mut()
            .append(header::SET_COOKIE, new_session_cookie());
        state.inner.stats.session_cookie_set();
    }
    response
}

async fn answer(
    state: &HarborState,
    settings: &Settings,
    caller: &Caller,
    carries_session: bool,
    parts: Parts,
    body: Body,
) -> Result<Response, ApiError> {
    if settings.read_only && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Err(ApiError::denied(
            "The system is in read only mode. Any modification is prohibited.",
        ));
    }

    let raw_path = parts.uri.path();
    let routed = route(&parts.method, raw_path);
    let operation = match &routed {
        Ok(route) => route.template(),
        Err(_) => "<unrouted>",
    };
    state
        .inner
        .stats
        .operation(format!("{} {operation}", parts.method));
    let route = routed?;

    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::payload_too_large("request body is too large"))?;
    if !bytes.is_empty()
        && let Err(problem) = check_content_type(&parts.headers)
    {
        return Err(ApiError::unprocessable(&[problem]));
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let operation = bind(route, raw_query, &bytes)?;

    let decoded_path = percent_decode_str(raw_path).decode_utf8_lossy();
    let call = Call {
        state,
        settings,
        caller,
        carries_session,
        raw_path,
        decoded_path: &decoded_path,
        raw_query,
    };
    call.run(operation)
}

/// The operations, with their path parameter still raw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    ListUsers,
    CreateUser,
    CurrentUser,
    SearchUsers,
    CurrentPermissions,
    GetUser(String),
    UpdateProfile(String),
    DeleteUser(String),
    SetSysadmin(String),
    UpdatePassword(String),
    SetCliSecret(String),
}

impl Route {
    fn template(&self) -> &'static str {
        match self {
            Route::ListUsers | Route::CreateUser => "/api/v2.0/users",
            Route::CurrentUser => "/api/v2.0/users/current",
            Route::SearchUsers => "/api/v2.0/users/search",
            Route::CurrentPermissions => "/api/v2.0/users/current/permissions",
            Route::GetUser(_) | Route::UpdateProfile(_) | Route::DeleteUser(_) => {
                "/api/v2.0/users/{user_id}"
            }
            Route::SetSysadmin(_) => "/api/v2.0/users/{user_id}/sysadmin",
            Route::UpdatePassword(_) => "/api/v2.0/users/{user_id}/password",
            Route::SetCliSecret(_) => "/api/v2.0/users/{user_id}/cli_secret",
        }
    }
}

/// go-swagger keeps one router per method, so `PUT /users/current` reaches `{user_id}`
/// (and fails binding) rather than being a 405.
fn lookup(method: &Method, segments: &[&str]) -> Option<Route> {
    let id = |segment: &str| segment.to_string();
    Some(match (method.as_str(), segments) {
        ("GET", ["users"]) => Route::ListUsers,
        ("GET", ["users", "current"]) => Route::CurrentUser,
        ("GET", ["users", "search"]) => Route::SearchUsers,
        ("GET", ["users", "current", "permissions"]) => Route::CurrentPermissions,
        ("GET", ["users", user]) => Route::GetUser(id(user)),
        ("POST", ["users"]) => Route::CreateUser,
        ("PUT", ["users", user]) => Route::UpdateProfile(id(user)),
        ("PUT", ["users", user, "sysadmin"]) => Route::SetSysadmin(id(user)),
        ("PUT", ["users", user, "password"]) => Route::UpdatePassword(id(user)),
        ("PUT", ["users", user, "cli_secret"]) => Route::SetCliSecret(id(user)),
        ("DELETE", ["users", user]) => Route::DeleteUser(id(user)),
        _ => return None,
    })
}

fn route(method: &Method, raw_path: &str) -> Result<Route, ApiError> {
    let not_found = || ApiError::not_found(format!("path {raw_path} was not found"));
    let decoded = percent_decode_str(raw_path).decode_utf8_lossy();
    let cleaned = clean_path(&decoded);
    let relative = match cleaned.strip_prefix("/api/v2.0") {
        Some("") => "",
        Some(rest) => rest.strip_prefix('/').ok_or_else(not_found)?,
        None => return Err(not_found()),
    };
    let segments: Vec<&str> = if relative.is_empty() {
        Vec::new()
    } else {
        relative.split('/').collect()
    };
    if let Some(route) = lookup(method, &segments) {
        return Ok(route);
    }
    let allowed: Vec<&str> = [Method::DELETE, Method::GET, Method::POST, Method::PUT]
        .iter()
        .filter(|other| *other != method && lookup(other, &segments).is_some())
        .map(Method::as_str)
        .collect();
    if allowed.is_empty() {
        return Err(not_found());
    }
    Err(ApiError::method_not_allowed(format!(
        "method {method} is not allowed, but [{}] are",
        allowed.join(",")
    )))
}

/// Go's `path.Clean`: no empty or `.` segments, `..` resolved, no trailing slash.
fn clean_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

/// go-openapi's Content-Type check for requests with a body: only `application/json`.
fn check_content_type(headers: &HeaderMap) -> Result<(), String> {
    let original = headers
        .get(header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    // Go treats a missing Content-Type as `application/octet-stream`.
    let content_type = if original.is_empty() {
        "application/octet-stream"
    } else {
        original.as_str()
    };
    let media_type = parse_media_type(content_type).map_err(|error| {
        format!(
            "parsing Content-Type header from {} failed, because {error}",
            go_quote(&original)
        )
    })?;
    if media_type == "application/json" {
        Ok(())
    } else {
        Err(format!(
            "unsupported media type {}, only [application/json] are allowed",
            go_quote(&media_type)
        ))
    }
}

/// Go's `mime.ParseMediaType`, reduced to the media type and its error messages.
fn parse_media_type(value: &str) -> Result<String, &'static str> {
    let is_token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c);
    let mut pieces = value.split(';');
    let base = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let (kind, subtype) = match base.split_once('/') {
        Some((kind, subtype)) => (kind, Some(subtype)),
        None => (base.as_str(), None),
    };
    if kind.is_empty() || !kind.chars().all(is_token) {
        return Err(if kind.is_empty() {
            "mime: no media type"
        } else {
            "mime: expected slash after first token"
        });
    }
    if let Some(subtype) = subtype {
        if subtype.is_empty() {
            return Err("mime: expected token after slash");
        }
        if !subtype.chars().all(is_token) {
            return Err("mime: unexpected content after media subtype");
        }
    }
    for parameter in pieces {
        let parameter = parameter.trim();
        if parameter.is_empty() {
            continue;
        }
        match parameter.split_once('=') {
            Some((key, _)) if !key.trim().is_empty() && key.trim().chars().all(is_token) => {}
            _ => return Err("mime: invalid media parameter"),
        }
    }
    Ok(base)
}

/// An operation with its bound parameters.
#[derive(Debug)]
enum Operation {
    ListUsers {
        page: i64,
        page_size: i64,
        q: String,
        sort: String,
    },
    CreateUser(Decoded),
    CurrentUser,
    SearchUsers {
        page: i64,
        page_size: i64,
        username: String,
    },
    CurrentPermissions {
        scope: String,
        relative: bool,
    },
    GetUser(i64),
    UpdateProfile(i64, Decoded),
    DeleteUser(i64),
    SetSysadmin(i64, Decoded),
    UpdatePassword(i64, Decoded),
    SetCliSecret(i64, Decoded),
}

/// Collects go-swagger binding problems in parameter-name order.
struct Binder<'a> {
    values: crate::goquery::Values,
    body: &'a [u8],
    problems: Vec<String>,
}

impl Binder<'_> {
    fn int64(&mut self, name: &str, default: i64) -> i64 {
        match crate::goquery::last(&self.values, name) {
            None | Some("") => default,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                self.problems.push(format!(
                    "{name} in query must be of type int64: {}",
                    go_quote(raw)
                ));
                default
            }),
        }
    }

    /// `page_size` has `maximum: 100` in the spec.
    fn page_size(&mut self) -> i64 {
        let before = self.problems.len();
        let page_size = self.int64("page_size", 10);
        if self.problems.len() == before && page_size > 100 {
            self.problems
                .push("page_size in query should be less than or equal to 100".to_string());
        }
        page_size
    }

    fn string(&self, name: &str) -> String {
        crate::goquery::last(&self.values, name)
            .unwrap_or("")
            .to_string()
    }

    fn user_id(&mut self, raw: &str) -> i64 {
        raw.parse().unwrap_or_else(|_| {
            self.problems.push(format!(
                "user_id in path must be of type int64: {}",
                go_quote(raw)
            ));
            0
        })
    }

    fn body(&mut self, name: &str, model: &Model) -> Decoded {
        let parse_failure =
            |error: String| format!("parsing {name} body from \"\" failed, because {error}");
        let decoded = match gojson::decode_first_value(self.body) {
            Err(DecodeError::Empty) => Err(format!("{name} in body is required")),
            Err(DecodeError::Invalid(error)) => Err(parse_failure(error)),
            Ok(value) => gojson::unmarshal(&value, model).map_err(parse_failure),
        };
        match decoded {
            Ok(decoded) => decoded,
            Err(problem) => {
                self.problems.push(problem);
                Decoded::default()
            }
        }
    }
}

/// go-swagger's `BindRequest`: every problem is collected into one 422.
fn bind(route: Route, raw_query: &str, body: &[u8]) -> Result<Operation, ApiError> {
    let mut binder = Binder {
        values: crate::goquery::parse_query_lenient(raw_query),
        body,
        problems: Vec::new(),
    };
    let operation = match route {
        Route::ListUsers => Operation::ListUsers {
            page: binder.int64("page", 1),
            page_size: binder.page_size(),
            q: binder.string("q"),
            sort: binder.string("sort"),
        },
        Route::CreateUser => {
            let request = binder.body("userReq", &wire::USER_CREATION_REQ);
            if binder.problems.is_empty()
                && let Some(problem) = creation_request_limits(&request)
            {
                binder.problems.push(problem);
            }
            Operation::CreateUser(request)
        }
        Route::CurrentUser => Operation::CurrentUser,
        Route::SearchUsers => {
            let page = binder.int64("page", 1);
            let page_size = binder.page_size();
            let username = binder.string("username");
            if username.is_empty() {
                binder
                    .problems
                    .push("username in query is required".to_string());
            }
            Operation::SearchUsers {
                page,
                page_size,
                username,
            }
        }
        Route::CurrentPermissions => Operation::CurrentPermissions {
            relative: go_truthy(&binder.string("relative")),
            scope: binder.string("scope"),
        },
        Route::GetUser(raw) => Operation::GetUser(binder.user_id(&raw)),
        Route::DeleteUser(raw) => Operation::DeleteUser(binder.user_id(&raw)),
        Route::UpdateProfile(raw) => {
            let profile = binder.body("profile", &wire::USER_PROFILE);
            Operation::UpdateProfile(binder.user_id(&raw), profile)
        }
        Route::SetSysadmin(raw) => {
            let flag = binder.body("sysadminFlag", &wire::USER_SYSADMIN_FLAG);
            Operation::SetSysadmin(binder.user_id(&raw), flag)
        }
        Route::UpdatePassword(raw) => {
            let password = binder.body("password", &wire::PASSWORD_REQ);
            Operation::UpdatePassword(binder.user_id(&raw), password)
        }
        Route::SetCliSecret(raw) => {
            let secret = binder.body("secret", &wire::OIDC_CLI_SECRET_REQ);
            Operation::SetCliSecret(binder.user_id(&raw), secret)
        }
    };
    if binder.problems.is_empty() {
        Ok(operation)
    } else {
        Err(ApiError::unprocessable(&binder.problems))
    }
}

/// `UserCreationReq` limits `email` and `username` to 255 characters. The model's own
/// validation nests a second composite error inside go-swagger's.
fn creation_request_limits(request: &Decoded) -> Option<String> {
    let problems: Vec<String> = [("email", 1), ("username", 4)]
        .into_iter()
        .filter(|(_, index)| request.string(*index).chars().count() > 255)
        .map(|(name, _)| format!("{name} in body should be at most 255 chars long"))
        .collect();
    (!problems.is_empty()).then(|| composite_message(&problems))
}

/// go-openapi's `swag.ConvertBool`: a fixed set of truthy words, everything else false.
fn go_truthy(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "ok" | "y" | "on" | "t" | "selected" | "checked" | "enabled"
    )
}

/// One request on its way through a handler.
struct Call<'a> {
    state: &'a HarborState,
    settings: &'a Settings,
    caller: &'a Caller,
    carries_session: bool,
    raw_path: &'a str,
    decoded_path: &'a str,
    raw_query: &'a str,
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// go-swagger removes the Content-Type of responses without a body.
fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Headers of paged lists: `X-Total-Count` always, `Link` when there is one.
fn with_paging(mut response: Response, total: i64, link: &str) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_TOTAL_COUNT, HeaderValue::from(total));
    if !link.is_empty() {
        // Go writes the unescaped query as is; control characters would break the header.
        let value = HeaderValue::from_bytes(link.as_bytes()).unwrap_or_else(|_| {
            let cleaned: String = link
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            HeaderValue::from_bytes(cleaned.as_bytes()).unwrap_or(HeaderValue::from_static(""))
        });
        headers.insert(header::LINK, value);
    }
    response
}

impl Call<'_> {
    fn run(&self, operation: Operation) -> Result<Response, ApiError> {
        match operation {
            Operation::ListUsers {
                page,
                page_size,
                q,
                sort,
            } => self.list_users(page, page_size, &q, &sort),
            Operation::CreateUser(request) => self.create_user(&request),
            Operation::CurrentUser => self.current_user(),
            Operation::SearchUsers {
                page,
                page_size,
                username,
            } => self.search_users(page, page_size, &username),
            Operation::CurrentPermissions { scope, relative } => {
                self.current_permissions(&scope, relative)
            }
            Operation::GetUser(id) => self.get_user(id),
            Operation::UpdateProfile(id, profile) => self.update_profile(id, &profile),
            Operation::DeleteUser(id) => self.delete_user(id),
            Operation::SetSysadmin(id, flag) => self.set_sysadmin(id, flag.bool(0)),
            Operation::UpdatePassword(id, password) => {
                self.update_password(id, &password.string(1), &password.string(0))
            }
            Operation::SetCliSecret(id, secret) => self.set_cli_secret(id, secret.string(0)),
        }
    }

    /// Harbor's `RequireSystemAccess(action, user)`: 401 for anonymous callers, otherwise a
    /// 403 whose message is the caller's username.
    fn require_system(&self, action: &str) -> Result<(), ApiError> {
        if self.caller.can_system("user", action) {
            Ok(())
        } else if self.caller.is_authenticated() {
            Err(ApiError::forbidden(self.caller.username()))
        } else {
            Err(ApiError::unauthorized())
        }
    }

    fn require_authenticated(&self) -> Result<(), ApiError> {
        if self.caller.is_authenticated() {
            Ok(())
        } else {
            Err(ApiError::unauthorized())
        }
    }

    /// Handlers that compare the caller's id first dereference a nil user for anonymous
    /// callers in Harbor v2.15; earlier versions answer 401.
    fn require_authenticated_before_self_check(&self) -> Result<(), ApiError> {
        match (
            self.caller.is_authenticated(),
            self.settings.anonymous_panics,
        ) {
            (true, _) => Ok(()),
            (false, true) => Err(ApiError::recovered_panic()),
            (false, false) => Err(ApiError::unauthorized()),
        }
    }

    /// Harbor's `requireModifiable` for profile and password changes.
    fn require_modifiable(&self, id: i64) -> Result<(), ApiError> {
        if self.settings.auth_mode == AuthMode::Database {
            self.require_authenticated_before_self_check()?;
            if self.caller.is_user(id) {
                return Ok(());
            }
            return self.require_system("update");
        }
        // Outside db_auth only the local admin account can be changed.
        if id != 1 {
            return Err(ApiError::forbidden(format!(
                "User with ID {id} can't be updated"
            )));
        }
        self.require_system("update")
    }

    fn list_users(
        &self,
        page: i64,
        page_size: i64,
        q: &str,
        sort: &str,
    ) -> Result<Response, ApiError> {
        self.require_system("list")?;
        let mut keywords = query::parse_q(q)?;
        let sorts = query::parse_sort(sort);
        // Undocumented: `username=` and `email=` query parameters add fuzzy filters.
        let values = crate::goquery::parse_query_lenient(self.raw_query);
        for key in ["username", "email"] {
            let value = crate::goquery::first(&values, key);
            if !value.is_empty() {
                keywords.insert(key.to_string(), Keyword::Fuzzy(value.to_string()));
            }
        }

        let store = self.state.read_store();
        let total = store.count(&keywords)?;
        let body = if total > 0 {
            let users = store.list(&keywords, &sorts, page, page_size)?;
            let payload: Vec<UserResp<'_>> = users.into_iter().map(UserResp::of).collect();
            wire::json_body(&payload)
        } else {
            b"[]\n".to_vec()
        };
        drop(store);

        let link = link::links(self.raw_path, self.raw_query, total, page, page_size);
        Ok(with_paging(
            json_response(StatusCode::OK, body),
            total,
            &link,
        ))
    }

    fn create_user(&self, request: &Decoded) -> Result<Response, ApiError> {
        self.require_creatable()?;
        let (comment, email, password, realname, username) = (
            request.string(0),
            request.string(1),
            request.string(2),
            request.string(3),
            request.string(4),
        );
        validate::require_strong_secret(&password)?;
        validate::validate_profile(&Profile {
            email: &email,
            realname: &realname,
            comment: &comment,
            username: Some(&username),
        })?;

        let user = NewUser {
            username,
            email,
            realname,
            comment,
            password: password.clone(),
            sysadmin: false,
            admin_role_in_auth: false,
            oidc: false,
            oidc_secret: None,
        };
        let inserted =
            self.state
                .write_store()
                .insert(user, password.into(), store::now(), &mut rand::rng());
        let id = inserted.map_err(|InsertError::Duplicate { username, email }| {
            ApiError::conflict(format!("user {username} or email {email} already exists"))
        })?;

        let base = self
            .decoded_path
            .strip_suffix('/')
            .unwrap_or(self.decoded_path);
        let location = HeaderValue::from_str(&format!("{base}/{id}"))
            .unwrap_or(HeaderValue::from_static("/api/v2.0/users"));
        let mut response = empty_response(StatusCode::CREATED);
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    }

    /// Harbor's `requireCreatable`: local users only under `db_auth`, and self-registration
    /// only from the UI (a request carrying a session).
    fn require_creatable(&self) -> Result<(), ApiError> {
        let mode = self.settings.auth_mode;
        if mode != AuthMode::Database {
            return Err(ApiError::forbidden(format!(
                "creating local user is not allowed under auth mode: {mode}"
            )));
        }
        let access = self.require_system("create");
        if !self.settings.self_registration {
            return access;
        }
        if access.is_err() && !self.carries_session {
            return Err(ApiError::forbidden(
                "self-registration cannot be triggered via API",
            ));
        }
        Ok(())
    }

    fn current_user(&self) -> Result<Response, ApiError> {
        match self.caller {
            Caller::Anonymous => Err(ApiError::unauthorized()),
            Caller::Robot { .. } => Err(ApiError::precondition(
                "get current user not available for security context: robot",
            )),
            Caller::User {
                id,
                admin_role_in_auth,
                ..
            } => self.user_response(*id, *admin_role_in_auth),
        }
    }

    fn user_response(&self, id: i64, admin_role_in_auth: bool) -> Result<Response, ApiError> {
        let store = self.state.read_store();
        let user = store
            .live(id)
            .ok_or_else(|| ApiError::not_found(format!("user {id} not found")))?;
        let mut payload = UserResp::of(user).with_admin_role_in_auth(admin_role_in_auth);
        // The admin always logs in through the database, so it never has OIDC metadata.
        if self.settings.auth_mode == AuthMode::Oidc && id > 1 {
            let oidc = user
                .oidc
                .as_ref()
                .ok_or_else(|| ApiError::internal(format!("oidc info for user {id} not found")))?;
            payload = payload.with_oidc(oidc, id);
        }
        Ok(json_response(StatusCode::OK, wire::json_body(&payload)))
    }

    fn search_users(
        &self,
        page: i64,
        page_size: i64,
        username: &str,
    ) -> Result<Response, ApiError> {
        self.require_authenticated()?;
        let store = self.state.read_store();
        // The count is Harbor's fuzzy match (escaped, case-insensitive, admin excluded)...
        let fuzzy = LikePattern::containing(username);
        let total = store
            .all_rows()
            .filter(|user| !user.deleted && user.id != 1)
            .filter(|user| fuzzy.matches(&user.username.to_uppercase()))
            .count();
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        if total == 0 {
            return Ok(with_paging(
                json_response(StatusCode::OK, b"[]\n".to_vec()),
                0,
                "",
            ));
        }
        // ...but the items come from raw SQL: a case-sensitive, unescaped LIKE that includes
        // the admin, ignores `page`, and puts the shortest usernames first.
        let limit = usize::try_from(page_size)
            .map_err(|_| ApiError::internal("LIMIT must not be negative"))?;
        let pattern = LikePattern::parse(&format!("%{username}%"), false);
        let mut hits: Vec<&UserRecord> = store
            .all_rows()
            .filter(|user| !user.deleted && pattern.matches(&user.username))
            .collect();
        hits.sort_by(|a, b| {
            (a.username.len(), a.username.as_bytes())
                .cmp(&(b.username.len(), b.username.as_bytes()))
        });
        hits.truncate(limit);
        let items: Vec<UserSearchRespItem<'_>> = hits
            .into_iter()
            .map(|user| UserSearchRespItem {
                user_id: user.id,
                username: &user.username,
            })
            .collect();
        let body = wire::json_body(&items);
        drop(store);

        let link = link::links(self.raw_path, self.raw_query, total, page, page_size);
        Ok(with_paging(
            json_response(StatusCode::OK, body),
            total,
            &link,
        ))
    }

    fn current_permissions(&self, scope: &str, relative: bool) -> Result<Response, ApiError> {
        self.require_authenticated()?;
        let mut payload = Vec::new();
        if let Some(namespace) = permissions::namespace_of(scope) {
            let catalogue = match namespace {
                Namespace::Project(_) => permissions::PROJECT_ADMIN,
                Namespace::System => permissions::SYSTEM,
            };
            let store = self.state.read_store();
            for (resource, action) in catalogue {
                if !self
                    .caller
                    .can(namespace, resource, action, &store.projects)
                {
                    continue;
                }
                let full = permissions::resource_path(namespace, resource);
                let shown = if relative {
                    match relative_to(&full, scope) {
                        Some(shown) => shown,
                        None => continue,
                    }
                } else {
                    full
                };
                payload.push(Permission {
                    action: (*action).to_string(),
                    resource: shown,
                });
            }
        }
        Ok(json_response(StatusCode::OK, wire::json_body(&payload)))
    }

    fn get_user(&self, id: i64) -> Result<Response, ApiError> {
        self.require_authenticated_before_self_check()?;
        if !self.caller.is_user(id) {
            self.require_system("read")?;
        }
        self.user_response(id, false)
    }

    fn update_profile(&self, id: i64, profile: &Decoded) -> Result<Response, ApiError> {
        self.require_modifiable(id)?;
        let (comment, email, realname) = (profile.string(0), profile.string(1), profile.string(2));
        validate::validate_profile(&Profile {
            email: &email,
            realname: &realname,
            comment: &comment,
            username: None,
        })?;

        let mut store = self.state.write_store();
        if store.row(id).is_none() {
            return Err(ApiError::not_found(format!("user with id {id} not found")));
        }
        // A taken email violates the unique constraint, which Harbor does not map: a 500.
        if !store.set_email(id, &email) {
            return Err(ApiError::internal(
                "duplicate key value violates unique constraint \"harbor_user_email_key\"",
            ));
        }
        if let Some(user) = store.row_mut(id) {
            user.realname = realname;
            user.comment = comment;
            user.update_time = store::now();
        }
        Ok(empty_response(StatusCode::OK))
    }

    fn delete_user(&self, id: i64) -> Result<Response, ApiError> {
        self.require_system("delete")?;
        if self.caller.is_user(id) || id == 1 {
            return Err(ApiError::forbidden(format!(
                "User with ID {id} cannot be deleted"
            )));
        }
        if !self.state.write_store().delete_row(id) {
            return Err(ApiError::not_found(format!("user {id} not found")));
        }
        Ok(empty_response(StatusCode::OK))
    }

    fn set_sysadmin(&self, id: i64, sysadmin: bool) -> Result<Response, ApiError> {
        self.require_system("update")?;
        let mut store = self.state.write_store();
        let user = store
            .row_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("user with id {id} not found")))?;
        user.sysadmin = sysadmin;
        user.update_time = store::now();
        Ok(empty_response(StatusCode::OK))
    }

    fn update_password(
        &self,
        id: i64,
        old_password: &str,
        new_password: &str,
    ) -> Result<Response, ApiError> {
        self.require_modifiable(id)?;
        // Changing your own password needs the current one, even for an admin.
        if self.caller.is_user(id) {
            let store = self.state.read_store();
            let correct = store
                .live(id)
                .is_some_and(|user| *user.password == *old_password);
            if !correct {
                return Err(ApiError::forbidden("Current password is incorrect"));
            }
        }
        validate::require_strong_secret(new_password)?;

        let mut store = self.state.write_store();
        let user = store
            .live(id)
            .ok_or_else(|| ApiError::not_found(format!("user {id} not found")))?;
        if *user.password == *new_password {
            return Err(ApiError::bad_request(
                "New password is identical to old password",
            ));
        }
        if let Some(user) = store.row_mut(id) {
            user.password = new_password.into();
            user.update_time = store::now();
        }
        Ok(empty_response(StatusCode::OK))
    }

    fn set_cli_secret(&self, id: i64, secret: String) -> Result<Response, ApiError> {
        let mode = self.settings.auth_mode;
        if mode != AuthMode::Oidc {
            return Err(ApiError::precondition(format!(
                "unable to update CLI secret under authmode: {mode}"
            )));
        }
        self.require_authenticated_before_self_check()?;
        if !self.caller.is_user(id) {
            self.require_system("update")?;
        }
        let secret = if secret.is_empty() {
            store::generate_cli_secret()
        } else {
            secret
        };
        validate::require_strong_secret(&secret)?;

        let mut store = self.state.write_store();
        let oidc = store
            .row_mut(id)
            .filter(|user| !user.deleted)
            .and_then(|user| user.oidc.as_mut())
            .ok_or_else(|| ApiError::not_found(format!("oidc info for user {id} not found")))?;
        oidc.secret = secret;
        oidc.update_time = store::now();
        Ok(empty_response(StatusCode::OK))
    }
}

/// Harbor's `Resource.RelativeTo`: drop the scope and one `/`; the scope itself is `.`.
fn relative_to(resource: &str, scope: &str) -> Option<String> {
    let rest = resource.strip_prefix(scope)?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    Some(if rest.is_empty() {
        ".".to_string()
    } else {
        rest.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_method_routing_matches_go_swagger() {
        assert_eq!(
            route(&Method::PUT, "/api/v2.0/users/current"),
            Ok(Route::UpdateProfile("current".into()))
        );
        assert_eq!(
            route(&Method::POST, "/api/v2.0/users/7"),
            Err(ApiError::method_not_allowed(
                "method POST is not allowed, but [DELETE,GET,PUT] are"
            ))
        );
        assert_eq!(
            route(&Method::GET, "/api/v2.0/projects"),
            Err(ApiError::not_found("path /api/v2.0/projects was not found"))
        );
        assert_eq!(
            route(&Method::GET, "/api/v2.0//users/"),
            Ok(Route::ListUsers)
        );
    }

    #[test]
    fn media_types_parse_like_go() {
        assert_eq!(
            parse_media_type("Application/JSON; charset=utf-8"),
            Ok("application/json".to_string())
        );
        assert_eq!(parse_media_type(""), Err("mime: no media type"));
        assert_eq!(
            parse_media_type("application/json; charset"),
            Err("mime: invalid media parameter")
        );
    }
}
