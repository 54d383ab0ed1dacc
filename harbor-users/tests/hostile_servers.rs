//! A server that answers badly, by mistake or on purpose, never makes the
//! client panic, hang or loop, and never draws credentials to another
//! origin: each malformed answer below gives a typed error, or, where the
//! answer is odd but readable, the outcome its name states.
//!
//! Every case runs against a fresh raw TCP server (see
//! `support/raw_server.rs`) that sends exactly the bytes the case gives,
//! with a deadline that catches a loop or a hang.

mod support;

use std::{fmt::Write as _, ops::RangeInclusive, sync::Arc, time::Duration};

use futures::TryStreamExt;
use harbor_users::{Error, HarborClient, NewUser, PermissionScope, RetryPolicy, User};
use support::{
    TestResult,
    raw_server::{RawServer, Reply, Seen, http, json},
};

/// The retries every case gets: three attempts, no real pauses.
const ATTEMPTS: usize = 3;

/// The body cap of the client under test, small so that "enormous" is
/// cheap to send.
const MAX_BODY: usize = 1024 * 1024;

/// The operation a case calls.
#[derive(Clone, Copy, Debug)]
enum Op {
    GetUser,
    ListAll,
    ListWithPrefetch,
    Create,
    Permissions,
    SearchAll,
    ByUsername,
}

/// What a case must end with.
#[derive(Clone, Debug)]
enum Expect {
    /// [`Error::Decode`] whose message contains this.
    Decode(&'static str),
    /// [`Error::Status`] with this status.
    Status(u16),
    /// [`Error::Api`] with this status.
    Api(u16),
    /// [`Error::Transport`].
    Transport,
    /// [`Error::BodyTooLarge`].
    TooLarge,
    /// [`Error::UserNotFound`].
    UserNotFound,
    /// Success, described as [`describe`] does.
    Ok(String),
}

struct Case {
    name: &'static str,
    op: Op,
    answer: Arc<dyn Fn(&Seen) -> Reply + Send + Sync>,
    expect: Expect,
    /// How many requests the server must have received.
    requests: RangeInclusive<usize>,
}

fn case(
    name: &'static str,
    op: Op,
    expect: Expect,
    requests: RangeInclusive<usize>,
    answer: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        op,
        answer: Arc::new(answer),
        expect,
        requests,
    }
}

fn user_json(id: u64) -> String {
    format!(r#"{{"user_id":{id},"username":"user{id}","sysadmin_flag":false}}"#)
}

/// A listing of `real` users (ids 1..=real) paged as asked, with the
/// headers `extra` gives for each page.
fn listing(
    real: u64,
    extra: impl Fn(&Seen) -> Vec<(String, String)> + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |seen| {
        let page: u64 = seen.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let size: u64 = seen
            .query("page_size")
            .and_then(|p| p.parse().ok())
            .unwrap_or(10);
        let first = page.saturating_sub(1).saturating_mul(size) + 1;
        let ids = (first..first.saturating_add(size)).take_while(|id| *id <= real);
        let body = format!("[{}]", ids.map(user_json).collect::<Vec<_>>().join(","));
        let headers = extra(seen);
        let mut pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        pairs.push(("content-type", "application/json"));
        Reply::Bytes(http(200, &pairs, body))
    }
}

fn total(value: &str) -> impl Fn(&Seen) -> Vec<(String, String)> + Send + Sync + 'static {
    let value = value.to_owned();
    move |_| vec![("x-total-count".to_owned(), value.clone())]
}

fn created(location: Option<&str>) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    let location = location.map(str::to_owned);
    move |_| match &location {
        Some(location) => Reply::Bytes(http(201, &[("location", location)], "")),
        None => Reply::Bytes(http(201, &[], "")),
    }
}

fn ok(text: &str) -> Expect {
    Expect::Ok(text.to_owned())
}

/// Ids as a short text: `users 1..=250` when consecutive, else the list.
fn describe(kind: &str, ids: &[i64]) -> String {
    let consecutive = ids.windows(2).all(|pair| pair[1] == pair[0] + 1);
    match (ids.first(), ids.last()) {
        (None, _) | (_, None) => format!("no {kind}"),
        (Some(first), Some(last)) if consecutive => format!("{kind} {first}..={last}"),
        _ => format!("{kind} {ids:?}"),
    }
}

fn cases(other_origin: &str) -> Vec<Case> {
    let elsewhere = format!("{other_origin}/api/v2.0/users/42");
    let next_elsewhere =
        format!("<{other_origin}/api/v2.0/users?page=2&page_size=100>; rel=\"next\"");
    let huge_body = "x".repeat(2 * MAX_BODY);
    let huge_error = "e".repeat(5 * 1024 * 1024);
    let nested = format!(
        r#"{{"user_id":3,"username":"a","extra":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );

    vec![
        // A single user whose body is not a user.
        case(
            "a_body_cut_mid_json_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("expected a user"),
            1..=1,
            |_| json(r#"{"user_id":3,"username":"#),
        ),
        case(
            "an_array_where_a_user_is_expected_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("invalid type"),
            1..=1,
            |_| json(format!("[{}]", user_json(3))),
        ),
        case(
            "null_where_a_user_is_expected_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("invalid type: null"),
            1..=1,
            |_| json("null"),
        ),
        case(
            "an_empty_200_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("EOF"),
            1..=1,
            |_| json(""),
        ),
        case(
            "a_proxy_login_page_with_200_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("expected value"),
            1..=1,
            |_| {
                Reply::Bytes(http(
                    200,
                    &[("content-type", "text/html")],
                    "<html><form>Sign in</form></html>",
                ))
            },
        ),
        case(
            "a_user_id_given_as_text_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("invalid type: string"),
            1..=1,
            |_| json(r#"{"user_id":"3","username":"a"}"#),
        ),
        case(
            "a_user_id_beyond_i64_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("user_id"),
            1..=1,
            |_| json(r#"{"user_id":99999999999999999999999,"username":"a"}"#),
        ),
        case(
            "a_negative_user_id_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("-7 is not a user id"),
            1..=1,
            |_| json(r#"{"user_id":-7,"username":"a"}"#),
        ),
        case(
            "a_fractional_user_id_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("invalid type: floating point"),
            1..=1,
            |_| json(r#"{"user_id":3.5,"username":"a"}"#),
        ),
        case(
            "a_user_without_username_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("missing field `username`"),
            1..=1,
            |_| json(r#"{"user_id":3}"#),
        ),
        case(
            "an_unreadable_timestamp_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("creation_time"),
            1..=1,
            |_| json(r#"{"user_id":3,"username":"a","creation_time":"yesterday"}"#),
        ),
        case(
            "json_nested_100000_deep_in_an_unknown_field_is_skipped_without_overflow",
            Op::GetUser,
            ok("user 3"),
            1..=1,
            move |_| json(nested.clone()),
        ),
        case(
            "a_body_that_is_not_utf8_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("expected a user"),
            1..=1,
            |_| json(b"{\"user_id\":3,\"username\":\"\xff\xfe\"}".as_slice()),
        ),
        case(
            "a_204_without_body_is_a_decode_error",
            Op::GetUser,
            Expect::Decode("EOF"),
            1..=1,
            |_| Reply::Bytes(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_vec()),
        ),
        case(
            "json_sent_as_text_html_is_read_as_json",
            Op::GetUser,
            ok("user 3"),
            1..=1,
            |_| Reply::Bytes(http(200, &[("content-type", "text/html")], user_json(3))),
        ),
        // Bodies too large, cut short, or not HTTP at all.
        case(
            "an_announced_gigabyte_is_refused_before_reading",
            Op::GetUser,
            Expect::TooLarge,
            1..=1,
            |_| Reply::Bytes(http(200, &[("content-length", "1073741824")], "[[[[")),
        ),
        case(
            "an_endless_chunked_body_stops_at_the_cap",
            Op::ListAll,
            Expect::TooLarge,
            1..=1,
            move |_| Reply::Bytes(chunked(&huge_body)),
        ),
        case(
            "a_body_shorter_than_its_length_is_retried_then_a_transport_error",
            Op::GetUser,
            Expect::Transport,
            ATTEMPTS..=ATTEMPTS,
            |_| Reply::Bytes(http(200, &[("content-length", "500")], r#"{"user_id":3,"#)),
        ),
        case(
            "a_broken_chunked_encoding_is_a_transport_error",
            Op::GetUser,
            Expect::Transport,
            ATTEMPTS..=ATTEMPTS,
            |_| {
                Reply::Bytes(http(
                    200,
                    &[("transfer-encoding", "chunked")],
                    "zz\r\nnot a chunk\r\n",
                ))
            },
        ),
        case(
            "an_answer_that_is_not_http_is_a_transport_error",
            Op::GetUser,
            Expect::Transport,
            ATTEMPTS..=ATTEMPTS,
            |_| Reply::Bytes(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()),
        ),
        case(
            "a_connection_closed_without_answer_is_retried_then_a_transport_error",
            Op::GetUser,
            Expect::Transport,
            ATTEMPTS..=ATTEMPTS,
            |_| Reply::Close,
        ),
        // Error statuses whose body is not Harbor's error body.
        case(
            "a_proxy_502_page_is_retried_then_a_status_error",
            Op::GetUser,
            Expect::Status(502),
            ATTEMPTS..=ATTEMPTS,
            |_| {
                Reply::Bytes(http(
                    502,
                    &[("content-type", "text/html")],
                    "<html><h1>502 Bad Gateway</h1></html>",
                ))
            },
        ),
        case(
            "an_error_body_with_null_errors_is_a_status_error",
            Op::GetUser,
            Expect::Status(404),
            1..=1,
            |_| json_status(404, r#"{"errors":null}"#),
        ),
        case(
            "an_error_body_of_another_shape_is_a_status_error",
            Op::GetUser,
            Expect::Status(404),
            1..=1,
            |_| json_status(404, r#"{"errors":"gone"}"#),
        ),
        case(
            "an_error_body_listing_no_errors_is_an_api_error",
            Op::GetUser,
            Expect::Api(500),
            1..=1,
            |_| json_status(500, r#"{"errors":[]}"#),
        ),
        case(
            "an_enormous_error_body_is_read_only_in_part",
            Op::GetUser,
            Expect::Status(500),
            1..=1,
            move |_| Reply::Bytes(http(500, &[], &huge_error)),
        ),
        case(
            "an_unknown_status_with_harbors_body_is_an_api_error",
            Op::GetUser,
            Expect::Api(599),
            1..=1,
            |_| json_status(599, r#"{"errors":[{"code":"NEW","message":"new"}]}"#),
        ),
        case(
            "a_redirect_to_another_host_is_not_followed",
            Op::GetUser,
            Expect::Status(302),
            1..=1,
            move |_| Reply::Bytes(http(302, &[("location", &elsewhere)], "")),
        ),
        // Listings: shapes, totals and links that lie.
        case(
            "a_null_listing_is_an_empty_listing",
            Op::ListAll,
            ok("no users"),
            1..=1,
            |_| Reply::Bytes(http(200, &[("x-total-count", "0")], "null")),
        ),
        case(
            "an_object_where_a_listing_is_expected_is_a_decode_error",
            Op::ListAll,
            Expect::Decode("a list of users"),
            1..=1,
            |_| json(user_json(3)),
        ),
        case(
            "a_listing_with_one_malformed_item_is_a_decode_error",
            Op::ListAll,
            Expect::Decode("a list of users"),
            1..=1,
            |_| json(format!("[{},42]", user_json(3))),
        ),
        case(
            "a_listing_without_total_pages_until_a_short_page",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, |_| Vec::new()),
        ),
        case(
            "a_negative_total_is_ignored_like_a_missing_one",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, total("-250")),
        ),
        case(
            "a_total_that_is_not_a_number_is_ignored",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, total("plenty")),
        ),
        case(
            "a_total_beyond_u64_is_ignored",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, total("99999999999999999999999")),
        ),
        case(
            "a_total_larger_than_the_items_ends_at_the_short_page",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, total("1000")),
        ),
        case(
            "a_total_of_u64_max_ends_at_the_short_page",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, total("18446744073709551615")),
        ),
        case(
            "a_total_of_u64_max_with_prefetch_requests_only_a_few_pages_ahead",
            Op::ListWithPrefetch,
            ok("users 1..=250"),
            3..=5,
            listing(250, total("18446744073709551615")),
        ),
        case(
            "a_total_smaller_than_the_items_is_trusted_and_ends_the_listing",
            Op::ListAll,
            ok("users 1..=200"),
            2..=2,
            listing(250, total("150")),
        ),
        case(
            "an_empty_page_announcing_a_next_page_ends_the_listing",
            Op::ListAll,
            ok("no users"),
            1..=1,
            |_| {
                Reply::Bytes(http(
                    200,
                    &[
                        ("x-total-count", "500"),
                        (
                            "link",
                            "</api/v2.0/users?page=2&page_size=100>; rel=\"next\"",
                        ),
                    ],
                    "[]",
                ))
            },
        ),
        case(
            "a_page_repeated_forever_is_read_once",
            Op::ListAll,
            ok("users 1..=100"),
            2..=2,
            |_| {
                let body = format!(
                    "[{}]",
                    (1..=100).map(user_json).collect::<Vec<_>>().join(",")
                );
                Reply::Bytes(http(200, &[("x-total-count", "1000000")], body))
            },
        ),
        case(
            "a_link_to_another_host_is_never_followed",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            listing(250, move |_| {
                vec![
                    ("x-total-count".to_owned(), "250".to_owned()),
                    ("link".to_owned(), next_elsewhere.clone()),
                ]
            }),
        ),
        case(
            "pages_longer_than_asked_give_each_user_once",
            Op::ListAll,
            ok("users 1..=250"),
            2..=2,
            |seen| {
                let page: u64 = seen.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let first = (page - 1) * 100 + 1;
                let ids = (first..first + 150).take_while(|id| *id <= 250);
                let body = format!("[{}]", ids.map(user_json).collect::<Vec<_>>().join(","));
                Reply::Bytes(http(200, &[("x-total-count", "250")], body))
            },
        ),
        case(
            "a_total_that_is_not_text_is_ignored",
            Op::ListAll,
            ok("users 1..=250"),
            3..=3,
            |seen| {
                let mut reply = listing(250, |_| Vec::new())(seen);
                if let Reply::Bytes(bytes) = &mut reply {
                    // Insert a header whose value is not visible ASCII.
                    let at = bytes.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
                    bytes.splice(at..at, b"x-total-count: \xff\xfe\r\n".iter().copied());
                }
                reply
            },
        ),
        // Creates whose Location cannot give the new id.
        case(
            "a_create_without_location_is_a_decode_error_saying_the_user_exists",
            Op::Create,
            Expect::Decode("the user was created"),
            1..=1,
            created(None),
        ),
        case(
            "a_relative_location_gives_the_new_id",
            Op::Create,
            ok("created 42"),
            1..=1,
            created(Some("/api/v2.0/users/42")),
        ),
        case(
            "an_empty_location_is_a_decode_error",
            Op::Create,
            Expect::Decode("empty"),
            1..=1,
            created(Some("")),
        ),
        case(
            "a_location_not_ending_in_a_number_is_a_decode_error",
            Op::Create,
            Expect::Decode("does not end in a user id"),
            1..=1,
            created(Some("/api/v2.0/users/alice")),
        ),
        case(
            "a_location_ending_in_zero_is_a_decode_error",
            Op::Create,
            Expect::Decode("not a user id"),
            1..=1,
            created(Some("/api/v2.0/users/0")),
        ),
        case(
            "a_location_outside_users_is_a_decode_error",
            Op::Create,
            Expect::Decode("not under /users/"),
            1..=1,
            created(Some("/api/v2.0/projects/42")),
        ),
        case(
            "a_location_on_another_host_is_a_decode_error",
            Op::Create,
            Expect::Decode("another server"),
            1..=1,
            created(Some("https://evil.example.net/api/v2.0/users/42")),
        ),
        case(
            "a_scheme_relative_location_on_another_host_is_a_decode_error",
            Op::Create,
            Expect::Decode("another server"),
            1..=1,
            created(Some("//evil.example.net/api/v2.0/users/42")),
        ),
        case(
            "a_created_answer_with_an_html_body_and_no_location_is_a_decode_error",
            Op::Create,
            Expect::Decode("without a Location"),
            1..=1,
            |_| {
                Reply::Bytes(http(
                    200,
                    &[("content-type", "text/html")],
                    "<html>Welcome</html>",
                ))
            },
        ),
        // Permissions and search.
        case(
            "null_permissions_are_no_permissions",
            Op::Permissions,
            ok("0 permissions"),
            1..=1,
            |_| json("null"),
        ),
        case(
            "permissions_of_the_wrong_shape_are_a_decode_error",
            Op::Permissions,
            Expect::Decode("a list of permissions"),
            1..=1,
            |_| json(r#"{"resource":"x","action":"y"}"#),
        ),
        case(
            "search_hits_of_the_wrong_shape_are_a_decode_error",
            Op::SearchAll,
            Expect::Decode("a list of user search hits"),
            1..=1,
            |_| json(r#"[{"user_id":"x"}]"#),
        ),
        case(
            "a_search_repeating_the_same_page_forever_is_read_once",
            Op::SearchAll,
            ok("hits 1..=100"),
            2..=2,
            |_| {
                let hits: Vec<String> = (1..=100)
                    .map(|id| format!(r#"{{"user_id":{id},"username":"neighbour{id}"}}"#))
                    .collect();
                Reply::Bytes(http(
                    200,
                    &[("x-total-count", "99999")],
                    format!("[{}]", hits.join(",")),
                ))
            },
        ),
        case(
            "a_lookup_by_username_in_an_endless_search_ends_as_not_found",
            Op::ByUsername,
            Expect::UserNotFound,
            2..=2,
            |_| {
                let hits: Vec<String> = (1..=100)
                    .map(|id| format!(r#"{{"user_id":{id},"username":"alice{id}"}}"#))
                    .collect();
                Reply::Bytes(http(
                    200,
                    &[("x-total-count", "99999")],
                    format!("[{}]", hits.join(",")),
                ))
            },
        ),
    ]
}

fn json_status(status: u16, body: &str) -> Reply {
    Reply::Bytes(http(
        status,
        &[("content-type", "application/json; charset=utf-8")],
        body,
    ))
}

/// `body` sent in 8 KiB chunks with no length announced.
fn chunked(body: &str) -> Vec<u8> {
    let mut encoded = String::new();
    for piece in body.as_bytes().chunks(8192) {
        let _ = write!(
            encoded,
            "{:x}\r\n{}\r\n",
            piece.len(),
            String::from_utf8_lossy(piece)
        );
    }
    encoded.push_str("0\r\n\r\n");
    http(200, &[("transfer-encoding", "chunked")], encoded)
}

fn client(url: &str) -> Result<HarborClient, Error> {
    HarborClient::builder(url)
        .basic_auth("admin", "Harbor12345")
        .timeout(Duration::from_secs(5))
        .max_body_size(MAX_BODY)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(ATTEMPTS as u32)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
}

/// Calls the case's operation and describes a success.
async fn call(client: &HarborClient, op: Op) -> Result<String, Error> {
    let ids = |users: Vec<User>| users.iter().map(|user| user.id.get()).collect::<Vec<_>>();
    match op {
        Op::GetUser => client
            .get_user(3)
            .await
            .map(|user| format!("user {}", user.id)),
        Op::ListAll => client
            .get_users()
            .collect()
            .await
            .map(|users| describe("users", &ids(users))),
        Op::ListWithPrefetch => client
            .get_users()
            .concurrency(4)
            .stream()
            .try_collect()
            .await
            .map(|users| describe("users", &ids(users))),
        Op::Create => client
            .create_user(&NewUser::new(
                "alice",
                "a@example.com",
                "Alice",
                "Wonder1and",
            ))
            .await
            .map(|id| format!("created {id}")),
        Op::Permissions => client
            .get_current_user_permissions(PermissionScope::System, false)
            .await
            .map(|rights| format!("{} permissions", rights.len())),
        Op::SearchAll => client
            .search_users_by_username("neighbour")
            .collect()
            .await
            .map(|hits| {
                let ids: Vec<i64> = hits.iter().map(|hit| hit.id.get()).collect();
                describe("hits", &ids)
            }),
        Op::ByUsername => client
            .get_user_by_username("alice")
            .await
            .map(|user| format!("user {}", user.id)),
    }
}

/// Whether `outcome` is what `expect` asks for; if not, why.
fn check(expect: &Expect, outcome: &Result<String, Error>) -> Result<(), String> {
    let matches = match (expect, outcome) {
        (Expect::Ok(wanted), Ok(got)) => wanted == got,
        (Expect::Decode(part), Err(error @ Error::Decode { .. })) => {
            error.to_string().contains(part)
        }
        (Expect::Status(status), Err(Error::Status { status: got, .. })) => got.as_u16() == *status,
        (Expect::Api(status), Err(Error::Api { status: got, .. })) => got.as_u16() == *status,
        (Expect::Transport, Err(Error::Transport { .. }))
        | (Expect::TooLarge, Err(Error::BodyTooLarge { .. }))
        | (Expect::UserNotFound, Err(Error::UserNotFound { .. })) => true,
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(format!("expected {expect:?}, got {outcome:?}"))
    }
}

async fn run(case: &Case) -> Result<(), String> {
    let answer = case.answer.clone();
    let server = RawServer::start(move |seen| answer(seen))
        .await
        .map_err(|error| error.to_string())?;
    let client = client(server.url()).map_err(|error| error.to_string())?;

    let outcome = tokio::time::timeout(Duration::from_secs(20), call(&client, case.op))
        .await
        .map_err(|_| "no outcome within 20 s: a hang or a loop".to_owned())?;
    check(&case.expect, &outcome)?;

    if let Err(error) = &outcome
        && error
            .request()
            .is_some_and(|request| request.request_id().is_none())
    {
        return Err(format!("the error names no request id: {error}"));
    }
    let requests = server.count();
    if !case.requests.contains(&requests) {
        return Err(format!("{requests} requests, expected {:?}", case.requests));
    }
    if server
        .requests()
        .iter()
        .any(|seen| !seen.has_header("authorization"))
    {
        return Err("a request to the server under test went without credentials".to_owned());
    }
    Ok(())
}

#[tokio::test]
async fn every_malformed_answer_gives_a_typed_error_or_the_outcome_its_case_names() -> TestResult {
    let other_origin = RawServer::start(|_| json("{}")).await?;
    let cases = cases(other_origin.url());

    let mut failures = String::new();
    for case in &cases {
        if let Err(why) = run(case).await {
            let _ = writeln!(failures, "{}: {why}", case.name);
        }
    }

    assert!(failures.is_empty(), "failing cases:\n{failures}");
    assert_eq!(
        other_origin.count(),
        0,
        "another origin was sent requests, and with them the credentials"
    );
    let names: std::collections::HashSet<_> = cases.iter().map(|case| case.name).collect();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let errors = cases
        .iter()
        .filter(|case| !matches!(case.expect, Expect::Ok(_)))
        .count();
    assert!(errors >= 30, "{errors} malformed answers give errors");
    Ok(())
}
