//! The `run` subcommand: every scenario, every mode, several rounds, each client in a
//! process of its own against a fake in another.
//!
//! Within a round the modes take turns in an order that rotates from round to round, so
//! that a burst of load from the rest of the machine falls on different modes each time.
//! Every client's counts are checked against the fake's before any figure is kept: a
//! benchmark that listed the wrong number of users has measured nothing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::client::{Mode, Outcome, Scenario};
use crate::compile;
use crate::fake::{FakeStats, Population};
use crate::process::{self, Fake};
use crate::report;

/// The page size of every listing: Harbor's largest.
pub const PAGE_SIZE: u64 = 100;

/// The longest one client process may run.
const CLIENT_DEADLINE: Duration = Duration::from_secs(300);

/// Options of the `run` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Tiny sizes and one round: checks that the runner works; the figures mean nothing.
    #[arg(long)]
    pub smoke: bool,
    /// Times builds instead: a cold `cargo build -p harbor-users` and rebuilds after
    /// one-line edits, in a copy of the tracked sources (takes minutes).
    #[arg(long, conflicts_with = "smoke")]
    pub build: bool,
    /// Rounds per scenario (default 5, 1 with `--smoke`; with `--build` 3, each a cold
    /// build and the rebuilds after it).
    #[arg(long)]
    pub runs: Option<usize>,
    /// Only these groups (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<GroupKind>,
    /// Writes every measurement as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Replaces the generated section of this Markdown file (such as `BENCHMARKS.md`)
    /// with the report.
    #[arg(long)]
    pub update: Option<PathBuf>,
    /// The repository whose tracked files `--build` copies (default: this workspace).
    #[arg(long)]
    pub repo: Option<PathBuf>,
}

/// A scenario group: one fake, several cases against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// Listing many users with no added latency.
    Throughput,
    /// Listing with latency added to every request.
    Latency,
    /// Peak memory listing few and many users.
    Memory,
    /// Exact lookup among many fuzzy neighbours.
    Lookup,
}

/// The sizes of one run of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sizes {
    /// Rounds per case.
    pub runs: usize,
    /// Users listed for throughput.
    pub throughput_users: usize,
    /// Users listed with latency.
    pub latency_users: usize,
    /// Latency added per request, in milliseconds.
    pub latency_ms: u64,
    /// The small listing of the memory comparison.
    pub memory_small: usize,
    /// The large listing of the memory comparison.
    pub memory_large: usize,
    /// Users among whom a name is looked up.
    pub lookup_users: usize,
    /// Lookups per client process.
    pub lookups: u64,
}

impl Sizes {
    /// The sizes the targets are stated for.
    pub const FULL: Sizes = Sizes {
        runs: 5,
        throughput_users: 100_000,
        latency_users: 10_000,
        latency_ms: 20,
        memory_small: 1_000,
        memory_large: 100_000,
        lookup_users: 100_000,
        lookups: 20,
    };

    /// Sizes that take seconds, for the smoke test.
    pub const SMOKE: Sizes = Sizes {
        runs: 1,
        throughput_users: 300,
        latency_users: 300,
        latency_ms: 1,
        memory_small: 100,
        memory_large: 300,
        lookup_users: 300,
        lookups: 2,
    };
}

/// One client process against one fake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// How it calls Harbor.
    pub mode: String,
    /// What it does.
    pub scenario: Scenario,
    /// The users the fake holds.
    pub fake_users: usize,
}

/// A case's result in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The group the case belongs to.
    pub group: GroupKind,
    /// The case.
    pub case: Case,
    /// The round, from 0.
    pub round: usize,
    /// What the client reported.
    pub outcome: Outcome,
    /// What the fake counted while the client ran.
    pub fake: FakeStats,
}

/// Everything one `run` measured, as written by `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Whether these are smoke-test sizes.
    pub smoke: bool,
    /// The sizes used.
    pub sizes: Sizes,
    /// The added latency of the latency group, in milliseconds.
    pub latency_ms: u64,
    /// Every case of every round.
    pub records: Vec<Record>,
}

/// One group: the fake it needs and the cases run against it.
struct Group {
    /// What the group measures.
    kind: GroupKind,
    /// The users the fake holds.
    fake_users: usize,
    /// How they are named.
    population: Population,
    /// Latency the fake adds to every request.
    latency_ms: u64,
    /// The modes and scenarios run against the fake, in each round.
    cases: Vec<(Mode, Scenario)>,
}

/// Runs the benchmark the options ask for and prints its report.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    if args.build {
        let repo = match &args.repo {
            Some(repo) => repo.clone(),
            None => workspace_root()?,
        };
        let figures = compile::measure(&repo, args.runs.unwrap_or(3))?;
        let markdown = report::build_markdown(&figures);
        println!("{markdown}");
        if let Some(path) = &args.update {
            report::update_section(path, report::BUILD_SECTION, &markdown)?;
        }
        return Ok(());
    }

    let mut sizes = if args.smoke {
        Sizes::SMOKE
    } else {
        Sizes::FULL
    };
    if let Some(runs) = args.runs {
        ensure!(runs >= 1, "--runs must be at least 1");
        sizes.runs = runs;
    }
    let exe = std::env::current_exe().context("finding this program's path")?;
    let groups = groups(&sizes)
        .into_iter()
        .filter(|group| args.only.is_empty() || args.only.contains(&group.kind))
        .collect::<Vec<_>>();

    let mut records = Vec::new();
    for group in &groups {
        records.extend(run_group(&exe, group, &sizes)?);
    }
    let results = Results {
        smoke: args.smoke,
        sizes,
        latency_ms: sizes.latency_ms,
        records,
    };

    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&results)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    let markdown = report::results_markdown(&results);
    println!("{markdown}");
    if let Some(path) = &args.update {
        report::update_section(path, report::RESULTS_SECTION, &markdown)?;
    }
    Ok(())
}

/// The groups and their cases, at these sizes.
fn groups(sizes: &Sizes) -> Vec<Group> {
    use Scenario::{Collect, List, Lookup};
    let numbered = |kind, fake_users, latency_ms, cases| Group {
        kind,
        fake_users,
        population: Population::Numbered,
        latency_ms,
        cases,
    };
    let memory_cases = vec![
        (Mode::floor(1), List),
        (Mode::Raw, List),
        (Mode::ours(1), List),
        (Mode::Raw, Collect),
        (Mode::ours(1), Collect),
    ];
    vec![
        numbered(
            GroupKind::Throughput,
            sizes.throughput_users,
            0,
            vec![
                (Mode::floor(1), List),
                (Mode::Raw, List),
                (Mode::ours(1), List),
                (Mode::floor(4), List),
                (Mode::ours(4), List),
            ],
        ),
        numbered(
            GroupKind::Latency,
            sizes.latency_users,
            sizes.latency_ms,
            vec![
                (Mode::floor(1), List),
                (Mode::Raw, List),
                (Mode::ours(1), List),
                (Mode::floor(4), List),
                (Mode::ours(4), List),
                (Mode::floor(8), List),
                (Mode::ours(8), List),
            ],
        ),
        numbered(
            GroupKind::Memory,
            sizes.memory_small,
            0,
            memory_cases.clone(),
        ),
        numbered(GroupKind::Memory, sizes.memory_large, 0, memory_cases),
        Group {
            kind: GroupKind::Lookup,
            fake_users: sizes.lookup_users,
            population: Population::Bobs,
            latency_ms: 0,
            cases: vec![
                (Mode::floor(1), Lookup),
                (Mode::Raw, Lookup),
                (Mode::ours(1), Lookup),
            ],
        },
    ]
}

/// Starts the group's fake and runs every case in every round against it.
fn run_group(exe: &Path, group: &Group, sizes: &Sizes) -> anyhow::Result<Vec<Record>> {
    let population = match group.population {
        Population::Numbered => "numbered",
        Population::Bobs => "bobs",
    };
    let mut fake = Fake::start(
        exe,
        &[
            format!("--users={}", group.fake_users),
            format!("--population={population}"),
            format!("--latency-ms={}", group.latency_ms),
        ],
    )?;
    eprintln!(
        "{:?}: {} users at {} ({} ms added), {} cases × {} rounds",
        group.kind,
        group.fake_users,
        fake.url(),
        group.latency_ms,
        group.cases.len(),
        sizes.runs
    );

    let mut records = Vec::new();
    for round in 0..sizes.runs {
        for index in 0..group.cases.len() {
            let (mode, scenario) = group.cases[(index + round) % group.cases.len()];
            let case = Case {
                mode: mode.to_string(),
                scenario,
                fake_users: group.fake_users,
            };
            fake.reset()?;
            let outcome =
                process::run_client(exe, &client_args(&fake, &case, sizes), CLIENT_DEADLINE)?;
            let stats = fake.stats()?;
            check(&case, &outcome, &stats, sizes)
                .with_context(|| format!("{:?} {} {:?}", group.kind, case.mode, scenario))?;
            eprintln!(
                "  round {round}: {:<16} {:<8} {:>9.1} ms wall {:>8.1} ms CPU {:>7} KiB peak",
                case.mode,
                format!("{scenario:?}"),
                outcome.wall_ms,
                outcome.cpu_ms,
                outcome.peak_rss_kib
            );
            records.push(Record {
                group: group.kind,
                case,
                round,
                outcome,
                fake: stats,
            });
        }
    }
    Ok(records)
}

/// The arguments of `harbor-bench client` for `case`.
fn client_args(fake: &Fake, case: &Case, sizes: &Sizes) -> Vec<OsString> {
    let scenario = match case.scenario {
        Scenario::List => "list",
        Scenario::Collect => "collect",
        Scenario::Lookup => "lookup",
    };
    [
        format!("--url={}", fake.url()),
        format!("--mode={}", case.mode),
        format!("--scenario={scenario}"),
        format!("--page-size={PAGE_SIZE}"),
        format!("--lookups={}", sizes.lookups),
        "--username=bob".to_owned(),
    ]
    .into_iter()
    .map(OsString::from)
    .collect()
}

/// The pages a listing of `users` takes at [`PAGE_SIZE`]: at least one, since even an
/// empty listing asks once.
pub fn pages_for(users: usize) -> u64 {
    (users as u64).div_ceil(PAGE_SIZE).max(1)
}

/// Refuses an outcome whose counts disagree with the fake's.
fn check(case: &Case, outcome: &Outcome, stats: &FakeStats, sizes: &Sizes) -> anyhow::Result<()> {
    ensure!(
        outcome.mode == case.mode && outcome.scenario == case.scenario,
        "the client ran {} {:?}, not the case asked for",
        outcome.mode,
        outcome.scenario
    );
    if let Some(requests) = outcome.requests {
        ensure!(
            requests == stats.requests,
            "the client counted {requests} requests, the fake {}",
            stats.requests
        );
    }
    match case.scenario {
        Scenario::List | Scenario::Collect => {
            let pages = pages_for(case.fake_users);
            ensure!(
                outcome.users == case.fake_users as u64,
                "listed {} users of {}",
                outcome.users,
                case.fake_users
            );
            ensure!(
                stats.list_users == pages && stats.requests == pages,
                "{} requests ({} listings) for {pages} pages",
                stats.requests,
                stats.list_users
            );
        }
        Scenario::Lookup => {
            ensure!(
                outcome.users == sizes.lookups,
                "{} of {} lookups found the user",
                outcome.users,
                sizes.lookups
            );
            ensure!(
                stats.get_user == sizes.lookups,
                "{} reads by id for {} lookups",
                stats.get_user,
                sizes.lookups
            );
            if stats.requests != stats.search_users + stats.get_user {
                bail!("lookups made requests other than search and get: {stats:?}");
            }
        }
    }
    Ok(())
}

/// The workspace this program was built from.
fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("harbor-bench's manifest has no parent folder")
}
