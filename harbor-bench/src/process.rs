//! The runner's child processes: a fake it talks to, clients it waits for. Every child is
//! killed and reaped when its handle drops, on every path, errors and panics included.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::client::Outcome;
use crate::fake::FakeStats;

/// How long the fake may take to seed and to answer a command.
const FAKE_ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A child process that is killed and reaped when this handle drops.
#[derive(Debug)]
struct Guarded {
    /// The process.
    child: Child,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // Killing a child that already exited fails harmlessly; `wait` reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `harbor-bench fake`.
#[derive(Debug)]
pub struct Fake {
    /// Declared before `process` so that stdin closes first, which alone stops the fake.
    stdin: ChildStdin,
    /// The fake's stdout, line by line, read on a thread of its own.
    lines: Receiver<String>,
    /// The process, killed on drop.
    process: Guarded,
    /// The URL the fake printed first.
    url: String,
}

impl Fake {
    /// Starts `exe fake ARGS…` and waits for the URL it prints.
    pub fn start(exe: &Path, args: &[String]) -> anyhow::Result<Self> {
        let mut child = Command::new(exe)
            .arg("fake")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} fake", exe.display()))?;
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let process = Guarded { child };
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
            bail!("the fake's stdin or stdout is not piped");
        };

        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut fake = Self {
            stdin,
            lines,
            process,
            url: String::new(),
        };
        fake.url = fake.next_line().context("waiting for the fake's URL")?;
        if !fake.url.starts_with("http://127.0.0.1:") {
            bail!("the fake printed {:?} instead of its URL", fake.url);
        }
        Ok(fake)
    }

    /// The fake's base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Zeroes the fake's request counters.
    pub fn reset(&mut self) -> anyhow::Result<()> {
        match self.command("reset")?.as_str() {
            "ok" => Ok(()),
            other => bail!("the fake answered {other:?} to `reset`"),
        }
    }

    /// The fake's request counters.
    pub fn stats(&mut self) -> anyhow::Result<FakeStats> {
        let answer = self.command("stats")?;
        serde_json::from_str(&answer)
            .with_context(|| format!("the fake answered {answer:?} to `stats`"))
    }

    /// Sends `command` and waits for its one-line answer.
    fn command(&mut self, command: &str) -> anyhow::Result<String> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| format!("sending `{command}` to the fake"))?;
        self.next_line()
            .with_context(|| format!("waiting for the fake's answer to `{command}`"))
    }

    /// The next line the fake prints, within [`FAKE_ANSWER_TIMEOUT`].
    fn next_line(&mut self) -> anyhow::Result<String> {
        match self.lines.recv_timeout(FAKE_ANSWER_TIMEOUT) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                bail!("no answer within {} s", FAKE_ANSWER_TIMEOUT.as_secs())
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.process.child.try_wait().ok().flatten();
                bail!("the fake closed its output (exit status {status:?})")
            }
        }
    }
}

/// Runs `exe client ARGS…` to the end, or kills it after `deadline`, and reads the
/// [`Outcome`] it prints.
pub fn run_client(exe: &Path, args: &[OsString], deadline: Duration) -> anyhow::Result<Outcome> {
    let mut command = Command::new(exe);
    command.arg("client").args(args);
    let shown = args
        .iter()
        .map(|arg| arg.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let finished = run_to_end(command, deadline).with_context(|| format!("client {shown}"))?;
    if !finished.status.success() {
        bail!(
            "the client `{shown}` failed ({}): {}",
            finished.status,
            finished.stderr.trim()
        );
    }
    let line = finished.stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| {
        format!(
            "the client `{shown}` printed {line:?}, not an outcome; stderr: {}",
            finished.stderr.trim()
        )
    })
}

/// A process that ran to its end.
#[derive(Debug)]
pub struct Finished {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// Runs `command` with no stdin until it exits, or kills it after `deadline`.
pub fn run_to_end(mut command: Command, deadline: Duration) -> anyhow::Result<Finished> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let mut process = Guarded { child };
    let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
        bail!("stdout or stderr is not piped");
    };

    // Both pipes are drained on threads of their own, so that neither fills up and
    // blocks the child; stdout reaching its end means the child is done with it.
    let (sender, output) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(read_all(stdout));
    });
    let errors = std::thread::spawn(move || read_all(stderr));

    let Ok(stdout) = output.recv_timeout(deadline) else {
        bail!(
            "did not finish within {} s and was killed",
            deadline.as_secs()
        );
    };
    let status = process.child.wait().context("waiting for the process")?;
    let stderr = errors
        .join()
        .unwrap_or_else(|_| "(the stderr reader panicked)".to_owned());
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}

/// Everything `source` gives until its end, as text.
fn read_all(mut source: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = source.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
