//! `GET /users/current/permissions`: the policy catalogue for the caller's role in a scope.

mod common;

use std::collections::BTreeSet;

use common::{Reply, get, start_with};
use harbor_fake::{FakeHarbor, NewUser, Project, ProjectRole, Robot, UserId};

async fn permissions(fake: &FakeHarbor, user: (&str, &str), query: &str) -> Reply {
    get(&format!("/api/v2.0/users/current/permissions?{query}"))
        .auth(user.0, user.1)
        .send(fake)
        .await
}

fn pairs(reply: &Reply) -> BTreeSet<(String, String)> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
        .json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| {
            (
                item["resource"].as_str().unwrap_or_default().to_string(),
                item["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Users 3..=7 hold each role in private project 1; user 8 is in no project.
async fn project_fake() -> FakeHarbor {
    let roles = [
        ProjectRole::ProjectAdmin,
        ProjectRole::Maintainer,
        ProjectRole::Developer,
        ProjectRole::Guest,
        ProjectRole::LimitedGuest,
    ];
    let mut project = Project::new(1, "library");
    let mut builder = FakeHarbor::builder();
    for (index, role) in roles.into_iter().enumerate() {
        let id = i64::try_from(index).expect("small") + 3;
        project = project.member(UserId(id), role);
        builder = builder.user(NewUser::new(format!("member{id}")).password("Member123"));
    }
    builder = builder
        .user(NewUser::new("outsider").password("Member123"))
        .project(project)
        .project(Project::new(2, "public").public(true));
    start_with(builder).await
}

#[tokio::test]
async fn each_role_gets_its_catalogue_size() {
    let fake = project_fake().await;
    for (id, expected) in [(3, 75), (4, 53), (5, 36), (6, 20), (7, 14)] {
        let reply = permissions(
            &fake,
            (&format!("member{id}"), "Member123"),
            "scope=/project/1",
        )
        .await;
        assert_eq!(pairs(&reply).len(), expected, "member{id}");
    }
}

#[tokio::test]
async fn a_sysadmin_gets_the_whole_project_and_system_catalogues() {
    let fake = project_fake().await;
    let admin = fake.admin_credentials();
    let credentials = (admin.username.as_str(), admin.password.as_str());
    let project = permissions(&fake, credentials, "scope=/project/1").await;
    assert_eq!(pairs(&project).len(), 75);
    let system = permissions(&fake, credentials, "scope=/system").await;
    let system = pairs(&system);
    assert_eq!(system.len(), 53);
    assert!(system.contains(&("/system/user".to_string(), "create".to_string())));
}

#[tokio::test]
async fn relative_strips_the_scope_and_shows_the_project_as_dot() {
    let fake = project_fake().await;
    let reply = permissions(
        &fake,
        ("member5", "Member123"),
        "scope=/project/1&relative=true",
    )
    .await;
    let relative = pairs(&reply);
    assert!(relative.contains(&(".".to_string(), "read".to_string())));
    assert!(relative.contains(&("repository".to_string(), "push".to_string())));
    assert!(!relative.contains(&("repository".to_string(), "delete".to_string())));
}

#[tokio::test]
async fn relative_accepts_go_swaggers_truthy_words() {
    let fake = project_fake().await;
    for word in ["1", "yes", "ON", "checked", "Enabled"] {
        let reply = permissions(
            &fake,
            ("member7", "Member123"),
            &format!("scope=/project/1&relative={word}"),
        )
        .await;
        assert!(
            pairs(&reply).contains(&(".".to_string(), "read".to_string())),
            "{word}"
        );
    }
    let absolute = permissions(
        &fake,
        ("member7", "Member123"),
        "scope=/project/1&relative=nope",
    )
    .await;
    assert!(pairs(&absolute).contains(&("/project/1".to_string(), "read".to_string())));
}

#[tokio::test]
async fn a_trailing_slash_in_the_scope_drops_the_project_itself_when_relative() {
    let fake = project_fake().await;
    let reply = permissions(
        &fake,
        ("member7", "Member123"),
        "scope=/project/1/&relative=true",
    )
    .await;
    let relative = pairs(&reply);
    assert_eq!(relative.len(), 13);
    assert!(!relative.iter().any(|(resource, _)| resource == "."));
}

#[tokio::test]
async fn non_members_see_nothing_in_private_projects() {
    let fake = project_fake().await;
    let reply = permissions(&fake, ("outsider", "Member123"), "scope=/project/1").await;
    assert_eq!(reply.body, "[]\n");
}

#[tokio::test]
async fn non_members_read_public_projects() {
    let fake = project_fake().await;
    let reply = permissions(&fake, ("outsider", "Member123"), "scope=/project/2").await;
    let granted = pairs(&reply);
    assert_eq!(granted.len(), 12);
    assert!(granted.contains(&("/project/2/repository".to_string(), "pull".to_string())));
}

#[tokio::test]
async fn plain_users_have_no_system_permissions() {
    let fake = project_fake().await;
    let reply = permissions(&fake, ("member3", "Member123"), "scope=/system").await;
    assert_eq!(reply.body, "[]\n");
}

#[tokio::test]
async fn a_missing_or_unknown_scope_gives_an_empty_list() {
    let fake = project_fake().await;
    let admin = fake.admin_credentials();
    for query in ["", "scope=/projects", "scope=library"] {
        let reply = permissions(&fake, (&admin.username, &admin.password), query).await;
        assert_eq!(reply.body, "[]\n", "{query}");
    }
}

#[tokio::test]
async fn robots_see_their_own_permissions() {
    let robot = Robot::new("deployer", "Robot1234")
        .allow("user", "list")
        .allow_in_project(1, "repository", "pull");
    let fake = start_with(FakeHarbor::builder().robot(robot)).await;
    let system = permissions(&fake, ("robot$deployer", "Robot1234"), "scope=/system").await;
    assert_eq!(
        pairs(&system),
        BTreeSet::from([("/system/user".to_string(), "list".to_string())])
    );
    let project = permissions(
        &fake,
        ("robot$deployer", "Robot1234"),
        "scope=/project/1&relative=true",
    )
    .await;
    assert_eq!(
        pairs(&project),
        BTreeSet::from([("repository".to_string(), "pull".to_string())])
    );
}

#[tokio::test]
async fn permissions_need_authentication() {
    let fake = project_fake().await;
    get("/api/v2.0/users/current/permissions?scope=/system")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn deleting_a_user_removes_their_memberships() {
    let fake = project_fake().await;
    common::delete("/api/v2.0/users/4")
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    let recreated = fake
        .add_user(NewUser::new("member4").password("Member123"))
        .expect("the name is free");
    assert_ne!(recreated, UserId(4));
    let reply = permissions(&fake, ("member4", "Member123"), "scope=/project/1").await;
    assert_eq!(reply.body, "[]\n");
}
