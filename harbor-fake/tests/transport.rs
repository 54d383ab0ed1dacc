//! Seed state and the transport-level contract: request ids, envelopes, routing, JSON shape.

mod common;

use common::{delete, get, post, put, start};
use harbor_fake::{NewUser, UserId};

#[tokio::test]
async fn admin_is_user_one_with_harbors_seed_profile() {
    let fake = start().await;
    let reply = get("/api/v2.0/users/1").admin(&fake).send(&fake).await;
    assert_eq!(reply.status, 200);
    let admin = reply.json();
    assert_eq!(admin["user_id"], 1);
    assert_eq!(admin["username"], "admin");
    assert_eq!(admin["realname"], "system admin");
    assert_eq!(admin["comment"], "admin user");
    assert_eq!(admin["sysadmin_flag"], true);
    assert!(admin.get("email").is_none(), "admin has no email: {admin}");
}

#[tokio::test]
async fn user_two_is_hidden_and_new_ids_start_at_three() {
    let fake = start().await;
    get("/api/v2.0/users/2")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", "user 2 not found");
    let created = post("/api/v2.0/users")
        .admin(&fake)
        .json(&common::new_user_json("first"))
        .send(&fake)
        .await;
    assert_eq!(created.header("location"), Some("/api/v2.0/users/3"));
}

#[tokio::test]
async fn ids_are_never_reused_after_a_delete() {
    let fake = start().await;
    let id = fake.add_user(NewUser::new("gone")).expect("seeded");
    delete(&format!("/api/v2.0/users/{id}"))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    let next = fake
        .add_user(NewUser::new("gone"))
        .expect("name is free again");
    assert_eq!(next, UserId(id.0 + 1));
}

#[tokio::test]
async fn admin_password_is_configurable() {
    let fake =
        common::start_with(harbor_fake::FakeHarbor::builder().admin_password("S3cret!pw")).await;
    assert_eq!(fake.admin_credentials().password, "S3cret!pw");
    let reply = get("/api/v2.0/users/current")
        .auth("admin", "S3cret!pw")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    get("/api/v2.0/users/current")
        .auth("admin", "Harbor12345")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn request_id_is_echoed() {
    let fake = start().await;
    let reply = get("/api/v2.0/users/current")
        .header("X-Request-Id", "trace-me-42")
        .send(&fake)
        .await;
    assert_eq!(reply.header("x-request-id"), Some("trace-me-42"));
}

#[tokio::test]
async fn request_id_is_a_fresh_uuid_v4_when_absent() {
    let fake = start().await;
    let first = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    let second = get("/nowhere").send(&fake).await;
    for reply in [&first, &second] {
        let id = reply.header("x-request-id").expect("always set");
        let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
        assert_eq!(uuid.get_version_num(), 4);
    }
    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
}

#[tokio::test]
async fn unknown_path_gets_harbors_404_envelope() {
    let fake = start().await;
    get("/api/v2.0/projectz")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", "path /api/v2.0/projectz was not found");
}

#[tokio::test]
async fn wrong_method_gets_405_listing_the_allowed_ones() {
    let fake = start().await;
    post("/api/v2.0/users/5")
        .admin(&fake)
        .json("{}")
        .send(&fake)
        .await
        .assert_error(
            405,
            "METHOD_NOT_ALLOWED",
            "method POST is not allowed, but [DELETE,GET,PUT] are",
        );
    delete("/api/v2.0/users")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(
            405,
            "METHOD_NOT_ALLOWED",
            "method DELETE is not allowed, but [GET,POST] are",
        );
}

#[tokio::test]
async fn put_on_a_static_path_binds_it_as_a_user_id() {
    let fake = start().await;
    put("/api/v2.0/users/current")
        .admin(&fake)
        .json(r#"{"email":"a@b.io","realname":"A"}"#)
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nuser_id in path must be of type int64: \"current\"",
        );
}

#[tokio::test]
async fn malformed_raw_query_is_a_400_before_routing() {
    let fake = start().await;
    get("/api/v2.0/users?page=1;page_size=2")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(400, "BAD_REQUEST", "invalid semicolon separator in query");
    get("/api/v2.0/nowhere?q=%zz")
        .send(&fake)
        .await
        .assert_error(400, "BAD_REQUEST", "invalid URL escape \"%zz\"");
}

#[tokio::test]
async fn json_bodies_omit_empty_fields_but_keep_the_flags() {
    let fake = start().await;
    let id = fake
        .add_user(NewUser::new("bare").email("").comment(""))
        .expect("seeded");
    let reply = get(&format!("/api/v2.0/users/{id}"))
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        reply.body.ends_with("}\n"),
        "go-swagger ends bodies with a newline"
    );
    let user = reply.json();
    let keys: Vec<&str> = user
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "admin_role_in_auth",
            "creation_time",
            "realname",
            "sysadmin_flag",
            "update_time",
            "user_id",
            "username"
        ]
    );
    assert_eq!(user["admin_role_in_auth"], false);
    assert_eq!(user["sysadmin_flag"], false);
}

#[tokio::test]
async fn timestamps_use_milliseconds_and_z() {
    let fake = start().await;
    let user = get("/api/v2.0/users/1")
        .admin(&fake)
        .send(&fake)
        .await
        .json();
    let pattern =
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").expect("valid regex");
    for field in ["creation_time", "update_time"] {
        let value = user[field].as_str().expect("a string");
        assert!(pattern.is_match(value), "{field} = {value}");
    }
}

#[tokio::test]
async fn server_errors_always_carry_the_fixed_unknown_body() {
    let fake = start().await;
    // Casting `abc` to the integer column fails in PostgreSQL: an unmapped error.
    get("/api/v2.0/users?q=user_id%3Dabc")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(500, "UNKNOWN", "internal server error");
}

#[tokio::test]
async fn html_in_error_messages_is_escaped_like_go() {
    let fake = start().await;
    let reply = get("/api/v2.0/users?q=username%3D%5B%3Cx%3E")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.contains("[\\u003cx\\u003e"),
        "Go's json.Marshal escapes < and >: {}",
        reply.body
    );
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let fake = start().await;
    let url = fake.url().to_string();
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let result = common::client()
        .get(format!("{url}/api/v2.0/users"))
        .send()
        .await;
    assert!(result.is_err(), "the port no longer answers");
}

#[tokio::test]
async fn shutdown_waits_for_the_server_task_and_frees_the_port() {
    let fake = start().await;
    let address = fake.address();
    tokio::time::timeout(std::time::Duration::from_secs(5), fake.shutdown())
        .await
        .expect("shutdown completes");
    let connected = tokio::net::TcpStream::connect(address).await;
    assert!(connected.is_err(), "nothing listens any more");
}
