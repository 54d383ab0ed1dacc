use std::fmt;
use std::str::FromStr;

use super::{Field, QueryError};

/// The order of a user listing: fields compared in turn, each ascending or descending.
///
/// `Display` renders Harbor's `sort` parameter, fields joined by `,` with `-` before the
/// descending ones. Harbor silently drops a field it does not know and, when none is left,
/// sorts by `username` ascending. It adds no tie-breaker of its own.
///
/// ```
/// use harbor_users::query::Sort;
///
/// let sort = Sort::new().asc("username")?.desc("creation_time")?;
/// assert_eq!(sort.to_string(), "username,-creation_time");
/// assert_eq!("username,-creation_time".parse::<Sort>()?, sort);
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sort {
    keys: Vec<SortKey>,
}

impl Sort {
    /// An empty sort, which leaves Harbor's default order: `username` ascending.
    ///
    /// ```
    /// use harbor_users::query::Sort;
    ///
    /// assert!(Sort::new().is_empty());
    /// assert_eq!(Sort::new().to_string(), "");
    /// ```
    pub fn new() -> Self {
        Sort::default()
    }

    /// Adds a field in ascending order, after those already given.
    ///
    /// Fails if the field's name is empty, contains a comma or starts with `-`.
    ///
    /// ```
    /// use harbor_users::query::{Field, Sort};
    ///
    /// let sort = Sort::new().asc(Field::Realname)?.asc(Field::UserId)?;
    /// assert_eq!(sort.to_string(), "realname,user_id");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn asc(self, field: impl Into<Field>) -> Result<Self, QueryError> {
        self.then(field, Order::Ascending)
    }

    /// Adds a field in descending order, after those already given.
    ///
    /// Fails if the field's name is empty, contains a comma or starts with `-`.
    ///
    /// ```
    /// use harbor_users::query::{Field, Sort};
    ///
    /// let sort = Sort::new().desc(Field::UpdateTime)?;
    /// assert_eq!(sort.to_string(), "-update_time");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn desc(self, field: impl Into<Field>) -> Result<Self, QueryError> {
        self.then(field, Order::Descending)
    }

    /// Adds a field in the given order, after those already given.
    ///
    /// Fails if the field's name is empty, contains a comma or starts with `-`.
    ///
    /// ```
    /// use harbor_users::query::{Field, Order, Sort};
    ///
    /// let newest_first = true;
    /// let order = if newest_first { Order::Descending } else { Order::Ascending };
    /// let sort = Sort::new().then(Field::CreationTime, order)?;
    /// assert_eq!(sort.to_string(), "-creation_time");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn then(mut self, field: impl Into<Field>, order: Order) -> Result<Self, QueryError> {
        let field = field.into();
        let name = field.as_str();
        if name.is_empty() {
            self.keys.push(SortKey { field, order });
            return Err(QueryError::EmptySortKey {
                sort: self.to_string(),
            });
        }
        if name.contains(',') {
            return Err(QueryError::CommaInSortKey {
                key: name.to_owned(),
            });
        }
        if name.starts_with('-') {
            return Err(QueryError::DashAtSortKeyStart {
                key: name.to_owned(),
            });
        }
        self.keys.push(SortKey { field, order });
        Ok(self)
    }

    /// The fields in the order Harbor compares them.
    ///
    /// ```
    /// use harbor_users::query::{Field, Order, Sort};
    ///
    /// let sort: Sort = "-user_id".parse()?;
    /// assert_eq!(sort.keys()[0].field(), &Field::UserId);
    /// assert_eq!(sort.keys()[0].order(), Order::Descending);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn keys(&self) -> &[SortKey] {
        &self.keys
    }

    /// Whether no field is given, so that Harbor's default order applies.
    ///
    /// ```
    /// use harbor_users::query::Sort;
    ///
    /// assert!(!Sort::new().asc("email")?.is_empty());
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The value to give the HTTP layer for the `sort` query parameter.
    ///
    /// Unlike `q`, Harbor decodes `sort` only once, as every server does, so this is the
    /// rendered sort, left for the HTTP layer to encode.
    ///
    /// ```
    /// use harbor_users::query::Sort;
    ///
    /// let sort = Sort::new().desc("sysadmin_flag")?.asc("username")?;
    /// assert_eq!(sort.to_query_param(), "-sysadmin_flag,username");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn to_query_param(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, key) in self.keys.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

/// Parses Harbor's `sort` syntax; an empty string is an empty sort.
///
/// ```
/// use harbor_users::query::{QueryError, Sort};
///
/// assert!("username,-email".parse::<Sort>().is_ok());
/// assert!(matches!("username,,email".parse::<Sort>(), Err(QueryError::EmptySortKey { .. })));
/// assert!(matches!("--email".parse::<Sort>(), Err(QueryError::DashAtSortKeyStart { .. })));
/// ```
impl FromStr for Sort {
    type Err = QueryError;

    fn from_str(sort: &str) -> Result<Self, Self::Err> {
        if sort.is_empty() {
            return Ok(Sort::new());
        }
        sort.split(',').try_fold(Sort::new(), |parsed, key| {
            let result = match key.strip_prefix('-') {
                Some(name) => parsed.desc(name),
                None => parsed.asc(key),
            };
            result.map_err(|error| match error {
                QueryError::EmptySortKey { .. } => QueryError::EmptySortKey {
                    sort: sort.to_owned(),
                },
                other => other,
            })
        })
    }
}

/// One field of a [`Sort`] and its direction.
///
/// ```
/// use harbor_users::query::Sort;
///
/// let sort = Sort::new().desc("creation_time")?;
/// assert_eq!(sort.keys()[0].to_string(), "-creation_time");
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortKey {
    field: Field,
    order: Order,
}

impl SortKey {
    /// The field compared.
    ///
    /// ```
    /// use harbor_users::query::{Field, Sort};
    ///
    /// let sort = Sort::new().asc(Field::Email)?;
    /// assert_eq!(sort.keys()[0].field(), &Field::Email);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// The direction of the comparison.
    ///
    /// ```
    /// use harbor_users::query::{Order, Sort};
    ///
    /// let sort = Sort::new().asc("email")?;
    /// assert_eq!(sort.keys()[0].order(), Order::Ascending);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn order(&self) -> Order {
        self.order
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.order {
            Order::Ascending => write!(f, "{}", self.field),
            Order::Descending => write!(f, "-{}", self.field),
        }
    }
}

/// The direction in which a [`Sort`] compares a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// Smallest first; sent as the bare field name.
    Ascending,
    /// Largest first; sent as the field name behind `-`.
    Descending,
}
