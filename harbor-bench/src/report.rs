//! Turns measurements into Markdown: medians with their min–max, ratios to the baselines
//! of the same run, and the targets met or missed.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::client::{Mode, Scenario};
use crate::compile::{Build, BuildFigures};
use crate::run::{GroupKind, Record, Results, pages_for};

/// The name of the section `run` rewrites.
pub const RESULTS_SECTION: &str = "results";

/// The name of the section `run --build` rewrites.
pub const BUILD_SECTION: &str = "build";

/// Throughput target: CPU time per user of `ours` at most this times `raw`'s.
const CPU_PER_USER_VS_RAW: f64 = 1.15;
/// Latency target: wall time of `ours-prefetch-8` at most this times the ideal.
const PREFETCH_WALL_VS_IDEAL: f64 = 1.3;
/// Memory target: peak RSS streaming the large listing at most this times the small one's.
const STREAMING_RSS_GROWTH: f64 = 1.1;
/// Lookup target: requests per lookup when the name is on the first search page.
const LOOKUP_REQUESTS: f64 = 2.0;
/// Build target: seconds for a cold build.
const COLD_BUILD_SECONDS: f64 = 60.0;
/// Build target: seconds for a rebuild after a one-line spec edit.
const SPEC_EDIT_SECONDS: f64 = 15.0;

/// A median with the smallest and largest value it was taken from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, or `None` when there are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        let (min, max) = (*values.first()?, *values.last()?);
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 {
            values[middle]
        } else {
            (values[middle - 1] + values[middle]) / 2.0
        };
        Some(Self { median, min, max })
    }

    /// A single value.
    fn exact(value: f64) -> Self {
        Self {
            median: value,
            min: value,
            max: value,
        }
    }

    /// `median (min–max)` with `decimals` decimals; the range only when it is one.
    /// Whole numbers of 1,000 and more are grouped by thousands.
    fn show(&self, decimals: usize) -> String {
        let one = |value: f64| {
            if decimals == 0 && value.is_finite() && value.abs() >= 1000.0 {
                let sign = if value < 0.0 { "-" } else { "" };
                format!("{sign}{}", grouped(value.abs().round() as usize))
            } else {
                format!("{value:.decimals$}")
            }
        };
        if self.min == self.max {
            return one(self.median);
        }
        format!("{} ({}–{})", one(self.median), one(self.min), one(self.max))
    }
}

/// The records of one case: a mode and scenario against a fake of one size.
struct CaseRecords<'a> {
    /// How the client called Harbor.
    mode: Mode,
    /// What it did.
    scenario: Scenario,
    /// The users the fake held.
    fake_users: usize,
    /// One record per round.
    records: Vec<&'a Record>,
}

impl CaseRecords<'_> {
    /// The spread of `value` over the rounds.
    fn spread(&self, value: impl Fn(&Record) -> f64) -> Spread {
        Spread::of(self.records.iter().map(|record| value(record)))
            .unwrap_or(Spread::exact(f64::NAN))
    }

    /// Wall time, in milliseconds.
    fn wall_ms(&self) -> Spread {
        self.spread(|record| record.outcome.wall_ms)
    }

    /// Peak RSS, in MiB.
    fn peak_mib(&self) -> Spread {
        self.spread(|record| record.outcome.peak_rss_kib as f64 / 1024.0)
    }

    /// Users listed per second of wall time.
    fn users_per_second(&self) -> Spread {
        self.spread(|record| record.outcome.users as f64 / (record.outcome.wall_ms / 1000.0))
    }

    /// CPU time per user, in microseconds.
    fn cpu_us_per_user(&self) -> Spread {
        self.spread(|record| record.outcome.cpu_ms * 1000.0 / record.outcome.users.max(1) as f64)
    }

    /// Requests the fake counted.
    fn requests(&self) -> Spread {
        self.spread(|record| record.fake.requests as f64)
    }
}

/// The cases of `group`, in the order they were first run.
fn cases(results: &Results, group: GroupKind) -> Vec<CaseRecords<'_>> {
    let mut cases: Vec<CaseRecords<'_>> = Vec::new();
    for record in results
        .records
        .iter()
        .filter(|record| record.group == group)
    {
        let Ok(mode) = record.case.mode.parse::<Mode>() else {
            continue;
        };
        let same = |case: &&mut CaseRecords<'_>| {
            case.mode == mode
                && case.scenario == record.case.scenario
                && case.fake_users == record.case.fake_users
        };
        match cases.iter_mut().find(same) {
            Some(case) => case.records.push(record),
            None => cases.push(CaseRecords {
                mode,
                scenario: record.case.scenario,
                fake_users: record.case.fake_users,
                records: vec![record],
            }),
        }
    }
    cases
}

/// The case of `mode` and `scenario` (against a fake of `fake_users`, if given).
fn find<'a, 'b>(
    cases: &'a [CaseRecords<'b>],
    mode: Mode,
    scenario: Scenario,
    fake_users: Option<usize>,
) -> Option<&'a CaseRecords<'b>> {
    cases.iter().find(|case| {
        case.mode == mode
            && case.scenario == scenario
            && fake_users.is_none_or(|users| case.fake_users == users)
    })
}

/// `numerator ÷ denominator` as `1.23×`, or `–` when there is nothing to divide.
fn ratio(numerator: f64, denominator: f64) -> String {
    if denominator > 0.0 && numerator.is_finite() {
        format!("{:.2}×", numerator / denominator)
    } else {
        "–".to_owned()
    }
}

/// A whole number with thousands separators: `100,000`.
fn grouped(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The report of a `run`.
pub fn results_markdown(results: &Results) -> String {
    let sizes = &results.sizes;
    let mut out = String::new();
    let command = if results.smoke {
        "cargo run --release -p harbor-bench -- run --smoke"
    } else {
        "cargo run --release -p harbor-bench -- run"
    };
    let _ = writeln!(out, "Command: `{command}`. {}", machine_line());
    let _ = writeln!(
        out,
        "Each figure is the median of {} round(s), with min–max in brackets. Ratios divide \
         medians taken in the same run.",
        sizes.runs
    );
    if results.smoke {
        let _ = writeln!(
            out,
            "\n**Smoke sizes**: these figures only show that the runner works."
        );
    }

    let mut verdicts = Vec::new();
    throughput_section(&mut out, results, &mut verdicts);
    latency_section(&mut out, results, &mut verdicts);
    memory_section(&mut out, results, &mut verdicts);
    lookup_section(&mut out, results, &mut verdicts);

    if !verdicts.is_empty() {
        let _ = writeln!(out, "\n#### Targets\n");
        let _ = writeln!(out, "| target | measured | met |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for (target, measured, met) in verdicts {
            let _ = writeln!(
                out,
                "| {target} | {measured} | {} |",
                if met { "yes" } else { "**no**" }
            );
        }
    }
    out
}

/// Targets as (what, measured, met), gathered for the closing table.
type Verdicts = Vec<(String, String, bool)>;

/// The throughput table: users per second, CPU per user and their ratios.
fn throughput_section(out: &mut String, results: &Results, verdicts: &mut Verdicts) {
    let cases = cases(results, GroupKind::Throughput);
    let Some(users) = cases.first().map(|case| case.fake_users) else {
        return;
    };
    let _ = writeln!(
        out,
        "\n#### Throughput: {} users, page size 100, no added latency\n",
        grouped(users)
    );
    let _ = writeln!(
        out,
        "| mode | users/s | CPU µs per user | CPU per user ÷ raw | ÷ floor | wall ÷ floor | \
         requests | peak RSS MiB |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    let floor = find(&cases, Mode::floor(1), Scenario::List, None);
    let raw = find(&cases, Mode::Raw, Scenario::List, None);
    let floor_cpu = floor.map_or(f64::NAN, |floor| floor.cpu_us_per_user().median);
    let raw_cpu = raw.map_or(f64::NAN, |raw| raw.cpu_us_per_user().median);
    let floor_wall = floor.map_or(f64::NAN, |floor| floor.wall_ms().median);
    for case in &cases {
        let cpu = case.cpu_us_per_user();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            case.mode,
            case.users_per_second().show(0),
            cpu.show(2),
            ratio(cpu.median, raw_cpu),
            ratio(cpu.median, floor_cpu),
            ratio(case.wall_ms().median, floor_wall),
            case.requests().show(0),
            case.peak_mib().show(1),
        );
    }
    if let Some(ours) = find(&cases, Mode::ours(1), Scenario::List, None) {
        let measured = ours.cpu_us_per_user().median / raw_cpu;
        verdicts.push((
            format!("throughput: CPU per user of `ours` ≤ {CPU_PER_USER_VS_RAW}× `raw`"),
            format!(
                "{measured:.2}× (`floor`: {})",
                ratio(ours.cpu_us_per_user().median, floor_cpu)
            ),
            measured <= CPU_PER_USER_VS_RAW,
        ));
    }
}

/// The latency table: wall time against the ideal, against the bound for a client that
/// must read page 1 before it knows how many pages follow, and against the floor.
fn latency_section(out: &mut String, results: &Results, verdicts: &mut Verdicts) {
    let cases = cases(results, GroupKind::Latency);
    let Some(users) = cases.first().map(|case| case.fake_users) else {
        return;
    };
    let latency = results.latency_ms as f64;
    let pages = pages_for(users);
    let ideal = |concurrency: usize| pages as f64 * latency / concurrency as f64;
    let bound = |concurrency: usize| {
        let waves = 1 + (pages - 1).div_ceil(concurrency as u64);
        waves as f64 * latency
    };
    let _ = writeln!(
        out,
        "\n#### Latency hiding: {} users ({pages} pages), {} ms added per request\n",
        grouped(users),
        results.latency_ms
    );
    let _ = writeln!(
        out,
        "The ideal is pages × latency ÷ requests in flight. No client can reach it: the total \
         comes with page 1, so page 1 is read alone and the other pages follow in waves of \
         as many requests as are in flight; the bound is (1 + ⌈(pages − 1) ÷ in flight⌉) × \
         latency.\n"
    );
    let _ = writeln!(
        out,
        "| mode | in flight | wall ms | ideal ms | wall ÷ ideal | bound ms | wall ÷ bound | \
         wall ÷ floor at the same concurrency |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    let decimals = |value: f64| if value < 100.0 { 1 } else { 0 };
    for case in &cases {
        let concurrency = case.mode.concurrency();
        let (ideal, bound) = (ideal(concurrency), bound(concurrency));
        let wall = case.wall_ms();
        let floor = find(&cases, Mode::floor(concurrency), Scenario::List, None)
            .map_or(f64::NAN, |floor| floor.wall_ms().median);
        let _ = writeln!(
            out,
            "| {} | {concurrency} | {} | {} | {} | {} | {} | {} |",
            case.mode,
            wall.show(0),
            Spread::exact(ideal).show(decimals(ideal)),
            ratio(wall.median, ideal),
            Spread::exact(bound).show(decimals(bound)),
            ratio(wall.median, bound),
            ratio(wall.median, floor),
        );
    }
    if let Some(ours) = find(&cases, Mode::ours(8), Scenario::List, None) {
        let wall = ours.wall_ms().median;
        let measured = wall / ideal(8);
        let floor = find(&cases, Mode::floor(8), Scenario::List, None)
            .map_or("–".to_owned(), |floor| {
                ratio(floor.wall_ms().median, ideal(8))
            });
        verdicts.push((
            format!("latency: `ours-prefetch-8` wall ≤ {PREFETCH_WALL_VS_IDEAL}× ideal"),
            format!(
                "{measured:.2}× ({wall:.0} ms for {:.0} ms; `floor-prefetch-8`: {floor}; \
                 the bound: {})",
                ideal(8),
                ratio(bound(8), ideal(8)),
            ),
            measured <= PREFETCH_WALL_VS_IDEAL,
        ));
    }
}

/// The memory table: peak RSS for the small and the large listing, side by side.
fn memory_section(out: &mut String, results: &Results, verdicts: &mut Verdicts) {
    let cases = cases(results, GroupKind::Memory);
    let mut sizes: Vec<usize> = cases.iter().map(|case| case.fake_users).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let (Some(&small), Some(&large)) = (sizes.first(), sizes.last()) else {
        return;
    };
    let _ = writeln!(
        out,
        "\n#### Memory: peak RSS of the client process, {} vs {} users\n",
        grouped(small),
        grouped(large)
    );
    let _ = writeln!(
        out,
        "| mode | what | peak MiB, {} | peak MiB, {} | growth | RSS MiB before listing |",
        grouped(small),
        grouped(large)
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
    for case in cases.iter().filter(|case| case.fake_users == small) {
        let what = match case.scenario {
            Scenario::Collect => "collected into a `Vec`",
            Scenario::List | Scenario::Lookup => "streamed",
        };
        let large_case = find(&cases, case.mode, case.scenario, Some(large));
        let large_peak = large_case.map(CaseRecords::peak_mib);
        let start = case.spread(|record| record.outcome.start_rss_kib as f64 / 1024.0);
        let _ = writeln!(
            out,
            "| {} | {what} | {} | {} | {} | {} |",
            case.mode,
            case.peak_mib().show(1),
            large_peak.map_or("–".to_owned(), |peak| peak.show(1)),
            ratio(
                large_peak.map_or(f64::NAN, |peak| peak.median),
                case.peak_mib().median
            ),
            start.show(1),
        );
    }
    let small_ours = find(&cases, Mode::ours(1), Scenario::List, Some(small));
    let large_ours = find(&cases, Mode::ours(1), Scenario::List, Some(large));
    if let (Some(small_ours), Some(large_ours)) = (small_ours, large_ours) {
        let measured = large_ours.peak_mib().median / small_ours.peak_mib().median;
        verdicts.push((
            format!(
                "memory: streaming {} users peaks ≤ {STREAMING_RSS_GROWTH}× streaming {}",
                grouped(large),
                grouped(small)
            ),
            format!(
                "{measured:.2}× ({:.1} MiB vs {:.1} MiB)",
                large_ours.peak_mib().median,
                small_ours.peak_mib().median
            ),
            measured <= STREAMING_RSS_GROWTH,
        ));
    }
}

/// The lookup table: requests and wall time per lookup.
fn lookup_section(out: &mut String, results: &Results, verdicts: &mut Verdicts) {
    let cases = cases(results, GroupKind::Lookup);
    let Some(users) = cases.first().map(|case| case.fake_users) else {
        return;
    };
    let lookups = results.sizes.lookups.max(1) as f64;
    let _ = writeln!(
        out,
        "\n#### Lookup: `bob` among {} users that all contain `bob`, {} lookups per process\n",
        grouped(users),
        results.sizes.lookups
    );
    let _ = writeln!(
        out,
        "| mode | requests per lookup | of which searches | ms per lookup | ÷ floor |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    let per_lookup = |case: &CaseRecords<'_>| case.spread(|r| r.outcome.wall_ms / lookups);
    let floor = find(&cases, Mode::floor(1), Scenario::Lookup, None)
        .map_or(f64::NAN, |floor| per_lookup(floor).median);
    for case in &cases {
        let requests = case.spread(|r| r.fake.requests as f64 / lookups);
        let searches = case.spread(|r| r.fake.search_users as f64 / lookups);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            case.mode,
            requests.show(1),
            searches.show(1),
            per_lookup(case).show(2),
            ratio(per_lookup(case).median, floor),
        );
    }
    if let Some(ours) = find(&cases, Mode::ours(1), Scenario::Lookup, None) {
        let requests = ours.spread(|r| r.fake.requests as f64 / lookups);
        verdicts.push((
            "lookup: 2 requests when the name is on the first search page".to_owned(),
            format!(
                "{:.1} requests (largest {:.1})",
                requests.median, requests.max
            ),
            requests.max <= LOOKUP_REQUESTS,
        ));
    }
}

/// The report of `run --build`.
pub fn build_markdown(figures: &BuildFigures) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Command: `cargo run --release -p harbor-bench -- run --build`. {}",
        machine_line()
    );
    let _ = writeln!(
        out,
        "`cargo build -p harbor-users` (dev profile, {}) in a copy of the {} tracked files, \
         {} round(s), each from an empty `CARGO_TARGET_DIR`. Each figure is the median, with \
         min–max in brackets. CPU is that of cargo and every compiler it ran; on 2 cores a \
         build takes at least half of it.\n",
        figures.cargo_version,
        figures.files,
        figures.cold.len()
    );
    let _ = writeln!(out, "| build | wall s | CPU s | target | met |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    let spread = |builds: &[Build], value: fn(&Build) -> Duration| {
        Spread::of(builds.iter().map(|build| value(build).as_secs_f64()))
            .unwrap_or(Spread::exact(f64::NAN))
    };
    let rows = [
        ("cold", &figures.cold, Some(COLD_BUILD_SECONDS)),
        (
            "after a one-line edit of `spec/harbor-api-v2.0.json`",
            &figures.spec_edit,
            Some(SPEC_EDIT_SECONDS),
        ),
        (
            "after a one-line edit of `harbor-users/src/lib.rs`",
            &figures.source_edit,
            None,
        ),
        ("nothing changed", &figures.noop, None),
    ];
    for (build, builds, target) in rows {
        let wall = spread(builds, |build| build.wall);
        let cpu = spread(builds, |build| build.cpu);
        let (target, met) = match target {
            Some(limit) => (
                format!("≤ {limit:.0} s"),
                if wall.median <= limit {
                    "yes"
                } else {
                    "**no**"
                },
            ),
            None => ("–".to_owned(), "–"),
        };
        let _ = writeln!(
            out,
            "| {build} | {} | {} | {target} | {met} |",
            wall.show(1),
            cpu.show(1)
        );
    }
    out
}

/// The machine and how busy it was, in one sentence.
fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "an unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|load| load.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    format!("Machine: {cores} cores of {cpu}; load average {load} at the end.")
}

/// Replaces the text between `<!-- harbor-bench:NAME:begin -->` and
/// `<!-- harbor-bench:NAME:end -->` in the file at `path` with `markdown`.
pub fn update_section(path: &Path, name: &str, markdown: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {} to update it", path.display()))?;
    let begin = format!("<!-- harbor-bench:{name}:begin -->");
    let end = format!("<!-- harbor-bench:{name}:end -->");
    let (Some(start), Some(stop)) = (text.find(&begin), text.find(&end)) else {
        bail!(
            "{} has no `{begin}` … `{end}` markers to put the {name} between",
            path.display()
        );
    };
    if stop < start {
        bail!("{}: `{end}` comes before `{begin}`", path.display());
    }
    let updated = format!(
        "{}{begin}\n{}\n{}",
        &text[..start],
        markdown.trim_end(),
        &text[stop..]
    );
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_take_the_middle_value_or_the_mean_of_the_middle_two() {
        let odd = Spread::of([5.0, 1.0, 3.0]);
        assert_eq!(
            odd,
            Some(Spread {
                median: 3.0,
                min: 1.0,
                max: 5.0
            })
        );
        assert_eq!(
            Spread::of([4.0, 1.0, 2.0, 3.0]).map(|s| s.median),
            Some(2.5)
        );
        assert_eq!(Spread::of([]), None);
    }

    #[test]
    fn spreads_show_their_range_and_group_whole_thousands() {
        let spread = Spread::of([455_133.2, 239_921.0, 468_571.0]);
        assert_eq!(
            spread.map(|s| s.show(0)).as_deref(),
            Some("455,133 (239,921–468,571)")
        );
        assert_eq!(Spread::exact(2.5).show(1), "2.5");
        assert_eq!(Spread::exact(250.0).show(0), "250");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
