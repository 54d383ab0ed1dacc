//! The generated client on the wire, against a mock Harbor.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use harbor_openapi::{BoxFuture, Client, Hooks, Middleware, request_id};
use httpmock::prelude::*;
use serde_json::json;

fn client(server: &MockServer, hooks: Hooks) -> Client {
    harbor_openapi::install_crypto_provider();
    let http = reqwest::Client::builder().build().expect("reqwest client");
    Client::new_with_client(&server.url("/api/v2.0"), http, hooks)
}

fn is_uuid(value: &str) -> bool {
    value.len() == 36 && value.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn listing_projects_sends_the_query_and_decodes_the_page() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/projects")
                .query_param("page", "2")
                .query_param("page_size", "50")
                .query_param("name", "library");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-total-count", "51")
                .json_body(json!([{
                    "project_id": 7,
                    "name": "library",
                    "owner_name": "admin",
                    "repo_count": 3,
                    "current_user_role_ids": null,
                    "creation_time": "2026-01-02T03:04:05.678Z"
                }]));
        })
        .await;

    let response = client(&server, Hooks::default())
        .list_projects()
        .page(2)
        .page_size(50)
        .name("library")
        .send()
        .await
        .expect("200");

    mock.assert_async().await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("x-total-count")
            .map(|v| v.as_bytes()),
        Some(&b"51"[..])
    );
    let projects = response.into_inner();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].project_id, Some(7));
    assert_eq!(projects[0].name.as_deref(), Some("library"));
    assert_eq!(projects[0].repo_count, Some(3));
    // Go sends `null` for an empty slice: the nullable-arrays patch at work.
    assert_eq!(projects[0].current_user_role_ids, None);
}

#[tokio::test]
async fn every_request_carries_a_fresh_request_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/current")
                .is_true(|req| {
                    req.headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(is_uuid)
                });
            then.status(200)
                .json_body(json!({ "user_id": 3, "username": "alice" }));
        })
        .await;

    let client = client(&server, Hooks::default());
    for _ in 0..2 {
        let user = client.get_current_user_info().send().await.expect("200");
        assert_eq!(user.username.as_deref(), Some("alice"));
    }
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_scoped_request_id_is_sent_instead_of_a_fresh_one() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v2.0/users/3000000000")
                .header("x-request-id", "audit-run-7");
            then.status(200);
        })
        .await;

    let client = client(&server, Hooks::default());
    // Ids above i32::MAX: `format: int` is Go's int64.
    let deleted = request_id::scope(
        "audit-run-7",
        client.delete_user().user_id(3_000_000_000_i64).send(),
    )
    .await;
    assert!(deleted.is_ok(), "{deleted:?}");
    mock.assert_async().await;
}

#[derive(Debug, Default)]
struct CountingMiddleware {
    calls: AtomicUsize,
}

impl Middleware for CountingMiddleware {
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let value = reqwest::header::HeaderValue::from_static(operation_id);
        request.headers_mut().insert("x-operation", value);
        Box::pin(http.execute(request))
    }
}

#[tokio::test]
async fn the_middleware_carries_out_every_exchange() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2.0/users/search")
                .query_param("username", "bob")
                .header("x-operation", "search_users")
                .header_exists("x-request-id");
            then.status(200)
                .json_body(json!([{ "user_id": 4, "username": "bob" }]));
        })
        .await;

    let middleware = Arc::new(CountingMiddleware::default());
    let client = client(&server, Hooks::new(middleware.clone()));
    let found = client
        .search_users()
        .username("bob")
        .send()
        .await
        .expect("200")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(found[0].user_id, Some(4));
    assert_eq!(middleware.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn harbor_errors_decode_into_the_envelope_with_their_status() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2.0/users/42");
            then.status(404)
                .header("content-type", "application/json; charset=utf-8")
                .body(
                    "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"user 42 not found\"}]}\n",
                );
        })
        .await;

    let error = client(&server, Hooks::default())
        .get_user()
        .user_id(42)
        .send()
        .await
        .expect_err("404");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    let harbor_openapi::Error::ErrorResponse(body) = error else {
        panic!("expected Harbor's error envelope, got {error:?}");
    };
    let errors = body.into_inner().errors.unwrap_or_default();
    assert_eq!(errors[0].code.as_deref(), Some("NOT_FOUND"));
    assert_eq!(errors[0].message.as_deref(), Some("user 42 not found"));
}

#[tokio::test]
async fn a_dropped_bodiless_error_still_reaches_the_caller_with_its_status() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v2.0/users/5/password");
            then.status(403)
                .body("{\"errors\":[{\"code\":\"FORBIDDEN\",\"message\":\"Current password is incorrect\"}]}");
        })
        .await;

    let body = harbor_openapi::types::PasswordReq {
        new_password: Some("N3wPassword".into()),
        old_password: Some("wrong".into()),
    };
    let error = client(&server, Hooks::default())
        .update_user_password()
        .user_id(5)
        .body(body)
        .send()
        .await
        .expect_err("403");
    let harbor_openapi::Error::UnexpectedResponse(response) = error else {
        panic!("expected an unexpected response, got {error:?}");
    };
    assert_eq!(response.status().as_u16(), 403);
    let text = response.text().await.expect("body");
    assert!(text.contains("Current password is incorrect"), "{text}");
}
