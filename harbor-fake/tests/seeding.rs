//! Bulk seeding: fast enough for benchmarks, and visible through the API at once.

mod common;

use std::time::Instant;

use common::get;
use harbor_fake::{FakeHarbor, NewUser, UserId};

#[tokio::test]
async fn seeding_100k_users_is_quick_and_pages_through_the_api() {
    let fake = common::start().await;
    let started = Instant::now();
    let ids = fake
        .seed_users(100_000, |index| {
            NewUser::new(format!("bulk{index:06}")).password("Bulk12345")
        })
        .expect("no collisions");
    // Reported rather than asserted: timings on a shared machine are not a test.
    eprintln!(
        "seeded 100000 users in {:?} (debug build)",
        started.elapsed()
    );
    assert_eq!(ids.first(), Some(&UserId(3)));
    assert_eq!(ids.last(), Some(&UserId(100_002)));
    assert_eq!(fake.user_count(), 100_000);

    let last_page = get("/api/v2.0/users?page=1000&page_size=100")
        .admin(&fake)
        .send(&fake)
        .await;
    assert_eq!(last_page.total(), 100_000);
    let names = last_page.usernames();
    assert_eq!(names.len(), 100);
    assert_eq!(names.last().map(String::as_str), Some("bulk099999"));
    assert_eq!(
        last_page.header("link"),
        Some("</api/v2.0/users?page=999&page_size=100>; rel=\"prev\"")
    );
}

#[tokio::test]
async fn builder_seeds_numbered_users_with_the_seed_password() {
    let fake = common::start_with(FakeHarbor::builder().users(3).seed_password("Seed1234")).await;
    let user = fake.user_by_name("user000002").expect("seeded");
    assert_eq!(user.email.as_deref(), Some("user000002@example.com"));
    assert!(fake.password_matches(user.id, "Seed1234"));
    let reply = get("/api/v2.0/users/current")
        .auth("user000002", "Seed1234")
        .send(&fake)
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn seeding_rejects_a_taken_username() {
    let fake = common::start().await;
    fake.add_user(NewUser::new("dup")).expect("first");
    let error = fake
        .add_user(NewUser::new("dup").email("other@example.com"))
        .expect_err("taken");
    assert_eq!(error.username, "dup");
}

#[tokio::test]
async fn reverse_username_order_uses_the_same_index() {
    let fake = common::start_with(FakeHarbor::builder().users(250)).await;
    let reply = get("/api/v2.0/users?sort=-username&page=2&page_size=100")
        .admin(&fake)
        .send(&fake)
        .await;
    let names = reply.usernames();
    assert_eq!(names.first().map(String::as_str), Some("user000150"));
    assert_eq!(names.last().map(String::as_str), Some("user000051"));
}
