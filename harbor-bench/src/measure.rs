//! What a process knows about its own cost, read from `/proc/self` (Linux only).
//!
//! The workspace forbids `unsafe`, so `getrusage` is out of reach. `/proc/self/stat` has the
//! same user and system times, but in clock ticks of 10 ms, too coarse for a client that
//! lists 100,000 users in about a tenth of a second of CPU. The scheduler's own account,
//! `/proc/self/task/*/schedstat`, has nanoseconds (user and system together) for each
//! thread; summing it misses only threads that exit between two readings, and the clients
//! here run on one thread. Builds are long enough for the ticks of `/proc/self/stat`.

use std::time::Duration;

use anyhow::{Context, bail};

/// The CPU time the threads of this process have used so far, user and system together.
pub fn cpu_time() -> anyhow::Result<Duration> {
    let tasks = std::fs::read_dir("/proc/self/task").context("listing /proc/self/task")?;
    let mut total = Duration::ZERO;
    for task in tasks {
        let path = task
            .context("listing /proc/self/task")?
            .path()
            .join("schedstat");
        match std::fs::read_to_string(&path) {
            Ok(schedstat) => total += on_cpu_from_schedstat(&schedstat)?,
            // The thread exited after the listing.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("reading {}", path.display()));
            }
        }
    }
    Ok(total)
}

/// The first field of a `schedstat` line: nanoseconds spent on a CPU.
fn on_cpu_from_schedstat(schedstat: &str) -> anyhow::Result<Duration> {
    let Some(first) = schedstat.split_whitespace().next() else {
        bail!("an empty schedstat");
    };
    let nanos = first
        .parse::<u64>()
        .with_context(|| format!("an unreadable schedstat: {schedstat:?}"))?;
    Ok(Duration::from_nanos(nanos))
}

/// The CPU time, user and system, of this process's children that have ended and been
/// waited for, with theirs in turn: a `cargo build` run from here counts with its `rustc`s.
/// In clock ticks of 10 ms, which is plenty for builds.
pub fn children_cpu_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    children_cpu_from_stat(&stat)
}

/// Linux's `USER_HZ`: clock ticks per second in `/proc`, 100 on every architecture.
const TICKS_PER_SECOND: u64 = 100;

/// `cutime + cstime` from the text of `/proc/<pid>/stat`.
fn children_cpu_from_stat(stat: &str) -> anyhow::Result<Duration> {
    // The command name (field 2) is in parentheses and may hold spaces, so fields are
    // counted from the last `)`: field 3 comes first after it, cutime is 16, cstime 17.
    let Some((_, after_name)) = stat.rsplit_once(')') else {
        bail!("/proc/self/stat has no command name: {stat:?}");
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |field: usize, name: &str| -> anyhow::Result<u64> {
        fields
            .get(field - 3)
            .with_context(|| format!("/proc/self/stat has no {name} field"))?
            .parse::<u64>()
            .with_context(|| format!("/proc/self/stat has an unreadable {name} field"))
    };
    let total = ticks(16, "cutime")? + ticks(17, "cstime")?;
    Ok(Duration::from_millis(total * 1000 / TICKS_PER_SECOND))
}

/// The largest resident set this process has had (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> anyhow::Result<u64> {
    status_kib("VmHWM")
}

/// The resident set of this process now (`VmRSS`), in KiB.
pub fn rss_kib() -> anyhow::Result<u64> {
    status_kib("VmRSS")
}

/// A `kB` value of `/proc/self/status`.
fn status_kib(key: &str) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    kib_from_status(&status, key)
}

/// The value of `key` (such as `VmHWM:     1780 kB`) in the text of `/proc/<pid>/status`.
fn kib_from_status(status: &str, key: &str) -> anyhow::Result<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .with_context(|| format!("/proc/self/status has no {key} line"))?;
    line.trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("/proc/self/status has an unreadable {key}: {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_gives_nanoseconds_on_cpu() -> anyhow::Result<()> {
        let on_cpu = on_cpu_from_schedstat("123456789 87812 12\n")?;
        assert_eq!(on_cpu, Duration::from_nanos(123_456_789));
        assert!(on_cpu_from_schedstat("").is_err());
        assert!(on_cpu_from_schedstat("soon 1 2").is_err());
        Ok(())
    }

    #[test]
    fn children_cpu_adds_user_and_system_ticks_after_a_name_with_spaces() -> anyhow::Result<()> {
        let stat = "4242 (harbor bench) S 1 2 3 4 5 6 7 8 9 10 150 25 1200 345 20 0 1 0";
        assert_eq!(children_cpu_from_stat(stat)?, Duration::from_millis(15_450));
        assert!(children_cpu_from_stat("4242 (x) S 1 2").is_err());
        Ok(())
    }

    #[test]
    fn status_values_are_read_in_kib() -> anyhow::Result<()> {
        let status = "Name:\tharbor-bench\nVmHWM:\t   10240 kB\nVmRSS:\t    8192 kB\n";
        assert_eq!(kib_from_status(status, "VmHWM")?, 10240);
        assert_eq!(kib_from_status(status, "VmRSS")?, 8192);
        assert!(kib_from_status(status, "VmSwap").is_err());
        Ok(())
    }

    #[test]
    fn this_process_can_read_its_own_figures() -> anyhow::Result<()> {
        // Read in this order, the peak can only have grown since the current size.
        let now = rss_kib()?;
        assert!(peak_rss_kib()? >= now);
        assert!(now > 0);

        let before = cpu_time()?;
        let mut spin = 0_u64;
        for index in 0..5_000_000_u64 {
            spin = std::hint::black_box(spin.wrapping_add(index));
        }
        assert!(cpu_time()? > before, "{spin}");
        Ok(())
    }
}
