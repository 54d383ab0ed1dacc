//! `GET /users/search` with Harbor v2.15's quirks.

mod common;

use common::{Reply, get, start, start_with};
use harbor_fake::{FakeHarbor, NewUser, Robot};

async fn search(fake: &FakeHarbor, query: &str) -> Reply {
    get(&format!("/api/v2.0/users/search?{query}"))
        .admin(fake)
        .send(fake)
        .await
}

async fn names(fake: &FakeHarbor, names: &[&str]) {
    for name in names {
        fake.add_user(NewUser::new(*name)).expect("seeded");
    }
}

#[tokio::test]
async fn shortest_usernames_come_first_then_alphabetical() {
    let fake = start().await;
    names(&fake, &["mallory", "mal", "amalia", "mala", "emal"]).await;
    let reply = search(&fake, "username=mal").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.usernames(),
        ["mal", "emal", "mala", "amalia", "mallory"]
    );
    let items = reply.json();
    let keys: Vec<&String> = items[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["user_id", "username"], "items are just id and name");
}

#[tokio::test]
async fn search_ignores_page_and_includes_admin() {
    let fake = start().await;
    names(&fake, &["admiral", "badminton", "admin2", "sadmin"]).await;
    let first = search(&fake, "username=admin&page_size=2").await;
    let second = search(&fake, "username=admin&page_size=2&page=2").await;
    assert_eq!(first.usernames(), ["admin", "admin2"]);
    assert_eq!(second.usernames(), first.usernames(), "page is ignored");
    assert_eq!(first.total(), 3, "the count leaves the admin out");
}

#[tokio::test]
async fn search_still_links_to_a_next_page() {
    let fake = start_with(FakeHarbor::builder().users(15)).await;
    let reply = search(&fake, "username=user").await;
    assert_eq!(reply.total(), 15);
    assert_eq!(
        reply.header("link"),
        Some("</api/v2.0/users/search?page=2&page_size=10&username=user>; rel=\"next\"")
    );
}

#[tokio::test]
async fn count_is_case_insensitive_but_items_are_case_sensitive() {
    let fake = start().await;
    names(&fake, &["Zed", "zedd"]).await;
    let reply = search(&fake, "username=zed").await;
    assert_eq!(reply.total(), 2);
    assert_eq!(reply.usernames(), ["zedd"]);
}

#[tokio::test]
async fn only_the_admin_matching_gives_an_empty_answer() {
    let fake = start().await;
    let reply = search(&fake, "username=admi").await;
    assert_eq!(reply.total(), 0);
    assert_eq!(reply.body, "[]\n");
    assert_eq!(reply.header("link"), None);
}

#[tokio::test]
async fn underscore_and_percent_act_as_wildcards_in_the_items() {
    let fake = start().await;
    names(&fake, &["a_c", "abc"]).await;
    let reply = search(&fake, "username=a_c").await;
    assert_eq!(reply.total(), 1, "the count escapes the underscore");
    assert_eq!(reply.usernames(), ["a_c", "abc"], "the listing does not");
}

#[tokio::test]
async fn page_size_zero_lists_nothing_but_counts() {
    let fake = start().await;
    names(&fake, &["kim", "kimberly"]).await;
    let reply = search(&fake, "username=kim&page_size=0").await;
    assert_eq!(reply.body, "[]\n");
    assert_eq!(reply.total(), 2);
}

#[tokio::test]
async fn results_are_truncated_to_page_size() {
    let fake = start_with(FakeHarbor::builder().users(30)).await;
    let reply = search(&fake, "username=user&page_size=25").await;
    assert_eq!(reply.usernames().len(), 25);
    assert_eq!(reply.total(), 30);
}

#[tokio::test]
async fn one_character_is_enough() {
    let fake = start().await;
    names(&fake, &["q"]).await;
    assert_eq!(search(&fake, "username=q").await.usernames(), ["q"]);
}

#[tokio::test]
async fn username_is_required() {
    let fake = start().await;
    for query in ["", "username="] {
        search(&fake, query).await.assert_error(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\nusername in query is required",
        );
    }
}

#[tokio::test]
async fn any_authenticated_caller_may_search() {
    let fake = start_with(
        FakeHarbor::builder()
            .user(NewUser::new("plain").password("Plain123"))
            .robot(Robot::new("nobody", "Robot1234")),
    )
    .await;
    for (user, password) in [("plain", "Plain123"), ("robot$nobody", "Robot1234")] {
        let reply = get("/api/v2.0/users/search?username=pla")
            .auth(user, password)
            .send(&fake)
            .await;
        assert_eq!(reply.status, 200, "{user}");
        assert_eq!(reply.usernames(), ["plain"]);
    }
    get("/api/v2.0/users/search?username=pla")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}

#[tokio::test]
async fn deleted_users_are_never_found() {
    let fake = start().await;
    names(&fake, &["ghost"]).await;
    let ghost = fake.user_by_name("ghost").expect("seeded");
    common::delete(&format!("/api/v2.0/users/{}", ghost.id))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    assert_eq!(search(&fake, "username=ghost").await.total(), 0);
}

#[tokio::test]
async fn a_negative_page_size_is_a_database_error() {
    let fake = start().await;
    names(&fake, &["neg"]).await;
    search(&fake, "username=neg&page_size=-1")
        .await
        .assert_error(500, "UNKNOWN", "internal server error");
}
