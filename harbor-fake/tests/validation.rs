//! Creating users: Harbor's validation order and messages, go-swagger's 422s, conflicts.

mod common;

use common::{get, post, put, start};
use harbor_fake::NewUser;
use serde_json::json;

async fn create(fake: &harbor_fake::FakeHarbor, body: serde_json::Value) -> common::Reply {
    post("/api/v2.0/users")
        .admin(fake)
        .json(&body.to_string())
        .send(fake)
        .await
}

fn valid() -> serde_json::Value {
    json!({
        "username": "dave",
        "email": "dave@example.com",
        "realname": "Dave",
        "password": "Passw0rd",
        "comment": "ok"
    })
}

fn with(field: &str, value: &str) -> serde_json::Value {
    let mut body = valid();
    body[field] = json!(value);
    body
}

const WEAK: &str = "the password or secret must be 8-128, inclusively, characters long with at \
                    least 1 uppercase letter, 1 lowercase letter and 1 number";

#[tokio::test]
async fn create_answers_201_with_a_relative_location_and_no_body() {
    let fake = start().await;
    let reply = create(&fake, valid()).await;
    reply.assert_empty(201);
    assert_eq!(reply.header("location"), Some("/api/v2.0/users/3"));
    let user = fake.user_by_name("dave").expect("stored");
    assert_eq!(user.email.as_deref(), Some("dave@example.com"));
    assert!(!user.sysadmin, "new users are never admins");
    assert!(fake.password_matches(user.id, "Passw0rd"));
}

#[tokio::test]
async fn created_users_can_log_in() {
    let fake = start().await;
    create(&fake, valid()).await.assert_empty(201);
    let reply = get("/api/v2.0/users/current")
        .auth("dave", "Passw0rd")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn password_strength_is_checked_before_the_profile() {
    let fake = start().await;
    let mut body = with("password", "short1A");
    body["email"] = json!("not-an-email");
    create(&fake, body)
        .await
        .assert_error(400, "BAD_REQUEST", WEAK);
}

#[tokio::test]
async fn passwords_need_upper_lower_and_digit() {
    let fake = start().await;
    for weak in ["alllower1", "ALLUPPER1", "NoDigitsHere", "Ab1Ab1"] {
        create(&fake, with("password", weak))
            .await
            .assert_error(400, "BAD_REQUEST", WEAK);
    }
}

#[tokio::test]
async fn passwords_are_limited_to_128_bytes() {
    let fake = start().await;
    let longest = format!("Aa1{}", "x".repeat(125));
    create(&fake, with("password", &longest))
        .await
        .assert_empty(201);
    let mut too_long = with("password", &format!("Aa1{}", "x".repeat(126)));
    too_long["username"] = json!("other");
    too_long["email"] = json!("other@example.com");
    create(&fake, too_long)
        .await
        .assert_error(400, "BAD_REQUEST", WEAK);
}

#[tokio::test]
async fn email_is_required() {
    let fake = start().await;
    create(&fake, with("email", ""))
        .await
        .assert_error(400, "BAD_REQUEST", "email can't be empty");
}

#[tokio::test]
async fn email_must_match_harbors_pattern() {
    let fake = start().await;
    for bad in ["a@b.c", "a@localhost", "a..b@x.io", "a@b_c.io", "plain"] {
        create(&fake, with("email", bad)).await.assert_error(
            400,
            "BAD_REQUEST",
            "email with illegal format",
        );
    }
}

#[tokio::test]
async fn unusual_but_valid_emails_are_accepted() {
    let fake = start().await;
    for (index, email) in ["a+b@x.io", "x@[1.2.3.4]", "\"a b\"@x.io", "ä@x.io"]
        .iter()
        .enumerate()
    {
        let mut body = with("email", email);
        body["username"] = json!(format!("unusual{index}"));
        create(&fake, body).await.assert_empty(201);
    }
}

#[tokio::test]
async fn realname_is_required_and_at_most_255_bytes() {
    let fake = start().await;
    create(&fake, with("realname", "")).await.assert_error(
        400,
        "BAD_REQUEST",
        "realname with illegal length",
    );
    create(&fake, with("realname", &"é".repeat(128)))
        .await
        .assert_error(400, "BAD_REQUEST", "realname with illegal length");
}

#[tokio::test]
async fn realname_rejects_harbors_illegal_characters() {
    let fake = start().await;
    for bad in ["a,b", "a\"b", "a~b", "a#b", "a%b", "a$b"] {
        create(&fake, with("realname", bad)).await.assert_error(
            400,
            "BAD_REQUEST",
            "realname contains illegal characters",
        );
    }
}

#[tokio::test]
async fn comment_is_at_most_30_bytes() {
    let fake = start().await;
    create(&fake, with("comment", &"c".repeat(31)))
        .await
        .assert_error(400, "BAD_REQUEST", "comment with illegal length");
}

#[tokio::test]
async fn username_must_not_be_empty() {
    let fake = start().await;
    create(&fake, with("username", "")).await.assert_error(
        400,
        "BAD_REQUEST",
        "username with illegal length",
    );
}

#[tokio::test]
async fn username_rejects_harbors_illegal_characters() {
    let fake = start().await;
    for bad in ["a,b", "a\"b", "a~b", "a#b", "a%b", "a$b"] {
        create(&fake, with("username", bad)).await.assert_error(
            400,
            "BAD_REQUEST",
            "username contains illegal characters",
        );
    }
}

#[tokio::test]
async fn usernames_may_contain_spaces_slashes_and_unicode() {
    let fake = start().await;
    for (index, name) in ["with space", "a/b", "ünï", "x@y"].iter().enumerate() {
        let mut body = with("username", name);
        body["email"] = json!(format!("u{index}@example.com"));
        create(&fake, body).await.assert_empty(201);
    }
}

#[tokio::test]
async fn profile_rules_run_in_harbors_order() {
    let fake = start().await;
    let body = json!({
        "username": "bad,name",
        "email": "bad",
        "realname": "bad~name",
        "password": "Passw0rd",
        "comment": "c".repeat(40),
    });
    create(&fake, body)
        .await
        .assert_error(400, "BAD_REQUEST", "email with illegal format");
}

#[tokio::test]
async fn duplicate_username_is_a_conflict() {
    let fake = start().await;
    fake.add_user(NewUser::new("dave").email("other@example.com"))
        .expect("seeded");
    create(&fake, valid()).await.assert_error(
        409,
        "CONFLICT",
        "user dave or email dave@example.com already exists",
    );
}

#[tokio::test]
async fn duplicate_email_is_a_conflict() {
    let fake = start().await;
    fake.add_user(NewUser::new("erin").email("dave@example.com"))
        .expect("seeded");
    create(&fake, valid()).await.assert_error(
        409,
        "CONFLICT",
        "user dave or email dave@example.com already exists",
    );
}

#[tokio::test]
async fn uniqueness_is_case_sensitive() {
    let fake = start().await;
    fake.add_user(NewUser::new("Dave").email("Dave@example.com"))
        .expect("seeded");
    create(&fake, valid()).await.assert_empty(201);
}

#[tokio::test]
async fn username_longer_than_255_characters_is_a_422() {
    let fake = start().await;
    let long = "ü".repeat(256);
    create(&fake, with("username", &long)).await.assert_error(
        422,
        "UNPROCESSABLE_ENTITY",
        "validation failure list:\nvalidation failure list:\nusername in body should be at most \
         255 chars long",
    );
    // 255 characters are fine for go-swagger; Harbor's own rule counts bytes.
    create(&fake, with("username", &"ü".repeat(200)))
        .await
        .assert_error(400, "BAD_REQUEST", "username with illegal length");
}

#[tokio::test]
async fn missing_body_is_a_422() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nuserReq in body is required",
        );
}

#[tokio::test]
async fn whitespace_body_counts_as_missing() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .json("  \n ")
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nuserReq in body is required",
        );
}

#[tokio::test]
async fn invalid_json_is_a_422_with_gos_decoder_message() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .json("{\"username\": ")
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nparsing userReq body from \"\" failed, because unexpected \
             EOF",
        );
    post("/api/v2.0/users")
        .admin(&fake)
        .json("nope")
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nparsing userReq body from \"\" failed, because invalid \
             character 'o' in literal null (expecting 'u')",
        );
}

#[tokio::test]
async fn wrong_json_types_are_a_422_naming_the_go_field() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .json(r#"{"username": 42}"#)
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nparsing userReq body from \"\" failed, because json: \
             cannot unmarshal number into Go struct field UserCreationReq.username of type string",
        );
}

#[tokio::test]
async fn wrong_content_type_is_a_422() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .json(&valid().to_string())
        .content_type("text/plain")
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nunsupported media type \"text/plain\", only \
             [application/json] are allowed",
        );
}

#[tokio::test]
async fn missing_content_type_counts_as_octet_stream() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .raw_body(&valid().to_string())
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nunsupported media type \"application/octet-stream\", only \
             [application/json] are allowed",
        );
}

#[tokio::test]
async fn json_with_a_charset_is_accepted() {
    let fake = start().await;
    post("/api/v2.0/users")
        .admin(&fake)
        .json(&valid().to_string())
        .content_type("application/json; charset=utf-8")
        .send(&fake)
        .await
        .assert_empty(201);
}

#[tokio::test]
async fn binding_fails_before_permissions_are_checked() {
    let fake = start().await;
    post("/api/v2.0/users").send(&fake).await.assert_error(
        422,
        "UNPROCESSABLE_ENTITY",
        "validation failure list:\nuserReq in body is required",
    );
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_keys_match_case_insensitively() {
    let fake = start().await;
    let body = json!({
        "USERNAME": "frank",
        "Email": "frank@example.com",
        "realname": "Frank",
        "password": "Passw0rd",
        "sysadmin_flag": true,
        "extra": [1, 2, 3]
    });
    create(&fake, body).await.assert_empty(201);
    let user = fake.user_by_name("frank").expect("stored");
    assert!(!user.sysadmin);
}

#[tokio::test]
async fn non_integer_user_id_is_a_422() {
    let fake = start().await;
    get("/api/v2.0/users/abc")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nuser_id in path must be of type int64: \"abc\"",
        );
}

#[tokio::test]
async fn every_binding_problem_is_listed() {
    let fake = start().await;
    put("/api/v2.0/users/x1/sysadmin")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nsysadminFlag in body is required\nuser_id in path must \
             be of type int64: \"x1\"",
        );
}
