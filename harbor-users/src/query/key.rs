use std::fmt;
use std::hash::{Hash, Hasher};

/// A user field that Harbor can filter or sort on.
///
/// The named variants are the fields of a Harbor user; [`Field::Custom`] sends any other
/// name as written. Two fields are equal when their names are, so
/// `Field::Custom("email".into())` equals [`Field::Email`].
///
/// ```
/// use harbor_users::query::Field;
///
/// assert_eq!(Field::CreationTime.as_str(), "creation_time");
/// assert_eq!(Field::from("user_id"), Field::UserId);
/// assert_eq!(Field::from("password_version").as_str(), "password_version");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Field {
    /// `username`, the login name.
    Username,
    /// `email`.
    Email,
    /// `realname`, the display name.
    Realname,
    /// `comment`.
    Comment,
    /// `user_id`, the numeric id.
    UserId,
    /// `sysadmin_flag`, whether the user is a system administrator.
    SysadminFlag,
    /// `creation_time`.
    CreationTime,
    /// `update_time`.
    UpdateTime,
    /// `username_or_email`, a filter-only key that matches either column exactly.
    ///
    /// Harbor ignores it unless the value is an exact match.
    UsernameOrEmail,
    /// Any other name, sent as written.
    ///
    /// Harbor silently ignores a filter on a name it does not know, and answers as if there
    /// were no filter.
    Custom(String),
}

impl Field {
    /// The name Harbor knows this field by.
    ///
    /// ```
    /// use harbor_users::query::Field;
    ///
    /// assert_eq!(Field::SysadminFlag.as_str(), "sysadmin_flag");
    /// assert_eq!(Field::Custom("deleted".into()).as_str(), "deleted");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Field::Username => "username",
            Field::Email => "email",
            Field::Realname => "realname",
            Field::Comment => "comment",
            Field::UserId => "user_id",
            Field::SysadminFlag => "sysadmin_flag",
            Field::CreationTime => "creation_time",
            Field::UpdateTime => "update_time",
            Field::UsernameOrEmail => "username_or_email",
            Field::Custom(name) => name,
        }
    }

    fn known(name: &str) -> Option<Field> {
        let field = match name {
            "username" => Field::Username,
            "email" => Field::Email,
            "realname" => Field::Realname,
            "comment" => Field::Comment,
            "user_id" => Field::UserId,
            "sysadmin_flag" => Field::SysadminFlag,
            "creation_time" => Field::CreationTime,
            "update_time" => Field::UpdateTime,
            "username_or_email" => Field::UsernameOrEmail,
            _ => return None,
        };
        Some(field)
    }
}

impl From<&str> for Field {
    fn from(name: &str) -> Self {
        Field::known(name).unwrap_or_else(|| Field::Custom(name.to_owned()))
    }
}

impl From<String> for Field {
    fn from(name: String) -> Self {
        Field::known(&name).unwrap_or(Field::Custom(name))
    }
}

impl From<&String> for Field {
    fn from(name: &String) -> Self {
        Field::from(name.as_str())
    }
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Field {}

impl Hash for Field {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A comparison suffix that Harbor's ORM layer accepts after a field name, as in
/// `user_id__gt`.
///
/// A key carries at most one; Harbor silently skips a key with two.
///
/// ```
/// use harbor_users::query::{Field, Key, Operator, Query};
///
/// let query = Query::new().exact(Key::with_operator(Field::UserId, Operator::Gt), 5)?;
/// assert_eq!(query.to_string(), "user_id__gt=5");
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operator {
    /// `__icontains`: case-insensitive substring.
    IContains,
    /// `__in`: one of a list.
    In,
    /// `__gte`: greater than or equal.
    Gte,
    /// `__lte`: less than or equal.
    Lte,
    /// `__gt`: greater than.
    Gt,
    /// `__lt`: less than.
    Lt,
    /// `__exact`: equal.
    Exact,
}

impl Operator {
    const ALL: [Operator; 7] = [
        Operator::IContains,
        Operator::In,
        Operator::Gte,
        Operator::Lte,
        Operator::Gt,
        Operator::Lt,
        Operator::Exact,
    ];

    /// The suffix as it follows the field name, leading `__` included.
    ///
    /// ```
    /// use harbor_users::query::Operator;
    ///
    /// assert_eq!(Operator::Gte.suffix(), "__gte");
    /// ```
    pub const fn suffix(self) -> &'static str {
        match self {
            Operator::IContains => "__icontains",
            Operator::In => "__in",
            Operator::Gte => "__gte",
            Operator::Lte => "__lte",
            Operator::Gt => "__gt",
            Operator::Lt => "__lt",
            Operator::Exact => "__exact",
        }
    }
}

/// The key of a `q` term: a [`Field`] name, optionally followed by an [`Operator`] suffix.
///
/// A key is its name: two keys are equal when they render the same, however they were
/// built. Keys are checked when a term is added to a [`Query`](super::Query), which rejects
/// an empty key and one holding `,` or `=`.
///
/// ```
/// use harbor_users::query::{Field, Key, Operator};
///
/// let key = Key::with_operator(Field::CreationTime, Operator::Gte);
/// assert_eq!(key.as_str(), "creation_time__gte");
/// assert_eq!(key, Key::from("creation_time__gte"));
/// assert_eq!(key.field(), Field::CreationTime);
/// assert_eq!(key.operator(), Some(Operator::Gte));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    name: String,
}

impl Key {
    /// A key that is the field's name alone.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key};
    ///
    /// assert_eq!(Key::new(Field::Realname).as_str(), "realname");
    /// ```
    pub fn new(field: impl Into<Field>) -> Self {
        let name = match field.into() {
            Field::Custom(name) => name,
            known => known.as_str().to_owned(),
        };
        Key { name }
    }

    /// A key that is the field's name followed by the operator's suffix.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Operator};
    ///
    /// let key = Key::with_operator(Field::Username, Operator::IContains);
    /// assert_eq!(key.as_str(), "username__icontains");
    /// ```
    pub fn with_operator(field: impl Into<Field>, operator: Operator) -> Self {
        let mut key = Key::new(field);
        key.name.push_str(operator.suffix());
        key
    }

    /// The key as Harbor receives it.
    ///
    /// ```
    /// use harbor_users::query::Key;
    ///
    /// assert_eq!(Key::from("email").as_str(), "email");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The field part of the key, without any operator suffix.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key};
    ///
    /// assert_eq!(Key::from("user_id__lt").field(), Field::UserId);
    /// assert_eq!(Key::from("user_id").field(), Field::UserId);
    /// ```
    pub fn field(&self) -> Field {
        Field::from(self.split().0)
    }

    /// The operator suffix, if the key ends with one Harbor knows.
    ///
    /// ```
    /// use harbor_users::query::{Key, Operator};
    ///
    /// assert_eq!(Key::from("user_id__lt").operator(), Some(Operator::Lt));
    /// assert_eq!(Key::from("user_id").operator(), None);
    /// ```
    pub fn operator(&self) -> Option<Operator> {
        self.split().1
    }

    fn split(&self) -> (&str, Option<Operator>) {
        Operator::ALL
            .into_iter()
            .find_map(|operator| {
                let field = self.name.strip_suffix(operator.suffix())?;
                (!field.is_empty()).then_some((field, Some(operator)))
            })
            .unwrap_or((&self.name, None))
    }
}

impl From<Field> for Key {
    fn from(field: Field) -> Self {
        Key::new(field)
    }
}

impl From<&str> for Key {
    fn from(name: &str) -> Self {
        Key {
            name: name.to_owned(),
        }
    }
}

impl From<String> for Key {
    fn from(name: String) -> Self {
        Key { name }
    }
}

impl From<&String> for Key {
    fn from(name: &String) -> Self {
        Key::from(name.as_str())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
