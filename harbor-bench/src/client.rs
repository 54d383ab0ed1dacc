//! The `client` subcommand: one scenario, one way of calling Harbor, in this process.
//!
//! Each mode lists the same pages from the same fake:
//!
//! * `floor`: a plain `reqwest` loop that reads every body and decodes nothing (it counts
//!   the `{` bytes of a page to know how many users it held). No client can list faster.
//! * `raw`: the generated `harbor-openapi` client, page by page, decoding into its types.
//! * `ours`: the `harbor-users` stream, which adds retries, request ids, tracing spans,
//!   typed errors, a body cap and the dedup of items repeated across pages.
//!
//! `-prefetch-N` keeps N page requests in flight once the first page has told the total.
//!
//! Every mode runs on a current-thread tokio runtime, so that the CPU time measured is the
//! client's work and not the cost of handing wake-ups between worker threads.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use harbor_users::HarborClient;
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::measure;

/// The admin account every mode signs in with.
const ADMIN: &str = "admin";

/// Options of the `client` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// The fake's URL, as its first line of output gives it (`http://127.0.0.1:PORT`).
    #[arg(long)]
    pub url: String,
    /// How to call Harbor: `floor`, `floor-prefetch-N`, `raw`, `ours` or `ours-prefetch-N`.
    #[arg(long)]
    pub mode: Mode,
    /// What to do.
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    /// Users per request.
    #[arg(long, default_value_t = 100)]
    pub page_size: u64,
    /// The username to look up (`lookup` only).
    #[arg(long, default_value = "bob")]
    pub username: String,
    /// How many lookups to make one after the other (`lookup` only).
    #[arg(long, default_value_t = 10)]
    pub lookups: u64,
    /// The most pages the `floor` and `raw` loops request before giving up.
    #[arg(long, default_value_t = 10_000)]
    pub max_pages: u64,
}

/// How the client calls Harbor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Plain `reqwest`, bytes only, `concurrency` pages in flight after the first.
    Floor {
        /// Page requests in flight at once.
        concurrency: usize,
    },
    /// The generated `harbor-openapi` client, one page after the other.
    Raw,
    /// `harbor-users` streams with `.concurrency(concurrency)`.
    Ours {
        /// Page requests in flight at once.
        concurrency: usize,
    },
}

impl Mode {
    /// `floor` or `floor-prefetch-N`.
    pub const fn floor(concurrency: usize) -> Self {
        Mode::Floor { concurrency }
    }

    /// `ours` or `ours-prefetch-N`.
    pub const fn ours(concurrency: usize) -> Self {
        Mode::Ours { concurrency }
    }

    /// Page requests in flight at once.
    pub fn concurrency(self) -> usize {
        match self {
            Mode::Floor { concurrency } | Mode::Ours { concurrency } => concurrency,
            Mode::Raw => 1,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Mode::Floor { concurrency: 1 } => f.write_str("floor"),
            Mode::Floor { concurrency } => write!(f, "floor-prefetch-{concurrency}"),
            Mode::Raw => f.write_str("raw"),
            Mode::Ours { concurrency: 1 } => f.write_str("ours"),
            Mode::Ours { concurrency } => write!(f, "ours-prefetch-{concurrency}"),
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let prefetch = |rest: &str| -> Result<usize, String> {
            match rest.parse::<usize>() {
                Ok(concurrency) if concurrency >= 1 => Ok(concurrency),
                _ => Err(format!(
                    "{text:?}: N in -prefetch-N must be a whole number from 1"
                )),
            }
        };
        match text {
            "floor" => Ok(Mode::floor(1)),
            "raw" => Ok(Mode::Raw),
            "ours" => Ok(Mode::ours(1)),
            _ => {
                if let Some(rest) = text.strip_prefix("floor-prefetch-") {
                    prefetch(rest).map(Mode::floor)
                } else if let Some(rest) = text.strip_prefix("ours-prefetch-") {
                    prefetch(rest).map(Mode::ours)
                } else {
                    Err(format!(
                        "unknown mode {text:?}; expected floor, floor-prefetch-N, raw, ours \
                         or ours-prefetch-N"
                    ))
                }
            }
        }
    }
}

/// What the client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Lists every user, dropping each as it comes.
    List,
    /// Lists every user into a `Vec` that lives to the end.
    Collect,
    /// Looks one username up, exactly, several times.
    Lookup,
}

/// One JSON line on stdout: what a client process did and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The mode, as given.
    pub mode: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Users listed, or lookups that found the right user.
    pub users: u64,
    /// Requests this client made, where it sees each one (`floor` and `raw`); the fake's
    /// counters are the reference.
    pub requests: Option<u64>,
    /// Wall time of the scenario, client set-up excluded, in milliseconds.
    pub wall_ms: f64,
    /// User plus system CPU time of the process during the scenario, in milliseconds.
    pub cpu_ms: f64,
    /// Resident set before the scenario, in KiB.
    pub start_rss_kib: u64,
    /// The process's peak resident set (`VmHWM`) at the end, in KiB.
    pub peak_rss_kib: u64,
}

/// What a scenario counted.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    /// Users listed, or lookups that found the user.
    users: u64,
    /// Requests made, where the mode sees each one.
    requests: Option<u64>,
}

/// Runs one scenario and prints its [`Outcome`] as one JSON line.
pub fn run(args: &ClientArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the client's runtime")?;
    let outcome = runtime.block_on(measure_scenario(args))?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

/// Sets up the mode's client, then runs the scenario between two readings of the
/// process's CPU time and memory.
async fn measure_scenario(args: &ClientArgs) -> anyhow::Result<Outcome> {
    ensure!(
        (1..=100).contains(&args.page_size),
        "--page-size must be 1 to 100"
    );
    let api_url = format!("{}/api/v2.0", args.url.trim_end_matches('/'));
    let callers = Callers::new(args)?;

    let start_rss_kib = measure::rss_kib()?;
    let cpu_before = measure::cpu_time()?;
    let started = Instant::now();
    let counts = match args.scenario {
        Scenario::List | Scenario::Collect => list(&callers, &api_url, args).await?,
        Scenario::Lookup => lookup(&callers, &api_url, args).await?,
    };
    let wall = started.elapsed();
    let cpu = measure::cpu_time()?.saturating_sub(cpu_before);

    Ok(Outcome {
        mode: args.mode.to_string(),
        scenario: args.scenario,
        users: counts.users,
        requests: counts.requests,
        wall_ms: millis(wall),
        cpu_ms: millis(cpu),
        start_rss_kib,
        peak_rss_kib: measure::peak_rss_kib()?,
    })
}

/// The HTTP clients of each mode, built before anything is timed.
struct Callers {
    /// Plain `reqwest`, sending the admin's Basic credentials on every request.
    http: reqwest::Client,
    /// The generated client over `http`.
    raw: harbor_openapi::Client,
    /// This workspace's client.
    ours: HarborClient,
}

impl Callers {
    /// Builds all three, sending the fake's admin credentials. Every mode builds all
    /// three, so that every client process starts from the same memory.
    fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        harbor_openapi::install_crypto_provider();
        let password = harbor_fake::DEFAULT_ADMIN_PASSWORD;
        let mut headers = HeaderMap::new();
        let mut authorization = HeaderValue::try_from(basic_authorization(ADMIN, password))
            .context("building the Authorization header")?;
        authorization.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, authorization);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .context("building the reqwest client")?;
        let api_url = format!("{}/api/v2.0", args.url.trim_end_matches('/'));
        let raw = harbor_openapi::Client::new_with_client(
            &api_url,
            http.clone(),
            harbor_openapi::Hooks::default(),
        );
        let ours = HarborClient::builder(&args.url)
            .basic_auth(ADMIN, password)
            .build()
            .context("building the harbor-users client")?;
        Ok(Self { http, raw, ours })
    }
}

/// Lists every user in `args.mode`, keeping them when the scenario is `collect`.
async fn list(callers: &Callers, api_url: &str, args: &ClientArgs) -> anyhow::Result<Counts> {
    let keep = args.scenario == Scenario::Collect;
    match args.mode {
        Mode::Floor { concurrency } => floor_list(callers, api_url, args, concurrency, keep).await,
        Mode::Raw => raw_list(callers, args, keep).await,
        Mode::Ours { concurrency } => {
            let listing = callers
                .ours
                .get_users()
                .page_size(args.page_size)
                .concurrency(concurrency);
            let users = if keep {
                let users = listing.collect().await?;
                std::hint::black_box(&users);
                users.len() as u64
            } else {
                let mut stream = listing.stream();
                let mut users = 0;
                while let Some(user) = stream.try_next().await? {
                    std::hint::black_box(&user);
                    users += 1;
                }
                users
            };
            Ok(Counts {
                users,
                requests: None,
            })
        }
    }
}

/// One page as the floor sees it: the body, unread by anything else, and the total.
struct FloorPage {
    /// The body, or the error that cut it short.
    body: reqwest::Result<Bytes>,
    /// `X-Total-Count`, when readable.
    total: Option<u64>,
}

/// Fetches one page with plain `reqwest`.
async fn floor_page(
    http: &reqwest::Client,
    api_url: &str,
    page: u64,
    page_size: u64,
) -> anyhow::Result<FloorPage> {
    let response = http
        .get(format!("{api_url}/users?page={page}&page_size={page_size}"))
        .send()
        .await?
        .error_for_status()?;
    let total = response
        .headers()
        .get("x-total-count")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let body = response.bytes().await;
    Ok(FloorPage { body, total })
}

/// The floor: page 1 for the total, then the other pages, `concurrency` at a time and
/// in order, counting users by the `{` of each object.
async fn floor_list(
    callers: &Callers,
    api_url: &str,
    args: &ClientArgs,
    concurrency: usize,
    keep: bool,
) -> anyhow::Result<Counts> {
    let page_size = args.page_size;
    let first = floor_page(&callers.http, api_url, 1, page_size).await?;
    let total = first
        .total
        .context("the first page has no readable X-Total-Count")?;
    let pages = total.div_ceil(page_size).max(1);
    ensure!(
        pages <= args.max_pages,
        "{total} users need {pages} pages, more than --max-pages {}",
        args.max_pages
    );

    let mut kept = Vec::new();
    let mut users = 0;
    let mut absorb = |page: FloorPage| -> anyhow::Result<()> {
        let body = page.body?;
        users += body.iter().filter(|byte| **byte == b'{').count() as u64;
        if keep {
            kept.push(body);
        }
        Ok(())
    };
    absorb(first)?;
    let mut rest = futures::stream::iter(2..=pages)
        .map(|page| floor_page(&callers.http, api_url, page, page_size))
        .buffered(concurrency);
    while let Some(page) = rest.next().await {
        absorb(page?)?;
    }
    std::hint::black_box(&kept);
    Ok(Counts {
        users,
        requests: Some(pages),
    })
}

/// The generated client, one page after the other, decoding each page.
async fn raw_list(callers: &Callers, args: &ClientArgs, keep: bool) -> anyhow::Result<Counts> {
    let page_size = args.page_size;
    let mut kept = Vec::new();
    let mut users = 0;
    let mut pages = 1;
    let mut page = 1;
    while page <= pages {
        let response = callers
            .raw
            .list_users()
            .page(page)
            .page_size(page_size)
            .send()
            .await
            .with_context(|| format!("listing page {page} with the generated client"))?;
        if page == 1 {
            let total: u64 = response
                .headers()
                .get("x-total-count")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse().ok())
                .context("the first page has no readable X-Total-Count")?;
            pages = total.div_ceil(page_size).max(1);
            ensure!(
                pages <= args.max_pages,
                "{total} users need {pages} pages, more than --max-pages {}",
                args.max_pages
            );
        }
        let items = response.into_inner();
        users += items.len() as u64;
        if keep {
            kept.extend(items);
        } else {
            std::hint::black_box(&items);
        }
        page += 1;
    }
    std::hint::black_box(&kept);
    Ok(Counts {
        users,
        requests: Some(pages),
    })
}

/// A search hit, decoded by the floor only as far as finding the id needs.
#[derive(Deserialize)]
struct Hit {
    /// The user's id.
    user_id: i64,
    /// The login name.
    username: String,
}

/// Looks `args.username` up `args.lookups` times, one after the other.
async fn lookup(callers: &Callers, api_url: &str, args: &ClientArgs) -> anyhow::Result<Counts> {
    let name = args.username.as_str();
    let mut found = 0;
    let mut requests = 0;
    for _ in 0..args.lookups {
        let id = match args.mode {
            Mode::Floor { .. } => {
                let (id, made) = floor_lookup(callers, api_url, args).await?;
                requests += made;
                id
            }
            Mode::Raw => {
                let (id, made) = raw_lookup(callers, args).await?;
                requests += made;
                id
            }
            Mode::Ours { .. } => {
                let user = callers.ours.get_user_by_username(name).await?;
                ensure!(user.username == name, "looked up {name}, got {user:?}");
                user.id.get()
            }
        };
        std::hint::black_box(id);
        found += 1;
    }
    let requests = match args.mode {
        Mode::Ours { .. } => None,
        Mode::Floor { .. } | Mode::Raw => Some(requests),
    };
    Ok(Counts {
        users: found,
        requests,
    })
}

/// Search pages until the exact name shows, then read the user: the id and the number of
/// requests made.
async fn floor_lookup(
    callers: &Callers,
    api_url: &str,
    args: &ClientArgs,
) -> anyhow::Result<(i64, u64)> {
    let name = args.username.as_str();
    let mut requests = 0;
    for page in 1..=args.max_pages {
        let url = format!(
            "{api_url}/users/search?username={name}&page={page}&page_size={}",
            args.page_size
        );
        let body = callers
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        requests += 1;
        let hits: Vec<Hit> = serde_json::from_slice(&body)?;
        if let Some(hit) = hits.iter().find(|hit| hit.username == name) {
            let user = callers
                .http
                .get(format!("{api_url}/users/{}", hit.user_id))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            std::hint::black_box(&user);
            return Ok((hit.user_id, requests + 1));
        }
        if (hits.len() as u64) < args.page_size {
            break;
        }
    }
    bail!("no user named {name:?}")
}

/// The generated client's way to the same answer.
async fn raw_lookup(callers: &Callers, args: &ClientArgs) -> anyhow::Result<(i64, u64)> {
    let name = args.username.as_str();
    let mut requests = 0;
    for page in 1..=args.max_pages {
        let hits = callers
            .raw
            .search_users()
            .username(name)
            .page(page)
            .page_size(args.page_size)
            .send()
            .await
            .context("searching with the generated client")?
            .into_inner();
        requests += 1;
        let found = hits
            .iter()
            .find(|hit| hit.username.as_deref() == Some(name))
            .and_then(|hit| hit.user_id);
        if let Some(id) = found {
            let user = callers
                .raw
                .get_user()
                .user_id(id)
                .send()
                .await
                .context("reading the user with the generated client")?
                .into_inner();
            ensure!(user.username.as_deref() == Some(name), "got {user:?}");
            return Ok((id, requests + 1));
        }
        if (hits.len() as u64) < args.page_size {
            break;
        }
    }
    bail!("no user named {name:?}")
}

/// The value of an `Authorization` header for HTTP Basic.
fn basic_authorization(user: &str, password: &str) -> String {
    let credentials = BASE64_STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {credentials}")
}

/// A duration in milliseconds, with fractions.
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print_the_same_way() {
        for text in [
            "floor",
            "floor-prefetch-4",
            "raw",
            "ours",
            "ours-prefetch-8",
        ] {
            assert_eq!(text.parse::<Mode>().map(|m| m.to_string()), Ok(text.into()));
        }
        assert_eq!("ours-prefetch-1".parse::<Mode>(), Ok(Mode::ours(1)));
        assert!("ours-prefetch-0".parse::<Mode>().is_err());
        assert!("raw-prefetch-2".parse::<Mode>().is_err());
    }

    #[test]
    fn basic_authorization_matches_rfc_7617() {
        // The example of RFC 7617, section 2.
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic_authorization("a", "b"), "Basic YTpi");
        assert_eq!(basic_authorization("ab", "cd"), "Basic YWI6Y2Q=");
    }
}
