//! The main job, end to end, against a fake Harbor started in this process:
//! create users, list them with a query, a sort and a limit, look one up by
//! username, change a password, and sign in with it.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! To run it against a real Harbor instead, set `HARBOR_URL`,
//! `HARBOR_USERNAME` and `HARBOR_PASSWORD` (an administrator's), and it
//! leaves no users behind.

use futures::TryStreamExt;
use harbor_users::{
    Credentials, HarborClient, NewUser, Secret,
    query::{Field, Query, Sort},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fake Harbor unless a real one is configured.
    let fake;
    let client = if std::env::var_os("HARBOR_URL").is_some() {
        println!("using the Harbor at $HARBOR_URL");
        HarborClient::from_env()?
    } else {
        fake = harbor_fake::FakeHarbor::builder().users(12).start().await?;
        let admin = fake.admin_credentials();
        println!("started a fake Harbor at {} with 12 users", fake.url());
        HarborClient::builder(fake.url())
            .credentials(Credentials::basic(admin.username, admin.password))
            .build()?
    };

    // Create three users; Harbor answers with the new ids.
    let mut created = Vec::new();
    for (name, real) in [
        ("qs-bob", "Bob"),
        ("qs-bobby", "Bobby"),
        ("qs-alice", "Alice"),
    ] {
        let id = client
            .create_user(&NewUser::new(
                name,
                format!("{name}@example.com"),
                real,
                "Start-passw0rd",
            ))
            .await?;
        println!("created {name:<9} as user {id}");
        created.push(id);
    }

    // List: usernames containing "qs-", newest first, at most 2.
    let query = Query::new().fuzzy(Field::Username, "qs-")?;
    let sort = Sort::new()
        .desc(Field::CreationTime)?
        .asc(Field::Username)?;
    println!("listing q={query} sort={sort} limit=2:");
    let mut users = client.get_users().query(query).sort(sort).limit(2).stream();
    while let Some(user) = users.try_next().await? {
        println!(
            "  {:>3} {:<9} {}",
            user.id,
            user.username,
            user.email.unwrap_or_default()
        );
    }

    // Exact lookup: "qs-bob" is never confused with "qs-bobby".
    let bob = client.get_user_by_username("qs-bob").await?;
    println!(
        "looked up qs-bob: user {} ({})",
        bob.id,
        bob.realname.unwrap_or_default()
    );

    // An administrator resets Bob's password; Bob signs in with it.
    client
        .set_user_password(bob.id, "Fresh-passw0rd", None)
        .await?;
    let as_bob = HarborClient::builder(client.base_url().as_str())
        .credentials(Credentials::basic("qs-bob", Secret::new("Fresh-passw0rd")))
        .build()?;
    let me = as_bob.get_current_user().await?;
    println!("signed in as {} with the new password", me.username);

    // A wrong old password is a distinct, recognisable error.
    let wrong = Secret::new("not-the-password");
    match as_bob
        .set_user_password(me.id, "Other-passw0rd", Some(&wrong))
        .await
    {
        Err(error) if error.is_wrong_current_password() => println!("refused: {error}"),
        other => println!("unexpected: {other:?}"),
    }

    // Leave nothing behind.
    for id in created {
        client.delete_user(id).await?;
    }
    let missing = client.get_user_by_username("qs-bob").await;
    println!(
        "deleted the three users; looking up qs-bob now: {}",
        missing.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}
