//! The client and its builder.

use std::{fmt, path::PathBuf, sync::Arc, time::Duration};

use reqwest::header::HeaderValue;
use url::Url;

use crate::{
    Credentials, Error, RetryPolicy, base_url,
    credentials::{self, Secret},
    transport::{DEFAULT_MAX_BODY_SIZE, Pipeline},
};

/// The default time one HTTP request may take, connecting and reading the
/// body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default time to establish a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for one Harbor server.
///
/// Cheap to clone (clones share one connection pool) and safe to share
/// between tasks. Build one with [`HarborClient::builder`] or
/// [`HarborClient::from_env`].
///
/// ```no_run
/// use harbor_users::{Credentials, HarborClient};
///
/// let client = HarborClient::builder("https://harbor.example.com")
///     .credentials(Credentials::basic("admin", "Harbor12345"))
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "https://harbor.example.com/api/v2.0/");
/// # Ok::<(), harbor_users::Error>(())
/// ```
#[derive(Clone)]
pub struct HarborClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    base_url: Url,
    http: reqwest::Client,
    pipeline: Arc<Pipeline>,
    raw: harbor_openapi::Client,
    username: Option<String>,
}

impl Inner {
    pub(crate) fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
}

impl HarborClient {
    /// Starts configuring a client for the Harbor at `url`.
    ///
    /// `url` is the address of the server, as in the browser:
    /// `https://harbor.example.com`, with or without a trailing slash, with
    /// or without the API prefix `/api/v2.0`, and with the path prefix if
    /// Harbor is served below one (`https://example.com/harbor/`). It is
    /// checked by [`ClientBuilder::build`].
    pub fn builder(url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder::new(url.as_ref())
    }

    /// A client configured from the environment: `HARBOR_URL`, and
    /// `HARBOR_USERNAME` with `HARBOR_PASSWORD` (both, or neither for
    /// anonymous access). See [`ClientBuilder::from_env`] to change other
    /// settings before building.
    ///
    /// ```no_run
    /// let client = harbor_users::HarborClient::from_env()?;
    /// # Ok::<(), harbor_users::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The generated client for the whole Harbor API, configured like this
    /// one: same credentials, retries, timeouts, TLS, tracing and request
    /// ids. Use it for any Harbor endpoint this crate does not wrap.
    ///
    /// Its calls return the generated client's own error type,
    /// [`harbor_openapi::Error`], not this crate's [`Error`], and read
    /// response bodies without the [`ClientBuilder::max_body_size`] cap.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let health = client.raw().get_health().send().await?.into_inner();
    /// println!("Harbor is {:?}", health.status);
    /// # Ok(())
    /// # }
    /// ```
    pub fn raw(&self) -> &harbor_openapi::Client {
        &self.inner.raw
    }

    /// The username the client authenticates as, or `None` when
    /// anonymous.
    ///
    /// ```
    /// let client = harbor_users::HarborClient::builder("https://harbor.example.com")
    ///     .basic_auth("robot$ci", "s3cr3t")
    ///     .build()?;
    /// assert_eq!(client.username(), Some("robot$ci"));
    /// # Ok::<(), harbor_users::Error>(())
    /// ```
    pub fn username(&self) -> Option<&str> {
        self.inner.username.as_deref()
    }

    /// The API base every path is relative to, such as
    /// `https://harbor.example.com/api/v2.0/`; it always ends with `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// A client that sends `id` as the `X-Request-Id` of each of its
    /// requests, so that Harbor's log lines for a whole job share one id.
    /// It shares this client's connections.
    ///
    /// For one call, or for requests made inside one future, use
    /// [`harbor_openapi::request_id::scope`] instead; a scope wins over
    /// this id.
    ///
    /// ```no_run
    /// # fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// let nightly = client.with_request_id("nightly-cleanup-2026-01-02")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_request_id(&self, id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let value = HeaderValue::try_from(id.as_str())
            .ok()
            .filter(|_| !id.is_empty())
            .ok_or_else(|| {
                Error::invalid_input(
                    "request id",
                    format!("{id:?} must be non-empty visible ASCII"),
                )
            })?;
        let current = self.inner.pipeline();
        let pipeline = Pipeline {
            authorization: current.authorization.clone(),
            user_agent: current.user_agent.clone(),
            retry: current.retry.clone(),
            request_id: Some(value),
            max_body_size: current.max_body_size,
        };
        Ok(Self::assemble(
            self.inner.base_url.clone(),
            self.inner.http.clone(),
            pipeline,
            self.inner.username.clone(),
        ))
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    fn assemble(
        base_url: Url,
        http: reqwest::Client,
        pipeline: Pipeline,
        username: Option<String>,
    ) -> Self {
        let pipeline = Arc::new(pipeline);
        // The generated client joins operation paths to its base with a `/`
        // of its own.
        let raw = harbor_openapi::Client::new_with_client(
            base_url.as_str().trim_end_matches('/'),
            http.clone(),
            harbor_openapi::Hooks::new(pipeline.clone()),
        );
        Self {
            inner: Arc::new(Inner {
                base_url,
                http,
                pipeline,
                raw,
                username,
            }),
        }
    }
}

impl fmt::Debug for HarborClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HarborClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("username", &self.inner.username)
            .field("pipeline", &self.inner.pipeline)
            .finish_non_exhaustive()
    }
}

/// Configures a [`HarborClient`]; made by [`HarborClient::builder`].
///
/// Nothing is checked until [`build`](Self::build), which reports every
/// problem as an [`Error::Config`] or [`Error::InvalidInput`].
///
/// ```no_run
/// use std::time::Duration;
/// use harbor_users::{Credentials, HarborClient, RetryPolicy};
///
/// let client = HarborClient::builder("https://harbor.internal.example/")
///     .credentials(Credentials::from_robot_file("/etc/harbor/robot$ci.json")?)
///     .add_ca_certificate_file("/etc/harbor/ca.pem")
///     .timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().max_attempts(6))
///     .build()?;
/// # Ok::<(), harbor_users::Error>(())
/// ```
///
/// # Cookies
///
/// The client never stores cookies. Harbor sets a session cookie (`sid`) on
/// API responses and then rejects every PUT, POST and DELETE that sends it
/// back with 403 "CSRF token invalid"; without the cookie, Harbor skips its
/// CSRF check for API calls authenticated with Basic credentials.
///
/// # Redirects
///
/// Redirects are not followed: Harbor's API never redirects, so a redirect
/// means the URL points somewhere else (often `http://` where the server
/// wants `https://`), and following it could turn a PUT into a GET. The
/// redirect comes back as an [`Error::Status`] with its status.
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    url: String,
    credentials: Credentials,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    ca_certificates: Vec<CaCertificate>,
    accept_invalid_certs: bool,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    max_body_size: usize,
    http: Option<reqwest::Client>,
}

enum CaCertificate {
    Pem(Vec<u8>),
    File(PathBuf),
}

impl ClientBuilder {
    fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            credentials: Credentials::anonymous(),
            timeout: None,
            connect_timeout: None,
            user_agent: None,
            ca_certificates: Vec::new(),
            accept_invalid_certs: false,
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            http: None,
        }
    }

    /// A builder with the URL and credentials from the environment:
    /// `HARBOR_URL` (required), and `HARBOR_USERNAME` with
    /// `HARBOR_PASSWORD` (both, or neither for anonymous access). A robot
    /// account's name and secret go in the same two variables.
    ///
    /// The error names the variable that is missing.
    pub fn from_env() -> Result<Self, Error> {
        // `lookup` can only say "unset", so a value that is set but not
        // Unicode is reported here rather than as missing.
        for name in credentials::env::ALL {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(Error::config(format!(
                    "{name} is set but is not valid Unicode"
                )));
            }
        }
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through
    /// `lookup`, which returns a variable's value or `None` when unset.
    /// Tests use it to avoid changing the process environment.
    ///
    /// ```
    /// use harbor_users::ClientBuilder;
    ///
    /// let vars = [("HARBOR_URL", "https://harbor.example.com")];
    /// let lookup = |name: &str| {
    ///     vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    /// };
    /// let client = ClientBuilder::from_env_with(lookup)?.build()?;
    /// assert_eq!(client.base_url().as_str(), "https://harbor.example.com/api/v2.0/");
    ///
    /// let error = ClientBuilder::from_env_with(|_| None).err();
    /// assert!(error.is_some_and(|e| e.to_string().contains("HARBOR_URL is not set")));
    /// # Ok::<(), harbor_users::Error>(())
    /// ```
    pub fn from_env_with(lookup: impl FnMut(&str) -> Option<String>) -> Result<Self, Error> {
        let (url, credentials) = credentials::from_env_with(lookup)?;
        Ok(Self::new(&url).credentials(credentials))
    }

    /// Authenticates as `credentials` (anonymous by default).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Authenticates with a username and password; short for
    /// `credentials(Credentials::basic(username, password))`.
    pub fn basic_auth(self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials(Credentials::basic(username, password))
    }

    /// The longest one HTTP request may take, from connecting to the end of
    /// the body (default [`DEFAULT_TIMEOUT`]). Each retry gets its own.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest connecting may take, TLS included (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header (default `harbor-users/<version>`), so that
    /// Harbor's access log tells your tool apart.
    ///
    /// ```
    /// let client = harbor_users::HarborClient::builder("https://harbor.example.com")
    ///     .user_agent("nightly-cleanup/2.1")
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Trusts the CA certificates in `pem` (one or more PEM blocks) in
    /// addition to the system's roots, as for a Harbor whose certificate
    /// comes from a private CA.
    pub fn add_ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates.push(CaCertificate::Pem(pem.into()));
        self
    }

    /// Like [`add_ca_certificate_pem`](Self::add_ca_certificate_pem), reading
    /// the PEM file at `path` when the client is built.
    pub fn add_ca_certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_certificates.push(CaCertificate::File(path.into()));
        self
    }

    /// **Dangerous:** with `true`, accepts any TLS certificate, including
    /// expired, self-signed and other hosts' ones, so anyone who can
    /// intercept the connection can read the credentials. Prefer
    /// [`add_ca_certificate_pem`](Self::add_ca_certificate_pem). A warning is
    /// logged when a client is built with this.
    ///
    /// ```
    /// // For a throwaway test server only.
    /// let client = harbor_users::HarborClient::builder("https://localhost:8443")
    ///     .danger_accept_invalid_certs(true)
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// With `true`, allows sending credentials over plain `http://` to a
    /// host other than this machine.
    ///
    /// Refused by default because anyone on the network path can read a
    /// Basic password from plain HTTP. Loopback addresses and `localhost`
    /// are always allowed, as is anonymous access.
    ///
    /// ```
    /// use harbor_users::HarborClient;
    ///
    /// let refused = HarborClient::builder("http://harbor.example.com")
    ///     .basic_auth("admin", "Harbor12345")
    ///     .build();
    /// assert!(refused.is_err_and(|e| e.to_string().contains("plain http://")));
    ///
    /// let allowed = HarborClient::builder("http://harbor.example.com")
    ///     .basic_auth("admin", "Harbor12345")
    ///     .allow_insecure_http(true)
    ///     .build();
    /// assert!(allowed.is_ok());
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// When and how often failed requests are retried; see [`RetryPolicy`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest successful response body that is read, in bytes
    /// (default 16 MiB); a larger one gives [`Error::BodyTooLarge`].
    /// Applies to this crate's operations, not to [`HarborClient::raw`],
    /// whose responses the generated code reads.
    ///
    /// ```
    /// let client = harbor_users::HarborClient::builder("https://harbor.example.com")
    ///     .max_body_size(64 * 1024 * 1024)
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Sends requests with this `reqwest::Client` instead of one built
    /// here, to share a connection pool or use settings this builder does
    /// not offer (a proxy, a client certificate, …).
    ///
    /// That client's own timeouts, TLS settings, redirect policy and cookie
    /// store then apply; give it no cookie store (see the type's docs), and
    /// call [`harbor_openapi::install_crypto_provider`] before building it.
    /// Setting [`timeout`](Self::timeout),
    /// [`connect_timeout`](Self::connect_timeout), a CA certificate or
    /// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs)
    /// as well is an error, since they could not take effect. Credentials,
    /// user agent, retries, request ids and tracing still come from here.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// harbor_users::harbor_openapi::install_crypto_provider();
    /// let http = reqwest::Client::builder()
    ///     .timeout(Duration::from_secs(5))
    ///     .build()?;
    /// let client = harbor_users::HarborClient::builder("https://harbor.example.com")
    ///     .http_client(http)
    ///     .basic_auth("admin", "Harbor12345")
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the configuration and builds the client. Sends nothing.
    pub fn build(self) -> Result<HarborClient, Error> {
        let base_url = base_url::api_base(&self.url)?;
        self.refuse_plain_http_credentials(&base_url)?;

        let authorization = self.credentials.authorization()?;
        let user_agent = match &self.user_agent {
            Some(agent) => HeaderValue::try_from(agent.as_str()).map_err(|_| {
                Error::config(format!(
                    "the user agent {agent:?} is not a valid header value"
                ))
            })?,
            None => HeaderValue::from_static(concat!("harbor-users/", env!("CARGO_PKG_VERSION"))),
        };
        let http = self.http_client_to_use()?;

        let pipeline = Pipeline {
            authorization,
            user_agent,
            retry: self.retry,
            request_id: None,
            max_body_size: self.max_body_size,
        };
        let username = self.credentials.username().map(str::to_owned);
        Ok(HarborClient::assemble(base_url, http, pipeline, username))
    }

    fn refuse_plain_http_credentials(&self, base_url: &Url) -> Result<(), Error> {
        if base_url.scheme() == "http"
            && !self.credentials.is_anonymous()
            && !self.allow_insecure_http
            && !base_url::is_loopback(base_url)
        {
            return Err(Error::config(format!(
                "refusing to send credentials over plain http:// to {}: anyone on the network \
                 path could read them; use https://, or call allow_insecure_http(true) if the \
                 network is trusted",
                base_url.host_str().unwrap_or_default()
            )));
        }
        Ok(())
    }

    fn http_client_to_use(&self) -> Result<reqwest::Client, Error> {
        if let Some(http) = &self.http {
            let mut ignored = Vec::new();
            if self.timeout.is_some() {
                ignored.push("timeout");
            }
            if self.connect_timeout.is_some() {
                ignored.push("connect_timeout");
            }
            if !self.ca_certificates.is_empty() {
                ignored.push("CA certificates");
            }
            if self.accept_invalid_certs {
                ignored.push("danger_accept_invalid_certs");
            }
            if !ignored.is_empty() {
                return Err(Error::config(format!(
                    "{} cannot apply to a reqwest::Client given with http_client; \
                     configure that client instead",
                    ignored.join(", ")
                )));
            }
            return Ok(http.clone());
        }

        harbor_openapi::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
            .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none());

        let mut roots = Vec::new();
        for source in &self.ca_certificates {
            roots.extend(load_certificates(source)?);
        }
        if !roots.is_empty() {
            builder = builder.tls_certs_merge(roots);
        }
        if self.accept_invalid_certs {
            tracing::warn!(
                "TLS certificate verification is off for this Harbor client: \
                 the connection can be intercepted"
            );
            builder = builder.tls_danger_accept_invalid_certs(true);
        }

        builder
            .build()
            .map_err(|error| Error::config_with("the HTTP client cannot be built", error))
    }
}

fn load_certificates(source: &CaCertificate) -> Result<Vec<reqwest::Certificate>, Error> {
    let (pem, origin) = match source {
        CaCertificate::Pem(pem) => (
            std::borrow::Cow::Borrowed(pem.as_slice()),
            "PEM data".to_owned(),
        ),
        CaCertificate::File(path) => {
            let pem = std::fs::read(path).map_err(|error| {
                Error::config_with(
                    format!("cannot read the CA certificate file {}", path.display()),
                    error,
                )
            })?;
            (std::borrow::Cow::Owned(pem), path.display().to_string())
        }
    };
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|error| Error::config_with(format!("{origin} is not a PEM certificate"), error))?;
    if certificates.is_empty() {
        return Err(Error::config(format!(
            "{origin} holds no certificate (expected -----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certificates)
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            // A URL with userinfo is refused by `build`; its password must
            // not reach a log before that.
            .field(
                "url",
                &if self.url.contains('@') {
                    "<hidden>"
                } else {
                    &self.url
                },
            )
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("ca_certificates", &self.ca_certificates.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("retry", &self.retry)
            .field("max_body_size", &self.max_body_size)
            .field("custom_http_client", &self.http.is_some())
            .finish()
    }
}
