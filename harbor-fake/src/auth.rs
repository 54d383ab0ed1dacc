//! Who is calling: Harbor's security contexts for robots, Basic-authenticated users and
//! anonymous requests.
//!
//! Harbor never rejects bad credentials early: a request whose credentials fail simply
//! becomes anonymous, and the handler then answers 401 or 403. A failed password also
//! locks the principal for a while (1.5 s in Harbor) and delays the failing request by the
//! same time; during the lock even the right password is ignored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

use crate::model::{AuthMode, ProjectRole, Robot, RobotPermission, Settings};
use crate::permissions::{self, Namespace};
use crate::store::Store;

/// The security context of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    Anonymous,
    User {
        id: i64,
        username: String,
        sysadmin: bool,
        admin_role_in_auth: bool,
    },
    Robot {
        name: String,
        permissions: Vec<RobotPermission>,
    },
}

impl Caller {
    pub(crate) fn is_authenticated(&self) -> bool {
        !matches!(self, Caller::Anonymous)
    }

    /// The name a 403 from `RequireSystemAccess` carries.
    pub(crate) fn username(&self) -> &str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::User { username, .. } => username,
            Caller::Robot { name, .. } => name,
        }
    }

    /// Harbor's `matchUserID`: only a local user can be "self"; robots never are.
    pub(crate) fn is_user(&self, id: i64) -> bool {
        matches!(self, Caller::User { id: own, .. } if *own == id)
    }

    /// `Can(action, /system/<resource>)`.
    pub(crate) fn can_system(&self, resource: &str, action: &str) -> bool {
        self.can(Namespace::System, resource, action, &[])
    }

    /// `Can(action, resource)` in a namespace, given the projects the fake knows.
    pub(crate) fn can(
        &self,
        namespace: Namespace,
        resource: &str,
        action: &str,
        projects: &[crate::model::Project],
    ) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::User { sysadmin: true, .. } => true,
            Caller::User { id, .. } => {
                let Namespace::Project(project_id) = namespace else {
                    return false;
                };
                let Some(project) = projects.iter().find(|p| p.id == project_id) else {
                    return false;
                };
                let role: Option<ProjectRole> = project
                    .members
                    .iter()
                    .find(|(member, _)| member.0 == *id)
                    .map(|(_, role)| *role);
                match role {
                    Some(role) => {
                        permissions::contains(permissions::role_policies(role), resource, action)
                    }
                    None if project.public => {
                        permissions::contains(permissions::PUBLIC_NON_MEMBER, resource, action)
                    }
                    None => false,
                }
            }
            Caller::Robot { permissions, .. } => permissions.iter().any(|permission| {
                let in_namespace = match (namespace, permission.project_id) {
                    (Namespace::System, None) => true,
                    (Namespace::Project(id), Some(own)) => id == own,
                    _ => false,
                };
                let granted_resource = match permission.resource.as_str() {
                    "." => "",
                    other => other,
                };
                in_namespace
                    && (granted_resource == "*" || granted_resource == resource)
                    && (permission.action == "*" || permission.action == action)
            }),
        }
    }
}

/// Go's `Request.BasicAuth`: a case-insensitive `Basic ` prefix, standard base64, and the
/// first `:` separating user from password.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case("basic ") {
        return None;
    }
    let decoded = STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8_lossy(&decoded);
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Failed-login locks by principal.
#[derive(Debug, Default)]
pub(crate) struct LoginLocks {
    until: Mutex<HashMap<String, Instant>>,
}

impl LoginLocks {
    fn is_locked(&self, principal: &str) -> bool {
        let until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        until
            .get(principal)
            .is_some_and(|deadline| *deadline > Instant::now())
    }

    fn lock(&self, principal: &str, duration: Duration) {
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        until.retain(|_, deadline| *deadline > now);
        until.insert(principal.to_string(), now + duration);
    }
}

/// The outcome of authentication: the caller, and how long the failed login must wait.
pub(crate) struct Authentication {
    pub(crate) caller: Caller,
    pub(crate) penalty: Duration,
}

/// Builds the security context for a request, as Harbor's generators do in order:
/// robot first, then Basic auth for users.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    store: &Store,
    settings: &Settings,
    locks: &LoginLocks,
) -> Authentication {
    let anonymous = Authentication {
        caller: Caller::Anonymous,
        penalty: Duration::ZERO,
    };
    let Some((principal, password)) = basic_credentials(headers) else {
        return anonymous;
    };

    if principal.starts_with(&settings.robot_prefix)
        && let Some(robot) = find_robot(&store.robots, &principal, &password)
    {
        return Authentication {
            caller: Caller::Robot {
                name: robot.name.clone(),
                permissions: robot.permissions.clone(),
            },
            penalty: Duration::ZERO,
        };
    }

    if locks.is_locked(&principal) {
        return anonymous;
    }
    match check_password(store, settings.auth_mode, &principal, &password) {
        Some(caller) => Authentication {
            caller,
            penalty: Duration::ZERO,
        },
        None => {
            if !settings.login_lock.is_zero() {
                locks.lock(&principal, settings.login_lock);
            }
            Authentication {
                caller: Caller::Anonymous,
                penalty: settings.login_lock,
            }
        }
    }
}

fn find_robot<'a>(robots: &'a [Robot], name: &str, secret: &str) -> Option<&'a Robot> {
    robots
        .iter()
        .find(|robot| robot.name == name && robot.secret == secret && !robot.disabled)
}

/// Checks a password the way the configured authenticator would. In LDAP and OIDC modes only
/// `admin` is checked against the local table; LDAP users are checked against the fake's own
/// table standing in for the directory, and OIDC has no password login at all.
fn check_password(
    store: &Store,
    auth_mode: AuthMode,
    principal: &str,
    password: &str,
) -> Option<Caller> {
    let admin_login = store
        .live(1)
        .is_some_and(|admin| admin.username == principal);
    let user = match auth_mode {
        AuthMode::Database => store.live_by_principal(principal),
        _ if admin_login => store.live(1),
        AuthMode::Ldap => store.live_by_username(principal),
        AuthMode::Oidc => None,
    }?;
    if *user.password != *password {
        return None;
    }
    let admin_role_in_auth = auth_mode != AuthMode::Database && user.admin_role_in_auth;
    Some(Caller::User {
        id: user.id,
        username: user.username.clone(),
        sysadmin: user.sysadmin || admin_role_in_auth,
        admin_role_in_auth,
    })
}
