//! An in-memory Harbor v2.15 Users API server, for tests, examples and benchmarks.
//!
//! `harbor-fake` answers the eleven `/api/v2.0/users` operations the way a real Harbor does,
//! down to status codes, error bodies, validation order, the `q` query language, `Link` and
//! `X-Total-Count` headers, and the CSRF trap that bites clients keeping cookies. It runs as
//! a real HTTP (or HTTPS) server on a loopback port, can inject latency, error statuses,
//! connection resets, truncated bodies and stalls, and counts what it served.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), harbor_fake::StartError> {
//! let fake = harbor_fake::FakeHarbor::builder().users(25).start().await?;
//! assert_eq!(fake.user_count(), 25);
//! assert!(fake.api_url().ends_with("/api/v2.0"));
//! # Ok(())
//! # }
//! ```
//!
//! [`FakeHarbor`] is the running server; it dereferences to [`HarborState`], which holds the
//! data and the runtime switches. Use [`HarborState::router`] or [`HarborState::serve`] to
//! embed the fake in a server of your own. The `harbor-fake` binary serves the same thing
//! from the command line.

mod api;
mod auth;
mod error;
mod faults;
mod gojson;
mod goquery;
mod link;
mod model;
mod permissions;
mod query;
mod server;
mod store;
mod tls;
mod validate;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{FaultKind, Faults, Stats};
pub use model::{
    ADMIN_ID, AuthMode, Credentials, DEFAULT_ADMIN_PASSWORD, DEFAULT_USER_PASSWORD, NewUser,
    Project, ProjectRole, Robot, RobotPermission, Settings, UnknownAuthMode, User, UserId,
};

use auth::LoginLocks;
use faults::{FaultInjector, StatsRecorder};
use store::{InsertError, Store};

/// A user could not be seeded because its username or email is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedError {
    /// The username of the rejected user.
    pub username: String,
    /// The email of the rejected user.
    pub email: String,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot seed user {:?}: the username or the email {:?} is already taken",
            self.username, self.email
        )
    }
}

impl std::error::Error for SeedError {}

impl From<InsertError> for SeedError {
    fn from(error: InsertError) -> Self {
        let InsertError::Duplicate { username, email } = error;
        Self { username, email }
    }
}

/// Why the fake server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The listening socket could not be bound.
    Bind(std::io::Error),
    /// The TLS certificate or configuration could not be made.
    Tls(String),
    /// A seeded user collided with another.
    Seed(SeedError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind(error) => write!(f, "cannot bind the fake Harbor's socket: {error}"),
            StartError::Tls(error) => write!(f, "cannot set up TLS for the fake Harbor: {error}"),
            StartError::Seed(error) => write!(f, "cannot seed the fake Harbor: {error}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Bind(error) => Some(error),
            StartError::Tls(_) => None,
            StartError::Seed(error) => Some(error),
        }
    }
}

impl From<SeedError> for StartError {
    fn from(error: SeedError) -> Self {
        StartError::Seed(error)
    }
}

pub(crate) struct Inner {
    store: RwLock<Store>,
    settings: RwLock<Settings>,
    pub(crate) locks: LoginLocks,
    pub(crate) faults: FaultInjector,
    pub(crate) stats: StatsRecorder,
}

/// The fake's data and switches: users, robots, projects, settings, faults and counters.
///
/// Cloning is cheap and every clone sees the same state. All methods take effect at once,
/// also for a server that is already running.
#[derive(Clone)]
pub struct HarborState {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for HarborState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HarborState")
            .field("users", &self.user_count())
            .field("settings", &self.settings())
            .finish_non_exhaustive()
    }
}

impl HarborState {
    /// A fresh Harbor: `admin` (id 1) with this password, the deleted id 2, default settings.
    pub fn new(admin_password: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: RwLock::new(Store::new(admin_password)),
                settings: RwLock::new(Settings::default()),
                locks: LoginLocks::default(),
                faults: FaultInjector::new(Faults::none()),
                stats: StatsRecorder::default(),
            }),
        }
    }

    pub(crate) fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        self.inner.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.inner.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The axum router answering Harbor's paths. Connection-level faults
    /// ([`FaultKind::ConnectionReset`], [`FaultKind::TruncatedBody`]) need
    /// [`HarborState::serve`]; a plain axum server answers a reset with an empty 500 and
    /// sends truncated bodies whole.
    pub fn router(&self) -> axum::Router {
        api::router(self.clone())
    }

    /// Serves plain HTTP on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        server::serve(listener, None, self.router(), stopped).await;
    }

    /// The admin's login, with its current password.
    pub fn admin_credentials(&self) -> Credentials {
        let store = self.read_store();
        let (username, password) = store
            .row(1)
            .map(|admin| (admin.username.clone(), admin.password.to_string()))
            .unwrap_or_default();
        Credentials { username, password }
    }

    /// Adds one user directly (no validation except uniqueness); ids continue from the last.
    pub fn add_user(&self, user: NewUser) -> Result<UserId, SeedError> {
        let ids = self.write_store().insert_many([user])?;
        ids.first().copied().ok_or_else(|| SeedError {
            username: String::new(),
            email: String::new(),
        })
    }

    /// Adds `count` users made by `make(index)` for `index` in `0..count`, under one lock.
    ///
    /// Passwords are stored as given, so seeding 100,000 users takes a fraction of a second.
    /// Stops at the first username or email already taken; the users before it stay.
    pub fn seed_users(
        &self,
        count: usize,
        make: impl FnMut(usize) -> NewUser,
    ) -> Result<Vec<UserId>, SeedError> {
        Ok(self.write_store().insert_many((0..count).map(make))?)
    }

    /// Any stored user by id, deleted ones included.
    pub fn user(&self, id: UserId) -> Option<User> {
        self.read_store().row(id.0).map(store::UserRecord::snapshot)
    }

    /// A live (not deleted) user by username.
    pub fn user_by_name(&self, username: &str) -> Option<User> {
        self.read_store()
            .live_by_username(username)
            .map(store::UserRecord::snapshot)
    }

    /// The live users the API lists (admin excluded), in id order.
    pub fn users(&self) -> Vec<User> {
        self.read_store()
            .all_rows()
            .filter(|user| !user.deleted && user.id != 1)
            .map(store::UserRecord::snapshot)
            .collect()
    }

    /// Harbor's user count: live users without the admin.
    pub fn user_count(&self) -> usize {
        self.read_store().live_count()
    }

    /// Whether `candidate` is the current password of user `id`.
    pub fn password_matches(&self, id: UserId, candidate: &str) -> bool {
        self.read_store()
            .row(id.0)
            .is_some_and(|user| *user.password == *candidate)
    }

    /// Adds a robot account (or replaces the one with the same name).
    pub fn add_robot(&self, robot: Robot) {
        let mut store = self.write_store();
        store.robots.retain(|existing| existing.name != robot.name);
        store.robots.push(robot);
    }

    /// Adds a project (or replaces the one with the same id).
    pub fn add_project(&self, project: Project) {
        let mut store = self.write_store();
        store.projects.retain(|existing| existing.id != project.id);
        store.projects.push(project);
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.inner
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes settings in place.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        change(
            &mut self
                .inner
                .settings
                .write()
                .unwrap_or_else(|e| e.into_inner()),
        );
    }

    /// Switches the auth mode.
    pub fn set_auth_mode(&self, mode: AuthMode) {
        self.update_settings(|settings| settings.auth_mode = mode);
    }

    /// Switches read-only mode.
    pub fn set_read_only(&self, read_only: bool) {
        self.update_settings(|settings| settings.read_only = read_only);
    }

    /// Switches self-registration.
    pub fn set_self_registration(&self, enabled: bool) {
        self.update_settings(|settings| settings.self_registration = enabled);
    }

    /// Sets the failed-login lock (zero turns it off).
    pub fn set_login_lock(&self, lock: Duration) {
        self.update_settings(|settings| settings.login_lock = lock);
    }

    /// Replaces the fault configuration and reseeds its generator. Queued scripted faults
    /// stay queued.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.faults.configure(faults);
    }

    /// Makes the next `count` requests under `/api/v2.0/users` fail with `kind`, after any
    /// scripted faults already queued.
    pub fn script_faults(&self, kind: FaultKind, count: u64) {
        self.inner.faults.script(kind, count);
    }

    /// Removes all faults, scripted and probabilistic, and the latency.
    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// The request counters.
    pub fn stats(&self) -> Stats {
        self.inner.stats.snapshot()
    }

    /// Zeroes the request counters.
    pub fn reset_stats(&self) {
        self.inner.stats.reset();
    }
}

/// Configures and starts a [`FakeHarbor`].
#[derive(Debug, Clone)]
pub struct FakeHarborBuilder {
    admin_password: String,
    seeded: usize,
    seed_password: String,
    users: Vec<NewUser>,
    robots: Vec<Robot>,
    projects: Vec<Project>,
    settings: Settings,
    faults: Faults,
    listen: SocketAddr,
    tls: bool,
}

impl Default for FakeHarborBuilder {
    fn default() -> Self {
        Self {
            admin_password: DEFAULT_ADMIN_PASSWORD.to_string(),
            seeded: 0,
            seed_password: DEFAULT_USER_PASSWORD.to_string(),
            users: Vec::new(),
            robots: Vec::new(),
            projects: Vec::new(),
            settings: Settings::default(),
            faults: Faults::none(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
        }
    }
}

/// The username of the `index`-th user seeded by [`FakeHarborBuilder::users`]
/// (`user000001` for index 0).
pub fn seeded_username(index: usize) -> String {
    format!("user{:06}", index + 1)
}

impl FakeHarborBuilder {
    /// Sets the admin password (default [`DEFAULT_ADMIN_PASSWORD`]).
    #[must_use]
    pub fn admin_password(mut self, password: impl Into<String>) -> Self {
        self.admin_password = password.into();
        self
    }

    /// Seeds `count` users named by [`seeded_username`], with email `<name>@example.com`,
    /// realname `<name>` and the seed password, before any user added with
    /// [`user`](Self::user).
    #[must_use]
    pub fn users(mut self, count: usize) -> Self {
        self.seeded = count;
        self
    }

    /// The password of users seeded by [`users`](Self::users)
    /// (default [`DEFAULT_USER_PASSWORD`]).
    #[must_use]
    pub fn seed_password(mut self, password: impl Into<String>) -> Self {
        self.seed_password = password.into();
        self
    }

    /// Adds one user.
    #[must_use]
    pub fn user(mut self, user: NewUser) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a robot account.
    #[must_use]
    pub fn robot(mut self, robot: Robot) -> Self {
        self.robots.push(robot);
        self
    }

    /// Adds a project.
    #[must_use]
    pub fn project(mut self, project: Project) -> Self {
        self.projects.push(project);
        self
    }

    /// Sets the auth mode (default `db_auth`).
    #[must_use]
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.settings.auth_mode = mode;
        self
    }

    /// Turns self-registration on or off (default off).
    #[must_use]
    pub fn self_registration(mut self, enabled: bool) -> Self {
        self.settings.self_registration = enabled;
        self
    }

    /// Turns read-only mode on or off (default off).
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.settings.read_only = read_only;
        self
    }

    /// Sets the failed-login lock (Harbor: 1.5 s; default here: off).
    #[must_use]
    pub fn login_lock(mut self, lock: Duration) -> Self {
        self.settings.login_lock = lock;
        self
    }

    /// Replaces all settings at once.
    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the fault configuration.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Listens on this address instead of an ephemeral port on 127.0.0.1.
    #[must_use]
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = address;
        self
    }

    /// Serves HTTPS with a freshly generated certificate; see [`FakeHarbor::ca_pem`].
    #[must_use]
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// Builds the state without starting a server (for [`HarborState::router`]).
    pub fn build(self) -> Result<HarborState, SeedError> {
        let state = HarborState::new(&self.admin_password);
        let seed_password = self.seed_password;
        state.seed_users(self.seeded, |index| {
            NewUser::new(seeded_username(index)).password(seed_password.as_str())
        })?;
        for user in self.users {
            state.add_user(user)?;
        }
        for robot in self.robots {
            state.add_robot(robot);
        }
        for project in self.projects {
            state.add_project(project);
        }
        state.update_settings(|settings| *settings = self.settings);
        state.set_faults(self.faults);
        Ok(state)
    }

    /// Builds the state and serves it on a background task.
    pub async fn start(self) -> Result<FakeHarbor, StartError> {
        let (listen, tls) = (self.listen, self.tls);
        let state = self.build()?;
        let listener = TcpListener::bind(listen).await.map_err(StartError::Bind)?;
        let address = listener.local_addr().map_err(StartError::Bind)?;
        let tls = if tls {
            Some(tls::generate().map_err(StartError::Tls)?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (stop, stopped) = watch::channel(false);
        let (acceptor, ca_pem) = match tls {
            Some(tls) => (Some(tls.acceptor), Some(tls.ca_pem)),
            None => (None, None),
        };
        let task = tokio::spawn(server::serve(listener, acceptor, state.router(), stopped));
        tracing::info!(%address, scheme, "fake Harbor listening");
        Ok(FakeHarbor {
            state,
            address,
            url: format!("{scheme}://{address}"),
            ca_pem,
            stop,
            task: Some(task),
        })
    }
}

/// A running fake Harbor. Dropping it stops the server and closes its connections.
///
/// It dereferences to [`HarborState`] for seeding, inspection and runtime switches.
pub struct FakeHarbor {
    state: HarborState,
    address: SocketAddr,
    url: String,
    ca_pem: Option<String>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeHarbor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeHarbor")
            .field("url", &self.url)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl FakeHarbor {
    /// Starts configuring a fake Harbor.
    pub fn builder() -> FakeHarborBuilder {
        FakeHarborBuilder::default()
    }

    /// The base URL, `http://127.0.0.1:PORT` (or `https://…` with TLS).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API base URL, `<url>/api/v2.0`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v2.0", self.url)
    }

    /// The socket address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The PEM of the CA that signed the server certificate, when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The shared state, also reachable through `Deref`.
    pub fn state(&self) -> &HarborState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish (for up to two seconds), and waits
    /// until the server task has ended.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Deref for FakeHarbor {
    type Target = HarborState;

    fn deref(&self) -> &HarborState {
        &self.state
    }
}

impl Drop for FakeHarbor {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
