//! Workspace automation.
//!
//! `cargo xtask codegen` derives the OpenAPI 3.0 document in `spec/`, from
//! which `harbor-openapi` is generated, from Harbor's own Swagger 2.0 file:
//!
//! ```text
//! cargo xtask codegen --from ../shared/harbor/swagger-v2.15.2.yaml
//! cargo xtask codegen --check --from ../shared/harbor/swagger-v2.15.2.yaml
//! cargo xtask codegen --from https://example.com/swagger.yaml --harbor-version v2.15.2
//! ```
//!
//! The output is deterministic: the same input gives the same bytes.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod patches;
mod readme;
mod swagger;

/// File name of the derived document inside `spec/`.
const SPEC_FILE: &str = "harbor-api-v2.0.json";

#[derive(Parser)]
#[command(about = "Automation for the harbor-users workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Derive spec/harbor-api-v2.0.json and spec/README.md from Harbor's
    /// Swagger 2.0 file.
    Codegen {
        /// Harbor's swagger.yaml: a path or an http(s) URL.
        #[arg(long, default_value = "../shared/harbor/swagger-v2.15.2.yaml")]
        from: String,
        /// The Harbor release the file comes from, recorded in spec/README.md.
        /// Taken from a file name like `swagger-v2.15.2.yaml` when not given.
        #[arg(long)]
        harbor_version: Option<String>,
        /// Regenerate in memory and fail with a diff if spec/ is not current.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Codegen {
            from,
            harbor_version,
            check,
        } => codegen(&from, harbor_version, check),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The derived files, as they would be written.
pub struct Generated {
    /// The OpenAPI 3.0 document, pretty-printed with a final newline.
    pub spec: String,
    /// `spec/README.md`.
    pub readme: String,
}

/// Converts, patches and renders. Pure apart from its inputs.
pub fn generate(source_bytes: &[u8], source_name: &str, harbor_version: &str) -> Result<Generated> {
    let text =
        std::str::from_utf8(source_bytes).with_context(|| format!("{source_name} is not UTF-8"))?;
    let swagger: serde_json::Value = serde_yaml_ng::from_str(text)
        .with_context(|| format!("{source_name} is not a YAML or JSON document"))?;
    let mut doc =
        swagger::convert(&swagger).with_context(|| format!("cannot convert {source_name}"))?;
    let applied = patches::apply_all(&mut doc);

    let mut spec = serde_json::to_string_pretty(&doc)?;
    spec.push('\n');
    let readme = readme::render(&readme::Facts {
        source_name,
        source_bytes,
        harbor_version,
        doc: &doc,
        applied: &applied,
    });
    Ok(Generated { spec, readme })
}

fn codegen(from: &str, harbor_version: Option<String>, check: bool) -> Result<ExitCode> {
    let root = workspace_root();
    let bytes = read_source(from, &root)?;
    let source_name = source_name(from);
    let version = harbor_version
        .or_else(|| version_from_name(&source_name))
        .unwrap_or_else(|| "unknown".to_string());
    let generated = generate(&bytes, &source_name, &version)?;

    let spec_dir = root.join("spec");
    let outputs = [
        (spec_dir.join(SPEC_FILE), generated.spec),
        (spec_dir.join("README.md"), generated.readme),
    ];
    if check {
        let mut stale = false;
        for (path, wanted) in &outputs {
            let current = fs::read_to_string(path).unwrap_or_default();
            if &current != wanted {
                stale = true;
                eprintln!("{} is stale:", path.display());
                eprintln!("{}", diff(&current, wanted, 200));
            }
        }
        if stale {
            eprintln!("run `cargo xtask codegen --from {from}` and commit spec/");
            return Ok(ExitCode::FAILURE);
        }
        println!("spec/ is current with {from}");
        return Ok(ExitCode::SUCCESS);
    }
    fs::create_dir_all(&spec_dir)?;
    for (path, content) in &outputs {
        fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A unified diff of at most `max_lines` lines.
fn diff(old: &str, new: &str, max_lines: usize) -> String {
    let text = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header("committed", "regenerated")
        .to_string();
    let total = text.lines().count();
    let mut shown: Vec<&str> = text.lines().take(max_lines).collect();
    let more = format!("... {} more lines of diff", total.saturating_sub(max_lines));
    if total > max_lines {
        shown.push(&more);
    }
    shown.join("\n")
}

fn source_name(from: &str) -> String {
    if is_url(from) {
        return from.to_string();
    }
    Path::new(from)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| from.to_string())
}

fn is_url(from: &str) -> bool {
    from.starts_with("http://") || from.starts_with("https://")
}

/// `swagger-v2.15.2.yaml` → `v2.15.2`.
fn version_from_name(name: &str) -> Option<String> {
    let file = name.rsplit('/').next()?;
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".json"))?;
    let version = stem.rsplit('-').next()?;
    let digits = version.strip_prefix('v')?;
    let ok = digits.split('.').count() >= 2
        && digits
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| version.to_string())
}

/// Reads the Swagger file from a path (relative to the current directory,
/// or else to the workspace root) or from an http(s) URL.
fn read_source(from: &str, root: &Path) -> Result<Vec<u8>> {
    if is_url(from) {
        return fetch(from);
    }
    let direct = PathBuf::from(from);
    let path = if direct.exists() {
        direct
    } else {
        root.join(from)
    };
    fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
}

fn fetch(url: &str) -> Result<Vec<u8>> {
    // reqwest is built without a bundled crypto provider; ring is the one
    // this workspace uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let response = client
            .get(url)
            .send()
            .await
            .with_context(|| format!("cannot fetch {url}"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("cannot fetch {url}: the server answered {status}");
        }
        Ok(response.bytes().await?.to_vec())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    const HARBOR_SPEC: &str = "../../shared/harbor/swagger-v2.15.2.yaml";

    #[test]
    fn versions_are_read_from_file_names() {
        assert_eq!(
            version_from_name("swagger-v2.15.2.yaml").as_deref(),
            Some("v2.15.2")
        );
        assert_eq!(
            version_from_name("https://x.test/a/swagger-v2.14.4.json").as_deref(),
            Some("v2.14.4")
        );
        assert_eq!(version_from_name("swagger.yaml"), None);
        assert_eq!(version_from_name("swagger-vX.yaml"), None);
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(HARBOR_SPEC);
        let Ok(bytes) = fs::read(&path) else {
            // Harbor's file lives beside the workspace, not in it; the CI
            // check `cargo xtask codegen --check` covers the real file.
            return;
        };
        let first = generate(&bytes, "swagger-v2.15.2.yaml", "v2.15.2").expect("converts");
        let second = generate(&bytes, "swagger-v2.15.2.yaml", "v2.15.2").expect("converts");
        assert_eq!(first.spec, second.spec);
        assert_eq!(first.readme, second.readme);
        let doc: serde_json::Value = serde_json::from_str(&first.spec).expect("valid JSON");
        let operations: usize = doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .values()
                    .filter_map(|item| item.as_object())
                    .map(|item| item.len())
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(operations, 203, "Harbor v2.15.2 has 203 operations");
        assert!(
            !first.spec.contains("X-Request-Id\","),
            "request id parameter removed"
        );
    }

    #[test]
    fn unsupported_input_fails_with_the_construct_and_its_place() {
        let yaml = "swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n      \
                    operationId: a\n      responses:\n        '200':\n          description: ok\n          \
                    schema: {oneOf: [{type: string}]}\n";
        let error = generate(yaml.as_bytes(), "test.yaml", "v0")
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert_eq!(
            error,
            "cannot convert test.yaml: #/paths/~1a/get/responses/200/schema: \
             unsupported Swagger 2.0 construct `oneOf`"
        );
    }

    #[test]
    fn the_source_can_be_fetched_from_a_local_http_server() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let body = "swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths: {}\n";
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("one connection");
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).expect("request");
            let head = String::from_utf8_lossy(&request[..read]).to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).expect("response");
            head
        });
        let url = format!("http://{address}/spec/swagger-v9.8.7.yaml");
        let bytes = read_source(&url, Path::new(".")).expect("fetched");
        assert_eq!(bytes, body.as_bytes());
        let head = server.join().expect("server thread");
        assert!(
            head.starts_with("GET /spec/swagger-v9.8.7.yaml HTTP/1.1"),
            "{head}"
        );
        assert_eq!(
            version_from_name(&source_name(&url)).as_deref(),
            Some("v9.8.7")
        );
    }

    #[test]
    fn a_failing_http_source_names_the_status() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        let url = format!("http://{address}/missing.yaml");
        let error = read_source(&url, Path::new(".")).expect_err("404");
        assert_eq!(
            error.to_string(),
            format!("cannot fetch {url}: the server answered 404 Not Found")
        );
    }

    #[test]
    fn a_diff_is_cut_to_the_given_number_of_lines() {
        let old = (0..50).map(|i| format!("{i}\n")).collect::<String>();
        let new = (0..50).map(|i| format!("{}\n", i * 2)).collect::<String>();
        let shown = diff(&old, &new, 10);
        assert_eq!(shown.lines().count(), 11);
        assert!(shown.ends_with("more lines of diff"));
    }
}
