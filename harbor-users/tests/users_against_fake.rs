//! Scenarios against `harbor-fake`, an in-memory Harbor that answers as
//! Harbor v2.15 does: the operations chained as people use them.

use futures::TryStreamExt;
use harbor_fake::{AuthMode, FakeHarbor, Project, ProjectRole, Robot};
use harbor_users::{
    Credentials, HarborClient, NewUser, PermissionScope, Secret, UserProfile,
    query::{Field, Query, Sort},
};

async fn fake(users: usize) -> FakeHarbor {
    FakeHarbor::builder()
        .users(users)
        .start()
        .await
        .expect("fake Harbor")
}

fn admin(fake: &FakeHarbor) -> HarborClient {
    let admin = fake.admin_credentials();
    signed_in(fake, &admin.username, &admin.password)
}

fn signed_in(fake: &FakeHarbor, username: &str, password: &str) -> HarborClient {
    HarborClient::builder(fake.url())
        .credentials(Credentials::basic(username, Secret::new(password)))
        .build()
        .expect("client")
}

fn new_user(name: &str) -> NewUser {
    NewUser::new(
        name,
        format!("{name}@example.com"),
        format!("{name} Real"),
        "Start-passw0rd",
    )
}

#[tokio::test]
async fn create_get_update_list_delete() {
    let fake = fake(0).await;
    let client = admin(&fake);

    let id = client
        .create_user(&new_user("carol").comment("first"))
        .await
        .expect("created");
    assert_eq!(id.get(), 3, "Harbor's first API user is id 3");

    let carol = client.get_user(id).await.expect("read");
    assert_eq!(carol.username, "carol");
    assert_eq!(carol.comment.as_deref(), Some("first"));
    assert!(!carol.sysadmin);

    client
        .update_user(id, &UserProfile::new("carol@example.org", "Carol C."))
        .await
        .expect("updated");
    let carol = client.get_user(id).await.expect("read");
    assert_eq!(carol.email.as_deref(), Some("carol@example.org"));
    assert_eq!(carol.comment, None, "a full replacement erased the comment");

    let listed = client.get_users().collect().await.expect("listed");
    assert_eq!(listed.len(), 1, "the admin is not listed");
    assert_eq!(listed[0].id, id);

    client.delete_user(id).await.expect("deleted");
    let error = client.get_user(id).await.expect_err("gone");
    assert!(error.is_not_found());
    assert!(
        !client
            .delete_user_if_exists(id)
            .await
            .expect("already gone")
    );

    // Harbor renames deleted users, so the name can be taken again at once.
    let again = client
        .create_user(&new_user("carol"))
        .await
        .expect("reused");
    assert_eq!(again.get(), 4, "ids are never reused");
}

#[tokio::test]
async fn edit_user_keeps_the_fields_it_does_not_change() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let id = client
        .create_user(&new_user("dave").comment("keep me"))
        .await
        .expect("created");
    client
        .edit_user(id, |profile| profile.realname = "David".into())
        .await
        .expect("edited");
    let dave = client.get_user(id).await.expect("read");
    assert_eq!(dave.realname.as_deref(), Some("David"));
    assert_eq!(dave.comment.as_deref(), Some("keep me"));
    assert_eq!(dave.email.as_deref(), Some("dave@example.com"));
}

#[tokio::test]
async fn duplicate_usernames_are_a_conflict() {
    let fake = fake(0).await;
    let client = admin(&fake);
    client
        .create_user(&new_user("erin"))
        .await
        .expect("created");
    let error = client
        .create_user(&new_user("erin"))
        .await
        .expect_err("taken");
    assert!(error.is_conflict(), "{error}");
}

#[tokio::test]
async fn listing_with_query_sort_and_limit() {
    let fake = fake(0).await;
    let client = admin(&fake);
    for name in ["team-a", "team-b", "team-c", "other"] {
        client.create_user(&new_user(name)).await.expect("created");
    }
    let names: Vec<String> = client
        .get_users()
        .query(Query::new().fuzzy(Field::Username, "TEAM").expect("query"))
        .sort(Sort::new().desc(Field::Username).expect("sort"))
        .limit(2)
        .stream()
        .map_ok(|user| user.username)
        .try_collect()
        .await
        .expect("listed");
    assert_eq!(names, ["team-c", "team-b"]);
}

#[tokio::test]
async fn a_long_listing_is_read_once_each_in_order_with_prefetch() {
    let fake = fake(1050).await;
    let client = admin(&fake);
    let before = fake.stats().operation("GET /api/v2.0/users");
    let users = client
        .get_users()
        .concurrency(4)
        .collect()
        .await
        .expect("listed");
    assert_eq!(users.len(), 1050);
    let mut names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    let in_order = names.windows(2).all(|w| w[0] <= w[1]);
    assert!(in_order, "Harbor's default order is by username");
    names.dedup();
    assert_eq!(names.len(), 1050);
    let requests = fake.stats().operation("GET /api/v2.0/users") - before;
    assert_eq!(requests, 11, "1050 users at 100 a page");
}

#[tokio::test]
async fn lookup_by_username_is_exact() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let bobby = client
        .create_user(&new_user("bobby"))
        .await
        .expect("created");
    let error = client
        .get_user_by_username("bob")
        .await
        .expect_err("only bobby exists");
    assert!(error.is_not_found());

    let bob = client.create_user(&new_user("bob")).await.expect("created");
    let found = client.get_user_by_username("bob").await.expect("found");
    assert_eq!(found.id, bob);
    assert_ne!(found.id, bobby);
}

#[tokio::test]
async fn lookup_by_username_among_many_neighbours_takes_two_requests() {
    let fake = fake(0).await;
    let client = admin(&fake);
    for i in 0..150 {
        client
            .create_user(&new_user(&format!("zed{i:03}")))
            .await
            .expect("created");
    }
    let zed = client.create_user(&new_user("zed")).await.expect("created");
    fake.reset_stats();
    let found = client.get_user_by_username("zed").await.expect("found");
    assert_eq!(found.id, zed);
    assert_eq!(fake.stats().requests, 2);
}

#[tokio::test]
async fn search_is_deduplicated_and_ends_although_harbor_ignores_page() {
    let fake = fake(0).await;
    let client = admin(&fake);
    for i in 0..25 {
        client
            .create_user(&new_user(&format!("ann{i:02}")))
            .await
            .expect("created");
    }
    fake.reset_stats();
    let hits = client
        .search_users_by_username("ann")
        .page_size(10)
        .collect()
        .await
        .expect("hits");
    // Harbor's search answers the first page for every page: 10 distinct
    // hits are all it will ever give at this page size.
    assert_eq!(hits.len(), 10);
    let mut ids: Vec<i64> = hits.iter().map(|h| h.id.get()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 10);
    assert_eq!(fake.stats().requests, 2);
}

#[tokio::test]
async fn passwords_change_and_a_wrong_old_one_is_recognised() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let id = client.create_user(&new_user("fay")).await.expect("created");

    client
        .set_user_password(id, "Reset-passw0rd", None)
        .await
        .expect("reset by admin");
    let fay = signed_in(&fake, "fay", "Reset-passw0rd");
    assert_eq!(fay.get_current_user().await.expect("me").id, id);

    let wrong = Secret::new("Wrong-passw0rd");
    let error = fay
        .set_user_password(id, "Other-passw0rd", Some(&wrong))
        .await
        .expect_err("wrong old password");
    assert!(error.is_wrong_current_password(), "{error}");

    let right = Secret::new("Reset-passw0rd");
    fay.set_user_password(id, "Other-passw0rd", Some(&right))
        .await
        .expect("changed by herself");
    let error = signed_in(&fake, "fay", "Reset-passw0rd")
        .get_current_user()
        .await
        .expect_err("old password no longer works");
    assert!(error.is_unauthorized());
}

#[tokio::test]
async fn admin_rights_are_granted_and_revoked() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let id = client.create_user(&new_user("gus")).await.expect("created");
    client.set_user_admin(id, true).await.expect("granted");
    assert!(client.get_user(id).await.expect("read").sysadmin);
    client.set_user_admin(id, false).await.expect("revoked");
    assert!(!client.get_user(id).await.expect("read").sysadmin);
}

#[tokio::test]
async fn a_non_admin_cannot_read_others_and_is_told_who_they_are() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let hal = client.create_user(&new_user("hal")).await.expect("created");
    client.create_user(&new_user("ida")).await.expect("created");
    let as_hal = signed_in(&fake, "hal", "Start-passw0rd");
    assert_eq!(as_hal.get_user(hal).await.expect("self").username, "hal");
    let error = as_hal
        .get_user_by_username("ida")
        .await
        .expect_err("forbidden");
    assert!(error.is_forbidden());
    assert!(error.to_string().ends_with(")") && error.to_string().contains("FORBIDDEN: hal"));
}

#[tokio::test]
async fn cli_secrets_work_only_under_oidc() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let id = client.create_user(&new_user("jo")).await.expect("created");
    let error = client
        .set_user_cli_secret(id, None)
        .await
        .expect_err("db_auth");
    assert!(error.is_precondition_failed(), "{error}");

    let oidc = FakeHarbor::builder()
        .user(harbor_fake::NewUser::new("kim").oidc(true))
        .start()
        .await
        .expect("fake Harbor");
    oidc.set_auth_mode(AuthMode::Oidc);
    let client = admin(&oidc);
    let kim = client.get_user_by_username("kim").await.expect("kim");
    client
        .set_user_cli_secret(kim.id, Some(&Secret::new("Cli-s3cret9")))
        .await
        .expect("set");
    let kim = client.get_user(kim.id).await.expect("read");
    let meta = kim.oidc_user_meta.expect("OIDC record");
    assert_eq!(
        meta.secret.as_ref().map(Secret::expose),
        Some("Cli-s3cret9")
    );
    assert!(!format!("{meta:?}").contains("Cli-s3cret9"));
}

#[tokio::test]
async fn robots_have_no_current_user_but_have_permissions() {
    let robot = Robot::new("sync", "Robot-s3cret").allow("user", "list");
    let fake = FakeHarbor::builder()
        .robot(robot.clone())
        .start()
        .await
        .expect("fake Harbor");
    let creds = robot.credentials();
    let client = HarborClient::builder(fake.url())
        .credentials(Credentials::robot(creds.username, creds.password))
        .build()
        .expect("client");
    let error = client.get_current_user().await.expect_err("412");
    assert!(error.is_precondition_failed(), "{error}");
    let rights = client
        .get_current_user_permissions(PermissionScope::System, true)
        .await
        .expect("rights");
    assert!(
        rights
            .iter()
            .any(|p| p.resource == "user" && p.action == "list"),
        "{rights:?}"
    );
}

#[tokio::test]
async fn permissions_follow_the_project_role() {
    let fake = fake(0).await;
    let client = admin(&fake);
    let id = client.create_user(&new_user("lee")).await.expect("created");
    fake.add_project(
        Project::new(1, "library").member(harbor_fake::UserId(id.get()), ProjectRole::Developer),
    );
    let lee = signed_in(&fake, "lee", "Start-passw0rd");
    let rights = lee
        .get_current_user_permissions(PermissionScope::Project(1), true)
        .await
        .expect("rights");
    assert_eq!(rights.len(), 36, "a developer's rights");
    assert!(
        rights
            .iter()
            .any(|p| p.resource == "repository" && p.action == "push")
    );
    assert!(
        !rights
            .iter()
            .any(|p| p.resource == "member" && p.action == "create")
    );
}

#[tokio::test]
async fn writes_keep_working_although_harbor_sets_a_session_cookie() {
    let fake = fake(0).await;
    let client = admin(&fake);
    // Each answer may carry `Set-Cookie: sid=…`; a client that sent it back
    // would get 403 "CSRF token invalid" on every write.
    for name in ["mo", "ned", "ola"] {
        let id = client.create_user(&new_user(name)).await.expect("created");
        client.set_user_admin(id, true).await.expect("granted");
        client.delete_user(id).await.expect("deleted");
    }
}

#[tokio::test]
async fn read_only_mode_refuses_writes_with_harbors_denied_code() {
    let fake = fake(0).await;
    fake.set_read_only(true);
    let error = admin(&fake)
        .create_user(&new_user("pat"))
        .await
        .expect_err("read only");
    assert!(error.is_forbidden());
    assert!(error.has_code(&harbor_users::ErrorCode::Denied), "{error}");
}
