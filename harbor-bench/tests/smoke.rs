//! The benchmark runner cannot rot: its smoke mode runs every scenario end to end in a few
//! seconds, and its figures must come from counts that agree with the fake's.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harbor-bench"))
}

/// Kills the child when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn number(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a whole number in {value}"))
}

#[test]
fn the_smoke_run_lists_every_user_in_every_mode_with_one_request_per_page() -> TestResult {
    let json = std::env::temp_dir().join(format!("harbor-bench-smoke-{}.json", std::process::id()));
    let output = bench()
        .args(["run", "--smoke", "--json"])
        .arg(&json)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "run --smoke failed: {stderr}");
    let text = std::fs::read_to_string(&json)?;
    std::fs::remove_file(&json)?;
    let results: Value = serde_json::from_str(&text)?;

    assert_eq!(results["smoke"], Value::Bool(true));
    let lookups = number(&results["sizes"], "lookups");
    let records = results["records"].as_array().ok_or("no records")?;
    let mut groups = BTreeSet::new();
    let mut list_modes = BTreeSet::new();
    for record in records {
        let (case, outcome, fake) = (&record["case"], &record["outcome"], &record["fake"]);
        groups.insert(record["group"].as_str().unwrap_or_default().to_owned());
        assert_eq!(outcome["mode"], case["mode"], "{record}");
        if let Some(counted) = outcome["requests"].as_u64() {
            assert_eq!(counted, number(fake, "requests"), "{record}");
        }
        match case["scenario"].as_str() {
            Some("list" | "collect") => {
                let users = number(case, "fake_users");
                assert_eq!(number(outcome, "users"), users, "{record}");
                assert_eq!(number(fake, "list_users"), users.div_ceil(100), "{record}");
                assert_eq!(number(fake, "requests"), users.div_ceil(100), "{record}");
                list_modes.insert(case["mode"].as_str().unwrap_or_default().to_owned());
            }
            Some("lookup") => {
                assert_eq!(number(outcome, "users"), lookups, "{record}");
                assert_eq!(number(fake, "requests"), 2 * lookups, "{record}");
                assert_eq!(number(fake, "search_users"), lookups, "{record}");
            }
            other => panic!("unexpected scenario {other:?} in {record}"),
        }
        assert!(
            outcome["wall_ms"].as_f64().is_some_and(|ms| ms > 0.0),
            "{record}"
        );
        assert!(number(outcome, "peak_rss_kib") > 0, "{record}");
    }

    let expected_groups = ["latency", "lookup", "memory", "throughput"];
    assert_eq!(groups, expected_groups.map(str::to_owned).into());
    for mode in ["floor", "raw", "ours", "ours-prefetch-4", "ours-prefetch-8"] {
        assert!(
            list_modes.contains(mode),
            "{mode} missing from {list_modes:?}"
        );
    }
    for heading in [
        "Throughput",
        "Latency hiding",
        "Memory",
        "Lookup",
        "Targets",
    ] {
        assert!(
            stdout.contains(heading),
            "no {heading} in the report:\n{stdout}"
        );
    }
    Ok(())
}

#[test]
fn a_client_prints_one_json_line_and_the_fake_stops_when_stdin_closes() -> TestResult {
    let mut fake = KillOnDrop(
        bench()
            .args(["fake", "--users", "250"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let mut stdin = fake.0.stdin.take().ok_or("no stdin")?;
    let mut lines = BufReader::new(fake.0.stdout.take().ok_or("no stdout")?).lines();
    let url = lines.next().ok_or("the fake printed nothing")??;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let output = bench()
        .args(["client", "--mode", "ours-prefetch-3", "--scenario", "list"])
        .args(["--url", &url])
        .output()?;
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout)?;
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let outcome: Value = serde_json::from_str(&stdout)?;
    assert_eq!(outcome["mode"], "ours-prefetch-3");
    assert_eq!(number(&outcome, "users"), 250);
    assert_eq!(outcome["requests"], Value::Null);

    writeln!(stdin, "stats")?;
    let stats: Value = serde_json::from_str(&lines.next().ok_or("no stats")??)?;
    assert_eq!(number(&stats, "list_users"), 3);
    writeln!(stdin, "reset")?;
    assert_eq!(lines.next().ok_or("no answer to reset")??, "ok");

    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.0.try_wait()?.is_none() {
        assert!(Instant::now() < deadline, "the fake outlived its stdin");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn an_unknown_mode_is_refused_with_the_modes_that_exist() -> TestResult {
    let output = bench()
        .args(["client", "--mode", "turbo", "--scenario", "list"])
        .args(["--url", "http://127.0.0.1:9"])
        .output()?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ours-prefetch-N"), "{stderr}");
    Ok(())
}
