//! Listing users: the `q` language, `sort`, the extra filters, pagination and `Link`.

mod common;

use common::{Reply, get, start, start_with};
use harbor_fake::{FakeHarbor, NewUser};

async fn list(fake: &FakeHarbor, query: &str) -> Reply {
    get(&format!("/api/v2.0/users?{query}"))
        .admin(fake)
        .send(fake)
        .await
}

/// A fake with a handful of users whose names and emails exercise the filters.
async fn people() -> FakeHarbor {
    let fake = start().await;
    for (name, email, realname) in [
        ("carol", "carol@corp.io", "Carol King"),
        ("alice", "alice@corp.io", "Alice Smith"),
        ("bob", "bob@home.net", "Bob Stone"),
        ("Alina", "alina@corp.io", "Alina Alvarez"),
        ("~tilde", "tilde@corp.io", "Tilde"),
        ("a_b", "ab@x.io", "Under Score"),
    ] {
        fake.add_user(NewUser::new(name).email(email).realname(realname))
            .expect("seeded");
    }
    fake
}

#[tokio::test]
async fn admin_is_excluded_from_the_list_and_the_count() {
    let fake = start_with(FakeHarbor::builder().users(3)).await;
    let reply = list(&fake, "").await;
    assert_eq!(reply.total(), 3);
    assert!(!reply.usernames().contains(&"admin".to_string()));
}

#[tokio::test]
async fn default_order_is_username_ascending() {
    let fake = people().await;
    let reply = list(&fake, "").await;
    assert_eq!(
        reply.usernames(),
        ["Alina", "a_b", "alice", "bob", "carol", "~tilde"]
    );
}

#[tokio::test]
async fn exact_match_is_case_sensitive() {
    let fake = people().await;
    assert_eq!(
        list(&fake, "q=username%3Dalice").await.usernames(),
        ["alice"]
    );
    let reply = list(&fake, "q=username%3DALICE").await;
    assert_eq!(reply.total(), 0);
    assert_eq!(reply.body, "[]\n");
}

#[tokio::test]
async fn fuzzy_match_is_a_case_insensitive_substring() {
    let fake = people().await;
    let reply = list(&fake, "q=username%3D~ALI").await;
    assert_eq!(reply.usernames(), ["Alina", "alice"]);
    assert_eq!(reply.total(), 2);
}

#[tokio::test]
async fn fuzzy_match_escapes_like_wildcards() {
    let fake = people().await;
    assert_eq!(list(&fake, "q=username%3D~_").await.usernames(), ["a_b"]);
}

#[tokio::test]
async fn a_leading_backslash_escapes_an_exact_value() {
    let fake = people().await;
    let reply = list(&fake, "q=username%3D%5C~tilde").await;
    assert_eq!(reply.usernames(), ["~tilde"]);
}

#[tokio::test]
async fn range_filters_by_typed_bounds() {
    let fake = start_with(FakeHarbor::builder().users(10)).await;
    let reply = list(&fake, "q=user_id%3D%5B5~7%5D").await;
    assert_eq!(
        reply.usernames(),
        ["user000003", "user000004", "user000005"]
    );
    // A `user_id` key lets the admin into the list but not into the count.
    let open = list(&fake, "q=user_id%3D%5B~4%5D").await;
    assert_eq!(open.usernames(), ["admin", "user000001", "user000002"]);
    assert_eq!(open.total(), 2);
}

#[tokio::test]
async fn or_list_matches_any_value() {
    let fake = people().await;
    let reply = list(&fake, "q=username%3D%7Bbob%20carol%7D").await;
    assert_eq!(reply.usernames(), ["bob", "carol"]);
}

#[tokio::test]
async fn and_list_is_ignored_for_users() {
    let fake = people().await;
    assert_eq!(list(&fake, "q=username%3D(bob%20carol)").await.total(), 6);
}

#[tokio::test]
async fn terms_are_split_on_every_comma_and_combined() {
    let fake = people().await;
    let reply = list(&fake, "q=email%3D~corp,username%3D~al").await;
    assert_eq!(reply.usernames(), ["Alina", "alice"]);
}

#[tokio::test]
async fn q_is_decoded_twice_with_a_fallback() {
    let fake = people().await;
    // `%253D` decodes to `%3D` and then to `=`.
    let reply = list(&fake, "q=username%253Dbob").await;
    assert_eq!(reply.usernames(), ["bob"]);
    // A stray `%` fails the second decode, so the once-decoded text is used.
    let fallback = list(&fake, "q=realname%3D~100%25").await;
    assert_eq!(fallback.status, 200);
    assert_eq!(fallback.total(), 0);
}

#[tokio::test]
async fn plus_in_q_is_a_space() {
    let fake = people().await;
    let reply = list(&fake, "q=realname%3DBob+Stone").await;
    assert_eq!(reply.usernames(), ["bob"]);
}

#[tokio::test]
async fn unknown_q_keys_are_ignored() {
    let fake = people().await;
    assert_eq!(list(&fake, "q=favourite_colour%3Dred").await.total(), 6);
    assert_eq!(list(&fake, "q=password%3Dx").await.total(), 6);
}

#[tokio::test]
async fn go_field_names_work_as_keys() {
    let fake = people().await;
    assert_eq!(list(&fake, "q=Username%3Dbob").await.usernames(), ["bob"]);
}

#[tokio::test]
async fn orm_operator_suffixes_apply() {
    let fake = start_with(FakeHarbor::builder().users(6)).await;
    assert_eq!(list(&fake, "q=user_id__lt%3D5").await.total(), 2);
    assert_eq!(list(&fake, "q=user_id__gte%3D7").await.total(), 2);
    assert_eq!(list(&fake, "q=user_id__lte%3D4").await.total(), 2);
    assert_eq!(
        list(&fake, "q=username__exact%3Duser000002").await.total(),
        1
    );
    assert_eq!(
        list(&fake, "q=username__icontains%3DUSER00000")
            .await
            .total(),
        6
    );
    assert_eq!(list(&fake, "q=username__in%3Duser000006").await.total(), 1);
}

#[tokio::test]
async fn unknown_operator_suffixes_are_skipped() {
    let fake = start_with(FakeHarbor::builder().users(4)).await;
    assert_eq!(list(&fake, "q=user_id__startswith%3D9").await.total(), 4);
    assert_eq!(list(&fake, "q=user_id__gt__lt%3D9").await.total(), 4);
}

#[tokio::test]
async fn username_or_email_matches_either_exactly() {
    let fake = people().await;
    let by_email = list(&fake, "q=username_or_email%3Dbob%40home.net").await;
    assert_eq!(by_email.usernames(), ["bob"]);
    let by_name = list(&fake, "q=username_or_email%3Dcarol").await;
    assert_eq!(by_name.usernames(), ["carol"]);
}

#[tokio::test]
async fn filtering_by_user_id_lists_the_admin_but_does_not_count_it() {
    let fake = start_with(FakeHarbor::builder().users(2)).await;
    let reply = list(&fake, "q=user_id%3D%7B1%203%7D").await;
    assert_eq!(reply.usernames(), ["admin", "user000001"]);
    assert_eq!(reply.total(), 1);
}

#[tokio::test]
async fn deleted_users_stay_hidden_whatever_q_says() {
    let fake = people().await;
    let bob = fake.user_by_name("bob").expect("seeded");
    common::delete(&format!("/api/v2.0/users/{}", bob.id))
        .admin(&fake)
        .send(&fake)
        .await
        .assert_empty(200);
    assert_eq!(list(&fake, "q=deleted%3Dtrue").await.total(), 5);
}

#[tokio::test]
async fn malformed_terms_are_a_400() {
    let fake = people().await;
    let message = "the query string must contain \"=\" and the key/value cannot be empty";
    for q in [
        "username",
        "username%3D",
        "%3Dbob",
        "a%3D1,,b%3D2",
        "a%3D1,",
    ] {
        list(&fake, &format!("q={q}"))
            .await
            .assert_error(400, "BAD_REQUEST", message);
    }
}

#[tokio::test]
async fn malformed_patterns_are_a_400_quoting_the_value() {
    let fake = people().await;
    for (q, value) in [
        ("username%3D~", "~"),
        ("user_id%3D%5B1~2", "[1~2"),
        ("user_id%3D%5B1~2~3%5D", "[1~2~3]"),
        ("user_id%3D%5B~%5D", "[~]"),
        ("username%3D%7Bbob", "{bob"),
        ("username%3D(bob", "(bob"),
    ] {
        list(&fake, &format!("q={q}")).await.assert_error(
            400,
            "BAD_REQUEST",
            &format!("invalid query string value: {value}"),
        );
    }
}

#[tokio::test]
async fn the_username_and_email_params_add_fuzzy_filters() {
    let fake = people().await;
    assert_eq!(
        list(&fake, "username=LI").await.usernames(),
        ["Alina", "alice"]
    );
    assert_eq!(list(&fake, "email=HOME").await.usernames(), ["bob"]);
}

#[tokio::test]
async fn the_username_param_overrides_the_same_q_key() {
    let fake = people().await;
    let reply = list(&fake, "q=username%3Dbob&username=car").await;
    assert_eq!(reply.usernames(), ["carol"]);
}

#[tokio::test]
async fn sort_accepts_descending_and_several_keys() {
    let fake = people().await;
    let reply = list(&fake, "sort=-username").await;
    assert_eq!(
        reply.usernames(),
        ["~tilde", "carol", "bob", "alice", "a_b", "Alina"]
    );
    let by_id = list(&fake, "sort=-user_id").await;
    assert_eq!(by_id.usernames()[0], "a_b");
    let combined = list(&fake, "sort=email,-username").await;
    assert_eq!(combined.usernames()[0], "a_b");
}

#[tokio::test]
async fn unknown_sort_keys_are_dropped() {
    let fake = people().await;
    let reply = list(&fake, "sort=shoe_size,-user_id").await;
    assert_eq!(reply.usernames()[0], "a_b");
    let only_unknown = list(&fake, "sort=shoe_size").await;
    assert_eq!(only_unknown.usernames()[0], "Alina");
}

#[tokio::test]
async fn page_size_defaults_to_ten() {
    let fake = start_with(FakeHarbor::builder().users(25)).await;
    let reply = list(&fake, "").await;
    assert_eq!(reply.usernames().len(), 10);
    assert_eq!(reply.total(), 25);
}

#[tokio::test]
async fn pages_follow_each_other() {
    let fake = start_with(FakeHarbor::builder().users(25)).await;
    let third = list(&fake, "page=3&page_size=10").await;
    assert_eq!(
        third.usernames(),
        [
            "user000021",
            "user000022",
            "user000023",
            "user000024",
            "user000025"
        ]
    );
}

#[tokio::test]
async fn page_size_zero_returns_everything_without_link() {
    let fake = start_with(FakeHarbor::builder().users(150)).await;
    let reply = list(&fake, "page_size=0").await;
    assert_eq!(reply.usernames().len(), 150);
    assert_eq!(reply.header("link"), None);
}

#[tokio::test]
async fn page_zero_is_the_first_page() {
    let fake = start_with(FakeHarbor::builder().users(12)).await;
    let reply = list(&fake, "page=0&page_size=5").await;
    assert_eq!(reply.usernames()[0], "user000001");
}

#[tokio::test]
async fn page_size_above_100_is_a_422() {
    let fake = start().await;
    list(&fake, "page_size=101").await.assert_error(
        422,
        "UNPROCESSABLE_ENTITY",
        "validation failure list:\npage_size in query should be less than or equal to 100",
    );
}

#[tokio::test]
async fn non_integer_paging_is_a_422_listing_each_problem() {
    let fake = start().await;
    list(&fake, "page=one&page_size=x").await.assert_error(
        422,
        "UNPROCESSABLE_ENTITY",
        "validation failure list:\npage in query must be of type int64: \"one\"\npage_size in \
         query must be of type int64: \"x\"",
    );
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_without_link() {
    let fake = start_with(FakeHarbor::builder().users(5)).await;
    let reply = list(&fake, "page=4&page_size=5").await;
    assert_eq!(reply.body, "[]\n");
    assert_eq!(reply.total(), 5);
    assert_eq!(reply.header("link"), None);
}

#[tokio::test]
async fn total_count_is_present_even_when_zero() {
    let fake = start().await;
    let reply = list(&fake, "").await;
    assert_eq!(reply.header("x-total-count"), Some("0"));
    assert_eq!(reply.body, "[]\n");
    assert_eq!(reply.header("link"), None);
}

#[tokio::test]
async fn link_has_next_on_the_first_page() {
    let fake = start_with(FakeHarbor::builder().users(25)).await;
    let reply = list(&fake, "").await;
    assert_eq!(
        reply.header("link"),
        Some("</api/v2.0/users?page=2&page_size=10>; rel=\"next\"")
    );
}

#[tokio::test]
async fn link_joins_prev_and_next_with_a_spaced_comma() {
    let fake = start_with(FakeHarbor::builder().users(25)).await;
    let reply = list(&fake, "page_size=10&page=2&q=email%3D~example").await;
    assert_eq!(
        reply.header("link"),
        Some(
            "</api/v2.0/users?page=1&page_size=10&q=email=~example>; rel=\"prev\" , \
             </api/v2.0/users?page=3&page_size=10&q=email=~example>; rel=\"next\""
        )
    );
}

#[tokio::test]
async fn link_keeps_unknown_params_sorted_and_unescaped() {
    let fake = start_with(FakeHarbor::builder().users(25)).await;
    let reply = list(&fake, "zeta=a+b&sort=-user_id&q=email%3D~example").await;
    assert_eq!(
        reply.header("link"),
        Some(
            "</api/v2.0/users?page=2&page_size=10&q=email=~example&sort=-user_id&zeta=a b>; \
             rel=\"next\""
        )
    );
}

#[tokio::test]
async fn link_has_only_prev_on_the_last_page() {
    let fake = start_with(FakeHarbor::builder().users(25)).await;
    let reply = list(&fake, "page=3").await;
    assert_eq!(
        reply.header("link"),
        Some("</api/v2.0/users?page=2&page_size=10>; rel=\"prev\"")
    );
}

#[tokio::test]
async fn list_items_never_carry_oidc_metadata() {
    let fake = start_with(FakeHarbor::builder().users(2)).await;
    fake.set_auth_mode(harbor_fake::AuthMode::Oidc);
    let reply = list(&fake, "").await;
    for item in reply.json().as_array().expect("array") {
        assert!(item.get("oidc_user_meta").is_none());
        assert_eq!(item["admin_role_in_auth"], false);
    }
}

#[tokio::test]
async fn listing_needs_system_access() {
    let fake = start().await;
    fake.add_user(NewUser::new("plain").password("Plain123"))
        .expect("seeded");
    get("/api/v2.0/users")
        .auth("plain", "Plain123")
        .send(&fake)
        .await
        .assert_error(403, "FORBIDDEN", "plain");
    get("/api/v2.0/users")
        .send(&fake)
        .await
        .assert_error(401, "UNAUTHORIZED", "unauthorized");
}
