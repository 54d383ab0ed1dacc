//! Every Users operation on the wire: exact paths, query strings and bodies,
//! and how answers and refusals come back. Harbor is played by httpmock.

use futures::TryStreamExt;
use harbor_users::{
    Credentials, Error, HarborClient, NewUser, PermissionScope, RetryPolicy, Secret, UserId,
    UserProfile,
    query::{Field, Query, Sort},
};
use httpmock::prelude::*;
use serde_json::json;

fn client(server: &MockServer) -> HarborClient {
    HarborClient::builder(server.base_url())
        .credentials(Credentials::basic("admin", "Harbor12345"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
}

fn user_json(id: i64) -> serde_json::Value {
    json!({
        "user_id": id,
        "username": format!("user{id}"),
        "email": format!("user{id}@example.com"),
        "realname": format!("User {id}"),
        "comment": "kept",
        "sysadmin_flag": false,
        "admin_role_in_auth": false,
        "creation_time": "2026-01-02T03:04:05.678Z",
        "update_time": "2026-01-02T03:04:05.678Z"
    })
}

fn users_json(ids: impl IntoIterator<Item = i64>) -> serde_json::Value {
    serde_json::Value::Array(ids.into_iter().map(user_json).collect())
}

fn harbor_error(code: &str, message: &str) -> String {
    format!("{{\"errors\":[{{\"code\":\"{code}\",\"message\":\"{message}\"}}]}}\n")
}

/// Go's `url.QueryUnescape`, which Harbor applies to `q` a second time.
fn go_unescape(text: &str) -> String {
    let plus_as_space = text.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

#[tokio::test]
async fn get_user_reads_the_user_by_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2.0/users/42");
            then.status(200).json_body(user_json(42));
        })
        .await;

    let user = client(&server).get_user(42).await.expect("user");
    mock.assert_async().await;
    assert_eq!(user.id, UserId::from(42));
    assert_eq!(user.username, "user42");
    assert_eq!(user.comment.as_deref(), Some("kept"));
}

#[tokio::test]
async fn ids_below_one_are_refused_without_a_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;

    let client = client(&server);
    for error in [
        client.get_user(0).await.err(),
        client.delete_user(-1).await.err(),
        client.set_user_admin(0, true).await.err(),
    ] {
        let error = error.expect("refused");
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
        assert!(error.to_string().contains("ids start at 1"), "{error}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn create_user_posts_the_fields_and_returns_the_id_from_location() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v2.0/users")
                .header("content-type", "application/json")
                .json_body(json!({
                    "username": "alice",
                    "email": "alice@example.com",
                    "realname": "Alice",
                    "password": "Wonder1and"
                }));
            then.status(201).header("location", "/api/v2.0/users/17");
        })
        .await;

    let id = client(&server)
        .create_user(&NewUser::new(
            "alice",
            "alice@example.com",
            "Alice",
            "Wonder1and",
        ))
        .await
        .expect("created");
    mock.assert_async().await;
    assert_eq!(id.get(), 17);
}

#[tokio::test]
async fn a_missing_or_unreadable_location_is_an_error_not_an_empty_id() {
    for location in [
        None,
        Some("/api/v2.0/users/abc"),
        Some("/api/v2.0/projects/3"),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/api/v2.0/users");
                let then = then.status(201);
                if let Some(location) = location {
                    then.header("location", location);
                }
            })
            .await;
        let error = client(&server)
            .create_user(&NewUser::new("a", "a@example.com", "A", "Passw0rdA"))
            .await
            .expect_err("no id");
        assert!(matches!(error, Error::Decode { .. }), "{error:?}");
        assert!(error.to_string().contains("Location"), "{error}");
    }
}

#[tokio::test]
async fn create_user_is_sent_once_even_when_harbor_is_unavailable() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v2.0/users");
            then.status(503);
        })
        .await;
    let client = HarborClient::builder(server.base_url())
        .credentials(Credentials::basic("admin", "Harbor12345"))
        .retry_policy(RetryPolicy::default())
        .build()
        .expect("client");
    let error = client
        .create_user(&NewUser::new("a", "a@example.com", "A", "Passw0rdA"))
        .await
        .expect_err("503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn update_user_replaces_all_three_profile_fields() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v2.0/users/5").json_body(json!({
                "email": "new@example.com",
                "realname": "New Name",
                "comment": ""
            }));
            then.status(200);
        })
        .await;
    client(&server)
        .update_user(5, &UserProfile::new("new@example.com", "New Name"))
        .await
        .expect("updated");
    mock.assert_async().await;
}

#[tokio::test]
async fn edit_user_changes_one_field_and_keeps_the_others() {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2.0/users/5");
            then.status(200).json_body(user_json(5));
        })
        .await;
    let write = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v2.0/users/5").json_body(json!({
                "email": "user5@example.com",
                "realname": "User 5",
                "comment": "on call"
            }));
            then.status(200);
        })
        .await;
    let profile = client(&server)
        .edit_user(5, |profile| profile.comment = "on call".into())
        .await
        .expect("edited");
    read.assert_async().await;
    write.assert_async().await;
    assert_eq!(profile.email, "user5@example.com");
}

#[tokio::test]
async fn delete_user_if_exists_reports_whether_the_user_existed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/api/v2.0/users/5");
            then.status(200);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/api/v2.0/users/6");
            then.status(404)
                .body(harbor_error("NOT_FOUND", "user 6 not found"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/api/v2.0/users/1");
            then.status(403).body(harbor_error(
                "FORBIDDEN",
                "User with ID 1 cannot be deleted",
            ));
        })
        .await;

    let client = client(&server);
    assert!(client.delete_user_if_exists(5).await.expect("deleted"));
    assert!(!client.delete_user_if_exists(6).await.expect("already gone"));
    let error = client.delete_user_if_exists(1).await.expect_err("403");
    assert!(error.is_forbidden());
    let error = client.delete_user(6).await.expect_err("404");
    assert!(error.is_not_found());
}

#[tokio::test]
async fn set_user_admin_sends_the_flag_both_ways() {
    let server = MockServer::start_async().await;
    let grant = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v2.0/users/5/sysadmin")
                .json_body(json!({ "sysadmin_flag": true }));
            then.status(200);
        })
        .await;
    let revoke = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v2.0/users/5/sysadmin")
                .json_body(json!({ "sysadmin_flag": false }));
            then.status(200);
        })
        .await;
    let client = client(&server);
    client.set_user_admin(5, true).await.expect("granted");
    client.set_user_admin(5, false).await.expect("revoked");
    grant.assert_async().await;
    revoke.assert_async().await;
}

#[tokio::test]
async fn a_password_without_old_password_omits_the_key() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v2.0/users/5/password")
                .body(r#"{"new_password":"N3w-password"}"#);
            then.status(200);
        })
        .await;
    client(&server)
        .set_user_password(5, "N3w-password", None)
        .await
        .expect("changed");
    mock.assert_async().await;
}

#[tokio::test]
async fn a_wrong_old_password_is_recognisable() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v2.0/users/5/password")
                .json_body(json!({ "new_password": "N3w-password", "old_password": "guess" }));
            then.status(403)
                .body(harbor_error("FORBIDDEN", "Current password is incorrect"));
        })
        .await;
    let old = Secret::new("guess");
    let error = client(&server)
        .set_user_password(5, "N3w-password", Some(&old))
        .await
        .expect_err("403");
    mock.assert_async().await;
    assert!(error.is_wrong_current_password());
    assert!(!error.to_string().contains("N3w-password"));
}

#[tokio::test]
async fn cli_secret_outside_oidc_is_a_precondition_failure() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v2.0/users/5/cli_secret")
                .body("{}");
            then.status(412).body(harbor_error(
                "PRECONDITION",
                "unable to update CLI secret under authmode: db_auth",
            ));
        })
        .await;
    let error = client(&server)
        .set_user_cli_secret(5, None)
        .await
        .expect_err("412");
    mock.assert_async().await;
    assert!(error.is_precondition_failed());
    assert!(error.to_string().contains("authmode: db_auth"), "{error}");
}

#[tokio::test]
async fn a_chosen_cli_secret_is_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v2.0/users/5/cli_secret")
                .json_body(json!({ "secret": "Cli-s3cret" }));
            then.status(200);
        })
        .await;
    client(&server)
        .set_user_cli_secret(5, Some(&Secret::new("Cli-s3cret")))
        .await
        .expect("set");
    mock.assert_async().await;
}

#[tokio::test]
async fn the_current_user_and_a_robot_refusal() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/current")
                .header("authorization", "Basic YWRtaW46SGFyYm9yMTIzNDU=");
            then.status(200).json_body(user_json(1));
        })
        .await;
    let me = client(&server).get_current_user().await.expect("me");
    assert_eq!(me.id.get(), 1);

    let robot_server = MockServer::start_async().await;
    robot_server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2.0/users/current");
            then.status(412).body(harbor_error(
                "PRECONDITION",
                "get current user not available for security context: robot",
            ));
        })
        .await;
    let robot = HarborClient::builder(robot_server.base_url())
        .credentials(Credentials::robot("robot$sync", "S3cret-robot"))
        .build()
        .expect("client");
    let error = robot.get_current_user().await.expect_err("412");
    assert!(error.is_precondition_failed());
}

#[tokio::test]
async fn permissions_are_asked_for_a_typed_scope() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/current/permissions")
                .query_param("scope", "/project/1")
                .query_param("relative", "true");
            then.status(200).json_body(json!([
                { "resource": ".", "action": "read" },
                { "resource": "repository", "action": "push" }
            ]));
        })
        .await;
    let rights = client(&server)
        .get_current_user_permissions(PermissionScope::Project(1), true)
        .await
        .expect("rights");
    mock.assert_async().await;
    assert_eq!(rights.len(), 2);
    assert_eq!(rights[1].resource, "repository");
    assert_eq!(rights[1].action, "push");
}

#[tokio::test]
async fn listing_an_exact_multiple_of_the_page_size_sends_no_extra_request() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "1")
                .query_param("page_size", "100");
            then.status(200)
                .header("x-total-count", "200")
                .json_body(users_json(2..102));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "2")
                .query_param("page_size", "100");
            then.status(200)
                .header("x-total-count", "200")
                .json_body(users_json(102..202));
        })
        .await;
    let third = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "3");
            then.status(200)
                .header("x-total-count", "200")
                .json_body(json!([]));
        })
        .await;

    let users = client(&server).get_users().collect().await.expect("users");
    assert_eq!(users.len(), 200);
    first.assert_async().await;
    second.assert_async().await;
    third.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_limit_below_the_page_size_sends_one_request_for_that_many() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "1")
                .query_param("page_size", "7");
            then.status(200)
                .header("x-total-count", "5000")
                .json_body(users_json(2..9));
        })
        .await;
    let users = client(&server)
        .get_users()
        .limit(7)
        .collect()
        .await
        .expect("users");
    assert_eq!(users.len(), 7);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn q_and_sort_go_out_on_every_page_and_survive_harbor_decoding_twice() {
    let server = MockServer::start_async().await;
    let query = Query::new()
        .exact(Field::Comment, "a&b+c%d e=f")
        .expect("query")
        .fuzzy(Field::Email, "@example.com")
        .expect("query");
    let rendered = query.to_string();
    let sort = Sort::new()
        .desc(Field::CreationTime)
        .expect("sort")
        .asc(Field::Username)
        .expect("sort");

    let mut mocks = Vec::new();
    for page in 1..=3i64 {
        let rendered = rendered.clone();
        let mock = server
            .mock_async(move |when, then| {
                when.method(GET)
                    .path("/api/v2.0/users")
                    .query_param("page", page.to_string())
                    .query_param("page_size", "2")
                    .query_param("sort", "-creation_time,username")
                    .is_true(move |request| {
                        // What Harbor's second decoding sees must be the query
                        // as rendered, on every page.
                        request
                            .query_params()
                            .iter()
                            .find(|(key, _)| key == "q")
                            .is_some_and(|(_, value)| go_unescape(value) == rendered)
                    });
                then.status(200)
                    .header("x-total-count", "6")
                    .json_body(users_json([page * 2, page * 2 + 1]));
            })
            .await;
        mocks.push(mock);
    }

    let users: Vec<_> = client(&server)
        .get_users()
        .query(query)
        .sort(sort)
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .expect("users");
    assert_eq!(users.len(), 6);
    for mock in mocks {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn items_repeated_by_shifted_pages_are_yielded_once() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "1");
            then.status(200)
                .header("x-total-count", "7")
                .json_body(users_json([2, 3, 4]));
        })
        .await;
    // A user was created before the offset: user 4 moves to page 2.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "2");
            then.status(200)
                .header("x-total-count", "7")
                .json_body(users_json([4, 5, 6]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "3");
            then.status(200)
                .header("x-total-count", "7")
                .json_body(users_json([7]));
        })
        .await;
    let ids: Vec<i64> = client(&server)
        .get_users()
        .page_size(3)
        .collect()
        .await
        .expect("users")
        .iter()
        .map(|u| u.id.get())
        .collect();
    assert_eq!(ids, [2, 3, 4, 5, 6, 7]);
}

#[tokio::test]
async fn fetch_page_returns_one_page_with_the_total() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users")
                .query_param("page", "3")
                .query_param("page_size", "10");
            then.status(200)
                .header("x-total-count", "95")
                .json_body(users_json(22..32));
        })
        .await;
    let page = client(&server)
        .get_users()
        .page(3)
        .page_size(10)
        .fetch_page()
        .await
        .expect("page");
    mock.assert_async().await;
    assert_eq!(page.total, Some(95));
    assert_eq!(page.items.len(), 10);
    assert!(page.has_more());
}

#[tokio::test]
async fn a_page_size_above_harbors_maximum_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let error = client(&server)
        .get_users()
        .page_size(500)
        .collect()
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("page_size"), "{error}");
    any.assert_calls_async(0).await;
}

fn hits(names: &[(i64, &str)]) -> serde_json::Value {
    serde_json::Value::Array(
        names
            .iter()
            .map(|(id, name)| json!({ "user_id": id, "username": name }))
            .collect(),
    )
}

#[tokio::test]
async fn a_search_server_that_ignores_page_does_not_loop_or_duplicate() {
    let server = MockServer::start_async().await;
    // Harbor 2.14.2 and later: every page is the first one, with a total of 25.
    let names: Vec<(i64, String)> = (0..10).map(|i| (i + 3, format!("ali{i}"))).collect();
    let body = hits(
        &names
            .iter()
            .map(|(id, name)| (*id, name.as_str()))
            .collect::<Vec<_>>(),
    );
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/search")
                .query_param("username", "ali")
                .query_param("page_size", "10");
            then.status(200)
                .header("x-total-count", "25")
                .json_body(body);
        })
        .await;
    let found = client(&server)
        .search_users_by_username("ali")
        .page_size(10)
        .collect()
        .await
        .expect("hits");
    assert_eq!(found.len(), 10);
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn lookup_by_username_takes_the_exact_match_in_two_requests() {
    let server = MockServer::start_async().await;
    let search = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/search")
                .query_param("username", "bob")
                .query_param("page", "1")
                .query_param("page_size", "100");
            then.status(200)
                .header("x-total-count", "3")
                .json_body(hits(&[(9, "bob"), (7, "bobby"), (8, "Bobcat")]));
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2.0/users/9");
            then.status(200)
                .json_body(json!({ "user_id": 9, "username": "bob" }));
        })
        .await;
    let bob = client(&server)
        .get_user_by_username("bob")
        .await
        .expect("bob");
    assert_eq!(bob.id.get(), 9);
    search.assert_calls_async(1).await;
    read.assert_calls_async(1).await;
}

#[tokio::test]
async fn lookup_by_username_never_returns_a_fuzzy_neighbour() {
    let server = MockServer::start_async().await;
    let search = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/search")
                .query_param("username", "bob");
            then.status(200)
                .header("x-total-count", "1")
                .json_body(hits(&[(7, "bobby")]));
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path_includes("/api/v2.0/users/7");
            then.status(200)
                .json_body(json!({ "user_id": 7, "username": "bobby" }));
        })
        .await;
    let error = client(&server)
        .get_user_by_username("bob")
        .await
        .expect_err("no bob");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.to_string(), "no user is named exactly \"bob\"");
    search.assert_calls_async(1).await;
    read.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_empty_search_term_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let error = client(&server)
        .get_user_by_username("")
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    any.assert_calls_async(0).await;
}
