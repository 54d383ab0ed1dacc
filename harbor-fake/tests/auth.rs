//! Authentication: pre-emptive Basic with username or email, anonymous fallback, robots,
//! the failed-login lock, the session cookie and the CSRF trap.

mod common;

use std::time::{Duration, Instant};

use common::{get, post, put, start, start_with};
use harbor_fake::{FakeHarbor, NewUser, Robot};

#[tokio::test]
async fn basic_auth_accepts_the_username() {
    let fake = start().await;
    fake.add_user(NewUser::new("alice").password("Alice123"))
        .expect("seeded");
    let reply = get("/api/v2.0/users/current")
        .auth("alice", "Alice123")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["username"], "alice");
}

#[tokio::test]
async fn basic_auth_accepts_the_email_as_principal() {
    let fake = start().await;
    fake.add_user(
        NewUser::new("bob")
            .email("bob@corp.io")
            .password("Bob12345"),
    )
    .expect("seeded");
    let reply = get("/api/v2.0/users/current")
        .auth("bob@corp.io", "Bob12345")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["username"], "bob");
}

#[tokio::test]
async fn principal_matching_is_case_sensitive() {
    let fake = start().await;
    get("/api/v2.0/users/current")
        .auth("ADMIN", "Harbor12345")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn missing_credentials_get_401_without_www_authenticate() {
    let fake = start().await;
    let reply = get("/api/v2.0/users").send(&fake).await;
    reply.assert_error(401, "UNAUTHORIZED", "unauthorized");
    assert_eq!(reply.header("www-authenticate"), None);
}

#[tokio::test]
async fn bad_credentials_make_the_request_anonymous() {
    let fake = start().await;
    let reply = get("/api/v2.0/users/search?username=adm")
        .auth("admin", "wrong")
        .send(&fake)
        .await;
    reply.assert_error(401, "UNAUTHORIZED", "unauthorized");
    assert_eq!(reply.header("www-authenticate"), None);
}

#[tokio::test]
async fn a_system_robot_with_user_permissions_can_list_users() {
    let robot = Robot::new("ci", "Robot1234").allow("user", "list");
    let fake = start_with(FakeHarbor::builder().users(3).robot(robot)).await;
    let reply = get("/api/v2.0/users")
        .auth("robot$ci", "Robot1234")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.total(), 3);
}

#[tokio::test]
async fn a_robot_without_the_permission_gets_403_with_its_full_name() {
    let robot = Robot::new("ci", "Robot1234").allow("user", "list");
    let fake = start_with(FakeHarbor::builder().robot(robot)).await;
    post("/api/v2.0/users")
        .auth("robot$ci", "Robot1234")
        .json(&common::new_user_json("x"))
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "robot$ci");
}

#[tokio::test]
async fn a_robot_with_user_update_changes_passwords_without_the_old_one() {
    let robot = Robot::new("admin-bot", "Robot1234").allow("user", "*");
    let fake = start_with(FakeHarbor::builder().robot(robot)).await;
    let id = fake.add_user(NewUser::new("carol")).expect("seeded");
    put(&format!("/api/v2.0/users/{id}/password"))
        .auth("robot$admin-bot", "Robot1234")
        .json(r#"{"new_password":"NewPassw0rd"}"#)
        .send(&fake)
        .await
        .assert_empty(200);
    assert!(fake.password_matches(id, "NewPassw0rd"));
}

#[tokio::test]
async fn a_robot_with_a_wrong_secret_is_anonymous() {
    let robot = Robot::new("ci", "Robot1234").allow("user", "*");
    let fake = start_with(FakeHarbor::builder().robot(robot)).await;
    get("/api/v2.0/users")
        .auth("robot$ci", "nope")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn a_disabled_robot_is_anonymous() {
    let robot = Robot::new("ci", "Robot1234")
        .allow("user", "*")
        .disabled(true);
    let fake = start_with(FakeHarbor::builder().robot(robot)).await;
    get("/api/v2.0/users")
        .auth("robot$ci", "Robot1234")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn the_login_lock_is_off_by_default() {
    let fake = start().await;
    let started = Instant::now();
    get("/api/v2.0/users/current")
        .auth("admin", "wrong")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
    let reply = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn a_failed_login_locks_the_principal_and_delays_the_answer() {
    let lock = Duration::from_millis(400);
    let fake = start_with(FakeHarbor::builder().login_lock(lock)).await;
    let url = fake.url().to_string();
    let started = Instant::now();
    let failing = tokio::spawn(async move {
        get("/api/v2.0/users/current")
            .auth("admin", "wrong")
            .send_with(&common::client(), &url)
            .await
    });

    // While the failed request waits, even the right password is ignored.
    tokio::time::sleep(Duration::from_millis(100)).await;
    get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");

    let failed = failing.await.expect("the failing request completes");
    failed.assert_error(401, "UNAUTHORIZED", "unauthorized");
    assert!(started.elapsed() >= lock, "the failing request waits");

    tokio::time::sleep(Duration::from_millis(50)).await;
    let reply = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn authenticated_responses_set_a_session_cookie() {
    let fake = start().await;
    let reply = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    let cookie = reply.header("set-cookie").expect("a session cookie");
    assert!(cookie.starts_with("sid="), "{cookie}");
    assert!(cookie.ends_with("; Path=/; HttpOnly"), "{cookie}");

    let anonymous = get("/api/v2.0/users/current").send(&fake).await;
    assert_eq!(anonymous.header("set-cookie"), None);
}

#[tokio::test]
async fn a_modifying_request_carrying_the_sid_cookie_fails_the_csrf_check() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .header("Cookie", "sid=0123456789abcdef")
        .json(&common::new_user_json("csrf"))
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "CSRF token invalid");
    assert!(fake.user_by_name("csrf").is_none());
}

#[tokio::test]
async fn replaying_the_issued_cookie_trips_over_csrf() {
    let fake = start().await;
    let first = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    let set_cookie = first.header("set-cookie").expect("a session cookie");
    let cookie = set_cookie.split(';').next().expect("name=value");
    post("/api/v2.0/users")
        .admin(&fake)
        .header("Cookie", cookie)
        .json(&common::new_user_json("jar"))
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "CSRF token invalid");
}

#[tokio::test]
async fn reading_with_the_sid_cookie_is_fine() {
    let fake = start().await;
    let reply = get("/api/v2.0/users/current")
        .admin(&fake)
        .header("Cookie", "sid=abc")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("set-cookie"),
        None,
        "the session already exists"
    );
}

#[tokio::test]
async fn the_session_cookie_can_be_turned_off() {
    let fake = start().await;
    fake.update_settings(|settings| settings.session_cookie = false);
    let reply = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(reply.header("set-cookie"), None);
}
