//! Response models, serialised as go-swagger serialises them.
//!
//! go-swagger omits every empty optional field (`omitempty`): empty strings and zero ids
//! disappear, while `sysadmin_flag` and `admin_role_in_auth` are marked `x-omitempty: false`
//! and always appear. Date-times are structs, so they are never omitted. Fields are in the
//! alphabetical order go-swagger generates.

use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::gojson::{self, FieldType, Model};
use crate::store::{OidcRecord, UserRecord};

fn is_empty(text: &&str) -> bool {
    text.is_empty()
}

fn is_zero(number: &i64) -> bool {
    *number == 0
}

/// `strfmt.DateTime` in UTC: RFC 3339 with milliseconds.
pub(crate) fn format_time(time: OffsetDateTime) -> String {
    let layout =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time.format(layout).unwrap_or_default()
}

#[derive(Serialize)]
pub(crate) struct UserResp<'a> {
    admin_role_in_auth: bool,
    #[serde(skip_serializing_if = "is_empty")]
    comment: &'a str,
    creation_time: String,
    #[serde(skip_serializing_if = "is_empty")]
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    oidc_user_meta: Option<OidcUserInfo<'a>>,
    #[serde(skip_serializing_if = "is_empty")]
    realname: &'a str,
    sysadmin_flag: bool,
    update_time: String,
    #[serde(skip_serializing_if = "is_zero")]
    user_id: i64,
    #[serde(skip_serializing_if = "is_empty")]
    username: &'a str,
}

impl<'a> UserResp<'a> {
    /// A user as `listUsers` and `getUser` show it.
    pub(crate) fn of(user: &'a UserRecord) -> Self {
        Self {
            admin_role_in_auth: false,
            comment: &user.comment,
            creation_time: format_time(user.creation_time),
            email: &user.email,
            oidc_user_meta: None,
            realname: &user.realname,
            sysadmin_flag: user.sysadmin,
            update_time: format_time(user.update_time),
            user_id: user.id,
            username: &user.username,
        }
    }

    /// Attaches the OIDC record (OIDC mode, users other than admin).
    pub(crate) fn with_oidc(mut self, oidc: &'a OidcRecord, user_id: i64) -> Self {
        self.oidc_user_meta = Some(OidcUserInfo {
            creation_time: format_time(oidc.creation_time),
            id: oidc.id,
            secret: &oidc.secret,
            subiss: &oidc.subiss,
            update_time: format_time(oidc.update_time),
            user_id,
        });
        self
    }

    /// Sets `admin_role_in_auth`, which only the current user's login can tell.
    pub(crate) fn with_admin_role_in_auth(mut self, admin: bool) -> Self {
        self.admin_role_in_auth = admin;
        self
    }
}

#[derive(Serialize)]
struct OidcUserInfo<'a> {
    creation_time: String,
    #[serde(skip_serializing_if = "is_zero")]
    id: i64,
    #[serde(skip_serializing_if = "is_empty")]
    secret: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    subiss: &'a str,
    update_time: String,
    #[serde(skip_serializing_if = "is_zero")]
    user_id: i64,
}

#[derive(Serialize)]
pub(crate) struct UserSearchRespItem<'a> {
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) user_id: i64,
    #[serde(skip_serializing_if = "is_empty")]
    pub(crate) username: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Permission {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) action: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) resource: String,
}

/// go-swagger's JSON producer ends every body with a newline.
pub(crate) fn json_body<T: Serialize>(value: &T) -> Vec<u8> {
    let mut body = gojson::marshal(value);
    body.push(b'\n');
    body
}

pub(crate) const USER_CREATION_REQ: Model = Model {
    go_name: "UserCreationReq",
    fields: &[
        ("comment", FieldType::String),
        ("email", FieldType::String),
        ("password", FieldType::String),
        ("realname", FieldType::String),
        ("username", FieldType::String),
    ],
};

pub(crate) const USER_PROFILE: Model = Model {
    go_name: "UserProfile",
    fields: &[
        ("comment", FieldType::String),
        ("email", FieldType::String),
        ("realname", FieldType::String),
    ],
};

pub(crate) const USER_SYSADMIN_FLAG: Model = Model {
    go_name: "UserSysAdminFlag",
    fields: &[("sysadmin_flag", FieldType::Bool)],
};

pub(crate) const PASSWORD_REQ: Model = Model {
    go_name: "PasswordReq",
    fields: &[
        ("new_password", FieldType::String),
        ("old_password", FieldType::String),
    ],
};

pub(crate) const OIDC_CLI_SECRET_REQ: Model = Model {
    go_name: "OIDCCliSecretReq",
    fields: &[("secret", FieldType::String)],
};
