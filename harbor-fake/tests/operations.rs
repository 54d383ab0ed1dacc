//! Who may read, change and delete which user, with Harbor's codes and messages.

mod common;

use common::{delete, get, put, start, start_with};
use harbor_fake::{FakeHarbor, NewUser, Settings, UserId};

/// A fake with a plain user `alice` (password `Alice123`) and `bob`.
async fn with_alice_and_bob() -> (FakeHarbor, UserId, UserId) {
    let fake = start().await;
    let alice = fake
        .add_user(
            NewUser::new("alice")
                .password("Alice123")
                .comment("keep me"),
        )
        .expect("seeded");
    let bob = fake
        .add_user(NewUser::new("bob").password("Bob12345"))
        .expect("seeded");
    (fake, alice, bob)
}

fn profile(email: &str, realname: &str) -> String {
    serde_json::json!({"email": email, "realname": realname}).to_string()
}

#[tokio::test]
async fn users_may_read_themselves() {
    let (fake, alice, _) = with_alice_and_bob().await;
    let reply = get(&format!("/api/v2.0/users/{alice}"))
        .auth("alice", "Alice123")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["username"], "alice");
}

#[tokio::test]
async fn reading_someone_else_needs_system_access() {
    let (fake, _, bob) = with_alice_and_bob().await;
    get(&format!("/api/v2.0/users/{bob}"))
        .auth("alice", "Alice123")
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "alice");
}

#[tokio::test]
async fn anonymous_reads_get_401_by_default() {
    let (fake, alice, _) = with_alice_and_bob().await;
    get(&format!("/api/v2.0/users/{alice}"))
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn anonymous_reads_can_mimic_the_v2_15_panic() {
    let settings = Settings {
        anonymous_panics: true,
        ..Settings::default()
    };
    let fake = start_with(FakeHarbor::builder().settings(settings)).await;
    let reply = get("/api/v2.0/users/1").send(&fake).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "");
}

#[tokio::test]
async fn missing_zero_and_negative_ids_are_not_found() {
    let fake = start().await;
    for id in ["999", "0", "-4"] {
        get(&format!("/api/v2.0/users/{id}"))
            .admin(&fake)
            .send(&fake)
            .await
            .assert_error(404, "NOT_FOUND", &format!("user {id} not found"));
    }
}

#[tokio::test]
async fn current_user_is_the_caller() {
    let (fake, alice, _) = with_alice_and_bob().await;
    let reply = get("/api/v2.0/users/current")
        .auth("alice", "Alice123")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["user_id"], alice.0);
    assert_eq!(reply.json()["comment"], "keep me");
}

#[tokio::test]
async fn profile_put_replaces_all_three_fields() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}"))
        .auth("alice", "Alice123")
        .json(&profile("new@example.com", "Alice N"))
        .send(&fake)
        .await
        .assert_empty(200);
    let user = fake.user(alice).expect("exists");
    assert_eq!(user.email.as_deref(), Some("new@example.com"));
    assert_eq!(user.realname, "Alice N");
    assert_eq!(user.comment, "", "an omitted comment is cleared");
    assert!(user.update_time >= user.creation_time);
}

#[tokio::test]
async fn profile_put_requires_email_and_realname() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}"))
        .admin(&fake)
        .json(r#"{"comment":"only a comment"}"#)
        .send(&fake)
        .await
        .assert_error(400, "BAD_REQUEST", "email can't be empty");
    put(&format!("/api/v2.0/users/{alice}"))
        .admin(&fake)
        .json(r#"{"email":"a@example.com"}"#)
        .send(&fake)
        .await
        .assert_error(400, "BAD_REQUEST", "realname with illegal length");
}

#[tokio::test]
async fn profile_put_on_someone_else_needs_system_access() {
    let (fake, _, bob) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{bob}"))
        .auth("alice", "Alice123")
        .json(&profile("b@example.com", "B"))
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "alice");
}

#[tokio::test]
async fn duplicate_email_on_update_is_an_unmapped_500() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}"))
        .admin(&fake)
        .json(&profile("bob@example.com", "Alice"))
        .send(&fake)
        .await
        .assert_error(500, "UNKNOWN", "internal server error");
}

#[tokio::test]
async fn profile_put_of_an_unknown_id_is_not_found() {
    let fake = start().await;
    put("/api/v2.0/users/77")
        .admin(&fake)
        .json(&profile("x@example.com", "X"))
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", "user with id 77 not found");
}

#[tokio::test]
async fn profile_put_of_a_deleted_user_still_succeeds() {
    let (fake, _, bob) = with_alice_and_bob().await;
    delete(&format!("/api/v2.0/users/{bob}"))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    put(&format!("/api/v2.0/users/{bob}"))
        .admin(&fake)
        .json(&profile("zombie@example.com", "Zombie"))
        .send(&fake)
        .await
        .assert_empty(200);
}

#[tokio::test]
async fn delete_is_soft_and_renames_the_user() {
    let (fake, _, bob) = with_alice_and_bob().await;
    delete(&format!("/api/v2.0/users/{bob}"))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    let row = fake.user(bob).expect("the row stays");
    assert!(row.deleted);
    assert_eq!(row.username, format!("bob#{bob}"));
    assert_eq!(row.email, Some(format!("bob@example.com#{bob}")));
    get(&format!("/api/v2.0/users/{bob}"))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", &format!("user {bob} not found"));
}

#[tokio::test]
async fn a_deleted_users_name_and_email_are_reusable_at_once() {
    let (fake, _, bob) = with_alice_and_bob().await;
    delete(&format!("/api/v2.0/users/{bob}"))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    let body = serde_json::json!({
        "username": "bob", "email": "bob@example.com", "realname": "Bob", "password": "Passw0rd"
    });
    let reply = common::post("/api/v2.0/users")
        .admin(&fake)
        .json(&body.to_string())
        .send(&fake)
        .await;
    reply.assert_empty(201);
    assert_ne!(
        reply.header("location"),
        Some(format!("/api/v2.0/users/{bob}").as_str())
    );
}

#[tokio::test]
async fn deleting_yourself_is_forbidden() {
    let fake = start().await;
    let root = fake
        .add_user(NewUser::new("root").password("Root1234").sysadmin(true))
        .expect("seeded");
    delete(&format!("/api/v2.0/users/{root}"))
        .auth("root", "Root1234")
        .send(&fake)
        .await
        .assert_error(
            403,
            "FORBIDDEN",
            &format!("User with ID {root} cannot be deleted"),
        );
}

#[tokio::test]
async fn deleting_the_admin_is_forbidden() {
    let fake = start().await;
    fake.add_user(NewUser::new("root").password("Root1234").sysadmin(true))
        .expect("seeded");
    delete("/api/v2.0/users/1")
        .auth("root", "Root1234")
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "User with ID 1 cannot be deleted");
}

#[tokio::test]
async fn deleting_needs_system_access_first() {
    let (fake, alice, _) = with_alice_and_bob().await;
    delete(&format!("/api/v2.0/users/{alice}"))
        .auth("alice", "Alice123")
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "alice");
    delete("/api/v2.0/users/1")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn deleting_a_missing_or_deleted_user_is_not_found() {
    let (fake, _, bob) = with_alice_and_bob().await;
    let path = format!("/api/v2.0/users/{bob}");
    delete(&path)
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    delete(&path).admin(&fake).send(&fake).await.assert_error(
        404,
        "NOT_FOUND",
        &format!("user {bob} not found"),
    );
    delete("/api/v2.0/users/555")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", "user 555 not found");
}

#[tokio::test]
async fn sysadmin_flag_can_be_granted_and_revoked() {
    let (fake, alice, _) = with_alice_and_bob().await;
    let path = format!("/api/v2.0/users/{alice}/sysadmin");
    put(&path)
        .admin(&fake)
        .json(r#"{"sysadmin_flag":true}"#)
        .send(&fake)
        .await
        .assert_empty(200);
    assert!(fake.user(alice).expect("exists").sysadmin);
    // Alice is now an admin and can list users.
    let listed = get("/api/v2.0/users")
        .auth("alice", "Alice123")
        .send(&fake)
        .await;
    assert_eq!(listed.status, 200);
    put(&path)
        .admin(&fake)
        .json("{}")
        .send(&fake)
        .await
        .assert_empty(200);
    assert!(
        !fake.user(alice).expect("exists").sysadmin,
        "{{}} means false"
    );
}

#[tokio::test]
async fn an_admin_may_demote_even_the_admin_account() {
    let fake = start().await;
    put("/api/v2.0/users/1/sysadmin")
        .admin(&fake)
        .json(r#"{"sysadmin_flag":false}"#)
        .send(&fake)
        .await
        .assert_empty(200);
    get("/api/v2.0/users")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "admin");
}

#[tokio::test]
async fn sysadmin_on_an_unknown_id_is_not_found() {
    let fake = start().await;
    put("/api/v2.0/users/404/sysadmin")
        .admin(&fake)
        .json(r#"{"sysadmin_flag":true}"#)
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", "user with id 404 not found");
}

#[tokio::test]
async fn setting_sysadmin_needs_system_access() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}/sysadmin"))
        .auth("alice", "Alice123")
        .json(r#"{"sysadmin_flag":true}"#)
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "alice");
}

#[tokio::test]
async fn changing_your_own_password_needs_the_current_one() {
    let (fake, alice, _) = with_alice_and_bob().await;
    let path = format!("/api/v2.0/users/{alice}/password");
    put(&path)
        .auth("alice", "Alice123")
        .json(r#"{"old_password":"wrong","new_password":"Newer1234"}"#)
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "Current password is incorrect");
    put(&path)
        .auth("alice", "Alice123")
        .json(r#"{"old_password":"Alice123","new_password":"Newer1234"}"#)
        .send(&fake)
        .await
        .assert_empty(200);
    assert!(fake.password_matches(alice, "Newer1234"));
    get("/api/v2.0/users/current")
        .auth("alice", "Alice123")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn even_an_admin_needs_the_old_password_for_itself() {
    let fake = start().await;
    put("/api/v2.0/users/1/password")
        .admin(&fake)
        .json(r#"{"new_password":"Another123"}"#)
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "Current password is incorrect");
}

#[tokio::test]
async fn an_admin_changes_others_passwords_without_the_old_one() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}/password"))
        .admin(&fake)
        .json(r#"{"old_password":"ignored","new_password":"Reset1234"}"#)
        .send(&fake)
        .await
        .assert_empty(200);
    assert!(fake.password_matches(alice, "Reset1234"));
}

#[tokio::test]
async fn new_password_must_be_strong() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}/password"))
        .admin(&fake)
        .json(r#"{"new_password":"weak"}"#)
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
async fn new_password_must_differ_from_the_current_one() {
    let (fake, alice, _) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{alice}/password"))
        .admin(&fake)
        .json(r#"{"new_password":"Alice123"}"#)
        .send(&fake)
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            "New password is identical to old password",
        );
}

#[tokio::test]
async fn password_of_an_unknown_user_is_not_found() {
    let fake = start().await;
    put("/api/v2.0/users/321/password")
        .admin(&fake)
        .json(r#"{"new_password":"Valid1234"}"#)
        .send(&fake)
        .await
        .assert_error(404, "NOT_FOUND", "user 321 not found");
}

#[tokio::test]
async fn changing_someone_elses_password_needs_system_access() {
    let (fake, _, bob) = with_alice_and_bob().await;
    put(&format!("/api/v2.0/users/{bob}/password"))
        .auth("alice", "Alice123")
        .json(r#"{"new_password":"Valid1234"}"#)
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "alice");
}
