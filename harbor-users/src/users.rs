//! Every operation of Harbor's Users API.
//!
//! The methods keep the names that users of the Python client `harborapi`
//! know (`get_user`, `get_users`, `set_user_admin`, …), with Rust types that
//! say what Harbor requires: a [`UserProfile`] has the three fields Harbor
//! replaces together, a [`UserId`] is checked before any request, and
//! passwords travel as [`Secret`]s.

use std::{fmt, sync::Arc};

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream::BoxStream};
use serde::{Deserialize, Deserializer, Serialize, de::Error as _};
use url::Url;

use crate::{
    Error, HarborClient, Page, Paging, Secret,
    pagination::{self, FetchPage},
    query::{Query, Sort},
    transport::{Call, Reply},
    wire,
};

/// A Harbor user id: a positive integer.
///
/// ```
/// use harbor_users::UserId;
///
/// let id = UserId::from(42);
/// assert_eq!(id.get(), 42);
/// assert_eq!(id.to_string(), "42");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(i64);

/// Harbor's ids start at 1 and it leaves a zero id out, so a `user_id`
/// below 1 in an answer is a broken answer, refused when it is decoded
/// rather than sent back to Harbor in a later call.
impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = i64::deserialize(deserializer)?;
        if id > 0 {
            Ok(Self(id))
        } else {
            Err(D::Error::custom(format_args!(
                "{id} is not a user id (Harbor's ids start at 1)"
            )))
        }
    }
}

impl UserId {
    /// The id as Harbor stores it.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The id, or an [`Error::InvalidInput`] if it cannot name a user
    /// (Harbor's ids start at 1).
    fn checked(self) -> Result<i64, Error> {
        if self.0 > 0 {
            Ok(self.0)
        } else {
            Err(Error::invalid_input(
                "user id",
                format!("{} is not a user id (Harbor's ids start at 1)", self.0),
            ))
        }
    }
}

impl From<i64> for UserId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl From<i32> for UserId {
    fn from(id: i32) -> Self {
        Self(i64::from(id))
    }
}

impl From<u32> for UserId {
    fn from(id: u32) -> Self {
        Self(i64::from(id))
    }
}

impl From<UserId> for i64 {
    fn from(id: UserId) -> Self {
        id.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A Harbor user, as `GET /users/{id}` and the user listing return it.
///
/// Harbor leaves empty text fields out of its answers (an LDAP or OIDC user
/// may have no email), so those are `Option`s; the id and username are
/// always there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    #[serde(rename = "user_id")]
    pub id: UserId,
    /// The login name.
    pub username: String,
    /// The email address, if the user has one.
    #[serde(default)]
    pub email: Option<String>,
    /// The full name.
    #[serde(default)]
    pub realname: Option<String>,
    /// A free comment (at most 30 bytes).
    #[serde(default)]
    pub comment: Option<String>,
    /// Whether the user is a Harbor system administrator.
    #[serde(default, rename = "sysadmin_flag")]
    pub sysadmin: bool,
    /// Whether the *current* user's admin right comes from an LDAP, OIDC or
    /// auth-proxy group. Always false in listings.
    #[serde(default)]
    pub admin_role_in_auth: bool,
    /// When the account was created.
    #[serde(default, deserialize_with = "crate::timestamp::option")]
    pub creation_time: Option<DateTime<Utc>>,
    /// When the account was last changed.
    #[serde(default, deserialize_with = "crate::timestamp::option")]
    pub update_time: Option<DateTime<Utc>>,
    /// The user's OIDC record, present only when Harbor authenticates with
    /// OIDC and the user was read by id or as the current user.
    #[serde(default)]
    pub oidc_user_meta: Option<OidcUserMeta>,
}

impl User {
    /// The three fields that [`HarborClient::update_user`] replaces, as they
    /// are now (missing ones as empty strings).
    pub fn profile(&self) -> UserProfile {
        UserProfile {
            email: self.email.clone().unwrap_or_default(),
            realname: self.realname.clone().unwrap_or_default(),
            comment: self.comment.clone().unwrap_or_default(),
        }
    }
}

/// A user's OIDC record. Its CLI secret is a [`Secret`]: it never shows in
/// `Debug` output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OidcUserMeta {
    /// The record's id.
    #[serde(default)]
    pub id: Option<i64>,
    /// The OIDC subject and issuer, concatenated.
    #[serde(default)]
    pub subiss: Option<String>,
    /// The CLI secret, in plain text as Harbor returns it.
    #[serde(default)]
    pub secret: Option<Secret>,
}

/// One hit of [`HarborClient::search_users_by_username`]: Harbor's search
/// answers ids and usernames only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub struct UserSummary {
    /// The user's id.
    #[serde(rename = "user_id")]
    pub id: UserId,
    /// The login name.
    pub username: String,
}

/// A user to create with [`HarborClient::create_user`].
///
/// Harbor requires all four of username, email, real name and password, and
/// checks them: the password needs 8 to 128 characters with an upper-case
/// letter, a lower-case letter and a digit; the real name is required; the
/// comment may hold at most 30 bytes.
///
/// ```
/// use harbor_users::NewUser;
///
/// let alice = NewUser::new("alice", "alice@example.com", "Alice Liddell", "Wonder1and")
///     .comment("platform team");
/// assert_eq!(alice.username, "alice");
/// assert!(!format!("{alice:?}").contains("Wonder1and"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewUser {
    /// The login name; unique, case-sensitive.
    pub username: String,
    /// The email address; unique.
    pub email: String,
    /// The full name.
    pub realname: String,
    /// The password.
    pub password: Secret,
    /// An optional comment.
    pub comment: Option<String>,
}

impl NewUser {
    /// A user with the four fields Harbor requires.
    pub fn new(
        username: impl Into<String>,
        email: impl Into<String>,
        realname: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        Self {
            username: username.into(),
            email: email.into(),
            realname: realname.into(),
            password: password.into(),
            comment: None,
        }
    }

    /// Adds a comment.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

/// What `PUT /users/{id}` sets: Harbor replaces the email, the real name and
/// the comment together, and requires the first two. A comment left empty
/// is erased.
///
/// To change one field and keep the others, use
/// [`HarborClient::edit_user`], which reads the user first.
///
/// ```
/// use harbor_users::UserProfile;
///
/// let profile = UserProfile::new("bob@example.com", "Bob").comment("on call");
/// assert_eq!(profile.comment, "on call");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    /// The email address (required).
    pub email: String,
    /// The full name (required).
    pub realname: String,
    /// The comment; an empty string erases it.
    pub comment: String,
}

impl UserProfile {
    /// A profile with an empty comment.
    pub fn new(email: impl Into<String>, realname: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            realname: realname.into(),
            comment: String::new(),
        }
    }

    /// Sets the comment.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = comment.into();
        self
    }
}

/// Where [`HarborClient::get_current_user_permissions`] looks.
///
/// ```
/// use harbor_users::PermissionScope;
///
/// assert_eq!(PermissionScope::Project(7).to_string(), "/project/7");
/// assert_eq!(PermissionScope::System.to_string(), "/system");
/// assert_eq!(PermissionScope::Raw("/project/7/repository".into()).to_string(), "/project/7/repository");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PermissionScope {
    /// A project, by id.
    Project(i64),
    /// System-wide rights (users, registries, garbage collection, …).
    System,
    /// Any scope string Harbor understands, sent as is.
    Raw(String),
}

impl fmt::Display for PermissionScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Project(id) => write!(f, "/project/{id}"),
            Self::System => f.write_str("/system"),
            Self::Raw(scope) => f.write_str(scope),
        }
    }
}

/// One right of the current user: an action on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub struct Permission {
    /// The resource, such as `/project/1/repository`, or `repository` when
    /// asked relative to the scope (the scope itself is then `.`).
    #[serde(default)]
    pub resource: String,
    /// The action, such as `read` or `push`.
    #[serde(default)]
    pub action: String,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    username: &'a str,
    email: &'a str,
    realname: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
}

#[derive(Serialize)]
struct PasswordBody<'a> {
    new_password: &'a str,
    // Left out, not `null`, when the caller gives no old password.
    #[serde(skip_serializing_if = "Option::is_none")]
    old_password: Option<&'a str>,
}

#[derive(Serialize)]
struct SysAdminBody {
    sysadmin_flag: bool,
}

#[derive(Serialize)]
struct CliSecretBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

impl HarborClient {
    /// `GET /users/{id}`: the user with this id.
    ///
    /// Readable by a system administrator (or a robot with `user:read`) and
    /// by the user themself; anyone else gets a 403 whose message is their
    /// own username.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// let user = client.get_user(3).await?;
    /// println!("{} <{}>", user.username, user.email.unwrap_or_default());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_user(&self, id: impl Into<UserId>) -> Result<User, Error> {
        let id = id.into().checked()?;
        let reply = self
            .execute(Call::get("get_user", format!("/users/{id}")))
            .await?;
        reply.json("a user")
    }

    /// The user whose username is exactly `username`.
    ///
    /// Harbor has no lookup by name, so this searches (`GET /users/search`)
    /// and then reads the user by id: two requests in the usual case. Only
    /// an exact, case-sensitive match counts: looking up `bob` never returns
    /// `bobby`. The search stops at the first page that holds the name, and
    /// stays correct on Harbor 2.14.2 and later, whose search ignores `page`
    /// and answers every page with the first one.
    ///
    /// A missing user is an error for which [`Error::is_not_found`] is true.
    /// The search is open to any signed-in account, but the second step is
    /// not: it needs a system administrator (or a robot with `user:read`) or
    /// the user's own account. Anyone else gets a 403 whose message is their
    /// own username ([`Error::is_forbidden`]).
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// match client.get_user_by_username("bob").await {
    ///     Ok(bob) => println!("bob is user {}", bob.id),
    ///     Err(error) if error.is_not_found() => println!("no user bob"),
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_user_by_username(&self, username: &str) -> Result<User, Error> {
        let id = self.find_user_id(username).await?;
        self.get_user(id).await
    }

    /// The id of the user named exactly `username`, from the search alone.
    async fn find_user_id(&self, username: &str) -> Result<UserId, Error> {
        let mut pages = self
            .search_users_by_username(username)
            .paging(Paging::new().page_size(pagination::MAX_PAGE_SIZE))
            .pages();
        while let Some(page) = pages.next().await {
            if let Some(hit) = page?.items.into_iter().find(|u| u.username == username) {
                return Ok(hit.id);
            }
        }
        Err(Error::UserNotFound {
            username: username.to_string(),
        })
    }

    /// `POST /users`: creates a user and returns its id, read from the
    /// `Location` header of Harbor's answer.
    ///
    /// Never retried: a POST that timed out may still have created the user,
    /// so on a [`Error::Transport`] check with
    /// [`get_user_by_username`](Self::get_user_by_username) before trying
    /// again. A username or email already taken gives a 409
    /// ([`Error::is_conflict`]).
    ///
    /// A `201 Created` whose `Location` gives no id, or names another
    /// server ([`wire::parse_location`] says why that is refused), is an
    /// [`Error::Decode`]: the user exists then, and its message says so.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// use harbor_users::NewUser;
    ///
    /// let id = client
    ///     .create_user(&NewUser::new("alice", "alice@example.com", "Alice", "Wonder1and"))
    ///     .await?;
    /// println!("created user {id}");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_user(&self, user: &NewUser) -> Result<UserId, Error> {
        let body = CreateBody {
            username: &user.username,
            email: &user.email,
            realname: &user.realname,
            password: user.password.expose(),
            comment: user.comment.as_deref(),
        };
        let reply = self
            .execute(Call::post("create_user", "/users").json(&body)?)
            .await?;
        created_id(&reply, self.base_url())
    }

    /// `PUT /users/{id}`: replaces the user's email, real name and comment.
    ///
    /// All three are replaced: a profile with an empty comment erases the
    /// comment. To change one field only, use [`edit_user`](Self::edit_user).
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// use harbor_users::UserProfile;
    ///
    /// client
    ///     .update_user(3, &UserProfile::new("alice@example.org", "Alice L.").comment("moved"))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_user(
        &self,
        id: impl Into<UserId>,
        profile: &UserProfile,
    ) -> Result<(), Error> {
        let id = id.into().checked()?;
        self.execute(Call::put("update_user_profile", format!("/users/{id}")).json(profile)?)
            .await?;
        Ok(())
    }

    /// Reads the user, lets `change` edit the profile, and writes it back:
    /// the way to change one field without erasing the others. Returns the
    /// profile written.
    ///
    /// Two requests; a concurrent change made between them is overwritten.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// let profile = client
    ///     .edit_user(3, |profile| profile.comment = "on call".into())
    ///     .await?;
    /// assert_eq!(profile.comment, "on call");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn edit_user(
        &self,
        id: impl Into<UserId>,
        change: impl FnOnce(&mut UserProfile),
    ) -> Result<UserProfile, Error> {
        let id = id.into();
        let mut profile = self.get_user(id).await?.profile();
        change(&mut profile);
        self.update_user(id, &profile).await?;
        Ok(profile)
    }

    /// `DELETE /users/{id}`: deletes the user.
    ///
    /// Harbor keeps the row and renames it, so the username and email can be
    /// used again at once; the id is never reused. Nobody may delete
    /// themself or the `admin` user (id 1): Harbor answers 403.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// client.delete_user(3).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_user(&self, id: impl Into<UserId>) -> Result<(), Error> {
        let id = id.into().checked()?;
        self.execute(Call::delete("delete_user", format!("/users/{id}")))
            .await?;
        Ok(())
    }

    /// Deletes the user if it exists, and says whether it did: `Ok(false)`
    /// where [`delete_user`](Self::delete_user) would fail with a 404.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// if !client.delete_user_if_exists(3).await? {
    ///     println!("user 3 was already gone");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_user_if_exists(&self, id: impl Into<UserId>) -> Result<bool, Error> {
        match self.delete_user(id).await {
            Ok(()) => Ok(true),
            Err(error) if error.is_not_found() => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `GET /users`: a listing of users, filtered, sorted and paged as the
    /// returned [`ListUsers`] is told. Nothing is sent until it is consumed.
    ///
    /// Harbor leaves the `admin` user (id 1) out of this listing and of its
    /// count, and lists only for a system administrator (or a robot with
    /// `user:list`).
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use futures::TryStreamExt;
    /// use harbor_users::query::{Field, Query, Sort};
    ///
    /// let mut admins = client
    ///     .get_users()
    ///     .query(Query::new().exact(Field::SysadminFlag, true)?)
    ///     .sort(Sort::new().desc(Field::CreationTime)?)
    ///     .limit(10)
    ///     .stream();
    /// while let Some(user) = admins.try_next().await? {
    ///     println!("{}", user.username);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_users(&self) -> ListUsers {
        ListUsers {
            client: self.clone(),
            query: None,
            sort: None,
            paging: Paging::new(),
        }
    }

    /// `GET /users/search`: users whose username contains `username`, as ids
    /// and usernames. Duplicates are removed, and a Harbor whose search
    /// ignores `page` is not asked forever.
    ///
    /// Harbor's search is case-sensitive for the items it returns but counts
    /// case-insensitively, lists the shortest usernames first and includes
    /// the `admin` user. It is open to any signed-in account.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// let hits = client.search_users_by_username("ali").limit(20).collect().await?;
    /// for hit in hits {
    ///     println!("{} {}", hit.id, hit.username);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn search_users_by_username(&self, username: impl Into<String>) -> SearchUsers {
        SearchUsers {
            client: self.clone(),
            username: username.into(),
            paging: Paging::new(),
        }
    }

    /// `PUT /users/{id}/sysadmin`: grants (`true`) or revokes (`false`) the
    /// system administrator role.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// client.set_user_admin(3, true).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_user_admin(&self, id: impl Into<UserId>, is_admin: bool) -> Result<(), Error> {
        let id = id.into().checked()?;
        let body = SysAdminBody {
            sysadmin_flag: is_admin,
        };
        self.execute(Call::put("set_user_sys_admin", format!("/users/{id}/sysadmin")).json(&body)?)
            .await?;
        Ok(())
    }

    /// `PUT /users/{id}/password`: sets a new password.
    ///
    /// `old_password` is required when users change their own password (an
    /// administrator too); an administrator changing someone else's may
    /// leave it out, and it is then omitted from the request. A wrong old
    /// password gives an error for which
    /// [`Error::is_wrong_current_password`] is true. A new password equal to
    /// the current one is refused with a 400.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// use harbor_users::Secret;
    ///
    /// client.set_user_password(3, "N3w-password", None).await?;
    /// let old = Secret::new("N3w-password");
    /// client.set_user_password(3, "Newer-passw0rd", Some(&old)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_user_password(
        &self,
        id: impl Into<UserId>,
        new_password: impl Into<Secret>,
        old_password: Option<&Secret>,
    ) -> Result<(), Error> {
        let id = id.into().checked()?;
        let new_password = new_password.into();
        let body = PasswordBody {
            new_password: new_password.expose(),
            old_password: old_password.map(Secret::expose),
        };
        self.execute(
            Call::put("update_user_password", format!("/users/{id}/password")).json(&body)?,
        )
        .await?;
        Ok(())
    }

    /// `PUT /users/{id}/cli_secret`: sets the user's CLI secret, or lets
    /// Harbor generate one when `secret` is `None`. The secret is not
    /// returned; read it from [`User::oidc_user_meta`].
    ///
    /// Only possible when Harbor authenticates with OIDC: otherwise Harbor
    /// answers 412 ([`Error::is_precondition_failed`]).
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// match client.set_user_cli_secret(3, None).await {
    ///     Err(error) if error.is_precondition_failed() => println!("Harbor does not use OIDC"),
    ///     other => other?,
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_user_cli_secret(
        &self,
        id: impl Into<UserId>,
        secret: Option<&Secret>,
    ) -> Result<(), Error> {
        let id = id.into().checked()?;
        let body = CliSecretBody {
            secret: secret.map(Secret::expose),
        };
        self.execute(Call::put("set_cli_secret", format!("/users/{id}/cli_secret")).json(&body)?)
            .await?;
        Ok(())
    }

    /// `GET /users/current`: the signed-in user.
    ///
    /// Robot accounts have no user record: Harbor answers them 412
    /// ([`Error::is_precondition_failed`]).
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// let me = client.get_current_user().await?;
    /// println!("signed in as {} (admin: {})", me.username, me.sysadmin);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_current_user(&self) -> Result<User, Error> {
        let reply = self
            .execute(Call::get("get_current_user_info", "/users/current"))
            .await?;
        reply.json("a user")
    }

    /// `GET /users/current/permissions`: what the signed-in account may do
    /// in `scope`. With `relative`, resources are named relative to the
    /// scope (`repository` instead of `/project/1/repository`, and `.` for
    /// the project itself). Harbor's order is not stable: treat the result
    /// as a set.
    ///
    /// ```no_run
    /// # async fn demo(client: harbor_users::HarborClient) -> Result<(), harbor_users::Error> {
    /// use harbor_users::PermissionScope;
    ///
    /// let rights = client
    ///     .get_current_user_permissions(PermissionScope::Project(1), true)
    ///     .await?;
    /// let can_push = rights.iter().any(|p| p.resource == "repository" && p.action == "push");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_current_user_permissions(
        &self,
        scope: PermissionScope,
        relative: bool,
    ) -> Result<Vec<Permission>, Error> {
        let call = Call::get("get_current_user_permissions", "/users/current/permissions")
            .query("scope", scope)
            .query("relative", relative);
        let reply = self.execute(call).await?;
        // Go writes an empty list as `null` in some versions.
        let permissions: Option<Vec<Permission>> = reply.json("a list of permissions")?;
        Ok(permissions.unwrap_or_default())
    }
}

/// The id at the end of the `Location` header of Harbor's answer to a
/// create sent below `api_base`; see [`wire::parse_location`].
fn created_id(reply: &Reply, api_base: &Url) -> Result<UserId, Error> {
    const EXPECTED: &str = "a Location header with the new user's id";
    // The user exists whatever the header says: say how to find it.
    let Some(location) = reply.header("location") else {
        return Err(reply.decode_error(
            EXPECTED,
            "Harbor answered without a Location header (the user was created; \
             look it up with get_user_by_username)",
        ));
    };
    wire::parse_location(location, api_base).map_err(|error| {
        reply.decode_error(
            EXPECTED,
            format_args!("{error} (the user was created; look it up with get_user_by_username)"),
        )
    })
}

/// A listing of users; see [`HarborClient::get_users`]. Consume it with
/// [`stream`](Self::stream), [`pages`](Self::pages),
/// [`fetch_page`](Self::fetch_page) or [`collect`](Self::collect).
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until it is consumed"]
pub struct ListUsers {
    client: HarborClient,
    query: Option<Query>,
    sort: Option<Sort>,
    paging: Paging,
}

impl ListUsers {
    /// Filters with Harbor's `q` language; see [`Query`].
    pub fn query(mut self, query: Query) -> Self {
        self.query = Some(query);
        self
    }

    /// Orders the listing; see [`Sort`]. Harbor's default is by username.
    pub fn sort(mut self, sort: Sort) -> Self {
        self.sort = Some(sort);
        self
    }

    /// The page to start from (1-based). Default 1.
    pub fn page(mut self, page: u64) -> Self {
        self.paging = self.paging.page(page);
        self
    }

    /// Items per request, 1 to 100. Default 100.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.paging = self.paging.page_size(page_size);
        self
    }

    /// The most users the listing yields. Default: all.
    pub fn limit(mut self, limit: u64) -> Self {
        self.paging = self.paging.limit(limit);
        self
    }

    /// Page requests in flight at once after the first page. Default 1.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.paging = self.paging.concurrency(concurrency);
        self
    }

    /// All paging settings at once.
    pub fn paging(mut self, paging: Paging) -> Self {
        self.paging = paging;
        self
    }

    fn fetcher(&self) -> FetchPage<User> {
        let client = self.client.clone();
        let q = self
            .query
            .as_ref()
            .filter(|q| !q.is_empty())
            .map(Query::to_query_param);
        let sort = self
            .sort
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(Sort::to_query_param);
        Arc::new(move |page, page_size| {
            let client = client.clone();
            let call = Call::get("list_users", "/users")
                .query_opt("q", q.clone())
                .query_opt("sort", sort.clone())
                .query("page", page)
                .query("page_size", page_size);
            Box::pin(async move {
                let reply = client.execute(call).await?;
                read_page(&reply, page, page_size, "a list of users")
            })
        })
    }

    /// The users, one at a time, fetched page by page as the stream is
    /// polled.
    pub fn stream(self) -> BoxStream<'static, Result<User, Error>> {
        pagination::items(self.pages())
    }

    /// The pages, each with Harbor's total.
    pub fn pages(self) -> BoxStream<'static, Result<Page<User>, Error>> {
        pagination::pages(self.fetcher(), |user| Some(user.id.get()), self.paging)
    }

    /// One request: the page set with [`page`](Self::page), with the total.
    /// A [`limit`](Self::limit) below the page size lowers the page size.
    pub async fn fetch_page(self) -> Result<Page<User>, Error> {
        self.paging.validate()?;
        let page_size = match self.paging.get_limit() {
            Some(limit) if limit > 0 && limit < self.paging.get_page_size() => limit,
            _ => self.paging.get_page_size(),
        };
        (self.fetcher())(self.paging.get_page(), page_size).await
    }

    /// Every user of the listing, up to the limit.
    pub async fn collect(self) -> Result<Vec<User>, Error> {
        pagination::collect(self.stream()).await
    }
}

/// A search by username; see [`HarborClient::search_users_by_username`].
#[derive(Debug, Clone)]
#[must_use = "a search does nothing until it is consumed"]
pub struct SearchUsers {
    client: HarborClient,
    username: String,
    paging: Paging,
}

impl SearchUsers {
    /// Items per request, 1 to 100. Default 100.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.paging = self.paging.page_size(page_size);
        self
    }

    /// The most hits the search yields. Default: all.
    pub fn limit(mut self, limit: u64) -> Self {
        self.paging = self.paging.limit(limit);
        self
    }

    /// All paging settings at once.
    pub fn paging(mut self, paging: Paging) -> Self {
        self.paging = paging;
        self
    }

    fn fetcher(&self) -> Result<FetchPage<UserSummary>, Error> {
        if self.username.is_empty() {
            // Harbor answers 422 "username in query is required".
            return Err(Error::invalid_input(
                "username",
                "the search term must not be empty",
            ));
        }
        let client = self.client.clone();
        let username = self.username.clone();
        Ok(Arc::new(move |page, page_size| {
            let client = client.clone();
            let call = Call::get("search_users", "/users/search")
                .query("username", &username)
                .query("page", page)
                .query("page_size", page_size);
            Box::pin(async move {
                let reply = client.execute(call).await?;
                read_page(&reply, page, page_size, "a list of user search hits")
            })
        }))
    }

    /// The hits, one at a time.
    pub fn stream(self) -> BoxStream<'static, Result<UserSummary, Error>> {
        pagination::items(self.pages())
    }

    /// The pages of hits, each with Harbor's total.
    pub fn pages(self) -> BoxStream<'static, Result<Page<UserSummary>, Error>> {
        match self.fetcher() {
            Ok(fetch) => pagination::pages(fetch, |hit| Some(hit.id.get()), self.paging),
            Err(error) => futures::stream::once(async move { Err(error) }).boxed(),
        }
    }

    /// Every hit, up to the limit.
    pub async fn collect(self) -> Result<Vec<UserSummary>, Error> {
        pagination::collect(self.stream()).await
    }
}

/// Decodes a page of a listing and its `X-Total-Count`.
fn read_page<T: serde::de::DeserializeOwned>(
    reply: &Reply,
    page: u64,
    page_size: u64,
    expected: &'static str,
) -> Result<Page<T>, Error> {
    // Go writes an empty list as `null` in some versions.
    let items: Option<Vec<T>> = reply.json(expected)?;
    let total = match reply.parse_header(
        "x-total-count",
        "a readable X-Total-Count",
        wire::parse_total_count,
    ) {
        Ok(total) => total,
        Err(error) => {
            // The items are good; without a total, paging falls back to
            // short pages.
            tracing::warn!(%error, "ignoring an unreadable X-Total-Count");
            None
        }
    };
    Ok(Page {
        items: items.unwrap_or_default(),
        total,
        page,
        page_size,
    })
}

impl Error {
    /// Whether Harbor refused a password change because the current
    /// password given was wrong (403 "Current password is incorrect").
    pub fn is_wrong_current_password(&self) -> bool {
        self.is_forbidden()
            && self.harbor_errors().iter().any(|e| {
                e.message()
                    .eq_ignore_ascii_case("Current password is incorrect")
            })
    }

    /// Whether Harbor answered 412 Precondition Failed: a CLI secret outside
    /// OIDC mode, or the current user asked for by a robot account.
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::PRECONDITION_FAILED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_id_below_one_from_the_server_is_a_decode_error() {
        for id in ["0", "-3", "-9223372036854775808"] {
            let json = format!(r#"{{"user_id":{id},"username":"alice"}}"#);
            let error = serde_json::from_str::<User>(&json)
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default();
            assert!(error.contains("is not a user id"), "{id}: {error}");
            assert!(serde_json::from_str::<UserSummary>(&json).is_err(), "{id}");
        }
        let hit: Result<UserSummary, _> =
            serde_json::from_str(r#"{"user_id":1,"username":"admin"}"#);
        assert_eq!(hit.map(|hit| hit.id).ok(), Some(UserId(1)));
    }

    #[test]
    fn ids_below_one_are_refused() {
        assert!(UserId(0).checked().is_err());
        assert!(UserId(-1).checked().is_err());
        assert_eq!(UserId(1).checked().ok(), Some(1));
    }

    #[test]
    fn a_password_body_without_old_password_leaves_the_key_out() {
        let body = PasswordBody {
            new_password: "N3w-password",
            old_password: None,
        };
        assert_eq!(
            serde_json::to_string(&body).ok().as_deref(),
            Some(r#"{"new_password":"N3w-password"}"#)
        );
    }

    #[test]
    fn users_decode_from_harbor_json_with_missing_fields() {
        let user: User = serde_json::from_str(
            r#"{"user_id":3,"username":"alice","sysadmin_flag":false,
                "admin_role_in_auth":false,"creation_time":"2026-01-02T03:04:05.678Z",
                "update_time":"0001-01-01T00:00:00.000Z"}"#,
        )
        .expect("decodes");
        assert_eq!(user.id, UserId(3));
        assert_eq!(user.email, None);
        assert_eq!(user.profile(), UserProfile::new("", ""));
    }
}
