//! `run --build`: how long `cargo build -p harbor-users` takes from nothing, and after the
//! one-line edits people make most.
//!
//! The builds run in a copy of the tracked files (`git ls-files`) in a temporary folder,
//! with a `CARGO_TARGET_DIR` of their own, so that the repository's `spec/` is never
//! edited and the shared target folder is never touched. The copy goes when the
//! measurement ends, on every path.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};

use crate::{measure, process};

/// The spec file whose edit makes progenitor run again.
const SPEC: &str = "spec/harbor-api-v2.0.json";

/// The line of the spec that the edit changes: the API's version, which progenitor writes
/// into the generated client (`Client::api_version`).
const SPEC_LINE: &str = "    \"version\": \"2.0\"";

/// A source file of the client whose edit rebuilds only the client.
const SOURCE: &str = "harbor-users/src/lib.rs";

/// The longest one build may take before it is killed.
const BUILD_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// How long one build took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Build {
    /// Wall time.
    pub wall: Duration,
    /// CPU time of cargo and every compiler it ran, user and system.
    pub cpu: Duration,
}

/// How long the builds took, one of each kind per round.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildFigures {
    /// From an empty target folder.
    pub cold: Vec<Build>,
    /// With nothing changed.
    pub noop: Vec<Build>,
    /// After changing one line of the spec.
    pub spec_edit: Vec<Build>,
    /// After changing one line of `harbor-users`.
    pub source_edit: Vec<Build>,
    /// The number of files copied.
    pub files: usize,
    /// `cargo --version`.
    pub cargo_version: String,
}

/// A folder under the system's temporary folder, removed with everything in it on drop.
struct TempDir {
    /// The folder.
    path: PathBuf,
}

impl TempDir {
    /// Creates `<temp>/<prefix>-<pid>-<nanoseconds>`.
    fn new(prefix: &str) -> anyhow::Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Builds a copy of `repo` `rounds` times: cold, then again with nothing changed, after a
/// one-line spec edit and after a one-line edit of `harbor-users`.
pub fn measure(repo: &Path, rounds: usize) -> anyhow::Result<BuildFigures> {
    ensure!(rounds >= 1, "--runs must be at least 1");
    let temp = TempDir::new("harbor-bench-build")?;
    let workspace = temp.path.join("workspace");
    let target = temp.path.join("target");
    let files = copy_tracked(repo, &workspace)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cargo_version = cargo_version(&cargo)?;
    eprintln!("copied {files} tracked files to {}", workspace.display());

    let build = |what: &str| -> anyhow::Result<Build> {
        let took = timed_build(&cargo, &workspace, &target)?;
        eprintln!(
            "  {what}: {:.1} s wall, {:.1} s CPU",
            took.wall.as_secs_f64(),
            took.cpu.as_secs_f64()
        );
        Ok(took)
    };
    let mut figures = BuildFigures {
        cold: Vec::new(),
        noop: Vec::new(),
        spec_edit: Vec::new(),
        source_edit: Vec::new(),
        files,
        cargo_version,
    };
    for round in 1..=rounds {
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .with_context(|| format!("emptying {}", target.display()))?;
        }
        figures.cold.push(build("cold")?);
        figures.noop.push(build("nothing changed")?);
        edit_line(
            &workspace.join(SPEC),
            SPEC_LINE,
            &format!("    \"version\": \"2.0.{round}\""),
        )?;
        figures.spec_edit.push(build("spec edited")?);
        edit_source(&workspace.join(SOURCE), round)?;
        figures.source_edit.push(build("harbor-users edited")?);
    }
    Ok(figures)
}

/// Copies the files git tracks in `repo`, as they are in the work tree, to `destination`.
fn copy_tracked(repo: &Path, destination: &Path) -> anyhow::Result<usize> {
    let listing = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo)
        .output()
        .with_context(|| format!("running git ls-files in {}", repo.display()))?;
    ensure!(
        listing.status.success(),
        "git ls-files failed in {}: {}",
        repo.display(),
        String::from_utf8_lossy(&listing.stderr).trim()
    );
    let mut copied = 0;
    for name in listing.stdout.split(|byte| *byte == 0) {
        if name.is_empty() {
            continue;
        }
        let name = std::str::from_utf8(name).context("a tracked path is not UTF-8")?;
        let (from, to) = (repo.join(name), destination.join(name));
        if !from.is_file() {
            // Deleted in the work tree but not yet in the index.
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
        copied += 1;
    }
    Ok(copied)
}

/// What `cargo --version` prints.
fn cargo_version(cargo: &std::ffi::OsStr) -> anyhow::Result<String> {
    let output = Command::new(cargo)
        .arg("--version")
        .output()
        .context("running cargo --version")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `cargo build --offline -p harbor-users` in `workspace`, timed.
fn timed_build(cargo: &std::ffi::OsStr, workspace: &Path, target: &Path) -> anyhow::Result<Build> {
    let mut command = Command::new(cargo);
    command
        .args(["build", "--offline", "--quiet", "-p", "harbor-users"])
        .current_dir(workspace);
    // `cargo run` hands this program its package's variables and possibly a jobserver;
    // the build must see neither, only its own target folder.
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        let inherited = name_text.starts_with("CARGO_") && name_text != "CARGO_HOME";
        if inherited || matches!(name_text.as_ref(), "MAKEFLAGS" | "MFLAGS" | "RUSTFLAGS") {
            command.env_remove(&name);
        }
    }
    command.env("CARGO_TARGET_DIR", target);

    let cpu_before = measure::children_cpu_time()?;
    let started = Instant::now();
    let finished = process::run_to_end(command, BUILD_DEADLINE)?;
    let wall = started.elapsed();
    let cpu = measure::children_cpu_time()?.saturating_sub(cpu_before);
    if !finished.status.success() {
        let tail: Vec<&str> = finished.stderr.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "cargo build failed ({}) in {}:\n{}",
            finished.status,
            workspace.display(),
            tail.join("\n")
        );
    }
    Ok(Build { wall, cpu })
}

/// Replaces the one line of `path` that is exactly `old` (or a previous replacement of it,
/// which starts the same up to its last quote) with `new`.
fn edit_line(path: &Path, old: &str, new: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let stem = old.trim_end_matches('"');
    let matching: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_end_matches(',').starts_with(stem))
        .map(|(index, _)| index)
        .collect();
    let [index] = matching[..] else {
        bail!(
            "{} has {} lines like {old:?}, not exactly one",
            path.display(),
            matching.len()
        );
    };
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(at, line)| {
            if at != index {
                return line.to_owned();
            }
            let comma = if line.ends_with(',') { "," } else { "" };
            format!("{new}{comma}")
        })
        .collect();
    let mut edited = edited.join("\n");
    if text.ends_with('\n') {
        edited.push('\n');
    }
    std::fs::write(path, edited).with_context(|| format!("writing {}", path.display()))
}

/// Appends a different comment line to a source file on each call.
fn edit_source(path: &Path, round: usize) -> anyhow::Result<()> {
    let mut text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.push_str(&format!("// edited by harbor-bench, round {round}\n"));
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_line_is_replaced_once_and_can_be_replaced_again() -> anyhow::Result<()> {
        let temp = TempDir::new("harbor-bench-test")?;
        let path = temp.path.join("spec.json");
        let original = concat!(
            "{\n",
            "  \"info\": {\n",
            "    \"title\": \"Harbor API\",\n",
            "    \"version\": \"2.0\"\n",
            "  },\n",
            "  \"x\": {\n",
            "      \"version\": {\n",
            "  }\n",
            "}\n",
        );
        std::fs::write(&path, original)?;

        edit_line(&path, SPEC_LINE, "    \"version\": \"2.0.1\"")?;
        let once = std::fs::read_to_string(&path)?;
        assert_eq!(once, original.replace("\"2.0\"", "\"2.0.1\""));

        edit_line(&path, SPEC_LINE, "    \"version\": \"2.0.2\"")?;
        let twice = std::fs::read_to_string(&path)?;
        assert_eq!(twice, original.replace("\"2.0\"", "\"2.0.2\""));
        Ok(())
    }

    #[test]
    fn the_real_spec_has_exactly_one_line_to_edit() -> anyhow::Result<()> {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(SPEC);
        let text = std::fs::read_to_string(spec)?;
        let stem = SPEC_LINE.trim_end_matches('"');
        let count = text
            .lines()
            .filter(|line| line.trim_end_matches(',').starts_with(stem))
            .count();
        assert_eq!(count, 1);
        Ok(())
    }

    #[test]
    fn the_temporary_folder_goes_when_dropped() -> anyhow::Result<()> {
        let temp = TempDir::new("harbor-bench-test")?;
        let path = temp.path.clone();
        std::fs::write(path.join("file"), "x")?;
        drop(temp);
        assert!(!path.exists());
        Ok(())
    }
}
