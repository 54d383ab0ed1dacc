//! The public vocabulary of the fake: users, robots, projects and settings.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// The id of a Harbor user (`user_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of the built-in `admin` account.
pub const ADMIN_ID: UserId = UserId(1);

/// The admin password Harbor ships with (`harbor_admin_password` in `harbor.yml`).
pub const DEFAULT_ADMIN_PASSWORD: &str = "Harbor12345";

/// The password seeded users get unless told otherwise.
pub const DEFAULT_USER_PASSWORD: &str = "Passw0rd!Seed";

/// A username and password (or robot name and secret) for HTTP Basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The login name.
    pub username: String,
    /// The password or secret.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Harbor's `auth_mode` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Local database users (`db_auth`), Harbor's default.
    #[default]
    Database,
    /// LDAP (`ldap_auth`). The fake's own user table stands in for the directory.
    Ldap,
    /// OpenID Connect (`oidc_auth`). Only `admin` can log in with a password.
    Oidc,
}

impl AuthMode {
    /// The name Harbor uses in its configuration and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Database => "db_auth",
            AuthMode::Ldap => "ldap_auth",
            AuthMode::Oidc => "oidc_auth",
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An auth mode name that is not `db_auth`, `ldap_auth` or `oidc_auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAuthMode(pub String);

impl fmt::Display for UnknownAuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown auth mode {:?}; expected db_auth, ldap_auth or oidc_auth",
            self.0
        )
    }
}

impl std::error::Error for UnknownAuthMode {}

impl FromStr for AuthMode {
    type Err = UnknownAuthMode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "db_auth" => Ok(AuthMode::Database),
            "ldap_auth" => Ok(AuthMode::Ldap),
            "oidc_auth" => Ok(AuthMode::Oidc),
            other => Err(UnknownAuthMode(other.to_string())),
        }
    }
}

/// A user to put into the fake directly, without the API's validation.
///
/// Seeding skips Harbor's profile rules on purpose, so that tests can set up data the API
/// would refuse; only username and email uniqueness is enforced.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Email; empty means none (stored as NULL, as LDAP and OIDC users have it).
    pub email: String,
    /// Full name.
    pub realname: String,
    /// Free text.
    pub comment: String,
    /// Password, stored as given.
    pub password: String,
    /// Whether the user is a system administrator.
    pub sysadmin: bool,
    /// Whether the admin right comes from an LDAP or OIDC group rather than the flag.
    pub admin_role_in_auth: bool,
    /// Whether the user has an OIDC record (consulted in `oidc_auth` mode).
    pub oidc: bool,
    /// The CLI secret of the OIDC record; `None` generates one.
    pub oidc_secret: Option<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("sysadmin", &self.sysadmin)
            .finish_non_exhaustive()
    }
}

impl NewUser {
    /// A user named `username` with email `<username>@example.com`, realname `username`,
    /// [`DEFAULT_USER_PASSWORD`] and an OIDC record.
    pub fn new(username: impl Into<String>) -> Self {
        let username = username.into();
        Self {
            email: format!("{username}@example.com"),
            realname: username.clone(),
            username,
            comment: String::new(),
            password: DEFAULT_USER_PASSWORD.to_string(),
            sysadmin: false,
            admin_role_in_auth: false,
            oidc: true,
            oidc_secret: None,
        }
    }

    /// Sets the email; "" means none.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// Sets the realname.
    #[must_use]
    pub fn realname(mut self, realname: impl Into<String>) -> Self {
        self.realname = realname.into();
        self
    }

    /// Sets the comment.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = comment.into();
        self
    }

    /// Sets the password.
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Makes the user a system administrator.
    #[must_use]
    pub fn sysadmin(mut self, sysadmin: bool) -> Self {
        self.sysadmin = sysadmin;
        self
    }

    /// Grants admin rights through the auth backend's groups (`admin_role_in_auth`).
    #[must_use]
    pub fn admin_role_in_auth(mut self, admin: bool) -> Self {
        self.admin_role_in_auth = admin;
        self
    }

    /// Gives or removes the user's OIDC record.
    #[must_use]
    pub fn oidc(mut self, onboarded: bool) -> Self {
        self.oidc = onboarded;
        self
    }

    /// Sets the CLI secret of the OIDC record.
    #[must_use]
    pub fn oidc_secret(mut self, secret: impl Into<String>) -> Self {
        self.oidc = true;
        self.oidc_secret = Some(secret.into());
        self
    }
}

/// A snapshot of one user as stored, deleted ones included.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The username (`name#id` once deleted).
    pub username: String,
    /// The email, if any (`email#id` once deleted).
    pub email: Option<String>,
    /// Full name.
    pub realname: String,
    /// Free text.
    pub comment: String,
    /// The `sysadmin_flag`.
    pub sysadmin: bool,
    /// Admin right granted by the auth backend.
    pub admin_role_in_auth: bool,
    /// Whether the user was (soft) deleted.
    pub deleted: bool,
    /// When the user was created.
    pub creation_time: SystemTime,
    /// When the user was last changed.
    pub update_time: SystemTime,
    /// The plaintext CLI secret of the OIDC record, if the user has one.
    pub oidc_secret: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("sysadmin", &self.sysadmin)
            .field("deleted", &self.deleted)
            .finish_non_exhaustive()
    }
}

/// A robot account, authenticating as `robot$<name>` with its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Robot {
    pub(crate) name: String,
    pub(crate) secret: String,
    pub(crate) permissions: Vec<RobotPermission>,
    pub(crate) disabled: bool,
}

impl fmt::Debug for Robot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Robot")
            .field("name", &self.name)
            .field("permissions", &self.permissions)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// One permission of a robot: an action on a resource, system-wide or in one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotPermission {
    /// The project the permission is for; `None` for the system namespace.
    pub project_id: Option<i64>,
    /// The resource, such as `user` or `repository`; `*` for any.
    pub resource: String,
    /// The action, such as `list` or `update`; `*` for any.
    pub action: String,
}

impl Robot {
    /// A system-level robot `robot$<name>` with no permissions yet.
    ///
    /// The name is given without Harbor's `robot$` prefix; a prefixed name is kept as is.
    pub fn new(name: impl Into<String>, secret: impl Into<String>) -> Self {
        let name = name.into();
        let name = if name.starts_with("robot$") {
            name
        } else {
            format!("robot${name}")
        };
        Self {
            name,
            secret: secret.into(),
            permissions: Vec::new(),
            disabled: false,
        }
    }

    /// Grants `action` on the system resource `resource` (e.g. `("user", "list")`).
    #[must_use]
    pub fn allow(mut self, resource: impl Into<String>, action: impl Into<String>) -> Self {
        self.permissions.push(RobotPermission {
            project_id: None,
            resource: resource.into(),
            action: action.into(),
        });
        self
    }

    /// Grants `action` on `resource` of one project (`.` for the project itself).
    #[must_use]
    pub fn allow_in_project(
        mut self,
        project_id: i64,
        resource: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        self.permissions.push(RobotPermission {
            project_id: Some(project_id),
            resource: resource.into(),
            action: action.into(),
        });
        self
    }

    /// Disables the robot: its secret stops working.
    #[must_use]
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// The full login name, `robot$…`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Credentials to log in as this robot.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            username: self.name.clone(),
            password: self.secret.clone(),
        }
    }
}

/// A project role, as assigned to project members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectRole {
    /// Project admin (role id 1).
    ProjectAdmin,
    /// Developer (role id 2).
    Developer,
    /// Guest (role id 3).
    Guest,
    /// Maintainer (role id 4).
    Maintainer,
    /// Limited guest (role id 5).
    LimitedGuest,
}

/// A project, used only to answer `/users/current/permissions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) public: bool,
    pub(crate) members: Vec<(UserId, ProjectRole)>,
}

impl Project {
    /// A private project with no members.
    pub fn new(id: i64, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            public: false,
            members: Vec::new(),
        }
    }

    /// Makes the project public (non-members get read access).
    #[must_use]
    pub fn public(mut self, public: bool) -> Self {
        self.public = public;
        self
    }

    /// Adds a member with a role.
    #[must_use]
    pub fn member(mut self, user: UserId, role: ProjectRole) -> Self {
        self.members.push((user, role));
        self
    }

    /// The project id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The project name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Behaviour switches that can be changed while the server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Harbor's `auth_mode`.
    pub auth_mode: AuthMode,
    /// Harbor's `self_registration`.
    pub self_registration: bool,
    /// Harbor's `read_only`: every modifying request gets 403 `DENIED`.
    pub read_only: bool,
    /// The prefix that marks a robot login name (`robot_name_prefix`).
    pub robot_prefix: String,
    /// How long a principal stays locked, and its failed request waits, after a failed login.
    /// Harbor uses 1.5 s; the fake defaults to zero so that test suites stay fast.
    pub login_lock: Duration,
    /// Whether responses to authenticated requests set a `sid` session cookie, as Harbor's
    /// session middleware does.
    pub session_cookie: bool,
    /// Whether PUT, POST and DELETE requests carrying a `sid` cookie are refused with
    /// "CSRF token invalid", as Harbor refuses them.
    pub csrf_check: bool,
    /// Answer anonymous calls to get, update-profile, update-password and cli-secret with the
    /// empty 500 of Harbor v2.15's nil-user panic instead of the 401 of earlier versions.
    pub anonymous_panics: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auth_mode: AuthMode::Database,
            self_registration: false,
            read_only: false,
            robot_prefix: "robot$".to_string(),
            login_lock: Duration::ZERO,
            session_cookie: true,
            csrf_check: true,
            anonymous_panics: false,
        }
    }
}
