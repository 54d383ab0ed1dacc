//! `harbor-bench`: how fast and how lean `harbor-users` is, against the floor, in one run.
//!
//! It measures what users of the client feel: listing every user of a large Harbor,
//! listing across an ocean (20 ms per request), the memory a long listing holds, an exact
//! lookup among many similar names, and how long the crate takes to build. Every figure
//! comes with baselines measured in the same run, over the same pages from the same fake:
//!
//! * `floor`: plain `reqwest`, reading the bytes and decoding nothing;
//! * `raw`: the generated `harbor-openapi` client, page by page;
//! * `ours`: `harbor-users` streams, sequential and with prefetch (`ours-prefetch-N`).
//!
//! This machine is shared and noisy, so absolute times are not comparable across runs;
//! the ratios between modes of one run are.
//!
//! ```text
//! cargo run --release -p harbor-bench -- run                 # about 2 minutes
//! cargo run --release -p harbor-bench -- run --build         # 3 cold builds; about 5 minutes
//! cargo run --release -p harbor-bench -- run --smoke         # seconds; sizes too small to judge
//! cargo run --release -p harbor-bench -- run --update BENCHMARKS.md
//! ```
//!
//! The runner starts the fake and every client as separate processes of this same
//! program (`harbor-bench fake`, `harbor-bench client --mode …`), so that each client's
//! CPU time and peak memory are its own. A client prints one JSON line with its figures;
//! the runner checks its counts against the fake's request counters, takes medians over
//! the rounds, and prints a Markdown report.

mod client;
mod compile;
mod fake;
mod measure;
mod process;
mod report;
mod run;

use clap::{Parser, Subcommand};

/// Benchmarks of harbor-users against a plain HTTP loop and the generated client.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    /// The subcommand.
    command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the benchmark: every scenario and mode, each client in its own process.
    Run(run::RunArgs),
    /// Serves a seeded fake Harbor, prints its URL, and answers `stats` and `reset` on
    /// stdin until stdin closes.
    Fake(fake::FakeArgs),
    /// Runs one scenario in this process and prints its figures as one JSON line.
    Client(client::ClientArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run::run(&args),
        Command::Fake(args) => fake::serve(&args),
        Command::Client(args) => client::run(&args),
    }
}
