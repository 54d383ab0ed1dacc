//! Who the client says it is: a user, a robot account, or nobody.

use std::{fmt, path::Path};

use base64::Engine as _;
use reqwest::header::HeaderValue;

use crate::Error;

/// A password or robot secret.
///
/// Its [`Debug`] and [`Display`](fmt::Display) forms never show the value,
/// so a `Secret` can sit in structs that are logged or printed. The value is
/// only reachable through [`expose`](Self::expose). It is not wiped from
/// memory when dropped.
///
/// ```
/// use harbor_users::Secret;
///
/// let secret = Secret::new("Harbor12345");
/// assert_eq!(format!("{secret:?}"), r#"Secret("***")"#);
/// assert_eq!(secret.to_string(), "***");
/// assert_eq!(secret.expose(), "Harbor12345");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Secret").field(&"***").finish()
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Harbor returns CLI secrets in plain text (`oidc_user_meta.secret`); they
/// are wrapped as they are read.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer).map(Self)
    }
}

/// How the client authenticates to Harbor.
///
/// Harbor's API takes HTTP Basic authentication for both users and robot
/// accounts; without credentials, requests are anonymous and Harbor answers
/// 401 wherever a login is needed. The header is sent with every request,
/// not after a challenge: Harbor never sends `WWW-Authenticate`, so waiting
/// for one would leave every request anonymous.
///
/// ```
/// use harbor_users::Credentials;
///
/// let admin = Credentials::basic("admin", "Harbor12345");
/// let robot = Credentials::robot("robot$ci", "s3cr3t-from-harbor");
/// assert_eq!(robot.username(), Some("robot$ci"));
/// assert!(Credentials::anonymous().is_anonymous());
///
/// // The username is shown, the password never is.
/// assert_eq!(
///     format!("{admin:?}"),
///     r#"Credentials::Basic { username: "admin", password: Secret("***") }"#
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    kind: Kind,
}

#[derive(Clone, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: Secret,
    },
}

impl Credentials {
    /// No credentials: every request is anonymous.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// A Harbor user's username (or email) and password.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            kind: Kind::Basic {
                username: username.into(),
                password: password.into(),
            },
        }
    }

    /// A robot account: its full name as Harbor shows it, prefix included
    /// (`robot$ci`, or `robot$project+ci` for a project robot), and its
    /// secret.
    pub fn robot(name: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self::basic(name, secret)
    }

    /// A robot account from the JSON file Harbor offers for download when a
    /// robot is created. Only its `name` and `secret` fields are read.
    ///
    /// ```no_run
    /// let robot = harbor_users::Credentials::from_robot_file("robot$ci.json")?;
    /// # Ok::<(), harbor_users::Error>(())
    /// ```
    pub fn from_robot_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::invalid_input(
                "robot credentials file",
                format!("cannot read {}: {error}", path.display()),
            )
        })?;
        Self::from_robot_json(&text).map_err(|error| match error {
            Error::InvalidInput { reason, .. } => Error::invalid_input(
                "robot credentials file",
                format!("{}: {reason}", path.display()),
            ),
            other => other,
        })
    }

    /// A robot account from the text of Harbor's robot credentials file.
    ///
    /// ```
    /// use harbor_users::Credentials;
    ///
    /// let json = r#"{"id": 7, "name": "robot$ci", "secret": "s3cr3t", "expires_at": -1}"#;
    /// let robot = Credentials::from_robot_json(json)?;
    /// assert_eq!(robot.username(), Some("robot$ci"));
    ///
    /// let error = Credentials::from_robot_json(r#"{"name": "robot$ci"}"#).unwrap_err();
    /// assert!(error.to_string().contains("`secret`"));
    /// # Ok::<(), harbor_users::Error>(())
    /// ```
    pub fn from_robot_json(json: &str) -> Result<Self, Error> {
        // Parsed as a `Value` and picked apart by hand so that no error
        // message can quote the secret, as serde's type errors would.
        let invalid = |reason: String| Error::invalid_input("robot credentials", reason);
        let value: serde_json::Value = serde_json::from_str(json).map_err(|error| {
            invalid(format!(
                "not JSON (line {}, column {})",
                error.line(),
                error.column()
            ))
        })?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(serde_json::Value::as_str)
                .filter(|text| !text.is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "the `{name}` field is missing, empty or not a string"
                    ))
                })
        };
        Ok(Self::robot(field("name")?, field("secret")?))
    }

    /// The username sent to Harbor, or `None` when anonymous.
    pub fn username(&self) -> Option<&str> {
        match &self.kind {
            Kind::Anonymous => None,
            Kind::Basic { username, .. } => Some(username),
        }
    }

    /// Whether requests go without credentials.
    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, Kind::Anonymous)
    }

    /// The `Authorization` header value, marked sensitive so that the HTTP
    /// stack never prints it.
    pub(crate) fn authorization(&self) -> Result<Option<HeaderValue>, Error> {
        let Kind::Basic { username, password } = &self.kind else {
            return Ok(None);
        };
        if username.is_empty() {
            return Err(Error::config("the username is empty"));
        }
        // Basic authentication splits `username:password` at the first colon.
        if username.contains(':') {
            return Err(Error::config(format!(
                "the username {username:?} contains ':', which HTTP Basic authentication cannot carry"
            )));
        }
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{username}:{}", password.expose()));
        let mut value = HeaderValue::try_from(format!("Basic {token}"))
            .map_err(|_| Error::config("the credentials do not make a valid header"))?;
        value.set_sensitive(true);
        Ok(Some(value))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Anonymous => f.write_str("Credentials::Anonymous"),
            Kind::Basic { username, password } => f
                .debug_struct("Credentials::Basic")
                .field("username", username)
                .field("password", password)
                .finish(),
        }
    }
}

/// The environment variables [`ClientBuilder::from_env`](crate::ClientBuilder::from_env) reads.
pub(crate) mod env {
    /// The Harbor URL.
    pub(crate) const URL: &str = "HARBOR_URL";
    /// The username; needs [`PASSWORD`].
    pub(crate) const USERNAME: &str = "HARBOR_USERNAME";
    /// The password or robot secret; needs [`USERNAME`].
    pub(crate) const PASSWORD: &str = "HARBOR_PASSWORD";
    /// All of them.
    pub(crate) const ALL: [&str; 3] = [URL, USERNAME, PASSWORD];
}

/// Reads the URL and credentials through `lookup`, which returns a
/// variable's value or `None` when it is unset.
pub(crate) fn from_env_with(
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<(String, Credentials), Error> {
    let mut read = |name: &str| lookup(name).filter(|value| !value.is_empty());

    let url = read(env::URL).ok_or_else(|| {
        Error::config(format!(
            "{} is not set; set it to the Harbor URL, like https://harbor.example.com",
            env::URL
        ))
    })?;

    let credentials = match (read(env::USERNAME), read(env::PASSWORD)) {
        (Some(username), Some(password)) => Credentials::basic(username, password),
        (None, None) => Credentials::anonymous(),
        (Some(_), None) => {
            return Err(Error::config(format!(
                "{} is set but {} is not; set both, or neither for anonymous access",
                env::USERNAME,
                env::PASSWORD
            )));
        }
        (None, Some(_)) => {
            return Err(Error::config(format!(
                "{} is set but {} is not; set both, or neither for anonymous access",
                env::PASSWORD,
                env::USERNAME
            )));
        }
    };
    Ok((url, credentials))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl FnMut(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn basic_header_is_base64_of_username_colon_password_and_sensitive() {
        let header = Credentials::basic("admin", "Harbor12345")
            .authorization()
            .ok()
            .flatten();
        let header = header.as_ref();
        assert_eq!(
            header.and_then(|value| value.to_str().ok()),
            Some("Basic YWRtaW46SGFyYm9yMTIzNDU=")
        );
        assert_eq!(header.map(HeaderValue::is_sensitive), Some(true));
    }

    #[test]
    fn anonymous_sends_no_header() {
        assert!(matches!(Credentials::anonymous().authorization(), Ok(None)));
    }

    #[test]
    fn username_with_colon_or_empty_is_refused() {
        assert!(Credentials::basic("a:b", "pw").authorization().is_err());
        assert!(Credentials::basic("", "pw").authorization().is_err());
    }

    #[test]
    fn robot_json_errors_never_quote_the_secret() {
        let wrong_type = r#"{"name": "robot$ci", "secret": 123456789}"#;
        let message = Credentials::from_robot_json(wrong_type)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("`secret`"), "{message}");
        assert!(!message.contains("123456789"), "{message}");

        let broken = r#"{"name": "robot$ci", "secret": "hunter2hunter2"#;
        let message = Credentials::from_robot_json(broken)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("not JSON"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn robot_json_ignores_other_fields() {
        let json = r#"{"creation_time":"2026-01-02T03:04:05.678Z","expires_at":-1,
                       "id":12,"name":"robot$proj+ci","secret":"Abcdefgh1"}"#;
        let credentials = Credentials::from_robot_json(json);
        assert_eq!(
            credentials.ok(),
            Some(Credentials::robot("robot$proj+ci", "Abcdefgh1"))
        );
    }

    #[test]
    fn env_gives_url_and_basic_credentials() {
        let vars = [
            ("HARBOR_URL", "https://harbor.example.com"),
            ("HARBOR_USERNAME", "admin"),
            ("HARBOR_PASSWORD", "Harbor12345"),
        ];
        let (url, credentials) = from_env_with(lookup(&vars)).unwrap_or_default();
        assert_eq!(url, "https://harbor.example.com");
        assert_eq!(credentials, Credentials::basic("admin", "Harbor12345"));
    }

    #[test]
    fn env_without_username_and_password_is_anonymous() {
        let vars = [("HARBOR_URL", "https://harbor.example.com")];
        let result = from_env_with(lookup(&vars));
        assert!(matches!(result, Ok((_, c)) if c.is_anonymous()));
    }

    #[test]
    fn env_errors_name_the_missing_variable() {
        let message = |vars: &[(&str, &str)]| {
            from_env_with(lookup(vars))
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default()
        };

        assert!(message(&[]).contains("HARBOR_URL is not set"));
        assert!(message(&[("HARBOR_URL", "")]).contains("HARBOR_URL is not set"));

        let no_password = message(&[("HARBOR_URL", "https://h"), ("HARBOR_USERNAME", "admin")]);
        assert!(
            no_password.contains("HARBOR_USERNAME is set but HARBOR_PASSWORD is not"),
            "{no_password}"
        );

        let no_username = message(&[("HARBOR_URL", "https://h"), ("HARBOR_PASSWORD", "pw")]);
        assert!(
            no_username.contains("HARBOR_PASSWORD is set but HARBOR_USERNAME is not"),
            "{no_username}"
        );
        assert!(!no_username.contains("pw\""), "{no_username}");
    }
}
