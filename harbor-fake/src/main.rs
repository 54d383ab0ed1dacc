//! `harbor-fake`: serves the fake Harbor Users API until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use harbor_fake::{AuthMode, FakeHarbor, FaultKind, Faults};

/// An in-memory Harbor v2.15 Users API server.
#[derive(Debug, Parser)]
#[command(name = "harbor-fake", version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Number of users to seed (user000001, user000002, …).
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Password of the `admin` account.
    #[arg(long, default_value = harbor_fake::DEFAULT_ADMIN_PASSWORD)]
    admin_password: String,
    /// Password of the seeded users.
    #[arg(long, default_value = harbor_fake::DEFAULT_USER_PASSWORD)]
    seed_password: String,
    /// Auth mode: db_auth, ldap_auth or oidc_auth.
    #[arg(long, default_value = "db_auth")]
    auth_mode: AuthMode,
    /// Allow self-registration.
    #[arg(long)]
    self_registration: bool,
    /// Start in read-only mode.
    #[arg(long)]
    read_only: bool,
    /// Lock a principal for this long after a failed login (Harbor uses 1500).
    #[arg(long, default_value_t = 0)]
    login_lock_ms: u64,
    /// Serve HTTPS with a generated certificate.
    #[arg(long)]
    tls: bool,
    /// Write the CA certificate (PEM) here when serving HTTPS.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Delay added to every users request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the fault generator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fraction of requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    fault_429: f64,
    /// Fraction of requests answered 500.
    #[arg(long, default_value_t = 0.0)]
    fault_500: f64,
    /// Fraction of requests answered 502.
    #[arg(long, default_value_t = 0.0)]
    fault_502: f64,
    /// Fraction of requests answered 503.
    #[arg(long, default_value_t = 0.0)]
    fault_503: f64,
    /// Fraction of requests answered 504.
    #[arg(long, default_value_t = 0.0)]
    fault_504: f64,
    /// Fraction of connections closed without an answer.
    #[arg(long, default_value_t = 0.0)]
    fault_reset: f64,
    /// Fraction of answers cut short of their Content-Length.
    #[arg(long, default_value_t = 0.0)]
    fault_truncate: f64,
    /// Fraction of requests that stall.
    #[arg(long, default_value_t = 0.0)]
    fault_stall: f64,
    /// Fraction of requests carried out, then closed without an answer.
    #[arg(long, default_value_t = 0.0)]
    fault_reset_after_handling: f64,
    /// Fraction of requests carried out, then answered only after the stall.
    #[arg(long, default_value_t = 0.0)]
    fault_stall_after_handling: f64,
    /// How long a stalled request waits before answering.
    #[arg(long, default_value_t = 3_600_000)]
    stall_ms: u64,
    /// Retry-After of 429 answers, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
}

impl Args {
    fn faults(&self) -> Faults {
        [
            (FaultKind::TooManyRequests, self.fault_429),
            (FaultKind::InternalServerError, self.fault_500),
            (FaultKind::BadGateway, self.fault_502),
            (FaultKind::ServiceUnavailable, self.fault_503),
            (FaultKind::GatewayTimeout, self.fault_504),
            (FaultKind::ConnectionReset, self.fault_reset),
            (FaultKind::TruncatedBody, self.fault_truncate),
            (FaultKind::Stall, self.fault_stall),
            (
                FaultKind::ResetAfterHandling,
                self.fault_reset_after_handling,
            ),
            (
                FaultKind::StallAfterHandling,
                self.fault_stall_after_handling,
            ),
        ]
        .into_iter()
        .filter(|(_, rate)| *rate > 0.0)
        .fold(Faults::none(), |faults, (kind, rate)| {
            faults.rate(kind, rate)
        })
        .latency(Duration::from_millis(self.latency_ms))
        .seed(self.seed)
        .stall_for(Duration::from_millis(self.stall_ms))
        .retry_after(Duration::from_secs(self.retry_after_secs))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let started = FakeHarbor::builder()
        .listen(args.listen)
        .admin_password(args.admin_password.as_str())
        .seed_password(args.seed_password.as_str())
        .users(args.users)
        .auth_mode(args.auth_mode)
        .self_registration(args.self_registration)
        .read_only(args.read_only)
        .login_lock(Duration::from_millis(args.login_lock_ms))
        .faults(args.faults())
        .tls(args.tls)
        .start()
        .await;
    let fake = match started {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("harbor-fake: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&args.ca_out, fake.ca_pem())
        && let Err(error) = std::fs::write(path, pem)
    {
        eprintln!("harbor-fake: cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }

    println!("harbor-fake listening on {}", fake.url());
    println!("API base URL: {}", fake.api_url());
    println!("{} users seeded; admin password set", fake.user_count());

    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("harbor-fake: cannot wait for Ctrl-C: {error}");
    }
    fake.shutdown().await;
    ExitCode::SUCCESS
}
