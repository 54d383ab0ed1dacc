//! Auth modes, self-registration, read-only mode, CLI secrets and `/users/current` for robots.

mod common;

use common::{get, post, put, start, start_with};
use harbor_fake::{AuthMode, FakeHarbor, NewUser, Robot};

fn secret_body(secret: &str) -> String {
    serde_json::json!({ "secret": secret }).to_string()
}

#[tokio::test]
async fn creating_users_outside_db_auth_is_forbidden() {
    for mode in [AuthMode::Ldap, AuthMode::Oidc] {
        let fake = start_with(FakeHarbor::builder().auth_mode(mode)).await;
        post("/api/v2.0/users")
            .admin(&fake)
            .json(&common::new_user_json("x"))
            .send(&fake)
            .await
            .assert_error(
                403,
                "FORBIDDEN",
                &format!("creating local user is not allowed under auth mode: {mode}"),
            );
    }
}

#[tokio::test]
async fn self_registration_cannot_be_triggered_via_the_api() {
    let fake = start_with(FakeHarbor::builder().self_registration(true)).await;
    post("/api/v2.0/users")
        .json(&common::new_user_json("walkin"))
        .send(&fake)
        .await
        .assert_error(
            403,
            "FORBIDDEN",
            "self-registration cannot be triggered via API",
        );
    // An admin still creates users as usual.
    post("/api/v2.0/users")
        .admin(&fake)
        .json(&common::new_user_json("invited"))
        .send(&fake)
        .await
        .assert_empty(201);
}

#[tokio::test]
async fn self_registration_passes_with_a_session_when_csrf_is_off() {
    let fake = start_with(FakeHarbor::builder().self_registration(true)).await;
    fake.update_settings(|settings| settings.csrf_check = false);
    post("/api/v2.0/users")
        .header("Cookie", "sid=from-the-portal")
        .json(&common::new_user_json("walkin"))
        .send(&fake)
        .await
        .assert_empty(201);
}

#[tokio::test]
async fn without_self_registration_anonymous_creation_is_401() {
    let fake = start().await;
    post("/api/v2.0/users")
        .json(&common::new_user_json("walkin"))
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn read_only_mode_denies_every_modification() {
    let fake = start_with(FakeHarbor::builder().read_only(true)).await;
    let message = "The system is in read only mode. Any modification is prohibited.";
    post("/api/v2.0/users")
        .admin(&fake)
        .json(&common::new_user_json("x"))
        .send(&fake)
        .await
        .assert_error(403, "DENIED", message);
    common::delete("/api/v2.0/users/3")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(403, "DENIED", message);
    let reading = get("/api/v2.0/users").admin(&fake).send(&fake).await;
    assert_eq!(reading.status, 200);
}

#[tokio::test]
async fn read_only_can_be_switched_at_runtime() {
    let fake = start().await;
    fake.set_read_only(true);
    put("/api/v2.0/users/1/sysadmin")
        .admin(&fake)
        .json(r#"{"sysadmin_flag":true}"#)
        .send(&fake)
        .await
        .assert_error(
            403,
            "DENIED",
            "The system is in read only mode. Any modification is prohibited.",
        );
    fake.set_read_only(false);
    put("/api/v2.0/users/1/sysadmin")
        .admin(&fake)
        .json(r#"{"sysadmin_flag":true}"#)
        .send(&fake)
        .await
        .assert_empty(200);
}

#[tokio::test]
async fn cli_secret_outside_oidc_is_a_precondition_failure() {
    let fake = start().await;
    put("/api/v2.0/users/1/cli_secret")
        .admin(&fake)
        .json(&secret_body("Secret123"))
        .send(&fake)
        .await
        .assert_error(
            412,
            "PRECONDITION",
            "unable to update CLI secret under authmode: db_auth",
        );
}

#[tokio::test]
async fn cli_secret_is_stored_and_shown_in_oidc_user_meta() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Oidc)).await;
    let id = fake.add_user(NewUser::new("oidcuser")).expect("seeded");
    put(&format!("/api/v2.0/users/{id}/cli_secret"))
        .admin(&fake)
        .json(&secret_body("Cli5ecret"))
        .send(&fake)
        .await
        .assert_empty(200);
    let user = get(&format!("/api/v2.0/users/{id}"))
        .admin(&fake)
        .send(&fake)
        .await
        .json();
    let meta = &user["oidc_user_meta"];
    assert_eq!(meta["secret"], "Cli5ecret");
    assert_eq!(meta["user_id"], id.0);
    assert!(
        meta["subiss"]
            .as_str()
            .is_some_and(|s| s.starts_with("oidcuser"))
    );
}

#[tokio::test]
async fn an_empty_cli_secret_is_generated() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Oidc)).await;
    let id = fake
        .add_user(NewUser::new("gen").oidc_secret("Original1"))
        .expect("seeded");
    put(&format!("/api/v2.0/users/{id}/cli_secret"))
        .admin(&fake)
        .json("{}")
        .send(&fake)
        .await
        .assert_empty(200);
    let secret = fake
        .user(id)
        .and_then(|user| user.oidc_secret)
        .expect("a secret");
    assert_ne!(secret, "Original1");
    assert_eq!(secret.len(), 9);
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(secret.chars().any(|c| c.is_ascii_uppercase()));
    assert!(secret.chars().any(|c| c.is_ascii_lowercase()));
    assert!(secret.chars().any(|c| c.is_ascii_digit()));
}

#[tokio::test]
async fn a_weak_cli_secret_is_refused() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Oidc)).await;
    let id = fake.add_user(NewUser::new("weak")).expect("seeded");
    put(&format!("/api/v2.0/users/{id}/cli_secret"))
        .admin(&fake)
        .json(&secret_body("short"))
        .send(&fake)
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            "the password or secret must be 8-128, inclusively, characters long with at least 1 \
             uppercase letter, 1 lowercase letter and 1 number",
        );
}

#[tokio::test]
async fn cli_secret_for_a_user_without_oidc_record_is_not_found() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Oidc)).await;
    let id = fake
        .add_user(NewUser::new("local").oidc(false))
        .expect("seeded");
    for target in [id.0, 1, 999] {
        put(&format!("/api/v2.0/users/{target}/cli_secret"))
            .admin(&fake)
            .json(&secret_body("Secret123"))
            .send(&fake)
            .await
            .assert_error(
                404,
                "NOT_FOUND",
                &format!("oidc info for user {target} not found"),
            );
    }
}

#[tokio::test]
async fn oidc_mode_allows_only_the_admin_to_log_in_with_a_password() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Oidc)).await;
    fake.add_user(NewUser::new("sso").password("Sso12345"))
        .expect("seeded");
    get("/api/v2.0/users/current")
        .auth("sso", "Sso12345")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
    let admin = get("/api/v2.0/users/current")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(admin.status, 200);
    assert!(
        admin.json().get("oidc_user_meta").is_none(),
        "admin logs in via the DB"
    );
}

#[tokio::test]
async fn oidc_mode_fails_reading_a_user_without_oidc_record() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Oidc)).await;
    let id = fake
        .add_user(NewUser::new("local").oidc(false))
        .expect("seeded");
    get(&format!("/api/v2.0/users/{id}"))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(500, "UNKNOWN", "internal server error");
}

#[tokio::test]
async fn ldap_users_log_in_but_cannot_be_updated() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Ldap)).await;
    let id = fake
        .add_user(NewUser::new("ldapuser").password("Ldap1234"))
        .expect("seeded");
    let me = get("/api/v2.0/users/current")
        .auth("ldapuser", "Ldap1234")
        .send(&fake)
        .await;
    assert_eq!(me.status, 200);
    for path in [
        format!("/api/v2.0/users/{id}"),
        format!("/api/v2.0/users/{id}/password"),
    ] {
        put(&path)
            .admin(&fake)
            .json(r#"{"email":"a@b.io","realname":"A","new_password":"Valid1234"}"#)
            .send(&fake)
            .await
            .assert_error(
                403,
                "FORBIDDEN",
                &format!("User with ID {id} can't be updated"),
            );
    }
}

#[tokio::test]
async fn outside_db_auth_the_update_guard_comes_before_authentication() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Ldap)).await;
    put("/api/v2.0/users/5")
        .json(r#"{"email":"a@b.io","realname":"A"}"#)
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "User with ID 5 can't be updated");
}

#[tokio::test]
async fn ldap_group_admins_show_admin_role_in_auth() {
    let fake = start_with(FakeHarbor::builder().auth_mode(AuthMode::Ldap)).await;
    fake.add_user(
        NewUser::new("groupadmin")
            .password("Group1234")
            .admin_role_in_auth(true),
    )
    .expect("seeded");
    let me = get("/api/v2.0/users/current")
        .auth("groupadmin", "Group1234")
        .send(&fake)
        .await
        .json();
    assert_eq!(me["admin_role_in_auth"], true);
    assert_eq!(me["sysadmin_flag"], false);
    let listed = get("/api/v2.0/users")
        .auth("groupadmin", "Group1234")
        .send(&fake)
        .await;
    assert_eq!(listed.status, 200, "the group grants admin rights");
}

#[tokio::test]
async fn current_user_is_a_precondition_failure_for_robots() {
    let robot = Robot::new("ci", "Robot1234").allow("user", "*");
    let fake = start_with(FakeHarbor::builder().robot(robot)).await;
    get("/api/v2.0/users/current")
        .auth("robot$ci", "Robot1234")
        .send(&fake)
        .await
        .assert_error(
            412,
            "PRECONDITION",
            "get current user not available for security context: robot",
        );
}

#[tokio::test]
async fn auth_mode_can_be_switched_at_runtime() {
    let fake = start().await;
    fake.set_auth_mode(AuthMode::Oidc);
    assert_eq!(fake.settings().auth_mode, AuthMode::Oidc);
    post("/api/v2.0/users")
        .admin(&fake)
        .json(&common::new_user_json("late"))
        .send(&fake)
        .await
        .assert_error(
            403,
            "FORBIDDEN",
            "creating local user is not allowed under auth mode: oidc_auth",
        );
}
