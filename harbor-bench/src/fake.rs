//! The `fake` subcommand: a seeded `harbor-fake` in a process of its own.
//!
//! It prints its URL as the first line on stdout, then answers one command per line on
//! stdin: `stats` prints the request counters as one JSON line, `reset` zeroes them and
//! prints `ok`. It stops when stdin closes, so a runner that dies takes its fake with it.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::Context;
use harbor_fake::{FakeHarbor, Faults, NewUser};
use serde::{Deserialize, Serialize};

/// The operation keys of the fake's counters that the benchmark reads.
/// Listing.
const LIST_USERS: &str = "GET /api/v2.0/users";
/// Searching by username.
const SEARCH_USERS: &str = "GET /api/v2.0/users/search";
/// Reading one user by id.
const GET_USER: &str = "GET /api/v2.0/users/{user_id}";

/// Options of the `fake` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct FakeArgs {
    /// How many users to seed (the admin comes on top).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// How the seeded users are named.
    #[arg(long, value_enum, default_value_t = Population::Numbered)]
    pub population: Population,
    /// Latency added to every request under `/api/v2.0/users`, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

/// How the seeded users are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Population {
    /// `user000001`, `user000002`, … as `harbor-fake` names them.
    Numbered,
    /// `bob`, then `bob000001`, `bob000002`, …: every user is a fuzzy match for `bob`, the
    /// worst case for a lookup by username.
    Bobs,
}

/// The fake's request counters, as the `stats` command prints them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeStats {
    /// Every request received.
    pub requests: u64,
    /// `GET /api/v2.0/users` (listing).
    pub list_users: u64,
    /// `GET /api/v2.0/users/search`.
    pub search_users: u64,
    /// `GET /api/v2.0/users/{user_id}`.
    pub get_user: u64,
}

/// Serves a fake Harbor until stdin closes.
pub fn serve(args: &FakeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the fake's runtime")?;
    runtime.block_on(serve_async(args))
}

/// Starts and seeds the fake, prints its URL, and answers commands until stdin closes.
async fn serve_async(args: &FakeArgs) -> anyhow::Result<()> {
    let faults = Faults::none().latency(Duration::from_millis(args.latency_ms));
    let fake = FakeHarbor::builder()
        .faults(faults)
        .start()
        .await
        .context("starting the fake Harbor")?;
    seed(&fake, args)?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", fake.url()).context("printing the fake's URL")?;
    stdout.flush().context("printing the fake's URL")?;
    drop(stdout);

    // Blocking reads stay on a thread of their own; the channel closes with stdin.
    let (commands, mut received) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if commands.send(line).is_err() {
                break;
            }
        }
    });

    while let Some(command) = received.recv().await {
        let answer = match command.trim() {
            "stats" => serde_json::to_string(&stats_of(&fake))?,
            "reset" => {
                fake.reset_stats();
                "ok".to_owned()
            }
            "" => continue,
            other => format!("unknown command {other:?}; expected `stats` or `reset`"),
        };
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{answer}").context("answering the runner")?;
        stdout.flush().context("answering the runner")?;
    }
    fake.shutdown().await;
    Ok(())
}

/// Adds the users `args` asks for.
fn seed(fake: &FakeHarbor, args: &FakeArgs) -> anyhow::Result<()> {
    match args.population {
        Population::Numbered => {
            fake.seed_users(args.users, |index| {
                NewUser::new(harbor_fake::seeded_username(index))
            })?;
        }
        Population::Bobs => {
            fake.seed_users(args.users, |index| match index {
                0 => NewUser::new("bob"),
                _ => NewUser::new(format!("bob{index:06}")),
            })?;
        }
    }
    Ok(())
}

/// The counters the benchmark reads.
fn stats_of(fake: &FakeHarbor) -> FakeStats {
    let stats = fake.stats();
    FakeStats {
        requests: stats.requests,
        list_users: stats.operation(LIST_USERS),
        search_users: stats.operation(SEARCH_USERS),
        get_user: stats.operation(GET_USER),
    }
}
