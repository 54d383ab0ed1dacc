//! Measures how fast the fake seeds 100,000 users and serves them at page size 100.
//!
//! Run with `cargo run --release -p harbor-fake --example list_throughput`. It pages
//! through every user once, sequentially over one keep-alive connection, and then again
//! with four concurrent clients.

use std::time::{Duration, Instant};

use harbor_fake::{FakeHarbor, NewUser};

const USERS: usize = 100_000;
const PAGE_SIZE: usize = 100;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeHarbor::builder().start().await?;

    let started = Instant::now();
    fake.seed_users(USERS, |index| {
        NewUser::new(format!("bench{index:06}")).password("Bench1234")
    })?;
    let seeding = started.elapsed();
    println!("seeded {USERS} users in {:.1} ms", millis(seeding));

    let client = reqwest::Client::builder().no_proxy().build()?;
    let pages = USERS / PAGE_SIZE;
    let started = Instant::now();
    let mut seen = 0;
    for page in 1..=pages {
        seen += fetch_page(&client, &fake, page).await?;
    }
    let sequential = started.elapsed();
    assert_eq!(seen, USERS, "every user was listed once");
    println!(
        "sequential: {pages} pages of {PAGE_SIZE} in {:.0} ms = {:.0} requests/s",
        millis(sequential),
        per_second(pages, sequential)
    );

    let workers = 4;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let client = client.clone();
        let base = fake.url().to_string();
        tasks.push(tokio::spawn(async move {
            let mut count = 0;
            for page in (1 + worker..=pages).step_by(workers) {
                let url = format!("{base}/api/v2.0/users?page={page}&page_size={PAGE_SIZE}");
                let response = client
                    .get(url)
                    .basic_auth("admin", Some("Harbor12345"))
                    .send()
                    .await?;
                count += response.bytes().await?.len();
            }
            Ok::<usize, reqwest::Error>(count)
        }));
    }
    for task in tasks {
        task.await??;
    }
    let concurrent = started.elapsed();
    println!(
        "{workers} concurrent clients: {pages} pages in {:.0} ms = {:.0} requests/s",
        millis(concurrent),
        per_second(pages, concurrent)
    );
    Ok(())
}

async fn fetch_page(
    client: &reqwest::Client,
    fake: &FakeHarbor,
    page: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    let url = format!("{}/users?page={page}&page_size={PAGE_SIZE}", fake.api_url());
    let response = client
        .get(url)
        .basic_auth("admin", Some("Harbor12345"))
        .send()
        .await?
        .error_for_status()?;
    let users: Vec<serde_json::Value> = response.json().await?;
    Ok(users.len())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn per_second(requests: usize, duration: Duration) -> f64 {
    requests as f64 / duration.as_secs_f64()
}
