//! The in-memory `harbor_user` table and its indexes.
//!
//! Users live in a `BTreeMap` by id (ids only grow, so inserts append), with a username
//! index kept in byte order for Harbor's default sort and an email index for uniqueness.
//! Both indexes cover every row, deleted ones included, because PostgreSQL's unique
//! constraints do too; deleted rows are renamed `name#id`, which frees the original names.
//! Listing without filters in username order slices a cached array of the live users in
//! username order (rebuilt after the next change), so any page is found without walking or
//! sorting, which is what keeps paging through 100,000 users fast.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::model::{NewUser, Project, Robot, User, UserId};
use crate::query::{self, Filter, Keyword, Keywords, SortKey};

/// The OIDC record (`oidc_user` row) of a user.
#[derive(Debug, Clone)]
pub(crate) struct OidcRecord {
    pub(crate) id: i64,
    pub(crate) subiss: String,
    pub(crate) secret: String,
    pub(crate) creation_time: OffsetDateTime,
    pub(crate) update_time: OffsetDateTime,
}

/// One row of `harbor_user`.
#[derive(Debug, Clone)]
pub(crate) struct UserRecord {
    pub(crate) id: i64,
    pub(crate) username: String,
    /// "" stands for NULL.
    pub(crate) email: String,
    pub(crate) realname: String,
    pub(crate) comment: String,
    pub(crate) password: Arc<str>,
    pub(crate) sysadmin: bool,
    pub(crate) admin_role_in_auth: bool,
    pub(crate) deleted: bool,
    pub(crate) creation_time: OffsetDateTime,
    pub(crate) update_time: OffsetDateTime,
    pub(crate) oidc: Option<OidcRecord>,
}

impl UserRecord {
    pub(crate) fn snapshot(&self) -> User {
        User {
            id: UserId(self.id),
            username: self.username.clone(),
            email: (!self.email.is_empty()).then(|| self.email.clone()),
            realname: self.realname.clone(),
            comment: self.comment.clone(),
            sysadmin: self.sysadmin,
            admin_role_in_auth: self.admin_role_in_auth,
            deleted: self.deleted,
            creation_time: self.creation_time.into(),
            update_time: self.update_time.into(),
            oidc_secret: self.oidc.as_ref().map(|oidc| oidc.secret.clone()),
        }
    }
}

/// Why a user could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InsertError {
    Duplicate { username: String, email: String },
}

/// PostgreSQL keeps microseconds; Harbor shows milliseconds of what it reads back.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now)
}

/// A 9-character `[A-Za-z0-9]` secret that passes Harbor's strength rule.
pub(crate) fn generate_cli_secret() -> String {
    generate_cli_secret_with(&mut rand::rng())
}

fn generate_cli_secret_with(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    loop {
        // 62^9 < 2^64, so one random word gives all nine characters.
        let mut bits: u64 = rng.random();
        let mut secret = String::with_capacity(9);
        for _ in 0..9 {
            secret.push(char::from(ALPHABET[(bits % 62) as usize]));
            bits /= 62;
        }
        if crate::validate::is_strong_secret(&secret) {
            return secret;
        }
    }
}

/// Everything the fake stores.
#[derive(Debug)]
pub(crate) struct Store {
    users: BTreeMap<i64, UserRecord>,
    by_username: BTreeMap<String, i64>,
    by_email: HashMap<String, i64>,
    next_id: i64,
    /// Live users other than the admin: Harbor's unfiltered count.
    live_without_admin: usize,
    /// Ids of live users other than the admin, in username order; reset by every change.
    username_order: OnceLock<Vec<i64>>,
    pub(crate) robots: Vec<Robot>,
    pub(crate) projects: Vec<Project>,
}

impl Store {
    /// Harbor's initial rows: `admin` (id 1) and the deleted `anonymous` (id 2).
    pub(crate) fn new(admin_password: &str) -> Self {
        let created = now();
        let mut store = Self {
            users: BTreeMap::new(),
            by_username: BTreeMap::new(),
            by_email: HashMap::new(),
            next_id: 1,
            live_without_admin: 0,
            username_order: OnceLock::new(),
            robots: Vec::new(),
            projects: Vec::new(),
        };
        let admin = NewUser::new("admin")
            .email("")
            .realname("system admin")
            .comment("admin user")
            .password(admin_password)
            .sysadmin(true)
            .oidc(false);
        let anonymous = NewUser::new("anonymous")
            .email("")
            .realname("anonymous user")
            .comment("anonymous user")
            .oidc(false);
        for user in [admin, anonymous] {
            let password: Arc<str> = Arc::from(user.password.as_str());
            // The two seed rows cannot collide.
            let _ = store.insert(user, password, created, &mut rand::rng());
        }
        store.delete_row(2);
        store
    }

    pub(crate) fn insert(
        &mut self,
        user: NewUser,
        password: Arc<str>,
        created: OffsetDateTime,
        rng: &mut impl Rng,
    ) -> Result<i64, InsertError> {
        let email_taken = !user.email.is_empty() && self.by_email.contains_key(&user.email);
        if email_taken || self.by_username.contains_key(&user.username) {
            return Err(InsertError::Duplicate {
                username: user.username,
                email: user.email,
            });
        }
        let id = self.next_id;
        self.next_id += 1;
        let oidc = user.oidc.then(|| OidcRecord {
            id,
            subiss: format!("{}https://oidc.harbor-fake.test", user.username),
            secret: user
                .oidc_secret
                .unwrap_or_else(|| generate_cli_secret_with(rng)),
            creation_time: created,
            update_time: created,
        });
        self.by_username.insert(user.username.clone(), id);
        if !user.email.is_empty() {
            self.by_email.insert(user.email.clone(), id);
        }
        if id != 1 {
            self.live_without_admin += 1;
        }
        self.username_order = OnceLock::new();
        self.users.insert(
            id,
            UserRecord {
                id,
                username: user.username,
                email: user.email,
                realname: user.realname,
                comment: user.comment,
                password,
                sysadmin: user.sysadmin,
                admin_role_in_auth: user.admin_role_in_auth,
                deleted: false,
                creation_time: created,
                update_time: created,
                oidc,
            },
        );
        Ok(id)
    }

    /// Inserts many users at once; stops at the first duplicate.
    pub(crate) fn insert_many(
        &mut self,
        users: impl IntoIterator<Item = NewUser>,
    ) -> Result<Vec<UserId>, InsertError> {
        let created = now();
        let mut rng = StdRng::from_rng(&mut rand::rng());
        let mut shared_passwords: HashMap<String, Arc<str>> = HashMap::new();
        let mut ids = Vec::new();
        for user in users {
            // Seeded users mostly share a password, so they share its allocation too.
            let password = match shared_passwords.get(&user.password) {
                Some(password) => password.clone(),
                None => {
                    let password: Arc<str> = Arc::from(user.password.as_str());
                    shared_passwords.insert(user.password.clone(), password.clone());
                    password
                }
            };
            ids.push(UserId(self.insert(user, password, created, &mut rng)?));
        }
        Ok(ids)
    }

    /// Any row, deleted or not.
    pub(crate) fn row(&self, id: i64) -> Option<&UserRecord> {
        self.users.get(&id)
    }

    pub(crate) fn row_mut(&mut self, id: i64) -> Option<&mut UserRecord> {
        self.users.get_mut(&id)
    }

    /// A user that is not deleted.
    pub(crate) fn live(&self, id: i64) -> Option<&UserRecord> {
        self.users.get(&id).filter(|user| !user.deleted)
    }

    pub(crate) fn live_by_username(&self, username: &str) -> Option<&UserRecord> {
        self.by_username.get(username).and_then(|id| self.live(*id))
    }

    /// Basic-auth lookup: the principal may be the username or the email, exactly.
    pub(crate) fn live_by_principal(&self, principal: &str) -> Option<&UserRecord> {
        self.live_by_username(principal)
            .or_else(|| self.by_email.get(principal).and_then(|id| self.live(*id)))
    }

    pub(crate) fn all_rows(&self) -> impl Iterator<Item = &UserRecord> {
        self.users.values()
    }

    /// Harbor's unfiltered user count: live users without the admin.
    pub(crate) fn live_count(&self) -> usize {
        self.live_without_admin
    }

    /// Ids of live users other than the admin, sorted by username bytes.
    fn username_order(&self) -> &[i64] {
        self.username_order.get_or_init(|| {
            self.by_username
                .values()
                .filter(|id| **id != 1 && self.live(**id).is_some())
                .copied()
                .collect()
        })
    }

    /// Soft delete: the row stays, renamed `name#id` so that its names can be reused.
    pub(crate) fn delete_row(&mut self, id: i64) -> bool {
        let Some(user) = self.users.get_mut(&id) else {
            return false;
        };
        if user.deleted {
            return false;
        }
        let suffix = format!("#{id}");
        self.by_username.remove(&user.username);
        self.by_email.remove(&user.email);
        user.username = truncate_keeping_suffix(&user.username, &suffix, 255);
        user.email = truncate_keeping_suffix(&user.email, &suffix, 255);
        user.deleted = true;
        user.update_time = now();
        self.by_username.insert(user.username.clone(), id);
        self.by_email.insert(user.email.clone(), id);
        if id != 1 {
            self.live_without_admin -= 1;
        }
        self.username_order = OnceLock::new();
        for project in &mut self.projects {
            project.members.retain(|(member, _)| member.0 != id);
        }
        true
    }

    /// Changes an email, keeping the index in step; false if another row holds it.
    pub(crate) fn set_email(&mut self, id: i64, email: &str) -> bool {
        if let Some(owner) = self.by_email.get(email)
            && *owner != id
        {
            return false;
        }
        if let Some(user) = self.users.get_mut(&id) {
            self.by_email.remove(&user.email);
            user.email = email.to_string();
            if !email.is_empty() {
                self.by_email.insert(email.to_string(), id);
            }
        }
        true
    }

    /// Harbor's `Count`: the filters plus the admin exclusion, over live users.
    pub(crate) fn count(&self, keywords: &Keywords) -> Result<i64, ApiError> {
        let mut keywords = keywords.clone();
        keywords.insert("user_id__gt".to_string(), Keyword::Int(1));
        let filters = query::compile(&keywords)?;
        if filters.iter().all(Filter::is_admin_exclusion) {
            return Ok(i64::try_from(self.live_count()).unwrap_or(i64::MAX));
        }
        let matching = self
            .users
            .values()
            .filter(|user| query::matches_all(&filters, user))
            .count();
        Ok(i64::try_from(matching).unwrap_or(i64::MAX))
    }

    /// Harbor's `List`: filters, sort, then `LIMIT page_size OFFSET page_size*(page-1)` when
    /// `page_size` is positive.
    pub(crate) fn list(
        &self,
        keywords: &Keywords,
        sorts: &[SortKey],
        page: i64,
        page_size: i64,
    ) -> Result<Vec<&UserRecord>, ApiError> {
        let mut keywords = keywords.clone();
        // Filtering by user id lets the admin through the list (but not the count).
        if !keywords.contains_key("user_id") && !keywords.contains_key("user_id__in") {
            keywords.insert("user_id__gt".to_string(), Keyword::Int(1));
        }
        let filters = query::compile(&keywords)?;
        let (offset, limit) = window(page, page_size)?;

        let by_username_only = sorts.len() == 1 && sorts[0].field == query::Field::Username;
        if by_username_only && filters.len() == 1 && filters[0].is_admin_exclusion() {
            let order = self.username_order();
            let start = offset.min(order.len());
            let end = start.saturating_add(limit).min(order.len());
            let ids: Vec<&i64> = if sorts[0].descending {
                order[order.len() - end..order.len() - start]
                    .iter()
                    .rev()
                    .collect()
            } else {
                order[start..end].iter().collect()
            };
            return Ok(ids
                .into_iter()
                .filter_map(|id| self.users.get(id))
                .collect());
        }

        let mut matching: Vec<&UserRecord> = self
            .users
            .values()
            .filter(|user| query::matches_all(&filters, user))
            .collect();
        matching.sort_by(|a, b| query::compare_users(sorts, a, b));
        Ok(matching.into_iter().skip(offset).take(limit).collect())
    }
}

/// Offset and limit of a page; a negative offset is a PostgreSQL error.
fn window(page: i64, page_size: i64) -> Result<(usize, usize), ApiError> {
    if page_size <= 0 {
        return Ok((0, usize::MAX));
    }
    let offset = if page > 0 {
        page_size.wrapping_mul(page - 1)
    } else {
        0
    };
    let offset = usize::try_from(offset)
        .map_err(|_| ApiError::internal(format!("OFFSET must not be negative: {offset}")))?;
    let limit = usize::try_from(page_size).unwrap_or(usize::MAX);
    Ok((offset, limit))
}

/// Harbor's `lib.Truncate`: cut `text` so that `text + suffix` fits in `max` bytes.
fn truncate_keeping_suffix(text: &str, suffix: &str, max: usize) -> String {
    if text.len() + suffix.len() <= max {
        return format!("{text}{suffix}");
    }
    let mut keep = max.saturating_sub(suffix.len());
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{suffix}", &text[..keep])
}
